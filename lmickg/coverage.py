"""The coverage index: what every source provides, computed once per build, and the named
questions answered from it.

The named questions in ``queries/`` define the answers; on 100,000 sources Oxigraph needs
minutes for the coverage ones (each joins every source, coverage, level and frequency), so a build
precomputes them. :func:`build_coverage_index` reads the store with a few flat scans and resolves
the coverage rules once (a variable coverage's level, frequency, access and groups override the
source's; levels and groups close over ``skos:broader``). Each question marked ``#+ precompute:
coverage`` then has an *accelerator* here that returns exactly the rows its SPARQL returns (same
columns, terms and order; ``tests/test_coverage.py`` compares both on every parameter value). A
question whose parameter values are few is answered for all of them at build time; the others
(dates, or many combinations) are computed per request from the index (the last few kept).
Questions marked ``#+ precompute: sparql`` (seconds, not minutes, at that size, with few
parameter values) are simply run at build time for every value.

The build's ``coverage`` deriver writes ``analysis/`` in the build directory: the index, the
precomputed answers, and a label table (every IRI's labels, for pages and exports).
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import math
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Literal, Namespace, URIRef
from rdflib.term import Node
from rdflib.util import from_n3

from .labels import all_labels, labels_in, pick
from .namespaces import ACCESS, DCAT, DCT, ID, LMIC, RDF, SKOS, XKOS, XSD
from .queries import (
    LazyRows,
    NamedQuery,
    QueryResult,
    class_members,
    load_named_queries,
    run_sparql,
)
from .store import OxigraphStore, Store

__all__ = [
    "ACCELERATORS",
    "ANALYSIS_DIR",
    "Analysis",
    "CoverageIndex",
    "build_coverage_index",
    "derive_coverage",
    "load_analysis",
]

#: Where a build keeps the analysis artifacts (inside the build directory).
ANALYSIS_DIR = "analysis"
INDEX_FILE = "coverage-index.json"
LABELS_FILE = "labels.json"
ANSWERS_FILE = "answers.json"
#: Questions with at most this many parameter combinations are answered at build time.
PRECOMPUTE_LIMIT = 2000
#: Answers computed per request and kept for the next identical request.
RECENT_ANSWERS = 16

# rdflib's DCAT namespace predates DCAT 3 (no DatasetSeries); the terms are the same IRIs.
_DCAT3 = Namespace(str(DCAT))
SOURCE_TYPES = (_DCAT3.Dataset, _DCAT3.DatasetSeries, _DCAT3.DataService)
ANY_FREQUENCY = str(DCT.Frequency)
ANY_ACCESS = str(DCT.RightsStatement)
ANY_VARIABLE = str(LMIC.Variable)
ANY_LEVEL = str(LMIC.GeographicLevel)
ANY_GROUP = str(LMIC.PopulationGroup)
PUBLIC = str(ACCESS.PUBLIC)
RESTRICTED = (str(ACCESS.RESTRICTED), str(ACCESS.NON_PUBLIC))
THEME_DEMAND = str(ID["theme/labour-demand"])
THEME_SUPPLY = str(ID["theme/labour-supply"])

Row = dict[str, Node]


@dataclass(slots=True)
class Coverage:
    """One way a source provides a variable: a variable coverage, or the source itself for a
    variable it lists without qualifying it, with the effective (overridden) statements."""

    source: str
    variable: str
    finest: tuple[str, ...]
    frequency: str | None
    days: float | None
    access: str | None
    groups: tuple[str, ...]


@dataclass(slots=True)
class Source:
    """What the coverage questions need about one data source."""

    iri: str
    frequency: str | None = None
    days: float | None = None
    modified: str | None = None  # N3 of the dct:modified literal
    spatial: tuple[str, ...] = ()
    reach: tuple[str, ...] = ()  # own and coverage finest levels, closed over skos:broader
    themes: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()


@dataclass
class Need:
    """An information need (the demand side)."""

    iri: str
    variables: tuple[str, ...]
    level: str | None
    frequency: str | None
    max_days: float | None
    groups: tuple[str, ...]


@dataclass
class GapConcerns:
    """What a documented gap concerns."""

    iri: str
    variables: tuple[str, ...]
    levels: tuple[str, ...]
    groups: tuple[str, ...]


@dataclass
class CoverageIndex:
    """The flattened coverage of a build, plus the vocabulary the questions need."""

    sources: dict[str, Source]
    coverages: list[Coverage]
    variables: list[str]
    levels: list[str]
    depth: dict[str, int]
    level_closure: dict[str, tuple[str, ...]]
    groups: list[str]
    group_ancestors: dict[str, tuple[str, ...]]
    frequency_days: dict[str, float]
    regions: dict[str, str]  # region -> its level
    region_ancestors: dict[str, tuple[str, ...]]
    related: dict[str, tuple[str, ...]]  # breakdown dimension -> classifications
    needs: list[Need]
    gaps: list[GapConcerns]
    _by_variable: dict[str, list[Coverage]] | None = field(default=None, repr=False)
    _terms: dict[str, Node] = field(default_factory=dict, repr=False)
    _reach: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict, repr=False)
    _cycles: list[tuple[str, str, date | None, str | None, int]] | None = field(
        default=None, repr=False
    )

    def uri(self, value: str) -> URIRef:
        """The IRI as an rdflib term, shared between rows (answers repeat the same IRIs)."""
        term = self._terms.get(value)
        if term is None:
            term = self._terms[value] = URIRef(value)
        return term  # type: ignore[return-value]

    def parsed(self, n3: str) -> Node:
        """A term from its N3 form, parsed once."""
        term = self._terms.get(n3)
        if term is None:
            parsed = from_n3(n3)
            assert isinstance(parsed, Node)
            term = self._terms[n3] = parsed
        return term

    def by_variable(self) -> dict[str, list[Coverage]]:
        """Coverages grouped by variable (built on first use)."""
        if self._by_variable is None:
            grouped: dict[str, list[Coverage]] = defaultdict(list)
            for coverage in self.coverages:
                grouped[coverage.variable].append(coverage)
            self._by_variable = dict(grouped)
        return self._by_variable

    def reach(self, finest: tuple[str, ...]) -> frozenset[str]:
        """Every level at or above (coarser than) the given finest levels."""
        reached = self._reach.get(finest)
        if reached is None:
            levels: set[str] = set()
            for level in finest:
                levels.update(self.level_closure.get(level, (level,)))
            reached = self._reach[finest] = frozenset(levels)
        return reached

    def to_json(self) -> dict[str, Any]:
        """A compact JSON-ready form: every IRI once in a table, rows of small integers."""
        table: dict[str, int] = {}

        def t(value: str | None) -> int:
            return -1 if value is None else table.setdefault(value, len(table))

        def ts(values: Iterable[str]) -> list[int]:
            return [table.setdefault(v, len(table)) for v in values]

        body = {
            "sources": [
                [
                    t(s.iri),
                    t(s.frequency),
                    s.days,
                    s.modified,
                    ts(s.spatial),
                    ts(s.reach),
                    ts(s.themes),
                    ts(s.classifications),
                    ts(s.excluded),
                ]
                for s in self.sources.values()
            ],
            "coverages": [
                [
                    t(c.source),
                    t(c.variable),
                    ts(c.finest),
                    t(c.frequency),
                    c.days,
                    t(c.access),
                    *ts(c.groups),
                ]
                for c in self.coverages
            ],
            "variables": ts(self.variables),
            "levels": ts(self.levels),
            "depth": [[t(k), v] for k, v in self.depth.items()],
            "level_closure": [[t(k), ts(v)] for k, v in self.level_closure.items()],
            "groups": ts(self.groups),
            "group_ancestors": [[t(k), ts(v)] for k, v in self.group_ancestors.items()],
            "frequency_days": [[t(k), v] for k, v in self.frequency_days.items()],
            "regions": [[t(k), t(v)] for k, v in self.regions.items()],
            "region_ancestors": [[t(k), ts(v)] for k, v in self.region_ancestors.items()],
            "related": [[t(k), ts(v)] for k, v in self.related.items()],
            "needs": [
                [t(n.iri), ts(n.variables), t(n.level), t(n.frequency), n.max_days, ts(n.groups)]
                for n in self.needs
            ],
            "gaps": [[t(g.iri), ts(g.variables), ts(g.levels), ts(g.groups)] for g in self.gaps],
        }
        return {"terms": list(table), **body}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CoverageIndex:
        """Rebuild the index from :meth:`to_json` output."""
        terms: list[str] = data["terms"]

        def t(number: int) -> str:
            return terms[number]

        def o(number: int) -> str | None:
            return None if number < 0 else terms[number]

        def ts(numbers: Sequence[int]) -> tuple[str, ...]:
            return tuple(terms[n] for n in numbers)

        sources = {}
        for iri, frequency, days, modified, spatial, reach, themes, classes, excluded in data[
            "sources"
        ]:
            sources[t(iri)] = Source(
                t(iri),
                o(frequency),
                days,
                modified,
                ts(spatial),
                ts(reach),
                ts(themes),
                ts(classes),
                ts(excluded),
            )
        coverages = [
            Coverage(t(row[0]), t(row[1]), ts(row[2]), o(row[3]), row[4], o(row[5]), ts(row[6:]))
            for row in data["coverages"]
        ]
        return cls(
            sources=sources,
            coverages=coverages,
            variables=list(ts(data["variables"])),
            levels=list(ts(data["levels"])),
            depth={t(k): v for k, v in data["depth"]},
            level_closure={t(k): ts(v) for k, v in data["level_closure"]},
            groups=list(ts(data["groups"])),
            group_ancestors={t(k): ts(v) for k, v in data["group_ancestors"]},
            frequency_days={t(k): v for k, v in data["frequency_days"]},
            regions={t(k): t(v) for k, v in data["regions"]},
            region_ancestors={t(k): ts(v) for k, v in data["region_ancestors"]},
            related={t(k): ts(v) for k, v in data["related"]},
            needs=[
                Need(t(i), ts(v), o(lv), o(f), md, ts(g)) for i, v, lv, f, md, g in data["needs"]
            ],
            gaps=[GapConcerns(t(i), ts(v), ts(lv), ts(g)) for i, v, lv, g in data["gaps"]],
        )


# ---------------------------------------------------------------------------------------------
# Building the index
# ---------------------------------------------------------------------------------------------


def _pairs(store: ox.Store, predicate: URIRef) -> dict[str, list[str]]:
    """Every subject → objects of one predicate, as N-Triples terms (``<iri>``, ``"1"^^<…>``).

    The rows come back serialized by Oxigraph (TSV) and are split here: at 100,000 sources
    that is several times faster than building a Python object per term.
    """
    found: dict[str, list[str]] = defaultdict(list)
    result = store.query(
        f"SELECT ?s ?o WHERE {{ ?s <{predicate}> ?o }}", use_default_graph_as_union=True
    )
    assert isinstance(result, ox.QuerySolutions)
    data = result.serialize(format=ox.QueryResultsFormat.TSV) or b""
    for line in data.decode("utf-8").split("\n")[1:]:
        if line:
            subject, _, value = line.partition("\t")
            found[subject[1:-1] if subject.startswith("<") else subject].append(value)
    return found


def _iris(values: Iterable[str]) -> list[str]:
    return sorted({v[1:-1] for v in values if v.startswith("<")})


def _literal(value: str) -> Literal | None:
    if value.startswith('"'):
        term = from_n3(value)
        return term if isinstance(term, Literal) else None
    # TSV writes integers, decimals, doubles and booleans bare.
    if value in ("true", "false"):
        return Literal(value == "true")
    for kind in (int, float):
        try:
            return Literal(kind(value))
        except ValueError:
            continue
    return None


def _closure(start: str, parents: Mapping[str, list[str]]) -> tuple[str, ...]:
    seen = {start}
    stack = [start]
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return tuple(sorted(seen))


def _decimal(values: list[str]) -> float | None:
    for value in values:
        literal = _literal(value)
        if literal is not None:
            try:
                return float(str(literal))
            except ValueError:
                continue
    return None


def build_coverage_index(store: OxigraphStore) -> CoverageIndex:
    """Read the store and resolve every coverage rule once (see the module docstring)."""
    native = store.native

    rdf_type = ox.NamedNode(str(RDF.type))

    def instances(cls: URIRef) -> list[str]:
        quads = native.quads_for_pattern(None, rdf_type, ox.NamedNode(str(cls)), None)
        return sorted({q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)})

    source_iris = sorted({iri for cls in SOURCE_TYPES for iri in instances(cls)})
    p = {
        name: _pairs(native, predicate)
        for name, predicate in {
            "variable": LMIC.variable,
            "qualified": LMIC.qualifiedVariable,
            "granularity": LMIC.geographicGranularity,
            "frequency": DCT.accrualPeriodicity,
            "access": DCT.accessRights,
            "group": LMIC.populationGroup,
            "excluded": LMIC.excludedPopulationGroup,
            "spatial": DCT.spatial,
            "theme": DCAT.theme,
            "classification": LMIC.usesClassification,
            "modified": DCT.modified,
            "broader": SKOS.broader,
            "days": LMIC.periodInDays,
            "depth": XKOS.depth,
            "type": DCT.type,
            "related": SKOS.related,
            "needs_variable": LMIC.concernsVariable,
            "needs_level": LMIC.concernsGeographicLevel,
            "needs_frequency": LMIC.concernsFrequency,
            "needs_group": LMIC.concernsPopulationGroup,
        }.items()
    }
    broader = {s: _iris(o) for s, o in p["broader"].items()}
    levels = instances(LMIC.GeographicLevel)
    depth: dict[str, int] = {}
    for level in levels:
        for value in p["depth"].get(level, []):
            literal = _literal(value)
            if literal is not None:
                with contextlib.suppress(ValueError):
                    depth[level] = int(str(literal))
    frequency_days = {
        f: d for f, values in p["days"].items() if (d := _decimal(values)) is not None
    }

    def first(name: str, subject: str) -> str | None:
        values = _iris(p[name].get(subject, []))
        return values[0] if values else None

    sources: dict[str, Source] = {}
    coverages: list[Coverage] = []
    all_finest: set[str] = set()
    for iri in source_iris:
        own_levels = tuple(_iris(p["granularity"].get(iri, [])))
        own_frequency = first("frequency", iri)
        own_access = first("access", iri)
        own_groups = tuple(_iris(p["group"].get(iri, [])))
        qualified = [c[1:-1] if c.startswith("<") else c for c in p["qualified"].get(iri, [])]
        qualified_variables = set()
        units: list[tuple[str, str, bool]] = []
        for coverage in sorted(set(qualified)):
            for variable in _iris(p["variable"].get(coverage, [])):
                qualified_variables.add(variable)
                units.append((coverage, variable, True))
        for variable in _iris(p["variable"].get(iri, [])):
            if variable not in qualified_variables:
                units.append((iri, variable, False))
        reach_finest = set(own_levels)
        for node, variable, is_coverage in units:
            node_levels = tuple(_iris(p["granularity"].get(node, []))) if is_coverage else ()
            reach_finest.update(node_levels)
            node_frequency = first("frequency", node) if is_coverage else None
            frequency = node_frequency or own_frequency
            node_groups = tuple(_iris(p["group"].get(node, []))) if is_coverage else ()
            coverages.append(
                Coverage(
                    source=iri,
                    variable=variable,
                    finest=node_levels or own_levels,
                    frequency=frequency,
                    days=frequency_days.get(frequency) if frequency else None,
                    access=(first("access", node) if is_coverage else None) or own_access,
                    groups=node_groups or own_groups,
                )
            )
        modified = p["modified"].get(iri, [])
        all_finest.update(reach_finest)
        sources[iri] = Source(
            iri=iri,
            frequency=own_frequency,
            days=frequency_days.get(own_frequency) if own_frequency else None,
            modified=min(modified) if modified else None,
            spatial=tuple(_iris(p["spatial"].get(iri, []))),
            reach=tuple(sorted({lv for f in reach_finest for lv in _closure(f, broader)})),
            themes=tuple(_iris(p["theme"].get(iri, []))),
            classifications=tuple(_iris(p["classification"].get(iri, []))),
            excluded=tuple(_iris(p["excluded"].get(iri, []))),
        )
    # Qualified coverages are often blank nodes, whose labels change with every parse: sort on
    # every field so one catalog always yields the same index, byte for byte.
    coverages.sort(
        key=lambda c: (
            c.source,
            c.variable,
            c.finest,
            c.frequency or "",
            c.access or "",
            c.groups,
        )
    )
    for unit in coverages:
        all_finest.update(unit.finest)
    level_closure = {lv: _closure(lv, broader) for lv in sorted(set(levels) | all_finest)}
    groups = instances(LMIC.PopulationGroup)
    regions: dict[str, str] = {}
    level_set = set(levels)
    for subject, values in p["type"].items():
        for level in _iris(values):
            if level in level_set and not subject.startswith("_:"):
                regions[subject] = level
    needs = []
    for need in instances(LMIC.InformationNeed):
        frequency = first("needs_frequency", need)
        needs.append(
            Need(
                iri=need,
                variables=tuple(_iris(p["needs_variable"].get(need, []))),
                level=first("needs_level", need),
                frequency=frequency,
                max_days=frequency_days.get(frequency) if frequency else None,
                groups=tuple(_iris(p["needs_group"].get(need, []))),
            )
        )
    gaps = [
        GapConcerns(
            iri=gap,
            variables=tuple(_iris(p["needs_variable"].get(gap, []))),
            levels=tuple(_iris(p["needs_level"].get(gap, []))),
            groups=tuple(_iris(p["needs_group"].get(gap, []))),
        )
        for gap in instances(LMIC.Gap)
    ]
    return CoverageIndex(
        sources=sources,
        coverages=coverages,
        variables=instances(LMIC.Variable),
        levels=levels,
        depth=depth,
        level_closure=level_closure,
        groups=groups,
        group_ancestors={g: _closure(g, broader) for g in groups},
        frequency_days=frequency_days,
        regions=dict(sorted(regions.items())),
        region_ancestors={r: _closure(r, broader) for r in regions},
        related={d: tuple(_iris(v)) for d, v in p["related"].items()},
        needs=needs,
        gaps=gaps,
    )


# ---------------------------------------------------------------------------------------------
# Accelerators: one per precomputed question, returning exactly the rows of its SPARQL
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _int(value: int) -> Literal:
    return Literal(value)


def _level_key(index: CoverageIndex, level: str) -> tuple[int, int, str]:
    # ORDER BY ?depth ?level: an unbound depth sorts first.
    depth = index.depth.get(level)
    return (0, 0, level) if depth is None else (1, depth, level)


def _reaches(index: CoverageIndex, coverage: Coverage, level: str) -> bool:
    return any(level in index.level_closure.get(f, (f,)) for f in coverage.finest)


def _often_enough(coverage_days: float | None, frequency: str, index: CoverageIndex) -> bool:
    if frequency == ANY_FREQUENCY:
        return True
    limit = index.frequency_days.get(frequency)
    return coverage_days is not None and limit is not None and coverage_days <= limit


def _access_ok(access: str | None, wanted: str) -> bool:
    return wanted == ANY_ACCESS or access == wanted


def _excludes(index: CoverageIndex, source: str, group: str) -> bool:
    excluded = set(index.sources[source].excluded) if source in index.sources else set()
    return bool(excluded & set(index.group_ancestors.get(group, (group,))))


def coverage_matrix(index: CoverageIndex, bindings: Mapping[str, Node]) -> list[Row]:
    """``coverage-matrix``: sources per variable and level, filtered by frequency and access."""
    frequency, access = str(bindings["frequency"]), str(bindings["access"])
    counts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for coverage in index.coverages:
        if not _often_enough(coverage.days, frequency, index):
            continue
        if not _access_ok(coverage.access, access):
            continue
        for level in index.reach(coverage.finest):
            counts[(coverage.variable, level)].add(coverage.source)
    rows = []
    for variable in index.variables:
        for level in sorted(index.levels, key=lambda lv: _level_key(index, lv)):
            rows.append(
                {
                    "variable": index.uri(variable),
                    "level": index.uri(level),
                    "sources": _int(len(counts.get((variable, level), ()))),
                    "frequency": bindings["frequency"],
                    "access": bindings["access"],
                }
            )
    return rows


def _coverage_matrix_all(
    index: CoverageIndex, combos: list[dict[str, Node]]
) -> dict[tuple[str, ...], list[Row]]:
    """Every frequency/access combination in one pass (the per-combination pass is too slow at
    100,000 sources): per source and (variable, level, access), the shortest period."""
    # counts[(variable, level, access)] = sorted list of each source's shortest period
    shortest: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    current: str | None = None
    best: dict[tuple[str, str, str], float] = {}

    def flush() -> None:
        for key, days in best.items():
            shortest[key].append(days)
        best.clear()

    for coverage in sorted(index.coverages, key=lambda c: c.source):
        if coverage.source != current:
            flush()
            current = coverage.source
        days = coverage.days if coverage.days is not None else math.inf
        for level in index.reach(coverage.finest):
            for access in (ANY_ACCESS, coverage.access or ""):
                key = (coverage.variable, level, access)
                if key not in best or days < best[key]:
                    best[key] = days
    flush()
    for values in shortest.values():
        values.sort()
    ordered_levels = sorted(index.levels, key=lambda lv: _level_key(index, lv))
    answers = {}
    for bindings in combos:
        frequency, access = str(bindings["frequency"]), str(bindings["access"])
        limit = math.inf if frequency == ANY_FREQUENCY else index.frequency_days.get(frequency)
        rows = []
        for variable in index.variables:
            for level in ordered_levels:
                values = shortest.get((variable, level, access), [])
                if limit is None:
                    count = 0
                elif frequency == ANY_FREQUENCY:
                    count = len(values)
                else:
                    count = bisect.bisect_right(values, limit)
                rows.append(
                    {
                        "variable": index.uri(variable),
                        "level": index.uri(level),
                        "sources": _int(count),
                        "frequency": bindings["frequency"],
                        "access": bindings["access"],
                    }
                )
        answers[_key(bindings)] = rows
    return answers


def _groups_by_level_all(
    index: CoverageIndex, combos: list[dict[str, Node]]
) -> dict[tuple[str, ...], list[Row]]:
    """``groups-by-level`` for every variable in one pass over the sources."""
    typed = set(index.variables)
    identifying: dict[tuple[str, str, str], int] = defaultdict(int)
    excluding: dict[tuple[str, str, str], int] = defaultdict(int)
    ancestors = {g: set(index.group_ancestors.get(g, (g,))) for g in index.groups}
    by_source: dict[str, list[Coverage]] = defaultdict(list)
    for coverage in index.coverages:
        by_source[coverage.source].append(coverage)
    for source, coverages in by_source.items():
        seen: set[tuple[str, str, str]] = set()
        reached_by: dict[str, set[str]] = defaultdict(set)
        for coverage in coverages:
            reached = index.reach(coverage.finest)
            keys = [coverage.variable] + ([ANY_VARIABLE] if coverage.variable in typed else [])
            for variable in keys:
                reached_by[variable] |= reached
                for group in coverage.groups:
                    for level in reached:
                        seen.add((variable, group, level))
        for key in seen:
            identifying[key] += 1
        excluded = set(index.sources[source].excluded)
        if excluded:
            hit = [g for g in index.groups if excluded & ancestors[g]]
            for variable, levels in reached_by.items():
                for group in hit:
                    for level in levels:
                        excluding[(variable, group, level)] += 1
    ordered_levels = sorted(index.levels, key=lambda lv: _level_key(index, lv))
    answers = {}
    for bindings in combos:
        variable = str(bindings["variable"])
        rows = []
        for group in index.groups:
            for level in ordered_levels:
                rows.append(
                    {
                        "group": index.uri(group),
                        "level": index.uri(level),
                        "sources": _int(identifying.get((variable, group, level), 0)),
                        "excludingSources": _int(excluding.get((variable, group, level), 0)),
                        "variable": bindings["variable"],
                    }
                )
        answers[_key(bindings)] = rows
    return answers


def groups_by_level(index: CoverageIndex, bindings: Mapping[str, Node]) -> list[Row]:
    """``groups-by-level``: sources identifying / excluding each group at each level."""
    return _groups_by_level_all(index, [dict(bindings)])[_key(bindings)]


def _unmet_needs_all(
    index: CoverageIndex, combos: list[dict[str, Node]]
) -> dict[tuple[str, ...], list[Row]]:
    """``unmet-needs`` for every access choice in one pass over each need's coverages."""
    by_variable = index.by_variable()
    accesses = [str(b["access"]) for b in combos]
    rows: dict[str, list[Row]] = {access: [] for access in accesses}
    for need in sorted(index.needs, key=lambda n: n.iri):
        for variable in sorted(need.variables):
            for group in sorted(need.groups) if need.groups else [None]:
                # marks[access][source] = [at level, and often enough, and for the group]
                marks: dict[str, dict[str, list[int]]] = {access: {} for access in accesses}
                for coverage in by_variable.get(variable, []):
                    at_level = need.level is None or _reaches(index, coverage, need.level)
                    often = at_level and (
                        need.max_days is None
                        or (coverage.days is not None and coverage.days <= need.max_days)
                    )
                    for_group = often and (
                        group is None
                        or (
                            group in coverage.groups
                            and not _excludes(index, coverage.source, group)
                        )
                    )
                    for access in accesses:
                        if not _access_ok(coverage.access, access):
                            continue
                        mark = marks[access].setdefault(coverage.source, [0, 0, 0])
                        mark[0] = max(mark[0], int(at_level))
                        mark[1] = max(mark[1], int(often))
                        mark[2] = max(mark[2], int(for_group))
                gaps: list[str] | None = None
                for access in accesses:
                    per_source = marks[access]
                    if any(m[2] for m in per_source.values()):
                        continue
                    if gaps is None:
                        gaps = sorted(
                            g.iri
                            for g in index.gaps
                            if (group is not None and group in g.groups)
                            or (
                                need.level is not None
                                and variable in g.variables
                                and need.level in g.levels
                            )
                        )
                    base: Row = {"need": index.uri(need.iri), "variable": index.uri(variable)}
                    if need.level:
                        base["level"] = index.uri(need.level)
                    if need.frequency:
                        base["frequency"] = index.uri(need.frequency)
                    if group:
                        base["group"] = index.uri(group)
                    base["providers"] = _int(len(per_source))
                    base["atLevel"] = _int(sum(m[0] for m in per_source.values()))
                    base["atFrequency"] = _int(sum(m[1] for m in per_source.values()))
                    gap_options: list[str | None] = list(gaps) or [None]
                    for gap in gap_options:
                        row = dict(base)
                        if gap is not None:
                            row["documentedGap"] = index.uri(gap)
                        rows[access].append(row)
    answers = {}
    for bindings in combos:
        access = str(bindings["access"])
        answers[_key(bindings)] = [{**row, "access": bindings["access"]} for row in rows[access]]
    return answers


