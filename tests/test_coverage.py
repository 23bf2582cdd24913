"""The coverage index and its accelerators give exactly the rows of the SPARQL questions.

The SPARQL files define the answers; ``lmickg.coverage`` computes the same answers from an index
built once per build. Here both run on the fixture catalog and on random catalogs made to hit
every rule (qualified coverages with and without their own level, frequency, access and groups,
exclusions of broader groups, sources with several types, dates given as years or months) and
must agree row for row, in order, for every parameter value.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.term import Node

from lmickg.coverage import (
    ACCELERATORS,
    BATCH_ACCELERATORS,
    CoverageIndex,
    _key,
    build_coverage_index,
    combinations,
    load_analysis,
)
from lmickg.namespaces import XSD
from lmickg.queries import class_members, load_named_queries, run_sparql
from lmickg.store import OxigraphStore, StoreRoot

ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology"
B = "https://w3id.org/lmickg/"
LMIC = B + "ns#"
ID = B + "id/"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FREQ = "http://publications.europa.eu/resource/authority/frequency/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
LEVELS = [
    "canada",
    "geographic-region",
    "province-territory",
    "economic-region",
    "cma-ca",
    "census-division",
    "census-subdivision",
    "dissemination-area",
]


def random_catalog(seed: int, n_sources: int = 40) -> OxigraphStore:
    """A random catalog, vocabulary from ontology/, in an in-memory store (no validation)."""
    r = random.Random(seed)
    store = OxigraphStore()
    quads: list[ox.Quad] = []
    graph = ox.NamedNode(B + "graph/random")

    def add(
        s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        quads.append(ox.Quad(s, ox.NamedNode(p), o, graph))

    def n(path: str) -> ox.NamedNode:
        return ox.NamedNode(ID + path)

    variables = [n(f"variable/v{i}") for i in range(5)]
    for v in variables[:4]:  # v4 is provided but not typed: only "any" must skip it
        add(v, TYPE, ox.NamedNode(LMIC + "Variable"))
    groups = [n(f"group/g{i}") for i in range(4)]
    for g in groups:
        add(g, TYPE, ox.NamedNode(LMIC + "PopulationGroup"))
    add(groups[1], SKOS + "broader", groups[0])
    add(groups[2], SKOS + "broader", groups[1])
    geo = {
        "CA": n("geo/CA"),
        "35": n("geo/35"),
        "24": n("geo/24"),
        "3510": n("geo/3510"),
        "2420": n("geo/2420"),
        "535": n("geo/535"),
    }
    add(geo["CA"], DCT + "type", n("geo-level/canada"))
    for code in ("35", "24"):
        add(geo[code], DCT + "type", n("geo-level/province-territory"))
        add(geo[code], SKOS + "broader", geo["CA"])
    for code, parent in (("3510", "35"), ("2420", "24")):
        add(geo[code], DCT + "type", n("geo-level/economic-region"))
        add(geo[code], SKOS + "broader", geo[parent])
    add(geo["535"], DCT + "type", n("geo-level/cma-ca"))
    add(geo["535"], SKOS + "broader", geo["35"])
    frequencies = [
        "MONTHLY",
        "QUARTERLY",
        "ANNUAL",
        "WEEKLY",
        "QUINQUENNIAL",
        "IRREG",
        "CONT",
        None,
    ]
    accesses = ["PUBLIC", "PUBLIC", "RESTRICTED", "NON_PUBLIC"]
    classifications = [
        n("classification/noc2021"),
        n("classification/naics2022"),
        n("classification/teer"),
    ]
    themes = [n("theme/labour-demand"), n("theme/labour-supply"), n("theme/earnings")]
    types = [DCAT + "Dataset", DCAT + "DatasetSeries", DCAT + "DataService"]
    dates = [
        ("2019-01-15", "date"),
        ("2026-11", "gYearMonth"),
        ("2025", "gYear"),
        ("2026-10-30", "date"),
        ("2026-06-01T10:00:00", "dateTime"),
    ]
    for i in range(n_sources):
        s = n(f"source/s{i:02d}")
        for t in r.sample(types, r.choice([1, 1, 1, 2])):
            add(s, TYPE, ox.NamedNode(t))
        f = r.choice(frequencies)
        if f:
            add(s, DCT + "accrualPeriodicity", ox.NamedNode(FREQ + f))
        add(s, DCT + "accessRights", ox.NamedNode(ACCESS + r.choice(accesses)))
        for code in r.sample(list(geo), r.choice([0, 1, 1, 2])):
            add(s, DCT + "spatial", geo[code])
        for level in r.sample(LEVELS[1:], r.choice([0, 1, 1, 2])):
            add(s, LMIC + "geographicGranularity", n(f"geo-level/{level}"))
        listed = r.sample(variables, r.randint(0, 3))
        for v in listed:
            add(s, LMIC + "variable", v)
        for g in r.sample(groups, r.choice([0, 0, 1, 2])):
            add(s, LMIC + "populationGroup", g)
        if r.random() < 0.25:
            add(s, LMIC + "excludedPopulationGroup", r.choice(groups[:2]))
        for c in r.sample(classifications, r.choice([0, 1, 1, 2])):
            add(s, LMIC + "usesClassification", c)
        for t in r.sample(themes, r.choice([0, 1, 1, 2])):
            add(s, DCAT + "theme", t)
        if r.random() < 0.7:
            lexical, datatype = r.choice(dates)
            add(
                s, DCT + "modified", ox.Literal(lexical, datatype=ox.NamedNode(str(XSD) + datatype))
            )
        for k in range(r.choice([0, 0, 1, 2])):
            c: ox.NamedNode | ox.BlankNode = (
                ox.BlankNode() if r.random() < 0.7 else n(f"coverage/s{i}-{k}")
            )
            add(s, LMIC + "qualifiedVariable", c)
            add(c, TYPE, ox.NamedNode(LMIC + "VariableCoverage"))
            add(c, LMIC + "variable", r.choice(listed or variables))
            for level in r.sample(LEVELS[1:], r.choice([0, 1, 1, 2])):
                add(c, LMIC + "geographicGranularity", n(f"geo-level/{level}"))
            if r.random() < 0.6:
                cf = r.choice([x for x in frequencies if x])
                add(c, DCT + "accrualPeriodicity", ox.NamedNode(FREQ + cf))
            if r.random() < 0.4:
                add(c, DCT + "accessRights", ox.NamedNode(ACCESS + r.choice(accesses)))
            for g in r.sample(groups, r.choice([0, 0, 1])):
                add(c, LMIC + "populationGroup", g)
    for i in range(6):
        need = n(f"need/n{i}")
        add(need, TYPE, ox.NamedNode(LMIC + "InformationNeed"))
        for v in r.sample(variables[:4], r.choice([1, 1, 2])):
            add(need, LMIC + "concernsVariable", v)
        if r.random() < 0.8:
            add(need, LMIC + "concernsGeographicLevel", n(f"geo-level/{r.choice(LEVELS)}"))
        if r.random() < 0.7:
            add(need, LMIC + "concernsFrequency", ox.NamedNode(FREQ + r.choice(frequencies[:-1])))
        for g in r.sample(groups, r.choice([0, 1, 2])):
            add(need, LMIC + "concernsPopulationGroup", g)
    for i in range(4):
        gap = n(f"gap/gap{i}")
        add(gap, TYPE, ox.NamedNode(LMIC + "Gap"))
        for v in r.sample(variables, r.choice([0, 1])):
            add(gap, LMIC + "concernsVariable", v)
        for level in r.sample(LEVELS, r.choice([0, 1])):
            add(gap, LMIC + "concernsGeographicLevel", n(f"geo-level/{level}"))
        for g in r.sample(groups, r.choice([0, 1])):
            add(gap, LMIC + "concernsPopulationGroup", g)
    store.bulk_add(quads)
    for path in sorted(ONTOLOGY.rglob("*.ttl")):
        if "shapes" in path.parts:
            continue
        store.load_graph(f"{B}graph/ontology/{path.name}", path)
    return store


def _combos(store: OxigraphStore, name: str, sample: int = 60) -> list[dict[str, Node]]:
    query = load_named_queries()[name]
    combos = combinations(query, store)
    if combos is not None:
        return combos
    if name == "stale-sources":
        return [
            {"asOf": Literal(d, datatype=XSD.date), "grace": Literal(g), "show": Literal(s)}
            for d in ("2026-12-03", "2019-02-20", "2027-06-30")
            for g in (0, 5)
            for s in ("all", "overdue", "undated")
        ]
    choices = []
    for param in query.params:
        values: list[Node] = [v.term for v in param.values]
        if param.value_class is not None:
            values += class_members(store, param.value_class)
        choices.append(values)
    every = list(itertools.product(*choices))
    picked = random.Random(name).sample(every, min(sample, len(every)))
    return [dict(zip([p.name for p in query.params], combo, strict=True)) for combo in picked]


def _assert_same(store: OxigraphStore, index: CoverageIndex, name: str) -> int:
    query = load_named_queries()[name]
    combos = _combos(store, name)
    batch = BATCH_ACCELERATORS.get(name)
    batched = batch(index, combos) if batch else {}
    for bindings in combos:
        live = run_sparql(store, query, bindings).rows
        fast = ACCELERATORS[name](index, bindings)
        assert fast == live, (name, {k: str(v) for k, v in bindings.items()})
        if batch:
            assert batched[_key(bindings)] == live, (name, "batch")
    return len(combos)


PRECOMPUTED = sorted(q.name for q in load_named_queries().values() if q.precompute == "coverage")


def test_every_precomputed_question_has_an_accelerator() -> None:
    assert sorted(ACCELERATORS) == PRECOMPUTED


@pytest.mark.parametrize("name", PRECOMPUTED)
def test_accelerator_matches_sparql_on_fixture(fixture_store: OxigraphStore, name: str) -> None:
    index = build_coverage_index(fixture_store)
    assert _assert_same(fixture_store, index, name) >= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_accelerators_match_sparql_on_random_catalogs(seed: int) -> None:
    store = random_catalog(seed)
    index = build_coverage_index(store)
    checked = {name: _assert_same(store, index, name) for name in PRECOMPUTED}
    assert all(checked.values())


def test_index_round_trips_through_json(fixture_store: OxigraphStore) -> None:
    index = build_coverage_index(fixture_store)
    again = CoverageIndex.from_json(index.to_json())
    assert again.to_json() == index.to_json()
    assert {c.source for c in again.coverages} >= {ID + "source/beta-vacancies"}


def test_build_writes_precomputed_answers(built_store: Path, fixture_store: OxigraphStore) -> None:
    build_dir = StoreRoot(built_store).current_dir()
    assert build_dir is not None
    analysis = load_analysis(build_dir)
    assert analysis is not None
    query = load_named_queries()["coverage-matrix"]
    bindings = query.bind({"frequency": "monthly", "access": "public"})
    assert "coverage-matrix" in analysis.answers
    precomputed = analysis.answer(query, bindings)
    assert precomputed is not None
    assert precomputed.rows == run_sparql(fixture_store, query, bindings).rows
    cell = {
        (str(r["variable"]), str(r["level"])): int(r["sources"])  # type: ignore[call-overload]
        for r in precomputed.rows
    }
    assert cell[(ID + "variable/job-vacancies", ID + "geo-level/province-territory")] == 1
    assert cell[(ID + "variable/job-vacancies", ID + "geo-level/economic-region")] == 0


def test_stale_sources_are_computed_per_request(built_store: Path) -> None:
    build_dir = StoreRoot(built_store).current_dir()
    assert build_dir is not None
    analysis = load_analysis(build_dir)
    assert analysis is not None
    assert "stale-sources" not in analysis.answers
    query = load_named_queries()["stale-sources"]
    result = analysis.answer(query, query.bind({"asOf": "2026-12-03"}))
    assert result is not None
    assert [str(r["source"]).rsplit("/", 1)[1] for r in result.rows] == [
        "delta-payroll",
        "epsilon-postings",
        "gamma-outcomes",
    ]
    assert result.rows[0]["daysOverdue"] == Literal(2848)
    assert result.rows[0]["expectedBy"] == Literal("2019-02-15", datatype=XSD.date)
    assert URIRef(ID + "source/delta-payroll") == result.rows[0]["source"]


def test_questions_precomputed_with_their_own_sparql(
    analysis_built_store: Path, analysis_store: OxigraphStore
) -> None:
    build_dir = StoreRoot(analysis_built_store).current_dir()
    assert build_dir is not None
    analysis = load_analysis(build_dir)
    assert analysis is not None
    query = load_named_queries()["documented-gaps"]
    assert query.precompute == "sparql"
    assert "documented-gaps" in analysis.answers
    for status in ("any", "open", "partially-closed", "closed"):
        bindings = query.bind({"status": status}, analysis_store)
        stored = analysis.answer(query, bindings)
        assert stored is not None
        assert stored.rows == run_sparql(analysis_store, query, bindings).rows
    assert len(analysis.answer(query, query.bind({}, analysis_store)).rows) == 4  # type: ignore[union-attr]
