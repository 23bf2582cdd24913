"""Human labels for IRIs, in English and French, read from the catalog in bulk.

Pages, diagrams and exports show labels, not IRIs. A label is the first of ``skos:prefLabel``,
``dct:title``, ``foaf:name``, ``rdfs:label`` in the wanted language, then in English, then
without language; failing all, the IRI's last path segment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.util import from_n3

from .namespaces import DCT, FOAF, RDFS, SKOS
from .store import OxigraphStore, Store

__all__ = ["LABEL_PROPERTIES", "all_labels", "fallback_label", "label_map", "pick"]

LABEL_PROPERTIES = (SKOS.prefLabel, DCT.title, FOAF.name, RDFS.label)
_CHUNK = 400
_SAFE_IRI = re.compile(r"^[^\s<>\"{}|\\^`]+$")


def fallback_label(iri: str) -> str:
    """The last path segment of an IRI, for things the catalog gives no label."""
    return re.split(r"[/#]", iri.rstrip("/"))[-1] or iri


def label_map(store: Store, iris: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each IRI, its label by language (``""`` for a label without language)."""
    wanted = sorted({i for i in iris if i and _SAFE_IRI.match(i)})
    rank = {str(p): n for n, p in enumerate(LABEL_PROPERTIES)}
    best: dict[str, dict[str, tuple[int, str]]] = {}
    properties = ", ".join(f"<{p}>" for p in LABEL_PROPERTIES)
    for start in range(0, len(wanted), _CHUNK):
        # The IRIs come from the store itself (checked above), never from a request.
        values = " ".join(f"<{iri}>" for iri in wanted[start : start + _CHUNK])
        # Properties filtered rather than given as VALUES: Oxigraph then walks each subject's
        # triples (milliseconds) instead of every triple of four properties (seconds).
        rows = store.select(
            f"SELECT ?s ?p ?label WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?label "
            f"FILTER(?p IN ({properties}) && isLiteral(?label)) }}"
        )
        for row in rows:
            subject, prop, label = str(row["s"]), str(row["p"]), row["label"]
            if not isinstance(label, Literal):
                continue
            lang = label.language or ""
            key = (rank.get(prop, 99), str(label))
            slot = best.setdefault(subject, {})
            if lang not in slot or key < slot[lang]:
                slot[lang] = key
    return {s: {lang: text for lang, (_, text) in langs.items()} for s, langs in best.items()}


def _tsv_literal(value: str) -> tuple[str, str] | None:
    """(text, language) of a literal as SPARQL TSV writes it (``"Emploi"@fr``); None otherwise."""
    if not value.startswith('"'):
        return None
    end = value.rfind('"')
    body, suffix = value[1:end], value[end + 1 :]
    if "\\" in body:
        try:
            body = json.loads(f'"{body}"')
        except ValueError:
            term = from_n3(value)
            body = str(term)
    return body, suffix[1:] if suffix.startswith("@") else ""


def all_labels(store: OxigraphStore) -> dict[str, dict[str, str]]:
    """Every labelled IRI of the catalog with its labels by language, read in one serialized
    scan per label property (at 100,000 sources, several times faster than a Python object per
    triple)."""
    best: dict[str, dict[str, tuple[int, str]]] = {}
    for rank, prop in enumerate(LABEL_PROPERTIES):
        result = store.native.query(
            f"SELECT ?s ?label WHERE {{ ?s <{prop}> ?label FILTER(isIRI(?s)) }}",
            use_default_graph_as_union=True,
        )
        assert isinstance(result, ox.QuerySolutions)
        data = (result.serialize(format=ox.QueryResultsFormat.TSV) or b"").decode("utf-8")
        for line in data.split("\n")[1:]:
            subject, _, value = line.partition("\t")
            literal = _tsv_literal(value)
            if literal is None:
                continue
            text, lang = literal
            slot = best.setdefault(subject[1:-1], {})
            key = (rank, text)
            if lang not in slot or key < slot[lang]:
                slot[lang] = key
    return {s: {lang: text for lang, (_, text) in langs.items()} for s, langs in best.items()}


def pick(labels: Mapping[str, str] | None, lang: str, iri: str = "") -> str:
    """The label in ``lang``, else English, else without language, else the IRI's last segment."""
    if labels:
        for choice in (lang, "en", ""):
            if labels.get(choice):
                return labels[choice]
        for text in labels.values():
            if text:
                return text
    return fallback_label(iri)


def labels_in(store: Store, iris: Iterable[str], lang: str) -> dict[str, str]:
    """Each IRI's label in ``lang`` (with the fallbacks of :func:`pick`)."""
    found = label_map(store, iris)
    return {iri: pick(found.get(iri), lang, iri) for iri in {str(i) for i in iris if i}}


def is_iri(term: object) -> bool:
    """Whether a result cell is an IRI (rendered as a link with a label)."""
    return isinstance(term, URIRef)


__all__ += ["is_iri", "labels_in"]