def unmet_needs(index: CoverageIndex, bindings: Mapping[str, Node]) -> list[Row]:
    """``unmet-needs``: needs no source satisfies, with how far the sources get."""
    return _unmet_needs_all(index, [dict(bindings)])[_key(bindings)]


def can_i_answer(index: CoverageIndex, bindings: Mapping[str, Node]) -> Sequence[Row]:
    """``can-i-answer``: the ways sources provide a variable at a level, frequency and group."""
    variable = str(bindings["variable"])
    level = str(bindings["level"])
    frequency = str(bindings["frequency"])
    group = str(bindings["group"])
    access = str(bindings["access"])
    typed = set(index.variables)
    if variable == ANY_VARIABLE:
        candidates: Iterable[Coverage] = (c for c in index.coverages if c.variable in typed)
    else:
        candidates = index.by_variable().get(variable, [])
    # Unbound cells are "" in these tuples: they sort first, as unbound values do in SPARQL.
    # Coverages are kept in (source, variable) order, so sorting each such group is enough.
    found: list[tuple[str, str, str, str, str]] = []
    group_key: tuple[str, str] | None = None
    pending: set[tuple[str, str, str, str, str]] = set()
    for coverage in candidates:
        if (coverage.source, coverage.variable) != group_key:
            found.extend(sorted(pending))
            pending = set()
            group_key = (coverage.source, coverage.variable)
        if not _often_enough(coverage.days, frequency, index):
            continue
        if not _access_ok(coverage.access, access):
            continue
        if group != ANY_GROUP and (
            group not in coverage.groups or _excludes(index, coverage.source, group)
        ):
            continue
        for finest in coverage.finest or ("",):
            if level != ANY_LEVEL and (
                not finest or level not in index.level_closure.get(finest, (finest,))
            ):
                continue
            pending.add(
                (
                    coverage.source,
                    coverage.variable,
                    finest,
                    coverage.frequency or "",
                    coverage.access or "",
                )
            )
    found.extend(sorted(pending))
    constant = {k: bindings[k] for k in ("variable", "level", "frequency", "group", "access")}

    def build(item: tuple[str, str, str, str, str]) -> Row:
        row: Row = {"source": index.uri(item[0]), "provided": index.uri(item[1])}
        for name, value in zip(
            ("finest", "sourceFrequency", "sourceAccess"), item[2:], strict=True
        ):
            if value:
                row[name] = index.uri(value)
        row.update(constant)
        return row

    return LazyRows(found, build)


