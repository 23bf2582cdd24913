"""Faceted full-text search over the catalog: an index built with each build, loaded per build.

The build runs :func:`derive_search` (the ``search`` deriver): it reads the validated store once
and writes ``BUILD/search/<scope>/`` — a token → postings index with precomputed BM25 weights,
one bitset per facet value, sort orders and the few fields a result list shows. Servers load it
once per build (:func:`load_index` through ``Snapshot.artifact``) and answer every search from
memory-mapped numpy arrays; no SPARQL runs per request.

Scopes: ``sources`` (dcat:Dataset, dcat:DatasetSeries, dcat:DataService), ``variables``,
``gaps``, ``recommendations`` and ``reports``. Text is accent- and case-folded and pooled over
English and French, so ``emploi`` finds *Emploi* and ``quebec`` finds *Québec*; every query
term must match (a term also matches words it starts with, at half weight); ``-term`` excludes.

Facet semantics (the SPARQL a test checks them against):

* a source has a facet value when the source *or one of its variable coverages*
  (``lmic:qualifiedVariable``) states it, for variable, finest level, frequency, access and
  population group;
* geographic coverage is hierarchical: a source covers its ``dct:spatial`` areas, and every
  area inside them whose level is at or above one of the source's finest levels (a source on
  Canada at economic-region level covers every province and economic region; one on Ontario at
  province level covers Ontario only);
* a gap's or recommendation's status is the status of its latest assessment (by ``dct:date``,
  a year or month counting as its start; ties broken by assessment IRI).

Values selected in one facet are OR-ed, facets are AND-ed, and each facet's counts apply every
filter except its own (disjunctive faceting), so a selected value never hides its siblings.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import re
import shutil
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyoxigraph as ox

from .labels import pick_label
from .namespaces import DCAT, DCT, LMIC, PREFIXES, SKOS
from .store import OxigraphStore, solutions

if TYPE_CHECKING:
    from .derived import DeriveContext
    from .serving import Snapshot

__all__ = [
    "SCOPES",
    "FacetCount",
    "Hit",
    "ScopeSpec",
    "SearchError",
    "SearchIndex",
    "SearchRequest",
    "SearchResponse",
    "build_index",
    "derive_search",
    "fold",
    "load_index",
    "tokenize",
]

INDEX_DIR = "search"
FORMAT_VERSION = 1
LANGUAGES = ("en", "fr")

#: Limits on what a request may ask (anything beyond is a SearchError, never a slow request).
MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 20
MAX_VALUES_PER_FACET = 50
MAX_VALUES_TOTAL = 100
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 10_000
#: Most rows an export (CSV) returns.
MAX_EXPORT = 10_000
#: A query term of at least this many characters also matches longer words it starts with.
PREFIX_MIN = 3
PREFIX_MAX_EXPANSIONS = 200
PREFIX_WEIGHT = 0.5
#: BM25 parameters (Robertson's defaults) and per-field boosts (BM25F-style weighted tf).
K1, B = 1.2, 0.75
BOOST = {"title": 3.0, "keyword": 2.0, "variable": 2.0, "description": 1.0}
SNIPPET_CHARS = 280

Array = npt.NDArray[Any]


# ---------------------------------------------------------------------------------------------
# Scopes and facets
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeSpec:
    """A searchable kind of entity: its facets (URL parameter names) and sort orders."""

    name: str
    facets: tuple[str, ...]
    sorts: tuple[str, ...]
    #: Facets whose values form a tree (``parent`` set on each value).
    hierarchical: frozenset[str] = frozenset()


SCOPES: dict[str, ScopeSpec] = {
    spec.name: spec
    for spec in (
        ScopeSpec(
            "sources",
            (
                "type",
                "publisher",
                "theme",
                "frequency",
                "level",
                "geo",
                "access",
                "group",
                "variable",
                "classification",
            ),
            ("relevance", "title", "newest"),
            frozenset({"geo"}),
        ),
        ScopeSpec("variables", ("unit", "breakdown"), ("relevance", "title")),
        ScopeSpec(
            "gaps",
            ("status", "priority", "report", "variable", "level", "group", "frequency"),
            ("relevance", "title", "newest"),
        ),
        ScopeSpec("recommendations", ("status", "report", "to"), ("relevance", "title", "newest")),
        ScopeSpec("reports", ("creator", "year"), ("relevance", "title", "newest")),
    )
}
PARAMETERS = ("q", "scope", "sort", "page", "size")


class SearchError(ValueError):
    """A search request that cannot be answered: which parameter, why, and what is allowed.

    ``code`` is stable (``unknown-parameter``, ``unknown-value``, ``unknown-scope``,
    ``unknown-sort``, ``bad-number``, ``too-long``, ``too-many``, ``page-out-of-range``) so the
    web layer can phrase it in the page language.
    """

    def __init__(
        self,
        code: str,
        parameter: str,
        value: str = "",
        allowed: Sequence[str] = (),
        limit: int | None = None,
    ) -> None:
        self.code = code
        self.parameter = parameter
        self.value = value
        self.allowed = list(allowed)
        self.limit = limit
        detail = f"{code}: {parameter}={value!r}"
        if allowed:
            detail += f" (allowed: {', '.join(list(allowed)[:30])})"
        if limit is not None:
            detail += f" (limit {limit})"
        super().__init__(detail)


# ---------------------------------------------------------------------------------------------
# Text: folding and tokens
# ---------------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l"})
#: Function words of English and French that carry no meaning in a catalog query.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "au",
        "aux",
        "ce",
        "ces",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "ou",
        "par",
        "pour",
        "sur",
        "un",
        "une",
    ]
)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case and strip accents: ``"Québec"`` → ``"quebec"``, ``"Œuvre"`` → ``"oeuvre"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(token: str) -> str:
    # A light plural folding shared by English and French ("vacancies" → "vacancy",
    # "postes" → "poste"): predictable, and enough for catalog titles.
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokenize(text: str) -> list[str]:
    """The index terms of ``text``: folded words, stop words dropped, plurals folded."""
    return [
        _stem(word)
        for word in _WORD.findall(fold(text))
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit())
    ]


# ---------------------------------------------------------------------------------------------
# Requests and responses
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    """One search: the whole state a URL carries."""

    scope: str = "sources"
    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = ""  # "" means relevance with a text query, title without
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    lang: str = "en"


@dataclass
class FacetCount:
    """One value of a facet with how many results it would have given the other filters."""

    value: str
    iri: str | None
    labels: dict[str, str]
    count: int
    selected: bool
    parent: str | None = None
    depth: int = 0


@dataclass
class Hit:
    """One result: the entity, its score, display fields and its values of each facet."""

    iri: str
    score: float
    titles: dict[str, str]
    descriptions: dict[str, str]
    date: str | None
    #: facet → [(value key, labels, IRI or None)]
    values: dict[str, list[tuple[str, dict[str, str], str | None]]]


@dataclass
class SearchResponse:
    """What a search returns: total, the page of hits, every facet's counts."""

    request: SearchRequest
    sort: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetCount]]
    terms: list[str]
    excluded_terms: list[str]

    @property
    def pages(self) -> int:
        """How many pages the results fill (at least one)."""
        return max(1, math.ceil(self.total / self.request.size))


