"""Human-readable labels of IRIs, in English and French, read from the catalog in bulk.

Pages, diagrams and exports show labels, not IRIs. Catalog content is bilingual but not always
complete: a French label may be missing. Two ways to choose one:

- :func:`labels_of` + :func:`pick_label` for pages that mark a fallback: the label in the page
  language, else the other language, and which language it actually is (for a ``lang``
  attribute);
- :func:`labels_in` / :func:`pick` for tables, diagrams and exports: the label in the wanted
  language, else English, else untagged, else the IRI's last path segment.

A label is the first of :data:`LABEL_PREDICATES` that the IRI has in a language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from rdflib import Literal
from rdflib.util import from_n3

from .namespaces import DCT, FOAF, RDFS, SKOS
from .store import OxigraphStore, Store

__all__ = [
    "LABEL_PREDICATES",
    "LANGUAGES",
    "all_labels",
    "fallback_label",
    "label_map",
    "labels_in",
    "labels_of",
    "pick",
    "pick_label",
]

LANGUAGES = ("en", "fr")
#: Where a label comes from, best first.
LABEL_PREDICATES = (SKOS.prefLabel, FOAF.name, DCT.title, RDFS.label, SKOS.notation)
_CHUNK = 400
_SAFE_IRI = re.compile(r"^[^\s<>\"{}|\\^`]+$")


def fallback_label(iri: str) -> str:
    """The last path segment of an IRI, for things the catalog gives no label."""
    return re.split(r"[/#]", iri.rstrip("/"))[-1] or iri


def label_map(store: Store, iris: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each IRI, its label by language (``""`` for a label without language)."""
    # Only absolute IRIs that can be written in a query (never a blank node's id).
    wanted = sorted({s for s in map(str, iris) if ":" in s and _SAFE_IRI.match(s)})
    rank = {str(p): n for n, p in enumerate(LABEL_PREDICATES)}
    best: dict[str, dict[str, tuple[int, str]]] = {}
    properties = ", ".join(f"<{p}>" for p in LABEL_PREDICATES)
    for start in range(0, len(wanted), _CHUNK):
        # The IRIs come from the store itself (checked above), never from a request.
        values = " ".join(f"<{iri}>" for iri in wanted[start : start + _CHUNK])
        # Properties filtered rather than given as VALUES: Oxigraph then walks each subject's
        # triples (milliseconds) instead of every triple of the label properties (seconds).
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


def labels_of(store: Store, iris: Iterable[str]) -> dict[str, dict[str, str]]:
    """Every IRI's labels by language, for :func:`pick_label`; IRIs without one are absent."""
    out: dict[str, dict[str, str]] = {}
    for iri, labels in label_map(store, iris).items():
        # An untagged label (a notation, a name given once) serves only when nothing is tagged,
        # so a missing French label falls back to the English one, marked as such.
        untagged = labels.pop("", None)
        if untagged is not None and not labels:
            labels = {lang: untagged for lang in LANGUAGES}
        out[iri] = labels
    return out


def pick_label(labels: Mapping[str, str], lang: str) -> tuple[str, str]:
    """The label in ``lang``, else in the other language, else any: ``(text, its language)``."""
    if labels.get(lang):
        return labels[lang], lang
    for other in (*LANGUAGES, *sorted(labels)):
        if labels.get(other):
            return labels[other], other or lang
    return "", lang


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
            body = str(from_n3(value))
    return body, suffix[1:] if suffix.startswith("@") else ""


def all_labels(store: OxigraphStore) -> dict[str, dict[str, str]]:
    """Every labelled IRI of the catalog with its labels by language, read in one serialized
    scan per label property (at 100,000 sources, several times faster than a Python object per
    triple)."""
    best: dict[str, dict[str, tuple[int, str]]] = {}
    for rank, prop in enumerate(LABEL_PREDICATES):
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