def _dimension_classifications(index: CoverageIndex, dimension: str) -> tuple[str, ...]:
    return index.related.get(dimension, ())


def mismatch_readiness(index: CoverageIndex, bindings: Mapping[str, Node]) -> list[Row]:
    """``mismatch-readiness``: demand/supply sources sharing a classification, per level."""
    dimension = str(bindings["dimension"])
    rows = []
    for classification in sorted(_dimension_classifications(index, dimension)):
        demand: dict[str, int] = defaultdict(int)
        supply: dict[str, int] = defaultdict(int)
        for source in index.sources.values():
            if classification not in source.classifications:
                continue
            for level in source.reach:
                if THEME_DEMAND in source.themes:
                    demand[level] += 1
                if THEME_SUPPLY in source.themes:
                    supply[level] += 1
        for level in sorted(index.levels, key=lambda lv: _level_key(index, lv)):
            rows.append(
                {
                    "level": index.uri(level),
                    "classification": index.uri(classification),
                    "demandSources": _int(demand[level]),
                    "supplySources": _int(supply[level]),
                    "pairs": _int(demand[level] * supply[level]),
                    "dimension": bindings["dimension"],
                }
            )
    return rows


def _mismatch_regions_all(
    index: CoverageIndex, combos: list[dict[str, Node]]
) -> dict[tuple[str, ...], list[Row]]:
    """``mismatch-regions`` for every dimension and filter: sources are grouped by what matters
    (side, classifications, areas, levels) so each region checks a few hundred groups, not every
    source."""
    signatures: dict[tuple[Any, ...], int] = defaultdict(int)
    for source in index.sources.values():
        sides = tuple(
            side
            for side, theme in (("demand", THEME_DEMAND), ("supply", THEME_SUPPLY))
            if theme in source.themes
        )
        if not sides or not source.classifications or not source.spatial:
            continue
        key = (sides, source.classifications, source.spatial, source.reach)
        signatures[key] += 1
    answers: dict[tuple[str, ...], list[Row]] = {}
    per_dimension: dict[str, list[tuple[str, int, int, int]]] = {}
    for dimension in {str(b["dimension"]) for b in combos}:
        classes = set(_dimension_classifications(index, dimension))
        results = []
        for region, level in index.regions.items():
            ancestors = set(index.region_ancestors.get(region, (region,)))
            demand = supply = 0
            per_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for (sides, classifications, spatial, reach), count in signatures.items():
                if level not in reach or not ancestors & set(spatial):
                    continue
                shared = classes & set(classifications)
                if not shared:
                    continue
                for side in sides:
                    if side == "demand":
                        demand += count
                    else:
                        supply += count
                    for classification in shared:
                        per_class[classification][0 if side == "demand" else 1] += count
            pairs = sum(d * s for d, s in per_class.values())
            results.append((region, demand, supply, pairs))
        per_dimension[dimension] = results
    for bindings in combos:
        dimension, show = str(bindings["dimension"]), str(bindings["show"])
        rows = []
        for region, demand, supply, pairs in per_dimension[dimension]:
            if show != "all" and pairs != 0:
                continue
            rows.append(
                {
                    "region": index.uri(region),
                    "level": index.uri(index.regions[region]),
                    "demandSources": _int(demand),
                    "supplySources": _int(supply),
                    "pairs": _int(pairs),
                    "dimension": bindings["dimension"],
                    "show": bindings["show"],
                }
            )
        rows.sort(key=lambda r: (_level_key(index, str(r["level"]))[:2], str(r["region"])))
        answers[_key(bindings)] = rows
    return answers


