"""The search page's view data: one dict that the HTML template and the JSON twin both render.

The URL is the whole state: ``q``, ``scope``, one parameter per facet (repeat it for several
values), ``sort``, ``page`` and ``size``. Every link on the page (toggle a facet value, remove a
filter, next page, another scope) is that URL with one thing changed.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, urlencode

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from lmickg.entities import parse_entity_iri
from lmickg.labels import pick_label
from lmickg.search import (
    DEFAULT_PAGE_SIZE,
    SCOPES,
    FacetCount,
    SearchIndex,
    SearchRequest,
    SearchResponse,
)

from .vocabulary import FACETS, SORTS, ui, value_label
from .vocabulary import SCOPES as SCOPE_LABELS

__all__ = ["entity_href", "search_csv_text", "search_href", "search_view"]

#: Facet values shown on each result, per scope.
HIT_FACETS = {
    "sources": ("type", "publisher", "frequency", "level", "access"),
    "variables": ("unit", "breakdown"),
    "gaps": ("status", "priority", "report"),
    "recommendations": ("status", "report", "to"),
    "reports": ("creator", "year"),
}
#: How many values of a facet show before the rest fold under "More", and at most in HTML
#: (the JSON twin lists every value).
FACET_VISIBLE = 8
FACET_HTML_MAX = 50
#: Facets whose values have a natural order (kept); the others list the most frequent first.
ORDERED_FACETS = frozenset({"frequency", "level", "geo", "status", "year"})


def search_href(
    lang: str,
    request: SearchRequest,
    *,
    fmt: str = "",
    filters: dict[str, tuple[str, ...]] | None = None,
    **changes: Any,
) -> str:
    """The search URL for ``request`` with some parts changed (page resets unless given)."""
    state = {
        "q": request.text,
        "scope": request.scope,
        "sort": request.sort,
        "size": request.size,
        "page": 1,
    }
    state.update(changes)
    chosen = request.filters if filters is None else filters
    pairs: list[tuple[str, str]] = []
    if state["q"]:
        pairs.append(("q", str(state["q"])))
    if state["scope"] != "sources":
        pairs.append(("scope", str(state["scope"])))
    for facet in SCOPES[str(state["scope"])].facets:
        pairs += [(facet, value) for value in chosen.get(facet, ())]
    if state["sort"]:
        pairs.append(("sort", str(state["sort"])))
    if state["size"] != DEFAULT_PAGE_SIZE:
        pairs.append(("size", str(state["size"])))
    if state["page"] != 1:
        pairs.append(("page", str(state["page"])))
    endpoint = {"json": "site.search_json", "csv": "site.search_csv"}.get(fmt, "site.search")
    path = url_for(endpoint, lang=lang)
    return f"{path}?{urlencode(pairs)}" if pairs else path


@lru_cache(maxsize=8192)
def _quoted(value: str) -> str:
    return quote_plus(value)


class _Toggles:
    """Links that add or remove one facet value: the current URL with one facet changed.

    Built once per request, because a page carries hundreds of them (one per facet value);
    the result equals :func:`search_href` with the toggled filters.
    """

    def __init__(self, lang: str, request: SearchRequest) -> None:
        self.path = url_for("site.search", lang=lang)
        self.request = request
        self.facets = SCOPES[request.scope].facets
        self.head = [f"q={quote_plus(request.text)}"] if request.text else []
        if request.scope != "sources":
            self.head.append(f"scope={quote_plus(request.scope)}")
        self.tail = [f"sort={quote_plus(request.sort)}"] if request.sort else []
        if request.size != DEFAULT_PAGE_SIZE:
            self.tail.append(f"size={request.size}")
        self.encoded = {f: self._encode(f, request.filters.get(f, ())) for f in self.facets}

    @staticmethod
    def _encode(facet: str, values: tuple[str, ...] | list[str]) -> list[str]:
        return [f"{facet}={_quoted(v)}" for v in values]

    def href(self, facet: str, value: str) -> str:
        current = self.request.filters.get(facet, ())
        changed = [v for v in current if v != value] if value in current else [*current, value]
        parts = list(self.head)
        for name in self.facets:
            parts += self._encode(name, changed) if name == facet else self.encoded[name]
        parts += self.tail
        return f"{self.path}?{'&'.join(parts)}" if parts else self.path


def entity_href(iri: str, lang: str) -> str | None:
    """The page of an entity IRI (None when it has no page here)."""
    ref = parse_entity_iri(iri)
    if ref is None:
        return None
    return url_for("site.entity", lang=lang, kind=ref.kind, key=ref.key)


def _toggled(
    filters: dict[str, tuple[str, ...]], facet: str, value: str
) -> dict[str, tuple[str, ...]]:
    current = filters.get(facet, ())
    updated = tuple(v for v in current if v != value) if value in current else (*current, value)
    out = dict(filters)
    if updated:
        out[facet] = updated
    else:
        out.pop(facet, None)
    return out


def _facet_entries(
    facet: str, values: list[FacetCount], toggles: _Toggles, lang: str
) -> list[dict[str, Any]]:
    entries = []
    for value in values:
        text, used = pick_label(value.labels, lang)
        if not text and value.iri:
            text, used = value_label(value.iri) or "", lang
        entries.append(
            {
                "value": value.value,
                "label": text or value.value,
                "label_lang": used if text else "zxx",
                "count": value.count,
                "selected": value.selected,
                "iri": value.iri,
                "parent": value.parent,
                "depth": value.depth,
                "href": toggles.href(facet, value.value),
            }
        )
    return entries


def format_count(n: int, lang: str) -> str:
    """A count as the page language writes it: 12,345 in English, 12 345 in French."""
    text = f"{n:,}"
    return text.replace(",", "\u00a0") if lang == "fr" else text


def _facet_items(entries: list[dict[str, Any]], lang: str) -> dict[str, Markup]:
    """Each facet value's link, rendered here: a page has hundreds, and a Jinja macro per
    value cost more than the search itself. Same markup as the template would give."""
    remove = escape(gettext("Remove filter:"))
    items = {}
    for e in entries:
        if e["label_lang"] not in (lang, "zxx"):
            label = f'<span lang="{escape(e["label_lang"])}" class="fallback">{escape(e["label"])}</span>'
        else:
            label = str(escape(e["label"]))
        hidden = f'<span class="visually-hidden">{remove} </span>' if e["selected"] else ""
        selected = " selected" if e["selected"] else ""
        # f-strings over escaped parts: Markup.format costs several times more.
        items[e["value"]] = Markup(
            f'<a class="facet-value{selected}" href="{escape(e["href"])}">{hidden}'
            '<span class="box" aria-hidden="true"></span> '
            f'<span class="facet-label">{label}</span> '
            f'<span class="count">{format_count(e["count"], lang)}</span></a>'
        )
    return items


def _tree(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nest hierarchical facet entries under their parents (for the template)."""
    nodes = {e["value"]: {"entry": e, "children": []} for e in entries}
    roots = []
    for entry in entries:
        parent = nodes.get(entry["parent"]) if entry["parent"] else None
        (parent["children"] if parent else roots).append(nodes[entry["value"]])

    def mark(node: dict[str, Any]) -> bool:
        inside = any([mark(child) for child in node["children"]])
        node["open"] = inside
        return bool(node["entry"]["selected"]) or inside

    for root in roots:
        mark(root)
    return roots


