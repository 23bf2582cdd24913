"""Request handlers of the public catalog (see the package docstring for the routes)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, redirect, request, url_for
from markupsafe import Markup

from lmickg.entity_view import entity_view
from lmickg.labels import pick_label
from lmickg.namespaces import ID
from lmickg.schemaorg import dataset_jsonld
from lmickg.search import SearchError, SearchIndex, SearchRequest, load_index
from lmickg.serving import NoCatalogError

from ..context import snapshot
from ..i18n import LANGUAGES, current_lang
from . import site
from .entity_page import entity_page_view
from .errors import NotInCatalog, SearchProblem
from .render import respond, wants_json
from .search_page import format_count, search_csv_text, search_href, search_view
from .vocabulary import FACETS, SCOPES, ui

__all__: list[str] = []

LANG = "<any(en,fr):lang>"
#: Longest entity key accepted in a URL (keys are short slugs and codes).
MAX_KEY = 200
#: Sections of the home page: facets of the sources scope to browse by.
HOME_FACETS = ("theme", "geo", "group", "frequency", "access")


@site.app_template_filter("count")
def count_filter(n: int) -> str:
    """A number as the page language writes it (12,345 / 12 345)."""
    return format_count(int(n), current_lang())


def search_index() -> SearchIndex:
    """The search index of the build this request reads (503 if that build has none)."""
    try:
        return snapshot().artifact("search", load_index)
    except FileNotFoundError as error:  # a build made before the search deriver existed
        raise NoCatalogError(str(error)) from error


@site.get("/")
def root() -> Response:
    """Send people to the catalog in their language."""
    lang = request.accept_languages.best_match(LANGUAGES) or "en"
    response = redirect(url_for("site.home", lang=lang), code=302)
    response.vary.add("Accept-Language")
    return response


@site.get("/favicon.ico")
def favicon() -> Response:
    """Clients that ask for /favicon.ico without reading the page get the site's icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@site.get(f"/{LANG}/")
@site.get(f"/{LANG}/index.json", endpoint="home_json")
def home(lang: str) -> Response:
    """What the catalog holds and where to start."""
    index = search_index()
    manifest = snapshot().manifest
    base = SearchRequest(lang=lang)
    overview = index.search(SearchRequest(size=1, lang=lang))
    browse = []
    for facet in HOME_FACETS:
        values = [
            {
                "value": v.value,
                "label": pick_label(v.labels, lang)[0] or v.value,
                "label_lang": pick_label(v.labels, lang)[1],
                "count": v.count,
                "href": search_href(lang, base, filters={facet: (v.value,)}),
            }
            for v in overview.facets[facet]
            if v.count and (facet != "geo" or v.depth <= 1)
        ]
        browse.append({"facet": facet, "label": ui(FACETS, facet), "values": values})
    gaps = index.search(SearchRequest(scope="gaps", size=1, lang=lang))
    gap_status = [
        {
            "value": v.value,
            "label": pick_label(v.labels, lang)[0] or v.value,
            "label_lang": pick_label(v.labels, lang)[1],
            "count": v.count,
            "href": search_href(lang, SearchRequest(scope="gaps"), filters={"status": (v.value,)}),
        }
        for v in gaps.facets["status"]
        if v.count
    ]
    holdings = [
        {
            "scope": scope,
            "label": ui(SCOPES, scope),
            "count": index.documents(scope),
            "href": search_href(lang, SearchRequest(scope=scope)),
        }
        for scope in SCOPES
    ]
    view = {
        "build": {"id": manifest.get("build_id"), "created": manifest.get("created")},
        "holdings": holdings,
        "browse": browse,
        "gap_status": gap_status,
        "links": {
            "search": url_for("site.search", lang=lang),
            "search_json": url_for("site.search_json", lang=lang),
            "sparql": "/sparql",
            "catalog": "/catalog",
            "questions": f"/{lang}/questions",
        },
    }
    return respond("site/home.html", view)


@site.get(f"/{LANG}/search")
@site.get(f"/{LANG}/search.json", endpoint="search_json")
def search(lang: str) -> Response:
    """Faceted search; the URL is the whole state."""
    index = search_index()
    params = {name: request.args.getlist(name) for name in request.args}
    try:
        parsed = index.parse(params, lang)
        view = search_view(index, parsed, lang, html=not wants_json())
    except SearchError as error:
        raise SearchProblem(error) from error
    return respond("site/search.html", view)


@site.get(f"/{LANG}/search.csv")
def search_csv(lang: str) -> Response:
    """Every result of a search (up to 10,000) as CSV, labels in the page language."""
    index = search_index()
    params = {name: request.args.getlist(name) for name in request.args}
    params.pop("page", None)
    params.pop("size", None)
    try:
        parsed = index.parse(params, lang)
        response = index.export(parsed)
    except SearchError as error:
        raise SearchProblem(error) from error
    body = search_csv_text(response, lang, request.host_url.rstrip("/"))
    out = Response(body, mimetype="text/csv")
    out.headers["Content-Disposition"] = f'inline; filename="lmickg-{parsed.scope}.csv"'
    out.headers["X-Total-Count"] = str(response.total)
    if response.total > len(response.hits):
        out.headers["X-Truncated"] = "true"
    return out


@site.get(f"/{LANG}/<kind>/<path:key>")
def entity(lang: str, kind: str, key: str) -> Response:
    """The page of the entity ``/id/<kind>/<key>``."""
    as_json = key.endswith(".json")
    if as_json:
        key = key[: -len(".json")]
    iri = str(ID[f"{kind}/{key}"])
    if not key or len(key) > MAX_KEY or len(kind) > 40 or any(c in iri for c in '<>"{}|\\^` '):
        raise NotInCatalog(iri[:300])
    index = search_index()
    view = entity_view(snapshot().store, iri, index)
    if view is None:
        raise NotInCatalog(iri)
    page = entity_page_view(view, lang, index)
    if "distributions" in page["sections"]:  # a data source (any DCAT class)
        jsonld = dataset_jsonld(snapshot().store, iri, lang, description=view.description)
        page["schema_org"] = jsonld
        page["_jsonld"] = _script_json(jsonld)
    if kind == "gap":
        page["_gap_iri"] = iri
    return respond("site/entity.html", page)


def _script_json(data: dict[str, Any]) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block, safe against ``</script>``."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)