# ---------------------------------------------------------------------------------------------
# Extraction from the store (build time)
# ---------------------------------------------------------------------------------------------

_PREFIX_LINES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
SOURCE_TYPES = (DCAT.Dataset, DCAT.DatasetSeries, DCAT.DataService)


def _rows(store: ox.Store, query: str) -> Iterable[ox.QuerySolution]:
    return solutions(store, _PREFIX_LINES + query, union=True)


def _text(term: Any) -> str:
    return str(term.value)


def _lang(term: Any) -> str:
    return str(getattr(term, "language", None) or "")


@dataclass
class _Doc:
    iri: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (field name, text)
    facets: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    titles: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    date: str | None = None


@dataclass
class _Value:
    labels: dict[str, str]
    parent: str | None = None
    order: tuple[Any, ...] | None = None
    depth: int = 0


def _date_key(lexical: str) -> str:
    # xsd:date / gYearMonth / gYear / dateTime compare as their start: "2014" < "2014-03".
    return lexical[:10]


class _Extractor:
    """Reads what the index needs from the store in a few bulk queries."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        for row in _rows(
            store,
            """SELECT ?x ?l WHERE {
                 { ?x skos:prefLabel ?l } UNION { ?x foaf:name ?l }
                 UNION { ?x a lmic:Report ; dct:title ?l } UNION { ?x a lmic:Gap ; dct:title ?l }
               }""",
        ):
            term = row["x"]
            label = row["l"]
            if isinstance(term, ox.NamedNode) and label is not None:
                self.labels[term.value].setdefault(_lang(label) or "en", _text(label))
        self.alt_labels: dict[str, list[str]] = defaultdict(list)
        for row in _rows(store, "SELECT ?x ?l WHERE { ?x a lmic:Variable ; skos:altLabel ?l }"):
            self.alt_labels[_text(row["x"])].append(_text(row["l"]))
        self.values: dict[str, dict[str, _Value]] = defaultdict(dict)

    def value(self, facet: str, iri: str) -> None:
        if iri not in self.values[facet]:
            self.values[facet][iri] = _Value(dict(self.labels.get(iri, {})))

    def docs_of(self, classes: Sequence[Any]) -> dict[str, _Doc]:
        values = " ".join(f"<{c}>" for c in classes)
        docs: dict[str, _Doc] = {}
        for row in _rows(
            self.store, f"SELECT DISTINCT ?s WHERE {{ VALUES ?t {{ {values} }} ?s a ?t }}"
        ):
            if isinstance(row["s"], ox.NamedNode):
                docs[row["s"].value] = _Doc(row["s"].value)
        return docs

    def _pairs(
        self,
        docs: dict[str, _Doc],
        classes: Sequence[Any],
        predicates: Mapping[Any, str],
        kind: str,
    ) -> Iterable[tuple[_Doc, str, Any]]:
        """(doc, role, object) for the given predicates of the docs' classes, where the object
        passes the SPARQL test ``kind`` (``isLiteral`` or ``isIRI``)."""
        types = " ".join(f"<{c}>" for c in classes)
        preds = " ".join(f"<{p}>" for p in predicates)
        roles = {str(p): role for p, role in predicates.items()}
        for row in _rows(
            self.store,
            f"SELECT ?s ?p ?o WHERE {{ VALUES ?t {{ {types} }} VALUES ?p {{ {preds} }} "
            f"?s a ?t ; ?p ?o . FILTER({kind}(?o)) }}",
        ):
            doc = docs.get(_text(row["s"]))
            if doc is not None:
                yield doc, roles[_text(row["p"])], row["o"]

    def literals(
        self, docs: dict[str, _Doc], classes: Sequence[Any], predicates: Mapping[Any, str]
    ) -> Iterable[tuple[_Doc, str, Any]]:
        """(doc, role, literal) for the given predicates of the docs' classes."""
        return self._pairs(docs, classes, predicates, "isLiteral")

    def objects(
        self, docs: dict[str, _Doc], classes: Sequence[Any], predicates: Mapping[Any, str]
    ) -> Iterable[tuple[_Doc, str, str]]:
        """(doc, facet, object IRI) for the given predicates of the docs' classes."""
        for doc, role, term in self._pairs(docs, classes, predicates, "isIRI"):
            yield doc, role, _text(term)

    def add_text(self, doc: _Doc, role: str, literal: Any) -> None:
        text = _text(literal)
        lang = _lang(literal)
        if role == "title":
            if lang in LANGUAGES or not doc.titles:
                doc.titles.setdefault(lang or "en", text)
        elif role == "description":
            snippet = text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"
            doc.descriptions.setdefault(lang or "en", snippet)
        if role in BOOST:
            doc.fields.append((role, text))

    def add_facet(self, doc: _Doc, facet: str, iri: str) -> None:
        doc.facets[facet].add(iri)
        self.value(facet, iri)

    def add_variable_text(self, doc: _Doc, variable: str) -> None:
        for text in self.labels.get(variable, {}).values():
            doc.fields.append(("variable", text))

    # -- latest assessment status ------------------------------------------------------------

    def latest_status(self) -> dict[str, tuple[str, str]]:
        """Assessed IRI → (status IRI, date) of its latest assessment."""
        latest: dict[str, tuple[str, str, str]] = {}
        for row in _rows(
            self.store,
            "SELECT ?a ?x ?status ?date WHERE { ?a a lmic:GapAssessment ; lmic:assesses ?x ; "
            "lmic:status ?status ; dct:date ?date }",
        ):
            key = (_date_key(_text(row["date"])), _text(row["a"]), _text(row["status"]))
            target = _text(row["x"])
            if target not in latest or key > latest[target]:
                latest[target] = key
        return {x: (status, date) for x, (date, _a, status) in latest.items()}

    def order_values(self) -> None:
        """Natural orders: frequencies by period, levels by depth, statuses by notation."""
        period: dict[str, float] = {}
        for row in _rows(self.store, "SELECT ?f ?d WHERE { ?f lmic:periodInDays ?d }"):
            period[_text(row["f"])] = float(_text(row["d"]))
        notation: dict[str, str] = {}
        for row in _rows(self.store, "SELECT ?x ?n WHERE { ?x skos:notation ?n }"):
            notation[_text(row["x"])] = _text(row["n"])
        depth: dict[str, int] = {}
        for row in _rows(
            self.store, "SELECT ?x ?d WHERE { ?x a lmic:GeographicLevel ; xkos:depth ?d }"
        ):
            depth[_text(row["x"])] = int(_text(row["d"]))
        for facet, values in self.values.items():
            for iri, value in values.items():
                if facet == "frequency":
                    value.order = (period.get(iri, math.inf), iri)
                elif facet == "level":
                    value.order = (depth.get(iri, 99), iri)
                elif facet == "status":
                    value.order = (notation.get(iri, "9"), iri)
                elif facet == "year":
                    value.order = (-int(iri) if iri.isdigit() else 0, iri)