def _hit_entry(hit: Any, response: SearchResponse, lang: str, path: str) -> dict[str, Any]:
    request = response.request
    scope = "" if request.scope == "sources" else f"scope={quote_plus(request.scope)}&"
    title, title_lang = pick_label(hit.titles, lang)
    description, description_lang = pick_label(hit.descriptions, lang)
    values: dict[str, list[dict[str, Any]]] = {}
    for facet in HIT_FACETS.get(request.scope, ()):
        shown = []
        for key, labels, iri in hit.values.get(facet, []):
            text, used = pick_label(labels, lang)
            if not text and iri:
                text, used = value_label(iri) or "", lang
            shown.append(
                {
                    "value": key,
                    "label": text or key,
                    "label_lang": used,
                    # All entities with this value (what search_href with that filter gives).
                    "href": f"{path}?{scope}{facet}={quote_plus(key)}",
                }
            )
        if shown:
            values[facet] = shown
    ref = parse_entity_iri(hit.iri)
    return {
        "iri": hit.iri,
        "kind": ref.kind if ref else None,
        "href": entity_href(hit.iri, lang),
        "json": url_for("site.entity", lang=lang, kind=ref.kind, key=ref.key + ".json")
        if ref
        else None,
        "title": title or hit.iri,
        "title_lang": title_lang,
        "description": description,
        "description_lang": description_lang,
        "date": hit.date,
        "score": round(hit.score, 4),
        "values": values,
    }


def _pagination(response: SearchResponse, lang: str) -> dict[str, Any]:
    request = response.request
    last = response.pages
    page = request.page

    def href(number: int) -> str:
        return search_href(lang, request, page=number)

    window = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    return {
        "page": page,
        "pages": last,
        "first": href(1),
        "last": href(last),
        "prev": href(page - 1) if page > 1 else None,
        "next": href(page + 1) if page < last else None,
        "numbers": [{"number": n, "href": href(n), "current": n == page} for n in window],
    }


