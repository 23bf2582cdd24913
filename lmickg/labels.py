"""Human-readable labels of IRIs, in English and French, and choosing one for a page language.

Catalog content is bilingual but not always complete: a French label may be missing. Callers get
every label an IRI has (``{"en": ..., "fr": ...}``) and pick one with :func:`pick_label`, which
says which language it actually returned so a page can mark a fallback with a ``lang`` attribute.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rdflib import Literal, URIRef

from .namespaces import DCT, FOAF, RDFS, SKOS
from .store import Store

__all__ = ["LABEL_PREDICATES", "LANGUAGES", "labels_of", "pick_label"]

LANGUAGES = ("en", "fr")
#: Where a label comes from, best first.
LABEL_PREDICATES = (SKOS.prefLabel, FOAF.name, DCT.title, RDFS.label, SKOS.notation)
_CHUNK = 300
_UNSAFE = re.compile(r'[\s<>"{}|^`\\]')


def pick_label(labels: Mapping[str, str], lang: str) -> tuple[str, str]:
    """The label in ``lang``, else in the other language, else any: ``(text, its language)``."""
    if labels.get(lang):
        return labels[lang], lang
    for other in (*LANGUAGES, *sorted(labels)):
        if labels.get(other):
            return labels[other], other or lang
    return "", lang


def labels_of(store: Store, iris: Iterable[str]) -> dict[str, dict[str, str]]:
    """Every IRI's labels by language (``""`` for untagged text); IRIs without one are absent."""
    # Only absolute IRIs that can be written in a query (never a blank node's id).
    wanted = sorted({str(i) for i in iris if ":" in str(i) and not _UNSAFE.search(str(i))})
    rank = {str(p): n for n, p in enumerate(LABEL_PREDICATES)}
    best: dict[str, dict[str, tuple[int, str]]] = {}
    predicates = " ".join(f"<{p}>" for p in LABEL_PREDICATES)
    for start in range(0, len(wanted), _CHUNK):
        values = " ".join(f"<{i}>" for i in wanted[start : start + _CHUNK])
        if not values:
            continue
        rows = store.select(
            f"SELECT ?x ?p ?l WHERE {{ VALUES ?x {{ {values} }} VALUES ?p {{ {predicates} }} "
            f"?x ?p ?l . FILTER(isLiteral(?l)) }}"
        )
        for row in rows:
            literal = row["l"]
            if not isinstance(literal, Literal) or not isinstance(row["x"], URIRef):
                continue
            lang = literal.language or ""
            found = best.setdefault(str(row["x"]), {})
            candidate = (rank.get(str(row["p"]), 99), str(literal))
            if lang not in found or candidate < found[lang]:
                found[lang] = candidate
    out: dict[str, dict[str, str]] = {}
    for iri, by_lang in best.items():
        labels = {lang: text for lang, (_rank, text) in by_lang.items()}
        # An untagged label (a notation, a name given once) serves only when nothing is tagged,
        # so a missing French label falls back to the English one, marked as such.
        untagged = labels.pop("", None)
        if untagged is not None and not labels:
            labels = {lang: untagged for lang in LANGUAGES}
        out[iri] = labels
    return out