def _extract_sources(ex: _Extractor) -> dict[str, _Doc]:
    store = ex.store
    docs = ex.docs_of(SOURCE_TYPES)
    for row in _rows(
        store,
        "SELECT ?s ?t WHERE { VALUES ?t { dcat:Dataset dcat:DatasetSeries dcat:DataService } ?s a ?t }",
    ):
        doc = docs.get(_text(row["s"]))
        if doc is not None:
            ex.add_facet(doc, "type", _text(row["t"]))
    text_roles = {
        DCT.title: "title",
        DCT.description: "description",
        DCAT.keyword: "keyword",
        DCT.identifier: "keyword",
    }
    for doc, role, literal in ex.literals(docs, SOURCE_TYPES, text_roles):
        ex.add_text(doc, role, literal)
    dates: dict[str, dict[str, str]] = defaultdict(dict)
    for doc, role, literal in ex.literals(
        docs, SOURCE_TYPES, {DCT.modified: "modified", DCT.issued: "issued"}
    ):
        dates[doc.iri][role] = _date_key(_text(literal))
    for iri, found in dates.items():
        docs[iri].date = found.get("modified") or found.get("issued")
    direct = {
        DCT.publisher: "publisher",
        DCAT.theme: "theme",
        DCT.accrualPeriodicity: "frequency",
        LMIC.geographicGranularity: "level",
        DCT.accessRights: "access",
        LMIC.populationGroup: "group",
        LMIC.variable: "variable",
        LMIC.usesClassification: "classification",
        DCT.spatial: "spatial",
    }
    spatial: dict[str, set[str]] = defaultdict(set)
    for doc, facet, iri in ex.objects(docs, SOURCE_TYPES, direct):
        if facet == "spatial":
            spatial[doc.iri].add(iri)
            continue
        ex.add_facet(doc, facet, iri)
        if facet == "variable":
            ex.add_variable_text(doc, iri)
    coverage = {
        LMIC.variable: "variable",
        LMIC.geographicGranularity: "level",
        DCT.accrualPeriodicity: "frequency",
        DCT.accessRights: "access",
        LMIC.populationGroup: "group",
    }
    preds = " ".join(f"<{p}>" for p in coverage)
    roles = {str(p): role for p, role in coverage.items()}
    for row in _rows(
        store,
        f"SELECT DISTINCT ?s ?p ?o WHERE {{ ?s lmic:qualifiedVariable ?c . VALUES ?p {{ {preds} }} "
        f"?c ?p ?o . FILTER(isIRI(?o)) }}",
    ):
        doc = docs.get(_text(row["s"]))
        if doc is None:
            continue
        facet = roles[_text(row["p"])]
        iri = _text(row["o"])
        if facet == "variable" and iri not in doc.facets["variable"]:
            ex.add_variable_text(doc, iri)
        ex.add_facet(doc, facet, iri)
    _geographic_coverage(ex, docs, spatial)
    return docs