def search_view(
    index: SearchIndex, request: SearchRequest, lang: str, *, html: bool = True
) -> dict[str, Any]:
    """Everything the search page shows, as plain data (``html=False``: without the parts
    only the HTML template uses)."""
    response = index.search(request)
    scope = request.scope
    toggles = _Toggles(lang, request)
    facets = {
        name: _facet_entries(name, values, toggles, lang)
        for name, values in response.facets.items()
    }
    active = []
    for facet, keys in request.filters.items():
        by_value = {e["value"]: e for e in facets.get(facet, [])}
        for key in keys:
            entry = by_value.get(key, {"label": key, "label_lang": lang})
            active.append(
                {
                    "facet": facet,
                    "facet_label": ui(FACETS, facet),
                    "value": key,
                    "label": entry["label"],
                    "label_lang": entry["label_lang"],
                    "remove": search_href(
                        lang, request, filters=_toggled(dict(request.filters), facet, key)
                    ),
                }
            )
    suggestions = []
    if response.total == 0:
        # What removing one constraint would give, so the page can say which filter to drop.
        for facet, keys in request.filters.items():
            for key in keys:
                filters = _toggled(dict(request.filters), facet, key)
                relaxed = index.count(scope, request.text, filters)
                entry = next((a for a in active if a["facet"] == facet and a["value"] == key), None)
                suggestions.append(
                    {
                        "remove": "filter",
                        "facet": facet,
                        "facet_label": ui(FACETS, facet),
                        "value": key,
                        "label": entry["label"] if entry else key,
                        "label_lang": entry["label_lang"] if entry else lang,
                        "total": relaxed,
                        "href": search_href(lang, request, filters=filters),
                    }
                )
        if request.text:
            suggestions.append(
                {
                    "remove": "text",
                    "total": index.count(scope, "", request.filters),
                    "href": search_href(lang, request, q="", sort=""),
                }
            )
        suggestions.sort(key=lambda s: -int(s["total"]))
    scopes = []
    for name in SCOPE_LABELS:
        total = response.total if name == scope else index.count(name, request.text)
        scopes.append(
            {
                "value": name,
                "label": ui(SCOPE_LABELS, name),
                "count": total,
                "selected": name == scope,
                "href": search_href(lang, request, filters={}, scope=name, sort=""),
            }
        )
    spec = SCOPES[scope]
    view: dict[str, Any] = {
        "query": {
            "q": request.text,
            "scope": scope,
            "filters": {k: list(v) for k, v in request.filters.items()},
            "sort": response.sort,
            "page": request.page,
            "size": request.size,
        },
        "terms": response.terms,
        "excluded_terms": response.excluded_terms,
        "total": response.total,
        "results": [_hit_entry(hit, response, lang, toggles.path) for hit in response.hits],
        "facets": facets,
        "facet_labels": {name: ui(FACETS, name) for name in spec.facets},
        "_meta_labels": {
            name: gettext("%(name)s:", name=ui(FACETS, name)) for name in HIT_FACETS.get(scope, ())
        },
        "active": active,
        "clear": search_href(lang, request, filters={}, q=""),
        "suggestions": suggestions,
        "scopes": scopes,
        "sorts": [
            {"value": s, "label": ui(SORTS, s), "selected": s == response.sort}
            for s in spec.sorts
            if s != "relevance" or request.text
        ],
        "pagination": _pagination(response, lang),
        "links": {
            "html": search_href(lang, request, page=request.page),
            "json": search_href(lang, request, fmt="json", page=request.page),
            "csv": search_href(lang, request, fmt="csv"),
        },
        "_visible": FACET_VISIBLE,
        "_html_max": FACET_HTML_MAX,
        "_heading": gettext("Search results")
        if request.text or request.filters
        else gettext("Search the catalog"),
    }
    if html:
        view["_trees"] = {name: _tree(facets[name]) for name in spec.hierarchical}
        view["_items"] = {
            name: _facet_items(
                entries if name in ORDERED_FACETS else entries[:FACET_HTML_MAX], lang
            )
            for name, entries in facets.items()
        }
    return view


def search_csv_text(response: SearchResponse, lang: str, site_url: str) -> str:
    """The hits of an export as CSV: identifier, page, title, date, then one column per facet
    (labels in the page language, several values joined by " | ")."""
    scope = response.request.scope
    facets = [f for f in SCOPES[scope].facets if f not in SCOPES[scope].hierarchical]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["iri", "page", "title", "description", "date", *facets])
    for hit in response.hits:
        title = pick_label(hit.titles, lang)[0]
        description = pick_label(hit.descriptions, lang)[0]
        values = []
        for facet in facets:
            labels = []
            for key, names, iri in hit.values.get(facet, []):
                text = pick_label(names, lang)[0] or (value_label(iri) if iri else None) or key
                labels.append(text)
            values.append(" | ".join(labels))
        page = entity_href(hit.iri, lang)
        row = [hit.iri, f"{site_url}{page}" if page else "", title, description, hit.date or ""]
        writer.writerow([_cell(v) for v in [*row, *values]])
    return out.getvalue()


def _cell(text: str) -> str:
    # A spreadsheet would run a cell starting with = + - @ as a formula: quote it.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
