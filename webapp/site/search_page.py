"""The search page's view data: one dict that the HTML template and the JSON twin both render.

The URL is the whole state: ``q``, ``scope``, one parameter per facet (repeat it for several
values), ``sort``, ``page`` and ``size``. Every link on the page (toggle a facet value, remove a
filter, next page, another scope) is that URL with one thing changed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import url_for
from flask_babel import gettext

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

from .vocabulary import FACETS, SORTS, value_label
from .vocabulary import SCOPES as SCOPE_LABELS

__all__ = ["entity_href", "search_href", "search_view"]

#: Facet values shown on each result, per scope.
HIT_FACETS = {
    "sources": ("type", "publisher", "frequency", "level", "access"),
    "variables": ("unit", "breakdown"),
    "gaps": ("status", "priority", "report"),
    "recommendations": ("status", "report", "to"),
    "reports": ("creator", "year"),
}
#: How many values of a facet show before the rest fold under "More".
FACET_VISIBLE = 8


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
    path = url_for("site.search_json" if fmt == "json" else "site.search", lang=lang)
    return f"{path}?{urlencode(pairs)}" if pairs else path


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
    facet: str, values: list[FacetCount], request: SearchRequest, lang: str
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
                "href": search_href(
                    lang, request, filters=_toggled(dict(request.filters), facet, value.value)
                ),
            }
        )
    return entries


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


def _hit_entry(hit: Any, response: SearchResponse, lang: str) -> dict[str, Any]:
    request = response.request
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
                    "href": search_href(lang, request, filters={facet: (key,)}, q="", sort=""),
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


def search_view(index: SearchIndex, request: SearchRequest, lang: str) -> dict[str, Any]:
    """Everything the search page shows, as plain data."""
    response = index.search(request)
    scope = request.scope
    facets = {
        name: _facet_entries(name, values, request, lang)
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
                    "facet_label": str(FACETS.get(facet, facet)),
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
                        "facet_label": str(FACETS.get(facet, facet)),
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
    for name, label in SCOPE_LABELS.items():
        total = response.total if name == scope else index.count(name, request.text)
        scopes.append(
            {
                "value": name,
                "label": str(label),
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
        "results": [_hit_entry(hit, response, lang) for hit in response.hits],
        "facets": facets,
        "facet_labels": {name: str(FACETS.get(name, name)) for name in spec.facets},
        "active": active,
        "clear": search_href(lang, request, filters={}, q=""),
        "suggestions": suggestions,
        "scopes": scopes,
        "sorts": [
            {"value": s, "label": str(SORTS[s]), "selected": s == response.sort}
            for s in spec.sorts
            if s != "relevance" or request.text
        ],
        "pagination": _pagination(response, lang),
        "links": {
            "html": search_href(lang, request, page=request.page),
            "json": search_href(lang, request, fmt="json", page=request.page),
        },
        "_trees": {name: _tree(facets[name]) for name in spec.hierarchical},
        "_visible": FACET_VISIBLE,
        "_heading": gettext("Search results")
        if request.text or request.filters
        else gettext("Search the catalog"),
    }
    return view
