"""Linked data: dereferenceable IRIs, the paged DCAT-AP export, and discovery files.

Every IRI ``https://w3id.org/lmickg/PATH`` is answered at ``/PATH`` on whatever host serves
this app:

- ``/id/<kind>/<key>``: RDF by content negotiation (``Accept`` or an extension ``.ttl .nt
  .jsonld .rdf``; no ``Accept`` or ``*/*`` gets Turtle) answered directly with 200 and a
  ``Content-Location``; a browser (``text/html`` preferred) gets a 303 to the HTML page
  ``/<lang>/<kind>/<key>`` in the language of its ``Accept-Language`` (English by default).
  Profiles by ``Accept-Profile`` or ``_profile``: see :mod:`lmickg.profiles`.
- ``/catalog`` (+ ``.ttl .nt .jsonld .rdf``): the catalog export, one Hydra page at a time
  (:mod:`lmickg.export`), browsers sent to ``/<lang>/catalog``, a page for people.
- ``/sitemap.xml`` (and ``/sitemap/<n>.xml`` parts), ``/robots.txt``.

The core does the work (records, paging, profiles, DCAT-AP); this module turns HTTP into calls
and results into responses, and every error into a JSON body that names what is allowed.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote, urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import force_locale
from flask_babel import gettext as _
from rdflib import URIRef
from werkzeug.exceptions import HTTPException

from lmickg.entities import describe, parse_entity_iri
from lmickg.export import catalog_page, change_type, record_document
from lmickg.namespaces import CATALOG, DCT, GRAPH_BASE, ID
from lmickg.paging import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_TOKEN_TTL,
    MAX_PAGE_SIZE,
    Page,
    PageToken,
    PageTokenError,
    decode_token,
    encode_token,
    load_or_create_secret,
    plan_page,
)
from lmickg.profiles import (
    DCAT_AP,
    EXTENSIONS,
    JSON_LD,
    LMIC,
    Profile,
    ProfileError,
    choose_profile,
    entity_profiles,
    graph_document,
    ontology_graph,
    render_entity,
    serialize,
    serialize_document,
    types_of,
)
from lmickg.records import RecordFeed, format_stamp, parse_stamp, topic_of_record
from lmickg.serving import NoCatalogError, Snapshot
from lmickg.sitemap import MAX_URLS, entity_path, index_xml, load_entities, urlset_xml

from ..context import add_translations, snapshot

__all__ = ["alternate_links", "bp"]

log = logging.getLogger(__name__)

bp = Blueprint("linkeddata", __name__)

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
HTML_TYPES = ("text/html", "application/xhtml+xml")
#: What ``Accept`` can ask for, in the order a wildcard picks them.
OFFERED = (*EXTENSIONS.values(), "application/json", *HTML_TYPES)
FORMAT_LABELS = {
    "ttl": "Turtle",
    "nt": "N-Triples",
    "jsonld": "JSON-LD",
    "rdf": "RDF/XML",
}
#: Pages outside /id/ listed in the sitemap: the home page and the harvest page.
SITEMAP_PAGES = ("/{lang}/", "/{lang}/catalog")
_EXPOSED = "Link, Content-Profile, Content-Location, ETag, Last-Modified"


class _Problem(Exception):
    """A client error answered as JSON: what was wrong and what is allowed.

    ``parameter`` names the query parameter at fault, so the harvest page can say it again in
    the page's language.
    """

    def __init__(self, status: int, message: str, parameter: str | None = None, **extra: Any):
        super().__init__(message)
        self.status = status
        self.parameter = parameter
        self.extra = extra


def _fail(status: int, message: str, parameter: str | None = None, **extra: Any) -> NoReturn:
    raise _Problem(status, message, parameter, **extra)


@bp.errorhandler(_Problem)
def _problem(error: _Problem) -> Response:
    response = jsonify(error=str(error), status=error.status, **error.extra)
    response.status_code = error.status
    response.headers["Access-Control-Allow-Origin"] = "*"
    if error.status == 406:
        response.headers["Vary"] = "Accept, Accept-Profile"
    return response


@bp.errorhandler(ProfileError)
def _profile_problem(error: ProfileError) -> Response:
    return _problem(
        _Problem(
            error.status,
            str(error),
            allowed_profiles=[{"token": p.token, "uri": p.uri} for p in error.allowed],
        )
    )


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    add_translations(state.app, str(TRANSLATIONS))
    state.app.add_template_global(alternate_links)


@bp.after_request
def _preflight(response: Response) -> Response:
    # Browser clients asking for a profile send Accept-Profile, which needs a CORS preflight.
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            "Accept, Accept-Profile, Accept-Language, If-None-Match, If-Modified-Since"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def _snapshot() -> Snapshot:
    try:
        return snapshot()
    except NoCatalogError as error:
        _fail(503, str(error))


def _feed(snap: Snapshot) -> RecordFeed:
    def load(s: Snapshot) -> RecordFeed:
        return RecordFeed.load(s.build_dir)

    try:
        return snap.artifact("linkeddata.feed", load)
    except FileNotFoundError:
        _fail(503, f"build {snap.build_id} has no record history; run `lmickg build` again")


def _secret() -> bytes:
    configured = current_app.config.get("PAGE_TOKEN_SECRET")
    if configured:
        return configured if isinstance(configured, bytes) else str(configured).encode()
    cached = current_app.extensions.get("linkeddata.secret")
    if cached is None:
        path = Path(current_app.config["STORE_ROOT"]) / ".page-token-secret"
        try:
            cached = load_or_create_secret(path)
        except OSError as error:
            # Tokens then only work within this process: say how to share one.
            log.warning(
                "cannot keep a page-token secret at %s (%s); set PAGE_TOKEN_SECRET", path, error
            )
            cached = secrets.token_bytes(32)
        current_app.extensions["linkeddata.secret"] = cached
    return bytes(cached)


def _language() -> str:
    languages = list(current_app.config.get("LANGUAGES", ("en", "fr")))
    return request.accept_languages.best_match(languages) or languages[0]


def _wanted(extension: str | None) -> str | None:
    """The media type to answer with; None for HTML. 406 when nothing offered is acceptable."""
    if extension == "html":
        return None
    if extension is not None:
        return EXTENSIONS[extension]
    if not request.headers.get("Accept", "").strip():
        return EXTENSIONS["ttl"]
    best = request.accept_mimetypes.best_match(OFFERED)
    if best is None:
        _fail(
            406,
            "none of the media types in Accept is offered here",
            allowed_media_types=[*EXTENSIONS.values(), "text/html"],
        )
    if best in HTML_TYPES:
        return None
    return JSON_LD if best == "application/json" else best


def _finish(response: Response, *, vary: str) -> Response:
    response.headers["Vary"] = vary
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = _EXPOSED
    if response.status_code == 200:
        response.headers.setdefault("Cache-Control", "no-cache")
        response.add_etag()
        response.make_conditional(request)
    return response


def _quoted(path: str) -> str:
    return quote(path, safe="/:@-._~!$&'()*+,;=")


def _content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def _link_header(links: list[tuple[str, dict[str, str]]]) -> str:
    parts = []
    for href, params in links:
        attributes = "".join(f'; {k}="{v}"' for k, v in params.items())
        parts.append(f"<{href}>{attributes}")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# Entities: /id/<kind>/<key>
# ---------------------------------------------------------------------------------------------


def _entity_url(path: str, extension: str | None = None, profile: Profile | None = None) -> str:
    url = _quoted(f"/id/{path}" + (f".{extension}" if extension else ""))
    if profile is not None:
        url += "?" + urlencode({"_profile": profile.token})
    return url


def alternate_links(iri: str | None = None) -> list[tuple[str, str]]:
    """``(href, media type)`` of an entity's RDF representations, for ``<link rel=alternate>``.

    With no ``iri``, the entity whose page is being rendered (``/<lang>/<kind>/<key>``); an
    empty list for pages that are not about an entity of the catalog.
    """
    if iri is None:
        parts = request.path.strip("/").split("/", 1)
        if len(parts) != 2 or parts[0] not in current_app.config.get("LANGUAGES", ("en", "fr")):
            return []
        iri = str(ID[parts[1]])
    ref = parse_entity_iri(iri)
    if ref is None:
        return []
    known: dict[str, bool] = g.setdefault("linkeddata_known", {})
    if iri not in known:
        try:
            known[iri] = snapshot().store.ask("ASK { ?s ?p ?o }", {"s": URIRef(iri)})
        except NoCatalogError:
            known[iri] = False
    if not known[iri]:
        return []
    path = f"{ref.kind}/{ref.key}"
    return [(_entity_url(path, ext), media) for ext, media in EXTENSIONS.items()]


def _split_extension(rest: str) -> tuple[str, str | None]:
    for extension in (*EXTENSIONS, "html"):
        if rest.endswith(f".{extension}"):
            return rest[: -len(extension) - 1], extension
    return rest, None


@bp.get("/ns")
@bp.get("/ns.<extension>")
def ontology(extension: str | None = None) -> Response:
    """The lmic: ontology (``https://w3id.org/lmickg/ns``) as RDF."""
    if extension is not None and extension not in EXTENSIONS:
        _fail(
            404, f"no format {extension!r}; formats: " + ", ".join(f"/ns.{e}" for e in EXTENSIONS)
        )
    snap = _snapshot()
    graph = ontology_graph(snap.store)
    if graph is None:
        _fail(404, "this catalog was built without the ontology")
    return _document(graph_document(snap.store, graph), extension, "/ns")


@bp.get("/graph/<path:rest>")
def named_graph(rest: str) -> Response:
    """A named graph (one catalog file, ``https://w3id.org/lmickg/graph/...``) as RDF."""
    snap = _snapshot()
    graphs = set(snap.store.graphs())
    path, extension = rest, None
    if GRAPH_BASE + rest not in graphs:
        path, extension = _split_extension(rest)
    if GRAPH_BASE + path not in graphs or extension == "html":
        _fail(404, f"no graph {GRAPH_BASE}{rest} in this catalog")
    return _document(graph_document(snap.store, GRAPH_BASE + path), extension, f"/graph/{path}")


def _document(triples: list[Any], extension: str | None, path: str) -> Response:
    """RDF by extension or Accept; browsers get the Turtle as plain text, to read in place."""
    wanted = _wanted(extension)
    media_type = wanted or EXTENSIONS["ttl"]
    body = serialize(triples, media_type)
    content_type = "text/plain; charset=utf-8" if wanted is None else _content_type(media_type)
    response = Response(body, content_type=content_type)
    response.headers["Link"] = _link_header(
        [
            (_quoted(f"{path}.{ext}"), {"rel": "alternate", "type": m})
            for ext, m in EXTENSIONS.items()
        ]
    )
    return _finish(response, vary="Accept")


@bp.get("/id/<path:rest>")
def entity(rest: str) -> Response:
    """An entity IRI: RDF for machines, a 303 to its page for browsers."""
    snap = _snapshot()
    path, extension = _split_extension(rest)
    ref = parse_entity_iri(str(ID[path]))
    if ref is None:
        _fail(404, f"not an entity IRI: /id/{rest}; entity IRIs look like /id/<kind>/<key>")
    if ref.kind == "record":
        return _record(snap, path, extension)
    iri = str(ID[path])
    description = describe(snap.store, iri)
    if not len(description) and extension is not None:
        # A key may itself end in ".ttl"; prefer the entity that exists.
        full = describe(snap.store, str(ID[rest]))
        if len(full):
            path, extension, iri, description = rest, None, str(ID[rest]), full
    if not len(description):
        _fail(
            404,
            f"no entity {iri} in this catalog",
            formats=[f".{e}" for e in EXTENSIONS],
        )
    wanted = _wanted(extension)
    offered = entity_profiles(types_of(description, iri))
    links = _entity_links(iri, path, offered)
    if wanted is None:
        response = redirect(_page(iri, _language()), code=303)
        response.headers["Link"] = links
        return _finish(response, vary="Accept, Accept-Language")
    profile = choose_profile(
        request.args.get("_profile"), request.headers.get("Accept-Profile"), offered, LMIC
    )
    if wanted not in profile.formats:
        _fail(
            406,
            f"profile {profile.token!r} is served as {', '.join(profile.formats)} only",
            allowed_media_types=list(profile.formats),
        )
    body = render_entity(snap.store, iri, description, profile, wanted)
    response = Response(body, content_type=_content_type(wanted))
    response.headers["Content-Profile"] = f"<{profile.uri}>"
    response.headers["Link"] = links
    if extension is None:
        ext = next(e for e, m in EXTENSIONS.items() if m == wanted)
        response.headers["Content-Location"] = _entity_url(path, ext)
    return _finish(response, vary="Accept, Accept-Profile")


def _page(iri: str, lang: str) -> str:
    """The path of an entity's HTML page in ``lang``."""
    path = entity_path(iri, lang)
    assert path is not None
    return path


def _entity_links(iri: str, path: str, profiles: list[Profile]) -> str:
    links: list[tuple[str, dict[str, str]]] = []
    for profile in profiles:
        for ext, media in EXTENSIONS.items():
            if media not in profile.formats:
                continue
            links.append(
                (
                    _entity_url(path, ext, None if profile is LMIC else profile),
                    {"rel": "alternate", "type": media, "profile": profile.uri},
                )
            )
    for lang in current_app.config.get("LANGUAGES", ("en", "fr")):
        links.append(
            (_page(iri, lang), {"rel": "alternate", "type": "text/html", "hreflang": lang})
        )
    return _link_header(links)


def _record(snap: Snapshot, path: str, extension: str | None) -> Response:
    feed = _feed(snap)
    topic = topic_of_record(str(ID[path]))
    record = feed.table.records.get(topic) if topic is not None else None
    if record is None or topic is None:
        _fail(404, f"no catalog record {ID[path]} in this catalog")
    wanted = _wanted(extension)
    if wanted is None:
        return _finish(
            redirect(_page(topic, _language()), code=303), vary="Accept, Accept-Language"
        )
    # A record is DCAT-AP through and through: both profiles name the same document.
    profile = choose_profile(
        request.args.get("_profile"),
        request.headers.get("Accept-Profile"),
        [DCAT_AP, LMIC],
        DCAT_AP,
    )
    body = serialize(record_document(snap.store, record, feed), wanted)
    response = Response(body, content_type=_content_type(wanted))
    response.headers["Content-Profile"] = f"<{profile.uri}>"
    response.headers["Last-Modified"] = _http_date(record.modified)
    links = [
        (_entity_url(path, ext), {"rel": "alternate", "type": media})
        for ext, media in EXTENSIONS.items()
    ]
    response.headers["Link"] = _link_header(links)
    return _finish(response, vary="Accept, Accept-Profile")


def _http_date(stamp: int) -> str:
    return formatdate(stamp / 1_000_000, usegmt=True)


# ---------------------------------------------------------------------------------------------
# The catalog export: /catalog
# ---------------------------------------------------------------------------------------------


def _page_size(value: str | None) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(value)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        _fail(
            400,
            f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}, not {value!r}",
            "page_size",
        )
    return size


