"""Query results as view data for the HTML page: cells with display text and safe links."""

from __future__ import annotations

import json
from typing import Any

from lmickg.namespaces import BASE_IRI, PREFIXES
from lmickg.sparql import QueryOutcome

__all__ = ["compact", "html_results"]

_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def compact(iri: str) -> str:
    """``dcat:Dataset`` for a known namespace, else the IRI itself."""
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _href(iri: str) -> tuple[str | None, bool]:
    """Where a result IRI links to, and whether the link leaves the site."""
    if iri.startswith(BASE_IRI):
        # Our own IRIs resolve on this server (/id/... dereferences to the entity's page).
        return "/" + iri[len(BASE_IRI) :], False
    if iri.startswith(("http://", "https://")):
        return iri, True
    return None, False  # never link other schemes (javascript:, data:, ...)


def _cell(term: dict[str, Any] | None) -> dict[str, Any]:
    if term is None:
        return {"kind": "unbound", "text": ""}
    kind = term.get("type")
    value = str(term.get("value", ""))
    if kind == "uri":
        href, external = _href(value)
        return {
            "kind": "iri",
            "text": compact(value),
            "title": value,
            "href": href,
            "external": external,
        }
    if kind == "bnode":
        return {"kind": "bnode", "text": f"_:{value}"}
    if kind == "triple":
        inner = term.get("value") or {}
        parts = [_cell(inner.get(k))["text"] for k in ("subject", "predicate", "object")]
        return {"kind": "triple", "text": "<< " + " ".join(parts) + " >>"}
    datatype = term.get("datatype")
    return {
        "kind": "literal",
        "text": value,
        "lang": term.get("xml:lang"),
        "datatype": compact(datatype) if datatype else None,
    }


def html_results(outcome: QueryOutcome) -> dict[str, Any]:
    """A SELECT table, an ASK answer or a CONSTRUCT/DESCRIBE graph, ready for the template."""
    if outcome.form == "graph":
        return {"kind": "graph", "text": outcome.body.decode("utf-8")}
    data = json.loads(outcome.body)
    if outcome.form == "ask":
        return {"kind": "boolean", "value": bool(data.get("boolean"))}
    variables = list(data.get("head", {}).get("vars", []))
    rows = [
        [_cell(binding.get(name)) for name in variables]
        for binding in data.get("results", {}).get("bindings", [])
    ]
    return {"kind": "table", "variables": variables, "rows": rows}