def _geographic_coverage(
    ex: _Extractor, docs: dict[str, _Doc], spatial: Mapping[str, set[str]]
) -> None:
    store = ex.store
    level_of: dict[str, str] = {}
    parent_of: dict[str, str] = {}
    notation: dict[str, str] = {}
    for row in _rows(
        store,
        "SELECT ?g ?level ?broader ?n WHERE { ?g a dct:Location . "
        "OPTIONAL { ?g dct:type ?level } OPTIONAL { ?g skos:broader ?broader } "
        "OPTIONAL { ?g skos:notation ?n } }",
    ):
        g = _text(row["g"])
        if row["level"] is not None:
            level_of[g] = _text(row["level"])
        if row["broader"] is not None:
            parent_of[g] = _text(row["broader"])
        if row["n"] is not None:
            notation[g] = _text(row["n"])
    up: dict[str, set[str]] = defaultdict(set)
    for row in _rows(store, "SELECT ?l ?b WHERE { ?l a lmic:GeographicLevel ; skos:broader* ?b }"):
        up[_text(row["l"])].add(_text(row["b"]))
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in parent_of.items():
        children[parent].append(child)

    def below(area: str) -> list[str]:
        out, stack, seen = [], list(children.get(area, ())), {area}
        while stack:
            g = stack.pop()
            if g in seen:
                continue
            seen.add(g)
            out.append(g)
            stack.extend(children.get(g, ()))
        return out

    cache: dict[tuple[frozenset[str], frozenset[str]], set[str]] = {}
    for iri, areas in spatial.items():
        doc = docs[iri]
        levels = frozenset(doc.facets.get("level", ()))
        signature = (frozenset(areas), levels)
        covered = cache.get(signature)
        if covered is None:
            reachable = (
                set().union(*(up.get(level, {level}) for level in levels)) if levels else set()
            )
            covered = set(areas)
            for area in areas:
                covered.update(g for g in below(area) if level_of.get(g) in reachable)
            cache[signature] = covered
        for g in covered:
            ex.add_facet(doc, "geo", g)
    # The tree: every geography that some source covers, with its ancestors, in code order.
    values = ex.values["geo"]
    p: str | None
    for g in list(values):
        p = parent_of.get(g)
        while p is not None and p not in values:
            ex.value("geo", p)
            p = parent_of.get(p)
    for g, value in values.items():
        chain: list[str] = []
        p = parent_of.get(g)
        while p is not None and len(chain) < 10:
            chain.append(p)
            p = parent_of.get(p)
        value.parent = parent_of.get(g)
        value.depth = len(chain)
        value.order = tuple(notation.get(a, a) for a in reversed([g, *chain]))


def _extract_variables(ex: _Extractor) -> dict[str, _Doc]:
    classes = (LMIC.Variable,)
    docs = ex.docs_of(classes)
    roles = {SKOS.prefLabel: "title", SKOS.altLabel: "keyword", SKOS.definition: "description"}
    for doc, role, literal in ex.literals(docs, classes, roles):
        ex.add_text(doc, role, literal)
    for doc, facet, iri in ex.objects(
        docs, classes, {LMIC.unitOfMeasure: "unit", LMIC.breakdown: "breakdown"}
    ):
        ex.add_facet(doc, facet, iri)
    return docs


def _with_status(
    ex: _Extractor, docs: dict[str, _Doc], latest: Mapping[str, tuple[str, str]]
) -> None:
    for iri, doc in docs.items():
        if iri in latest:
            status, date = latest[iri]
            ex.add_facet(doc, "status", status)
            doc.date = date


def _extract_gaps(ex: _Extractor, latest: Mapping[str, tuple[str, str]]) -> dict[str, _Doc]:
    classes = (LMIC.Gap,)
    docs = ex.docs_of(classes)
    roles = {DCT.title: "title", DCT.description: "description"}
    for doc, role, literal in ex.literals(docs, classes, roles):
        ex.add_text(doc, role, literal)
    facets = {
        LMIC.priorityArea: "priority",
        LMIC.identifiedIn: "report",
        LMIC.concernsVariable: "variable",
        LMIC.concernsGeographicLevel: "level",
        LMIC.concernsPopulationGroup: "group",
        LMIC.concernsFrequency: "frequency",
    }
    for doc, facet, iri in ex.objects(docs, classes, facets):
        ex.add_facet(doc, facet, iri)
        if facet == "variable":
            ex.add_variable_text(doc, iri)
    _with_status(ex, docs, latest)
    return docs


def _extract_recommendations(
    ex: _Extractor, latest: Mapping[str, tuple[str, str]]
) -> dict[str, _Doc]:
    classes = (LMIC.Recommendation,)
    docs = ex.docs_of(classes)
    roles = {DCT.title: "title", DCT.description: "description"}
    for doc, role, literal in ex.literals(docs, classes, roles):
        ex.add_text(doc, role, literal)
    for doc, facet, iri in ex.objects(
        docs, classes, {LMIC.recommendedIn: "report", LMIC.recommendedTo: "to"}
    ):
        ex.add_facet(doc, facet, iri)
    _with_status(ex, docs, latest)
    return docs


def _extract_reports(ex: _Extractor) -> dict[str, _Doc]:
    classes = (LMIC.Report,)
    docs = ex.docs_of(classes)
    roles = {DCT.title: "title", DCT.abstract: "description", DCT.description: "description"}
    for doc, role, literal in ex.literals(docs, classes, roles):
        ex.add_text(doc, role, literal)
    for doc, _role, literal in ex.literals(docs, classes, {DCT.issued: "issued"}):
        doc.date = _date_key(_text(literal))
        year = doc.date[:4]
        if year.isdigit():
            doc.facets["year"].add(year)
            ex.values["year"].setdefault(year, _Value({"en": year, "fr": year}))
    for doc, facet, iri in ex.objects(docs, classes, {DCT.creator: "creator"}):
        ex.add_facet(doc, facet, iri)
    return docs


# ---------------------------------------------------------------------------------------------
# Writing the index
# ---------------------------------------------------------------------------------------------


def _value_keys(iris: Iterable[str]) -> dict[str, str]:
    """Short URL keys for facet values: the last IRI segment, the IRI itself on a clash."""
    iris = sorted(iris)
    short = {iri: re.split(r"[/#]", iri.rstrip("/"))[-1] or iri for iri in iris}
    seen: dict[str, int] = defaultdict(int)
    for key in short.values():
        seen[key] += 1
    return {iri: (key if seen[key] == 1 else iri) for iri, key in short.items()}