def _request_token(feed: RecordFeed, now: float) -> PageToken:
    """The page the request asks for: a page token, or a first page built from parameters."""
    since_text = request.args.get("modified_since")
    size_text = request.args.get("page_size")
    since = None
    if since_text is not None:
        try:
            since = parse_stamp(since_text)
        except ValueError as error:
            _fail(400, f"modified_since: {error}", "modified_since")
    text = request.args.get("page")
    if text is None:
        size = _page_size(size_text)
        token = PageToken(None, since, feed.stamp, size, int(now))
    else:
        try:
            ttl = float(current_app.config.get("PAGE_TOKEN_TTL", DEFAULT_TOKEN_TTL))
            token = decode_token(text, _secret(), now=now, ttl=ttl)
        except PageTokenError as error:
            _fail(
                400,
                f"page: {error}; harvest again from the first page, {request.base_url}",
                "page",
                reason=error.reason,
                first_page=request.base_url,
            )
        if (since_text is not None and since != token.since) or (
            size_text is not None and _page_size(size_text) != token.size
        ):
            _fail(
                400,
                "page already fixes modified_since and page_size; drop them or start again "
                "from the first page",
                "page",
                first_page=request.base_url,
            )
    purged = feed.table.purged_until
    if token.since is not None and purged is not None and token.since <= purged:
        _fail(
            410,
            f"deletions up to {format_stamp(purged)} are no longer published "
            f"(tombstones are kept {feed.table.retention_days:g} days); harvest the whole "
            "catalog again, without modified_since",
            "modified_since",
            first_page=request.base_url,
        )
    return token


