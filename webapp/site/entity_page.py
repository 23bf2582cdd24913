"""An entity page's view data: the core's :class:`EntityView` with labels chosen for the page
language, links resolved, and property names translated. HTML and JSON render this same dict."""

from __future__ import annotations

from typing import Any

from flask import url_for

from lmickg.entity_view import HEADER, EntityView, Node, Statement
from lmickg.labels import pick_label
from lmickg.namespaces import DCT, RDF
from lmickg.search import SCOPES, SearchIndex, SearchRequest

from .search_page import entity_href, search_href
from .vocabulary import FACETS, inverse_label, kind_label, predicate_label, ui, value_label
from .vocabulary import SCOPES as SCOPE_LABELS

__all__ = ["entity_page_view"]

#: Facets of the sources scope whose values (not catalog entities) link to a filtered search.
VALUE_FACETS = ("frequency", "access", "type", "theme")


class _Linker:
    def __init__(
        self, lang: str, index: SearchIndex | None, ontology: dict[str, dict[str, str]]
    ) -> None:
        self.lang = lang
        self.index = index
        self.ontology = ontology

    def href(self, iri: str) -> str | None:
        page = entity_href(iri, self.lang)
        if page:
            return page
        if self.index is not None:
            for facet in VALUE_FACETS:
                value = self.index.facet_value("sources", facet, iri)
                if value is not None:
                    return search_href(self.lang, SearchRequest(), filters={facet: (value["key"],)})
        return iri if iri.startswith(("http://", "https://")) else None

    def node(self, node: Node) -> dict[str, Any]:
        if node.iri:
            text, used = pick_label(node.labels, self.lang)
            if not text:
                # Unlabelled: a UI name for standard classes, else the key of the IRI.
                text, used = value_label(node.iri) or "", self.lang
            return {
                "iri": node.iri,
                "href": self.href(node.iri),
                "label": text or node.key or node.iri,
                "label_lang": used if text else "zxx",
                "kind": node.kind,
            }
        if node.statements:
            # A blank node's own rdf:type (PeriodOfTime, QualityMeasurement) says nothing new.
            inner = [s for s in node.statements if s.predicate != str(RDF.type)]
            return {"statements": [self.statement(s) for s in inner]}
        return {"text": node.text, "lang": node.lang, "datatype": node.datatype}

    def table(self, nodes: list[dict[str, Any]]) -> dict[str, Any]:
        """Blank nodes of one property (coverages, measurements) as rows under shared columns."""
        columns: dict[str, str] = {}
        for node in nodes:
            for inner in node.get("statements", []):
                columns.setdefault(inner["predicate"], inner["label"])
        rows = []
        for node in nodes:
            cells = {inner["predicate"]: inner["values"] for inner in node.get("statements", [])}
            rows.append([cells.get(predicate, []) for predicate in columns])
        return {
            "columns": [{"predicate": p, "label": label} for p, label in columns.items()],
            "rows": rows,
        }

    def statement(self, statement: Statement) -> dict[str, Any]:
        label = (
            inverse_label(statement.predicate, self.ontology, self.lang)
            if statement.inverse
            else predicate_label(statement.predicate, self.ontology, self.lang)
        )
        values = statement.values
        languages = {v.lang for v in values if v.text is not None}
        if self.lang in languages and len(languages) > 1:
            # Bilingual text: the page shows its own language (the RDF below keeps both).
            values = [v for v in values if v.text is None or v.lang in (self.lang, None, "")]
        out: dict[str, Any] = {
            "predicate": statement.predicate,
            "label": label["text"],
            "label_lang": label["lang"],
            "values": [self.node(v) for v in values],
        }
        if len(values) > 1 and all(v.statements and not v.iri for v in values):
            out["table"] = self.table(out["values"])
        if statement.inverse:
            out["inverse"] = True
            out["total"] = statement.total
        if statement.via:
            via = predicate_label(statement.via, self.ontology, self.lang)
            out["via"] = statement.via
            out["via_label"] = via["text"]
        return out


def _assessment(entry: dict[str, Any], link: _Linker, lang: str) -> dict[str, Any]:
    text, used = pick_label(entry["descriptions"], lang)
    return {
        "assessment": link.node(entry["assessment"]),
        "date": entry["date"],
        "status": link.node(entry["status"]) if entry["status"] else None,
        "addressed_by": [link.node(n) for n in entry["addressed_by"]],
        "attributed_to": [link.node(n) for n in entry["attributed_to"]],
        "derived_from": [link.node(n) for n in entry["derived_from"]],
        "description": text,
        "description_lang": used,
    }