def _words(n: int) -> int:
    return max(1, (n + 63) // 64)


def _pack(mask: Array) -> Array:
    """A boolean array as little-endian uint64 bitset words."""
    n = mask.shape[0]
    padded = np.zeros(_words(n) * 64, dtype=bool)
    padded[:n] = mask
    return np.packbits(padded, bitorder="little").view(np.uint64)


def _unpack(words: Array, n: int) -> Array:
    return np.unpackbits(words.view(np.uint8), bitorder="little", count=n).astype(bool)


def _collation_key(text: str) -> str:
    return fold(text).strip()


def _write_scope(directory: Path, spec: ScopeSpec, docs: Mapping[str, _Doc], ex: _Extractor) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    ordered = sorted(docs.values(), key=lambda d: d.iri)
    n = len(ordered)

    # Text: field-weighted term frequencies, then BM25 weights per (term, doc).
    term_ids: dict[str, int] = {}
    post_term, post_doc, post_tf = array("i"), array("i"), array("f")
    lengths = np.zeros(n, dtype=np.float64)
    token_cache: dict[str, list[str]] = {}
    for index, doc in enumerate(ordered):
        tf: dict[int, float] = defaultdict(float)
        for role, text in doc.fields:
            tokens = token_cache.get(text)
            if tokens is None:
                tokens = tokenize(text)
                if len(token_cache) < 200_000:
                    token_cache[text] = tokens
            boost = BOOST[role]
            lengths[index] += boost * len(tokens)
            for token in tokens:
                term = term_ids.setdefault(token, len(term_ids))
                tf[term] += boost
        for term, weight in tf.items():
            post_term.append(term)
            post_doc.append(index)
            post_tf.append(weight)
    terms = np.frombuffer(post_term, dtype=np.int32) if post_term else np.zeros(0, np.int32)
    doc_ids = np.frombuffer(post_doc, dtype=np.int32) if post_doc else np.zeros(0, np.int32)
    tfs = np.frombuffer(post_tf, dtype=np.float32) if post_tf else np.zeros(0, np.float32)
    vocabulary = sorted(term_ids)
    rank = np.zeros(len(term_ids), dtype=np.int32)
    for place, token in enumerate(vocabulary):
        rank[term_ids[token]] = place
    sorted_terms = rank[terms] if len(terms) else terms
    order = np.lexsort((doc_ids, sorted_terms)) if len(terms) else np.zeros(0, np.int64)
    sorted_terms, doc_ids, tfs = sorted_terms[order], doc_ids[order], tfs[order]
    df = np.bincount(sorted_terms, minlength=len(vocabulary)).astype(np.float64)
    pointers = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    pointers[1:] = np.cumsum(df.astype(np.int64))
    average = float(lengths.mean()) if n and lengths.mean() > 0 else 1.0
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    tf64 = tfs.astype(np.float64)
    norm = K1 * (1 - B + B * lengths[doc_ids] / average) if len(doc_ids) else tf64
    weights = (idf[sorted_terms] * tf64 * (K1 + 1) / (tf64 + norm)).astype(np.float32)
    np.save(directory / "post_ptr.npy", pointers)
    np.save(directory / "post_doc.npy", doc_ids.astype(np.int32))
    np.save(directory / "post_w.npy", weights)

    # Facets: one bitset row per value, plus doc → values (CSR) for showing values on hits.
    facets_meta: dict[str, Any] = {}
    for facet in spec.facets:
        catalogue = ex.values.get(facet, {})
        used = {iri for doc in ordered for iri in doc.facets.get(facet, ())}
        keys = _value_keys(used)

        def sort_key(iri: str, catalogue: Mapping[str, _Value] = catalogue) -> tuple[Any, ...]:
            value = catalogue.get(iri)
            if value is not None and value.order is not None:
                return (0, value.order)
            labels = value.labels if value else {}
            return (1, _collation_key(pick_label(labels, "en")[0] or iri))

        value_iris = sorted(keys, key=sort_key)
        position = {iri: i for i, iri in enumerate(value_iris)}
        indptr = np.zeros(n + 1, dtype=np.int64)
        indices = array("i")
        for index, doc in enumerate(ordered):
            indices.extend(sorted(position[iri] for iri in doc.facets.get(facet, ())))
            indptr[index + 1] = len(indices)
        value_of = np.frombuffer(indices, dtype=np.int32) if indices else np.zeros(0, np.int32)
        doc_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
        rows = np.zeros((len(value_iris), _words(n)), dtype=np.uint64)
        np.bitwise_or.at(
            rows,
            (value_of, doc_of >> 6),
            np.left_shift(np.uint64(1), (doc_of & 63).astype(np.uint64)),
        )
        np.save(directory / f"facet_{facet}.npy", rows)
        np.save(directory / f"facet_{facet}_ptr.npy", indptr)
        np.save(directory / f"facet_{facet}_val.npy", value_of)
        facets_meta[facet] = [
            {
                "key": keys[iri],
                "iri": None if facet == "year" else iri,
                "labels": catalogue[iri].labels if iri in catalogue else {},
                "parent": keys.get(catalogue[iri].parent or "") if iri in catalogue else None,
                "depth": catalogue[iri].depth if iri in catalogue else 0,
            }
            for iri in value_iris
        ]

    # Sort orders: titles per language (folded), dates newest first (undated last).
    sorts: dict[str, Array] = {}
    for lang in LANGUAGES:
        keys_for = [_collation_key(pick_label(d.titles, lang)[0]) for d in ordered]
        title_order = np.array(
            sorted(range(n), key=lambda i: (keys_for[i], ordered[i].iri)), dtype=np.int32
        )
        sorts[f"title_{lang}"] = title_order
    newest = sorted(
        range(n), key=lambda i: (ordered[i].date is None, _neg(ordered[i].date), ordered[i].iri)
    )
    sorts["newest"] = np.array(newest, dtype=np.int32)
    for name, values in sorts.items():
        np.save(directory / f"sort_{name}.npy", values)

    # Display records, one JSON line each, addressed by offsets (memory-mapped at serve time).
    offsets = np.zeros(n + 1, dtype=np.int64)
    with open(directory / "docs.jsonl", "wb") as out:
        for index, doc in enumerate(ordered):
            line = json.dumps(
                {"iri": doc.iri, "t": doc.titles, "d": doc.descriptions, "date": doc.date},
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode("utf-8")
            out.write(line + b"\n")
            offsets[index + 1] = offsets[index] + len(line) + 1
    np.save(directory / "docs_offsets.npy", offsets)
    meta = {
        "version": FORMAT_VERSION,
        "scope": spec.name,
        "documents": n,
        "vocabulary": vocabulary,
        "facets": facets_meta,
    }
    (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
    return n


def _neg(date: str | None) -> tuple[int, ...]:
    # Newest first: negate each digit group so an ascending sort puts later dates first.
    if not date:
        return ()
    return tuple(-int(part) for part in re.findall(r"\d+", date))


def build_index(store: OxigraphStore, directory: Path) -> dict[str, int]:
    """Write the search index of ``store`` into ``directory``; return documents per scope."""
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    ex = _Extractor(store.native)
    latest = ex.latest_status()
    extracted = {
        "sources": _extract_sources(ex),
        "variables": _extract_variables(ex),
        "gaps": _extract_gaps(ex, latest),
        "recommendations": _extract_recommendations(ex, latest),
        "reports": _extract_reports(ex),
    }
    ex.order_values()
    counts = {
        name: _write_scope(tmp / name, SCOPES[name], docs, ex) for name, docs in extracted.items()
    }
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(tmp, directory)
    return counts


def derive_search(context: DeriveContext) -> dict[str, object]:
    """The ``search`` deriver: build the index into ``BUILD/search`` (reused when nothing changed)."""
    target = context.build_dir / INDEX_DIR
    previous = context.previous_dir / INDEX_DIR if context.previous_dir else None
    if context.changed_graphs is not None and not context.changed_graphs and previous is not None:
        meta = previous / "sources" / "meta.json"
        if meta.exists() and json.loads(meta.read_text()).get("version") == FORMAT_VERSION:
            shutil.copytree(previous, target, copy_function=os.link)
            return {"reused": True}
    counts = build_index(context.store, target)
    return {"documents": counts}


# ---------------------------------------------------------------------------------------------
# Serving the index
# ---------------------------------------------------------------------------------------------


@dataclass
class _FacetData:
    values: list[dict[str, Any]]
    by_key: dict[str, int]
    bits: Array  # (values, words) uint64
    ptr: Array  # CSR doc -> values
    val: Array
    totals: Array


class _ScopeIndex:
    def __init__(self, spec: ScopeSpec, directory: Path) -> None:
        meta = json.loads((directory / "meta.json").read_text())
        if meta.get("version") != FORMAT_VERSION:
            raise FileNotFoundError(f"search index in {directory} has an old format; rebuild")

        def load(name: str) -> Array:
            # Memory-mapped (pages shared between workers and loaded on demand), seen as a plain
            # ndarray: numpy.memmap's own indexing costs microseconds per call.
            return np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r"))

        self.spec = spec
        self.n: int = meta["documents"]
        self.words = _words(self.n)
        self.vocabulary: list[str] = meta["vocabulary"]
        self.term_index = {term: i for i, term in enumerate(self.vocabulary)}
        self.post_ptr = np.asarray(load("post_ptr"))
        self.post_doc = load("post_doc")
        self.post_w = load("post_w")
        self.full = _pack(np.ones(self.n, dtype=bool))
        self.facets: dict[str, _FacetData] = {}
        for facet in spec.facets:
            bits = np.asarray(load(f"facet_{facet}"))
            values = meta["facets"][facet]
            by_key: dict[str, int] = {}
            for i, value in enumerate(values):
                by_key[value["key"]] = i
                if value["iri"]:
                    by_key.setdefault(value["iri"], i)
            totals = _count_rows(bits, self.full) if len(values) else np.zeros(0, np.int64)
            self.facets[facet] = _FacetData(
                values, by_key, bits, load(f"facet_{facet}_ptr"), load(f"facet_{facet}_val"), totals
            )
        self.sorts = {name: load(f"sort_{name}") for name in ("title_en", "title_fr", "newest")}
        self.title_rank: dict[str, Array] = {}
        for lang in LANGUAGES:
            rank = np.empty(self.n, dtype=np.int32)
            rank[np.asarray(self.sorts[f"title_{lang}"])] = np.arange(self.n, dtype=np.int32)
            self.title_rank[lang] = rank
        self.doc_offsets = load("docs_offsets")
        path = directory / "docs.jsonl"
        self._docs = np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else None

    def doc(self, index: int) -> dict[str, Any]:
        assert self._docs is not None
        start, end = int(self.doc_offsets[index]), int(self.doc_offsets[index + 1])
        return dict(json.loads(bytes(self._docs[start:end])))


def _count_rows(bits: Array, mask: Array) -> Array:
    """How many bits of ``mask`` each row of ``bits`` shares (chunked to stay in cache)."""
    counts = np.empty(bits.shape[0], dtype=np.int64)
    step = max(1, 16384 // max(1, bits.shape[1]))
    for start in range(0, bits.shape[0], step):
        counts[start : start + step] = np.bitwise_count(bits[start : start + step] & mask).sum(
            axis=1
        )
    return counts


def _popcount(words: Array) -> int:
    return int(np.bitwise_count(words).sum())


class SearchIndex:
    """The loaded search index of one build; thread-safe for reading."""

    def __init__(self, directory: Path) -> None:
        if not (directory / "sources" / "meta.json").exists():
            raise FileNotFoundError(
                f"no search index in {directory}: rebuild the catalog with `lmickg build --full`"
            )
        self.directory = directory
        self.scopes = {name: _ScopeIndex(spec, directory / name) for name, spec in SCOPES.items()}

    # -- parsing a request -------------------------------------------------------------------

    def parse(self, params: Mapping[str, Sequence[str]], lang: str = "en") -> SearchRequest:
        """Turn URL parameters (name → values) into a request; SearchError on bad input."""

        def single(name: str) -> str:
            values = params.get(name) or []
            if len(values) > 1:
                raise SearchError("too-many", name, values[1], limit=1)
            return values[0] if values else ""

        scope = single("scope") or "sources"
        if scope not in SCOPES:
            raise SearchError("unknown-scope", "scope", scope, list(SCOPES))
        spec = SCOPES[scope]
        index = self.scopes[scope]
        for name in params:
            if name not in PARAMETERS and name not in spec.facets:
                raise SearchError("unknown-parameter", name, "", [*PARAMETERS, *spec.facets])
        text = single("q")
        if len(text) > MAX_QUERY_CHARS:
            raise SearchError("too-long", "q", text[:40] + "…", limit=MAX_QUERY_CHARS)
        sort = single("sort")
        if sort and sort not in spec.sorts:
            raise SearchError("unknown-sort", "sort", sort, spec.sorts)
        page = _number(single("page"), "page", 1, MAX_PAGE)
        size = _number(single("size"), "size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        filters: dict[str, tuple[str, ...]] = {}
        total = 0
        for facet in spec.facets:
            values = [v for v in params.get(facet, []) if v != ""]
            if not values:
                continue
            if len(values) > MAX_VALUES_PER_FACET:
                raise SearchError("too-many", facet, values[0], limit=MAX_VALUES_PER_FACET)
            total += len(values)
            if total > MAX_VALUES_TOTAL:
                raise SearchError("too-many", facet, values[0], limit=MAX_VALUES_TOTAL)
            known = index.facets[facet].by_key
            for value in values:
                if value not in known:
                    allowed = [v["key"] for v in index.facets[facet].values]
                    raise SearchError("unknown-value", facet, value[:80], allowed)
            keys = [index.facets[facet].values[known[v]]["key"] for v in values]
            filters[facet] = tuple(dict.fromkeys(keys))
        return SearchRequest(scope, text, filters, sort, page, size, lang)

    # -- answering ---------------------------------------------------------------------------

    def search(self, request: SearchRequest, *, facets: bool = True) -> SearchResponse:
        """Answer ``request``: total, one page of hits, and disjunctive counts for every facet
        (``facets=False`` skips the counts, for exports)."""
        index = self.scopes[request.scope]
        n = index.n
        terms, excluded = _query_terms(request.text)
        scores: Array | None = None
        text_words = index.full
        if terms or excluded:
            matched, scores = _match(index, terms, excluded)
            text_words = _pack(matched)
        facet_words: dict[str, Array] = {}
        for facet, keys in request.filters.items():
            data = index.facets[facet]
            rows = [data.by_key[k] for k in keys]
            facet_words[facet] = np.bitwise_or.reduce(data.bits[rows], axis=0)
        base = text_words
        for words in facet_words.values():
            base = base & words
        selected_mask = _unpack(base, n)
        total = int(selected_mask.sum())

        sort = request.sort or ("relevance" if terms else "title")
        if sort == "relevance" and not terms:
            sort = "title"
        lang = "fr" if request.lang == "fr" else "en"
        title_order = index.sorts[f"title_{lang}"]
        if sort == "relevance" and scores is not None:
            ranked = _by_relevance(
                np.flatnonzero(selected_mask),
                scores,
                index.title_rank[lang],
                request.page * request.size,
            )
        else:
            order = np.asarray(index.sorts["newest"] if sort == "newest" else title_order)
            ranked = order[selected_mask[order]]
        start = (request.page - 1) * request.size
        if total and start >= total:
            raise SearchError(
                "page-out-of-range",
                "page",
                str(request.page),
                limit=self._last(total, request.size),
            )
        hits = [self._hit(index, int(i), scores) for i in ranked[start : start + request.size]]

        counted: dict[str, list[FacetCount]] = {}
        for facet in index.spec.facets if facets else ():
            mask = text_words
            for other, words in facet_words.items():
                if other != facet:
                    mask = mask & words
            unfiltered = text_words is index.full and not (set(facet_words) - {facet})
            counts = self._counts(index, facet, mask, unfiltered)
            counted[facet] = self._facet_values(
                index, facet, counts, request.filters.get(facet, ())
            )
        return SearchResponse(request, sort, total, hits, counted, terms, excluded)

    def export(self, request: SearchRequest, limit: int = MAX_EXPORT) -> SearchResponse:
        """Every hit of ``request`` in order, up to ``limit`` (no facet counts)."""
        return self.search(replace(request, page=1, size=limit), facets=False)

    @staticmethod
    def _last(total: int, size: int) -> int:
        return max(1, math.ceil(total / size))

    def _counts(self, index: _ScopeIndex, facet: str, mask: Array, unfiltered: bool) -> Array:
        data = index.facets[facet]
        if unfiltered or not len(data.values):
            return data.totals
        k = _popcount(mask)
        entries = len(data.val) / max(1, index.n)
        # Few matching documents: walk their values; many: AND whole bitset rows.
        if k * max(entries, 1.0) * 8 < data.bits.shape[0] * data.bits.shape[1]:
            ids = np.flatnonzero(_unpack(mask, index.n))
            starts = np.asarray(data.ptr[ids])
            lengths = np.asarray(data.ptr[ids + 1]) - starts
            if not lengths.sum():
                return np.zeros(len(data.values), dtype=np.int64)
            positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(
                lengths.sum()
            )
            return np.bincount(np.asarray(data.val[positions]), minlength=len(data.values))
        return _count_rows(data.bits, mask)

    def _facet_values(
        self, index: _ScopeIndex, facet: str, counts: Array, selected: Sequence[str]
    ) -> list[FacetCount]:
        data = index.facets[facet]
        chosen = set(selected)
        keep = set(np.flatnonzero(counts).tolist()) | {data.by_key[k] for k in chosen}
        if facet in index.spec.hierarchical:
            # Keep the ancestors of every value shown, so the tree stays whole.
            for i in list(keep):
                parent = data.values[i]["parent"]
                while parent is not None and parent in data.by_key:
                    j = data.by_key[parent]
                    if j in keep:
                        break
                    keep.add(j)
                    parent = data.values[j]["parent"]
        out = []
        for i in sorted(keep):
            value = data.values[i]
            out.append(
                FacetCount(
                    value["key"],
                    value["iri"],
                    value["labels"],
                    int(counts[i]),
                    value["key"] in chosen,
                    value["parent"],
                    value["depth"],
                )
            )
        return out

    def _hit(self, index: _ScopeIndex, i: int, scores: Array | None) -> Hit:
        record = index.doc(i)
        values: dict[str, list[tuple[str, dict[str, str], str | None]]] = {}
        for facet, data in index.facets.items():
            if facet in index.spec.hierarchical:
                continue
            found = [data.values[int(v)] for v in data.val[int(data.ptr[i]) : int(data.ptr[i + 1])]]
            values[facet] = [(v["key"], v["labels"], v["iri"]) for v in found]
        return Hit(
            record["iri"],
            float(scores[i]) if scores is not None else 0.0,
            record["t"],
            record["d"],
            record["date"],
            values,
        )

    def count(
        self, scope: str, text: str = "", filters: Mapping[str, Sequence[str]] | None = None
    ) -> int:
        """How many documents of ``scope`` match ``text`` and ``filters`` (no page, no facets)."""
        index = self.scopes[scope]
        terms, excluded = _query_terms(text)
        mask = (
            _match(index, terms, excluded)[0] if terms or excluded else np.ones(index.n, dtype=bool)
        )
        words = _pack(mask)
        for facet, keys in (filters or {}).items():
            data = index.facets[facet]
            rows = [data.by_key[k] for k in keys if k in data.by_key]
            words = words & (np.bitwise_or.reduce(data.bits[rows], axis=0) if rows else 0)
        return _popcount(words)

    # -- helpers for pages -------------------------------------------------------------------

    def facet_value(self, scope: str, facet: str, iri_or_key: str) -> dict[str, Any] | None:
        """The stored value of ``facet`` for an IRI or key (None when no document has it)."""
        data = self.scopes[scope].facets[facet]
        i = data.by_key.get(iri_or_key)
        return data.values[i] if i is not None else None

    def documents(self, scope: str) -> int:
        """How many documents ``scope`` holds."""
        return self.scopes[scope].n


def _by_relevance(ids: Array, scores: Array, title_rank: Array, needed: int) -> Array:
    """``ids`` best first (score, then title); exact for the first ``needed`` positions."""
    if needed < len(ids) // 4:
        # Sort only what can reach the page: every id scoring at least the needed-th best
        # score (ties included, so the order equals a full sort's).
        threshold = -np.partition(-scores[ids], needed - 1)[needed - 1]
        ids = ids[scores[ids] >= threshold]
    return ids[np.lexsort((title_rank[ids], -scores[ids]))]


def _number(text: str, name: str, default: int, limit: int) -> int:
    if not text:
        return default
    if not text.isdigit() or len(text) > 6:
        raise SearchError("bad-number", name, text[:20], limit=limit)
    value = int(text)
    if not 1 <= value <= limit:
        raise SearchError("bad-number", name, text, limit=limit)
    return value


def _query_terms(text: str) -> tuple[list[str], list[str]]:
    include: list[str] = []
    exclude: list[str] = []
    for word in text.split():
        target = exclude if word.startswith("-") and len(word) > 1 else include
        for token in tokenize(word[1:] if target is exclude else word):
            if token not in target:
                target.append(token)
    if len(include) + len(exclude) > MAX_QUERY_TERMS:
        raise SearchError("too-many", "q", text[:40], limit=MAX_QUERY_TERMS)
    return include, exclude


def _expansions(index: _ScopeIndex, term: str) -> list[tuple[int, float]]:
    found: list[tuple[int, float]] = []
    exact = index.term_index.get(term)
    if exact is not None:
        found.append((exact, 1.0))
    if len(term) >= PREFIX_MIN:
        start = bisect.bisect_right(index.vocabulary, term)
        for position in range(start, min(start + PREFIX_MAX_EXPANSIONS, len(index.vocabulary))):
            if not index.vocabulary[position].startswith(term):
                break
            found.append((position, PREFIX_WEIGHT))
    return found


def _match(
    index: _ScopeIndex, terms: Sequence[str], excluded: Sequence[str]
) -> tuple[Array, Array]:
    n = index.n
    scores = np.zeros(n, dtype=np.float32)
    matched = np.ones(n, dtype=bool)
    for term in terms:
        term_scores = np.zeros(n, dtype=np.float32)
        for position, factor in _expansions(index, term):
            lo, hi = int(index.post_ptr[position]), int(index.post_ptr[position + 1])
            docs = np.asarray(index.post_doc[lo:hi])
            weights = np.asarray(index.post_w[lo:hi]) * np.float32(factor)
            term_scores[docs] = np.maximum(term_scores[docs], weights)
        matched &= term_scores > 0
        scores += term_scores
    for term in excluded:
        found = index.term_index.get(term)
        if found is not None:
            lo, hi = int(index.post_ptr[found]), int(index.post_ptr[found + 1])
            matched[np.asarray(index.post_doc[lo:hi])] = False
    return matched, scores


def load_index(snapshot: Snapshot) -> SearchIndex:
    """The search index of a served build (use with ``snapshot.artifact("search", load_index)``)."""
    return SearchIndex(snapshot.build_dir / INDEX_DIR)