def _links_for(base: str, profile_param: str | None) -> Callable[[PageToken], str]:
    secret = _secret()

    def link(token: PageToken) -> str:
        params: dict[str, str] = {}
        if token.cursor is None and not token.backward:
            if token.since is not None:
                params["modified_since"] = format_stamp(token.since)
            if token.size != DEFAULT_PAGE_SIZE:
                params["page_size"] = str(token.size)
        else:
            params["page"] = encode_token(token, secret)
        if profile_param is not None:
            params["_profile"] = profile_param
        return base + ("?" + urlencode(params) if params else "")

    return link


def _plan(feed: RecordFeed) -> tuple[PageToken, Page]:
    now = time.time()
    token = _request_token(feed, now)
    return token, plan_page(feed, token, issued=int(now))


@bp.get("/catalog")
def catalog() -> Response:
    """The catalog: RDF by Accept, or a 303 to the harvest page for browsers."""
    wanted = _wanted(None)
    if wanted is None:
        target = f"/{_language()}/catalog"
        if request.query_string:
            target += "?" + request.query_string.decode("latin-1")
        return _finish(redirect(target, code=303), vary="Accept, Accept-Language")
    return _catalog_rdf(wanted, None)


@bp.get("/catalog.<extension>")
def catalog_file(extension: str) -> Response:
    """The catalog in the format its extension names."""
    if extension not in EXTENSIONS:
        _fail(
            404,
            f"no catalog format {extension!r}; formats: "
            + ", ".join(f"/catalog.{e}" for e in EXTENSIONS),
        )
    return _catalog_rdf(EXTENSIONS[extension], extension)