def _sections(view: EntityView, link: _Linker, lang: str) -> dict[str, Any]:
    sections: dict[str, Any] = {}
    raw = view.sections
    if "assessments" in raw:
        sections["assessments"] = [_assessment(a, link, lang) for a in raw["assessments"]]
    if "providers" in raw:
        providers = raw["providers"]
        sections["providers"] = {
            "total": providers["total"],
            "search": search_href(lang, SearchRequest(), filters={"variable": (view.key,)})
            if link.index is not None and link.index.facet_value("sources", "variable", view.iri)
            else None,
            "providers": [
                {
                    "source": link.node(p["source"]),
                    "coverages": [
                        {
                            predicate: {
                                "label": predicate_label(predicate, link.ontology, lang)["text"],
                                "values": [link.node(n) for n in nodes],
                            }
                            for predicate, nodes in coverage.items()
                        }
                        for coverage in p["coverages"]
                    ],
                    "defaults": {
                        predicate: {
                            "label": predicate_label(predicate, link.ontology, lang)["text"],
                            "values": [link.node(n) for n in nodes],
                        }
                        for predicate, nodes in p.get("defaults", {}).items()
                    },
                }
                for p in providers["providers"]
            ],
        }
    if "geography" in raw:
        geo = raw["geography"]
        section: dict[str, Any] = {
            "broader": [link.node(n) for n in geo["broader"]],
            "narrower": [link.node(n) for n in geo["narrower"]],
        }
        coverage = geo.get("coverage")
        if coverage is not None:
            base = (
                SearchRequest(filters={"geo": (coverage["value"],)}) if coverage["value"] else None
            )
            section["coverage"] = {
                "total": coverage["total"],
                "search": search_href(lang, base) if base else None,
                "levels": [
                    {
                        "value": level["value"],
                        "label": pick_label(level["labels"], lang)[0] or level["value"],
                        "label_lang": pick_label(level["labels"], lang)[1],
                        "count": level["count"],
                        "href": search_href(
                            lang,
                            base,
                            filters={"geo": (coverage["value"],), "level": (level["value"],)},
                        )
                        if base
                        else None,
                    }
                    for level in coverage["levels"]
                ],
                "sources": [
                    {
                        "source": link.node(s["source"]),
                        "levels": [
                            next(
                                (
                                    {"value": lv["value"], "label": lv_label}
                                    for lv in coverage["levels"]
                                    if lv["value"] == key
                                    for lv_label in [pick_label(lv["labels"], lang)[0] or key]
                                ),
                                {"value": key, "label": key},
                            )
                            for key in s["levels"]
                        ],
                    }
                    for s in coverage["sources"]
                ],
            }
        sections["geography"] = section
    if "addressed" in raw:
        sections["addressed"] = [
            {
                "assessment": link.node(a["assessment"]),
                "assesses": link.node(a["assesses"]),
                "status": link.node(a["status"]) if a["status"] else None,
                "date": a["date"],
            }
            for a in raw["addressed"]
        ]
    if "distributions" in raw:
        sections["distributions"] = [
            {
                "distribution": link.node(d["distribution"]),
                "statements": [
                    link.statement(s) for s in d["statements"] if s.predicate not in HEADER
                ],
                "title": next(
                    (
                        pick_label({v.lang or "en": v.text or "" for v in s.values}, lang)[0]
                        for s in d["statements"]
                        if s.predicate == str(DCT.title)
                    ),
                    None,
                ),
            }
            for d in raw["distributions"]
        ]
    if "search" in raw:
        sections["search"] = [
            {
                "scope": entry["scope"],
                "scope_label": ui(SCOPE_LABELS, entry["scope"]),
                "facet": entry["facet"],
                "facet_label": ui(FACETS, entry["facet"]),
                "count": entry["count"],
                "href": search_href(
                    lang,
                    SearchRequest(scope=entry["scope"]),
                    filters={entry["facet"]: (entry["value"],)},
                ),
            }
            for entry in raw["search"]
            if entry["facet"] in SCOPES[entry["scope"]].facets
        ]
    return sections


def entity_page_view(view: EntityView, lang: str, index: SearchIndex | None) -> dict[str, Any]:
    """The page data of an entity in ``lang``."""
    link = _Linker(lang, index, view.predicate_labels)
    title, title_lang = pick_label(view.labels, lang)
    other = "fr" if lang == "en" else "en"
    description, description_lang = pick_label(view.descriptions, lang)
    statements = [link.statement(s) for s in view.statements]
    return {
        "iri": view.iri,
        "kind": view.kind,
        "key": view.key,
        "kind_label": kind_label(view.kind),
        "title": title or view.key,
        "title_lang": title_lang if title else "zxx",
        "other_title": view.labels.get(other)
        if view.labels.get(other) not in (None, title)
        else None,
        "other_lang": other,
        "description": description,
        "description_lang": description_lang,
        "types": [link.node(t) for t in view.types],
        "statements": statements,
        "incoming": [link.statement(s) for s in view.incoming],
        "sections": _sections(view, link, lang),
        "rdf": {
            "turtle": view.turtle,
            "iri": view.iri,
            "ttl": f"/id/{view.kind}/{view.key}.ttl",
            "json": url_for("site.entity", lang=lang, kind=view.kind, key=view.key + ".json"),
        },
        "_header": HEADER,
    }