def mismatch_regions(index: CoverageIndex, bindings: Mapping[str, Node]) -> list[Row]:
    """``mismatch-regions``: demand/supply sources covering each region."""
    return _mismatch_regions_all(index, [dict(bindings)])[_key(bindings)]


@lru_cache(maxsize=65536)
def _date(value: date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


@lru_cache(maxsize=65536)
def _normalised_date(lexical: str) -> date | None:
    padded = (lexical + "-01-01"[max(len(lexical) - 4, 0) :])[:10]
    try:
        return date.fromisoformat(padded)
    except ValueError:
        return None


_STATUS = {"overdue": Literal("overdue"), "undated": Literal("undated")}


def _release_cycles(index: CoverageIndex) -> list[tuple[str, str, date | None, str | None, int]]:
    """Per regular source: IRI, frequency, latest release (as a date and as recorded), and the
    period in whole days. Unparsable release dates are left out, as the SPARQL drops them."""
    cycles = index._cycles
    if cycles is None:
        cycles = []
        for source in index.sources.values():
            if source.frequency is None or source.days is None:
                continue
            last: date | None = None
            if source.modified is not None:
                literal = index.parsed(source.modified)
                last = _normalised_date(str(literal))
                if last is None:
                    continue
            period = math.ceil(source.days)
            cycles.append((source.iri, source.frequency, last, source.modified, period))
        index._cycles = cycles
    return cycles


def stale_sources(index: CoverageIndex, bindings: Mapping[str, Node]) -> Sequence[Row]:
    """``stale-sources``: sources whose latest release is older than their cycle allows."""
    as_of = date.fromisoformat(str(bindings["asOf"]))
    grace = int(str(bindings["grace"]))
    show = str(bindings["show"])
    constant = {k: bindings[k] for k in ("asOf", "grace", "show")}
    found: list[tuple[str, int, str, str, str | None, date | None, int]] = []
    for iri, frequency, last, recorded, period in _release_cycles(index):
        if last is None:
            if show in ("all", "undated"):
                found.append(("undated", 1, iri, frequency, None, None, 0))
            continue
        expected = last + timedelta(days=period + grace)
        if as_of > expected and show in ("all", "overdue"):
            found.append(
                ("overdue", 0, iri, frequency, recorded, expected, (as_of - expected).days)
            )
    # ORDER BY ?status DESC(?daysOverdue) ?source: unbound sorts last when descending.
    found.sort(key=lambda f: (f[0], f[1], -f[6], f[2]))

    def build(item: tuple[str, int, str, str, str | None, date | None, int]) -> Row:
        status, _unbound, iri, frequency, recorded, expected, overdue = item
        row: Row = {"source": index.uri(iri), "sourceFrequency": index.uri(frequency)}
        if recorded is not None and expected is not None:
            row["lastRelease"] = index.parsed(recorded)
            row["expectedBy"] = _date(expected)
            row["daysOverdue"] = _int(overdue)
        row["status"] = _STATUS[status]
        row.update(constant)
        return row

    return LazyRows(found, build)


def restricted_only(index: CoverageIndex, bindings: Mapping[str, Node]) -> list[Row]:
    """``restricted-only``: variables and groups reached at a level only by restricted sources."""
    public: dict[str, set[tuple[str, str]]] = {ANY_VARIABLE: set(), ANY_GROUP: set()}
    restricted: dict[str, set[tuple[str, str, str, str]]] = {ANY_VARIABLE: set(), ANY_GROUP: set()}
    for coverage in index.coverages:
        reached = index.reach(coverage.finest)
        subjects = [(ANY_VARIABLE, coverage.variable)] + [(ANY_GROUP, g) for g in coverage.groups]
        for kind, subject in subjects:
            for level in reached:
                if coverage.access == PUBLIC:
                    public[kind].add((subject, level))
                elif coverage.access in RESTRICTED:
                    restricted[kind].add((subject, level, coverage.source, coverage.access))
    rows = []
    for kind in sorted(public):
        for subject, level, source, access in restricted[kind]:
            if (subject, level) in public[kind]:
                continue
            rows.append((kind, subject, level, source, access))
    rows.sort(key=lambda r: (r[0], r[1], _level_key(index, r[2])[:2], r[2], r[3], r[4]))
    return [
        {
            "subject": index.uri(subject),
            "kind": index.uri(kind),
            "level": index.uri(level),
            "source": index.uri(source),
            "sourceAccess": index.uri(access),
        }
        for kind, subject, level, source, access in rows
    ]


Accelerator = Callable[[CoverageIndex, Mapping[str, Node]], Sequence[Row]]
BatchAccelerator = Callable[
    [CoverageIndex, list[dict[str, Node]]], dict[tuple[str, ...], list[Row]]
]

#: Each precomputed question's accelerator (the registry `load_named_queries` is checked against).
ACCELERATORS: dict[str, Accelerator] = {
    "coverage-matrix": coverage_matrix,
    "groups-by-level": groups_by_level,
    "unmet-needs": unmet_needs,
    "can-i-answer": can_i_answer,
    "mismatch-readiness": mismatch_readiness,
    "mismatch-regions": mismatch_regions,
    "stale-sources": stale_sources,
    "restricted-only": restricted_only,
}
#: Faster all-combinations versions, where one pass can serve every combination.
BATCH_ACCELERATORS: dict[str, BatchAccelerator] = {
    "coverage-matrix": _coverage_matrix_all,
    "groups-by-level": _groups_by_level_all,
    "unmet-needs": _unmet_needs_all,
    "mismatch-regions": _mismatch_regions_all,
}


# ---------------------------------------------------------------------------------------------
# Precomputed answers: built by the deriver, read by servers
# ---------------------------------------------------------------------------------------------


def _key(bindings: Mapping[str, Node]) -> tuple[str, ...]:
    return tuple(f"{name}={bindings[name].n3()}" for name in sorted(bindings))


def combinations(
    query: NamedQuery, store: Store, limit: int = PRECOMPUTE_LIMIT
) -> list[dict[str, Node]] | None:
    """Every allowed parameter combination, or None if there are too many (or infinitely many)."""
    choices: list[list[Node]] = []
    for param in query.params:
        if param.type not in ("iri", "string"):
            return None
        values: list[Node] = [v.term for v in param.values]
        if param.value_class is not None:
            values += [m for m in class_members(store, param.value_class) if m not in values]
        choices.append(values)
    total = math.prod(len(c) for c in choices)
    if total > limit:
        return None
    return [
        {p.name: value for p, value in zip(query.params, combo, strict=True)}
        for combo in itertools.product(*choices)
    ]


class _Terms:
    """A table of distinct terms, so precomputed rows store small integers."""

    def __init__(self, terms: list[str] | None = None) -> None:
        self.terms = terms or []
        self.ids = {t: i for i, t in enumerate(self.terms)}
        self._known: dict[Node, int] = {}

    def id(self, term: Node) -> int:
        number = self._known.get(term)
        if number is None:
            text = term.n3()
            number = self.ids.get(text)
            if number is None:
                number = self.ids[text] = len(self.terms)
                self.terms.append(text)
            # Keyed by the term itself too, so n3() runs once per distinct term.
            self._known[term] = number
        return number


def _encode(rows: Sequence[Row], columns: list[str], terms: _Terms) -> list[list[int]]:
    return [[terms.id(r[c]) if c in r else -1 for c in columns] for r in rows]


@dataclass
class Analysis:
    """A build's precomputed answers and coverage index, as a server or the CLI reads them."""

    directory: Path
    answers: dict[str, dict[str, Any]]
    terms: list[str]
    _index: CoverageIndex | None = None
    _parsed: dict[int, Node] = field(default_factory=dict)
    _labels: dict[str, dict[str, str]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: Answers computed per request, most recent last (a landing page is asked again and again).
    _recent: OrderedDict[tuple[str, ...], QueryResult] = field(default_factory=OrderedDict)

    def index(self) -> CoverageIndex:
        """The coverage index (read on first use: it is large)."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    data = json.loads((self.directory / INDEX_FILE).read_text(encoding="utf-8"))
                    self._index = CoverageIndex.from_json(data)
        return self._index

    def warm(self) -> None:
        """Start reading the index in the background, so the first question that needs it
        does not wait the whole time (servers call this when a build switches in)."""
        threading.Thread(target=self.index, name="coverage-index", daemon=True).start()

    def labels(self, iris: Iterable[str], lang: str, store: Store | None = None) -> dict[str, str]:
        """Labels in ``lang`` from the build's label table (read on first use); from ``store``
        for a build made before the table existed."""
        if self._labels is None:
            try:
                self._labels = json.loads((self.directory / LABELS_FILE).read_text("utf-8"))
            except (OSError, ValueError):
                self._labels = {}
        table = self._labels
        if not table and store is not None:
            return labels_in(store, iris, lang)
        return {iri: pick(table.get(iri), lang, iri) for iri in iris}

    def _term(self, number: int) -> Node:
        term = self._parsed.get(number)
        if term is None:
            parsed = from_n3(self.terms[number])
            assert isinstance(parsed, Node)
            term = self._parsed[number] = parsed
        return term

    def answer(self, query: NamedQuery, bindings: Mapping[str, Node]) -> QueryResult | None:
        """The precomputed answer, or None if this question is not precomputed here."""
        stored = self.answers.get(query.name)
        if stored is not None:
            columns = stored["columns"]
            encoded = stored["rows"].get("\t".join(_key(bindings)))
        else:
            encoded = None
        if encoded is not None:
            return QueryResult(
                columns,
                [
                    {c: self._term(t) for c, t in zip(columns, row, strict=True) if t >= 0}
                    for row in encoded
                ],
            )
        accelerator = ACCELERATORS.get(query.name)
        if query.precompute != "coverage" or accelerator is None:
            return None
        key = (query.name, *_key(bindings))
        result = self._recent.get(key)
        if result is None:
            result = QueryResult(_columns(query), accelerator(self.index(), bindings))
            self._recent[key] = result
            while len(self._recent) > RECENT_ANSWERS:
                self._recent.popitem(last=False)
        return result


def _columns(query: NamedQuery) -> list[str]:
    result = ox.Store().query(query.text, use_default_graph_as_union=True, prefixes={})
    assert isinstance(result, ox.QuerySolutions)
    return [v.value for v in result.variables]


def load_analysis(build_dir: Path) -> Analysis | None:
    """The analysis artifacts of a build, or None if the build has none."""
    directory = build_dir / ANALYSIS_DIR
    try:
        data = json.loads((directory / ANSWERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Analysis(directory, data["answers"], data["terms"])


def derive_coverage(context: Any) -> dict[str, object]:
    """Deriver: the coverage index and every precomputable answer, into ``analysis/``."""
    started = time.perf_counter()
    store: OxigraphStore = context.store
    index = build_coverage_index(store)
    directory = Path(context.build_dir) / ANALYSIS_DIR
    directory.mkdir(exist_ok=True)
    (directory / INDEX_FILE).write_text(json.dumps(index.to_json()), encoding="utf-8")
    terms = _Terms()
    answers: dict[str, dict[str, Any]] = {}
    precomputed = 0
    for query in load_named_queries().values():
        if query.precompute is None:
            continue
        if query.precompute == "coverage" and query.name not in ACCELERATORS:
            raise ValueError(
                f"{query.path}: precompute: coverage, but no accelerator is registered"
            )
        combos = combinations(query, store)
        if combos is None:
            continue
        columns = _columns(query)
        batch = BATCH_ACCELERATORS.get(query.name)
        results: Mapping[tuple[str, ...], Sequence[Row]]
        if query.precompute == "sparql":
            # Few values and a query of a second or two at 100,000 sources: run it now.
            results = {_key(b): run_sparql(store, query, b).rows for b in combos}
        elif batch is not None:
            results = batch(index, combos)
        else:
            results = {_key(b): ACCELERATORS[query.name](index, b) for b in combos}
        answers[query.name] = {
            "columns": columns,
            "rows": {"\t".join(k): _encode(rows, columns, terms) for k, rows in results.items()},
        }
        precomputed += len(combos)
    (directory / ANSWERS_FILE).write_text(
        json.dumps({"answers": answers, "terms": terms.terms}), encoding="utf-8"
    )
    (directory / LABELS_FILE).write_text(json.dumps(all_labels(store)), encoding="utf-8")
    return {
        "sources": len(index.sources),
        "coverages": len(index.coverages),
        "precomputed answers": precomputed,
        "seconds": round(time.perf_counter() - started, 2),
    }