def _catalog_rdf(media_type: str, extension: str | None) -> Response:
    snap = _snapshot()
    profile = choose_profile(
        request.args.get("_profile"),
        request.headers.get("Accept-Profile"),
        [DCAT_AP, LMIC],
        DCAT_AP,
    )
    feed = _feed(snap)
    token, page = _plan(feed)
    link = _links_for(request.base_url, request.args.get("_profile") and profile.token)
    view = link(token) if token.cursor is not None or token.backward else link(page.first)
    document = catalog_page(
        snap.store, feed, page, view=view, link=link, dcat_ap=profile is DCAT_AP
    )
    body = serialize_document(document, media_type)
    response = Response(body, content_type=_content_type(media_type))
    response.headers["Content-Profile"] = f"<{profile.uri}>"
    paging = [(link(page.first), {"rel": "first"}), (link(page.last), {"rel": "last"})]
    if page.next is not None:
        paging.append((link(page.next), {"rel": "next"}))
    if page.previous is not None:
        paging.append((link(page.previous), {"rel": "prev"}))
    response.headers["Link"] = _link_header(paging)
    if feed.keys:
        response.headers["Last-Modified"] = _http_date(feed.keys[-1][0])
    if extension is None:
        ext = next(e for e, m in EXTENSIONS.items() if m == media_type)
        response.headers["Content-Location"] = f"/catalog.{ext}"
    return _finish(response, vary="Accept, Accept-Profile")


# ---------------------------------------------------------------------------------------------
# The harvest page for people: /<lang>/catalog
# ---------------------------------------------------------------------------------------------


def _labels(snap: Snapshot, iris: list[str], lang: str) -> dict[str, str]:
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in iris if parse_entity_iri(i) is not None)
    rows = snap.store.select(
        f"SELECT ?s ?title WHERE {{ VALUES ?s {{ {values} }} ?s <{DCT.title}> ?title }}"
    )
    found: dict[str, str] = {}
    for row in rows:
        subject, title = str(row["s"]), row["title"]
        if getattr(title, "language", None) == lang or subject not in found:
            found[subject] = str(title)
    return found


def _harvest_view(lang: str) -> dict[str, Any]:
    snap = _snapshot()
    feed = _feed(snap)
    _token, page = _plan(feed)
    link = _links_for(request.base_url, None)
    header = _labels(snap, [str(CATALOG)], lang)
    descriptions = snap.store.select(
        f"SELECT ?d WHERE {{ <{CATALOG}> <{DCT.description}> ?d FILTER(lang(?d) = '{lang}') }}"
    )
    titles = _labels(snap, [r.topic for r in page.records], lang)
    for record in page.records:
        words = feed.table.tombstones.get(record.topic, {}).get("title", [])
        if record.topic not in titles and words:
            titles[record.topic] = next((v for v, lg in words if lg == lang), words[0][0])
    records = [
        {
            "topic": record.topic,
            "title": titles.get(record.topic, record.topic),
            "status": change_type(record).rsplit("/", 1)[-1].lower(),
            "modified": format_stamp(record.modified),
            "page": entity_path(record.topic, lang) if record.live else None,
        }
        for record in page.records
    ]
    return {
        "lang": lang,
        "title": header.get(str(CATALOG), "lmickg"),
        "description": str(descriptions.rows[0]["d"]) if descriptions.rows else "",
        "total": page.total,
        "records": records,
        "formats": [
            {"href": f"/catalog.{ext}", "type": media, "label": FORMAT_LABELS[ext]}
            for ext, media in EXTENSIONS.items()
        ],
        "first": link(page.first),
        "next": link(page.next) if page.next else None,
        "previous": link(page.previous) if page.previous else None,
        "page_size": page.first.size,
        "max_page_size": MAX_PAGE_SIZE,
        "sitemap": "/sitemap.xml",
        "void": "/.well-known/void",
        "sparql": "/sparql",
    }


@bp.get("/<lang>/catalog")
@bp.get("/<lang>/catalog.json")
def harvest_page(lang: str) -> Response | str:
    """How to harvest this catalog, and its records a page at a time (HTML, or JSON twin)."""
    languages = current_app.config.get("LANGUAGES", ("en", "fr"))
    if lang not in languages:
        _fail(404, f"no language {lang!r}; languages: {', '.join(languages)}")
    wants_json = request.path.endswith(".json") or (
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    )
    if wants_json:
        return _finish(jsonify(_harvest_view(lang)), vary="Accept")
    with force_locale(lang):
        try:
            view = _harvest_view(lang)
        except _Problem as problem:
            if problem.status >= 500:
                raise
            html = render_template(
                "linkeddata/error.html",
                lang=lang,
                status=problem.status,
                message=_explain(problem),
                first_page=request.base_url,
            )
            return Response(html, status=problem.status, content_type="text/html; charset=utf-8")
        html = render_template("linkeddata/catalog.html", **view)
    return _finish(Response(html, content_type="text/html; charset=utf-8"), vary="Accept")


def _explain(problem: _Problem) -> str:
    """A problem with the harvest page's parameters, said in the page's language."""
    if problem.parameter == "page_size":
        return _("page_size must be a whole number from 1 to %(max)s.", max=MAX_PAGE_SIZE)
    if problem.parameter == "modified_since":
        if problem.status == 410:
            return _(
                "Deletions that old are no longer published: start again without modified_since."
            )
        return _("modified_since must be a date such as 2026-12-01, or a date and time.")
    if problem.parameter == "page":
        return _("This page link is not valid any more: start again from the first page.")
    return str(problem)


# ---------------------------------------------------------------------------------------------
# Discovery: sitemap and robots.txt
# ---------------------------------------------------------------------------------------------


def _sitemap_pages(snap: Snapshot) -> list[str]:
    """What the sitemap lists, in order: the site's own pages (paths with ``{lang}``), then
    every entity IRI of the build."""

    def load(s: Snapshot) -> list[str]:
        return [*SITEMAP_PAGES, *load_entities(s.build_dir)]

    try:
        return snap.artifact("linkeddata.sitemap", load)
    except FileNotFoundError:
        _fail(503, f"build {snap.build_id} has no entity list; run `lmickg build` again")


def _part_size() -> int:
    languages = len(current_app.config.get("LANGUAGES", ("en", "fr")))
    return int(current_app.config.get("SITEMAP_MAX_URLS", MAX_URLS)) // languages


def _urlset(snap: Snapshot, pages: list[str]) -> Response:
    records = _feed(snap).table.records
    languages = list(current_app.config.get("LANGUAGES", ("en", "fr")))
    versions: list[list[tuple[str, str]]] = []
    lastmod: dict[str, int] = {}
    for page in pages:
        if page.startswith("/"):
            versions.append([(lang, page.format(lang=lang)) for lang in languages])
            continue
        versions.append([(lang, _page(page, lang)) for lang in languages])
        record = records.get(page)
        if record is not None and record.live:
            lastmod[page] = record.modified
    body = urlset_xml(request.host_url.rstrip("/"), versions, lastmod, pages)
    return _finish(Response(body, content_type="application/xml; charset=utf-8"), vary="Host")


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every page of the catalog in both languages (an index of parts when it is large)."""
    snap = _snapshot()
    pages = _sitemap_pages(snap)
    size = _part_size()
    if len(pages) <= size:
        return _urlset(snap, pages)
    parts = -(-len(pages) // size)
    base = request.host_url.rstrip("/")
    body = index_xml(f"{base}/sitemap/{n}.xml" for n in range(1, parts + 1))
    return _finish(Response(body, content_type="application/xml; charset=utf-8"), vary="Host")


@bp.get("/sitemap/<int:number>.xml")
def sitemap_part(number: int) -> Response:
    """One numbered part of a large sitemap."""
    snap = _snapshot()
    pages = _sitemap_pages(snap)
    size = _part_size()
    parts = max(1, -(-len(pages) // size))
    if not 1 <= number <= parts:
        _fail(404, f"no sitemap part {number}; parts: 1 to {parts}")
    return _urlset(snap, pages[(number - 1) * size : number * size])


@bp.get("/robots.txt")
def robots() -> Response:
    """Crawl the pages, not the SPARQL endpoint's query results; the sitemap lists them all."""
    base = request.host_url.rstrip("/")
    body = f"User-agent: *\nDisallow: /sparql?\nAllow: /\nSitemap: {base}/sitemap.xml\n"
    return Response(body, content_type="text/plain; charset=utf-8")


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response | HTTPException:
    # Client errors raised inside these views (a malformed request, say) get a JSON body too.
    if (error.code or 500) < 500:
        return _problem(_Problem(error.code or 400, error.description or error.name))
    return error
