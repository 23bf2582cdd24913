"""Named questions: the header format, checks at load time, safe binding, expected answers.

Every question runs live (SPARQL with substituted parameters) on the fixture catalog and must
give the known answer; the same rows must come back when the parameters are written into the
query as a VALUES block (the SPARQL semantics), which guards against engine quirks in
substitution.
"""

from __future__ import annotations

import itertools
import random
import re
from datetime import date
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.term import Node

from lmickg.namespaces import XSD
from lmickg.queries import (
    QUERIES_DIR,
    ParamError,
    QueryDefinitionError,
    UnknownQueryError,
    class_members,
    get_named_query,
    load_named_queries,
    result_csv,
    result_json,
    run_sparql,
)
from lmickg.store import OxigraphStore

ID = "https://w3id.org/lmickg/id/"
FREQ = "http://publications.europa.eu/resource/authority/frequency/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
QUERIES = load_named_queries()


def key(iri: object) -> str:
    """``…/id/source/alpha-survey`` → ``source/alpha-survey`` (readable expectations)."""
    return str(iri).removeprefix(ID)


def run(store: OxigraphStore, name: str, **params: str) -> list[dict[str, Node]]:
    query = QUERIES[name]
    return run_sparql(store, query, query.bind(params, store, today=date(2026, 12, 3))).rows


# ---------------------------------------------------------------------------------------------
# The files and their headers
# ---------------------------------------------------------------------------------------------


def test_the_nine_questions_of_the_issue_and_more_are_there() -> None:
    assert list(QUERIES) == [
        "coverage-matrix",
        "groups-by-level",
        "unmet-needs",
        "documented-gaps",
        "stalled-recommendations",
        "can-i-answer",
        "mismatch-readiness",
        "mismatch-regions",
        "stale-sources",
        "restricted-only",
    ]


@pytest.mark.parametrize("name", list(QUERIES))
def test_header_is_bilingual_and_params_are_projected(name: str) -> None:
    query = QUERIES[name]
    assert query.title["en"] and query.title["fr"] and query.title["en"] != query.title["fr"]
    assert query.description["en"] and query.description["fr"]
    select = re.search(r"SELECT(?: DISTINCT)?(.*?)\n\s*WHERE", query.text, re.S)
    assert select is not None
    for param in query.params:
        assert f"?{param.name}" in select.group(1).split()
        assert param.label["en"] and param.label["fr"]
    for column in query.columns:
        assert column.label["en"] and column.label["fr"]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    directory = tmp_path / "q"
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.rq").write_text(text)
    return directory


GOOD_HEADER = """#+ title: T
#+ title@fr: T fr
#+ description: D
#+ description@fr: D fr
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#+ title: T\nSELECT * WHERE { ?s ?p ?o }", "missing '#+ title@fr:'"),
        (GOOD_HEADER + "SELECT * WHERE { ?s ?p ?o ", "q/broken.rq"),
        (GOOD_HEADER + "#+ colour: red\nSELECT ?s WHERE { ?s ?p ?o }", "unknown header key"),
        (
            GOOD_HEADER + "#+ param: x | X | X\n#+   type: iri\n#+   default: a\n"
            "#+   value: a = dct:Frequency\nSELECT ?s WHERE { ?s ?p ?x }",
            "must be in the SELECT clause",
        ),
        (
            GOOD_HEADER + "#+ param: x | X | X\n#+   type: iri\n#+   default: b\n"
            "#+   value: a = dct:Frequency\nSELECT ?s ?x WHERE { ?s ?p ?x }",
            "default",
        ),
        (
            GOOD_HEADER + "#+ param: x | X | X\n#+   type: iri\n#+   default: a\n"
            "#+   value: a = dct:Frequency\n#+   value: a = dct:Location\n"
            "SELECT ?s ?x WHERE { ?s ?p ?x }",
            "share an alias",
        ),
        (
            GOOD_HEADER + "#+ param: x | X | X\n#+   type: colour\n#+   default: a\n"
            "SELECT ?s ?x WHERE { ?s ?p ?x }",
            "type must be one of",
        ),
        (GOOD_HEADER + "#+ precompute: magic\nSELECT ?s WHERE { ?s ?p ?o }", "precompute"),
        (GOOD_HEADER + "ASK { ?s ?p ?o }", "must be a SELECT"),
    ],
)
def test_broken_question_fails_at_load_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    directory = _write(tmp_path, "broken", text)
    with pytest.raises(QueryDefinitionError) as error:
        load_named_queries(directory)
    assert "broken.rq" in str(error.value)
    assert message in str(error.value)


def test_loading_is_cached_until_a_file_changes(tmp_path: Path) -> None:
    directory = _write(tmp_path, "one", GOOD_HEADER + "SELECT ?s WHERE { ?s ?p ?o }")
    first = load_named_queries(directory)
    assert load_named_queries(directory)["one"] is first["one"]
    _write(tmp_path, "two", GOOD_HEADER + "SELECT ?s WHERE { ?s ?p ?o }")
    assert sorted(load_named_queries(directory)) == ["one", "two"]


def test_default_directory_is_the_repository_queries() -> None:
    assert QUERIES_DIR.name == "queries"
    assert all(q.path is not None and q.path.parent == QUERIES_DIR for q in QUERIES.values())


# ---------------------------------------------------------------------------------------------
# Binding parameters
# ---------------------------------------------------------------------------------------------


def test_values_resolve_from_alias_curie_iri_and_catalog_key(fixture_store: OxigraphStore) -> None:
    query = QUERIES["can-i-answer"]
    by_alias = query.bind({"frequency": "monthly", "variable": "job-vacancies"}, fixture_store)
    assert by_alias["frequency"] == URIRef(FREQ + "MONTHLY")
    assert by_alias["variable"] == URIRef(ID + "variable/job-vacancies")
    assert by_alias["level"] == URIRef("https://w3id.org/lmickg/ns#GeographicLevel")
    by_curie = query.bind({"frequency": "freq:MONTHLY", "access": "access:PUBLIC"}, fixture_store)
    assert by_curie["frequency"] == URIRef(FREQ + "MONTHLY")
    assert by_curie["access"] == URIRef(ACCESS + "PUBLIC")
    by_iri = query.bind({"group": f"<{ID}group/youth>"}, fixture_store)
    assert by_iri["group"] == URIRef(ID + "group/youth")
    assert query.tokens(by_alias)["variable"] == "job-vacancies"
    assert query.tokens(by_alias)["frequency"] == "monthly"


@pytest.mark.parametrize(
    ("name", "params", "param", "allowed"),
    [
        ("coverage-matrix", {"frequency": "fortnightly"}, "frequency", "monthly"),
        ("coverage-matrix", {"access": "secret"}, "access", "public"),
        ("can-i-answer", {"variable": "happiness"}, "variable", "lmic:Variable"),
        ("can-i-answer", {"variable": "source/alpha-survey"}, "variable", "any"),
        ("stalled-recommendations", {"since": "1850"}, "since", "1900 to 2100"),
        ("stalled-recommendations", {"since": "soon"}, "since", "integer"),
        ("stale-sources", {"asOf": "yesterday"}, "asOf", "YYYY-MM-DD"),
        ("mismatch-regions", {"show": "everything"}, "show", "missing"),
        ("coverage-matrix", {"colour": "red"}, "colour", "frequency"),
    ],
)
def test_bad_values_are_refused_with_the_allowed_ones(
    fixture_store: OxigraphStore, name: str, params: dict[str, str], param: str, allowed: str
) -> None:
    with pytest.raises(ParamError) as error:
        QUERIES[name].bind(params, fixture_store)
    assert error.value.param == param
    assert allowed in ", ".join(error.value.allowed)
    assert error.value.to_json()["allowed"] == error.value.allowed


@pytest.mark.parametrize(
    "hostile",
    [
        '"} ; DROP ALL ; SELECT * WHERE { "',
        "> } UNION { ?s ?p ?o } #",
        "freq:MONTHLY } UNION { ?s ?p ?o",
        "http://example.org/x> <http://example.org/y",
    ],
)
def test_a_value_can_never_change_the_query(fixture_store: OxigraphStore, hostile: str) -> None:
    for name, param in (("coverage-matrix", "frequency"), ("can-i-answer", "variable")):
        with pytest.raises(ParamError):
            QUERIES[name].bind({param: hostile}, fixture_store)
    text = QUERIES["coverage-matrix"].text
    assert hostile not in text


def test_unknown_question_lists_the_available_ones() -> None:
    with pytest.raises(UnknownQueryError) as error:
        get_named_query("meaning-of-life")
    assert "coverage-matrix" in str(error.value)
    assert "stale-sources" in error.value.available


def test_class_members_are_catalog_instances(fixture_store: OxigraphStore) -> None:
    members = class_members(fixture_store, URIRef("https://w3id.org/lmickg/ns#PopulationGroup"))
    assert [key(m) for m in members] == [
        "group/indigenous",
        "group/indigenous-on-reserve",
        "group/persons-with-disabilities",
        "group/women",
        "group/youth",
    ]


# ---------------------------------------------------------------------------------------------
# Expected answers on the fixture catalog
# ---------------------------------------------------------------------------------------------


def cells(rows: list[dict[str, Node]], *columns: str) -> list[tuple[str, ...]]:
    return [tuple(key(r[c]) if c in r else "-" for c in columns) for r in rows]


def nonzero(rows: list[dict[str, Node]], count: str = "sources") -> dict[tuple[str, str], int]:
    first, second = [c for c in rows[0] if c not in (count,)][:2]
    return {(key(r[first]), key(r[second])): int(str(r[count])) for r in rows if int(str(r[count]))}


def test_coverage_matrix_any(fixture_store: OxigraphStore) -> None:
    rows = run(fixture_store, "coverage-matrix")
    assert len(rows) == 6 * 8  # every variable × every level, zeros included
    found = nonzero(rows)
    assert found[("variable/job-vacancies", "geo-level/economic-region")] == 2
    assert found[("variable/job-vacancies", "geo-level/province-territory")] == 2
    assert found[("variable/employment", "geo-level/cma-ca")] == 1
    assert found[("variable/graduate-earnings", "geo-level/province-territory")] == 1
    assert ("variable/graduate-earnings", "geo-level/economic-region") not in found
    assert ("variable/payroll-employment", "geo-level/economic-region") not in found
    assert (len(found), sum(found.values())) == (24, 28)
    # Levels by xkos:depth, then IRI (census division and CMA/CA share depth 5).
    assert [key(r["level"]) for r in rows[:8]] == [
        "geo-level/canada",
        "geo-level/geographic-region",
        "geo-level/province-territory",
        "geo-level/economic-region",
        "geo-level/census-division",
        "geo-level/cma-ca",
        "geo-level/census-subdivision",
        "geo-level/dissemination-area",
    ]
    assert {key(r["variable"]) for r in rows[:8]} == {"variable/employment"}


def test_coverage_matrix_filters_by_frequency_and_access(fixture_store: OxigraphStore) -> None:
    monthly_public = nonzero(
        run(fixture_store, "coverage-matrix", frequency="monthly", access="public")
    )
    # Beta's monthly coverage is provincial only; Epsilon is weekly but restricted.
    assert monthly_public[("variable/job-vacancies", "geo-level/province-territory")] == 1
    assert ("variable/job-vacancies", "geo-level/economic-region") not in monthly_public
    weekly = nonzero(run(fixture_store, "coverage-matrix", frequency="weekly"))
    assert weekly == {
        ("variable/job-vacancies", level): 1
        for level in (
            "geo-level/canada",
            "geo-level/geographic-region",
            "geo-level/province-territory",
            "geo-level/economic-region",
        )
    }
    restricted = nonzero(run(fixture_store, "coverage-matrix", access="restricted"))
    assert restricted[("variable/graduate-earnings", "geo-level/province-territory")] == 1
    assert restricted[("variable/job-vacancies", "geo-level/economic-region")] == 1
    assert nonzero(run(fixture_store, "coverage-matrix", access="non-public")) == {}


def test_groups_by_level(fixture_store: OxigraphStore) -> None:
    rows = run(fixture_store, "groups-by-level")
    assert len(rows) == 5 * 8
    by_cell = {
        (key(r["group"]), key(r["level"])): (
            int(str(r["sources"])),
            int(str(r["excludingSources"])),
        )
        for r in rows
    }
    assert by_cell[("group/women", "geo-level/cma-ca")] == (1, 0)
    assert by_cell[("group/persons-with-disabilities", "geo-level/province-territory")] == (1, 0)
    assert by_cell[("group/persons-with-disabilities", "geo-level/economic-region")] == (0, 0)
    # Alpha excludes people on reserve: invisible everywhere, and excluded where Alpha publishes.
    assert by_cell[("group/indigenous-on-reserve", "geo-level/economic-region")] == (0, 1)
    assert by_cell[("group/indigenous", "geo-level/economic-region")] == (0, 0)
    only_wages = run(fixture_store, "groups-by-level", variable="offered-hourly-wage")
    assert all(int(str(r["sources"])) == 0 for r in only_wages)


def test_unmet_needs(fixture_store: OxigraphStore) -> None:
    rows = run(fixture_store, "unmet-needs")
    assert cells(rows, "need", "variable", "level", "group", "documentedGap") == [
        (
            "need/on-reserve-employment",
            "variable/employment",
            "geo-level/province-territory",
            "group/indigenous-on-reserve",
            "gap/on-reserve-data",
        )
    ]
    assert [int(str(rows[0][c])) for c in ("providers", "atLevel", "atFrequency")] == [1, 1, 1]
    # Counting only restricted sources, the local vacancy need is met by Epsilon; public: by Beta.
    restricted = run(fixture_store, "unmet-needs", access="restricted")
    assert [key(r["need"]) for r in restricted] == ["need/on-reserve-employment"]
    assert int(str(restricted[0]["providers"])) == 0


def test_unmet_needs_without_level_or_frequency(analysis_store: OxigraphStore) -> None:
    public = run(analysis_store, "unmet-needs", access="public")
    assert cells(public, "need", "group", "level", "frequency") == [
        ("need/disability-graduate-earnings", "group/persons-with-disabilities", "-", "-"),
        (
            "need/on-reserve-employment",
            "group/indigenous-on-reserve",
            "geo-level/province-territory",
            str(URIRef(FREQ + "ANNUAL")),
        ),
    ]
    assert [key(r["need"]) for r in run(analysis_store, "unmet-needs")] == [
        "need/on-reserve-employment"
    ]


def test_documented_gaps(fixture_store: OxigraphStore, analysis_store: OxigraphStore) -> None:
    rows = run(fixture_store, "documented-gaps")
    assert cells(rows, "gap", "currentStatus", "firstReport", "latestAssessment") == [
        (
            "gap/local-job-vacancies",
            "status/closed",
            "report/panel-2009",
            "assessment/local-job-vacancies-2015",
        ),
        (
            "gap/on-reserve-data",
            "status/open",
            "report/audit-2014",
            "assessment/on-reserve-data-2014",
        ),
    ]
    first = rows[0]
    assert first["identified"] == Literal("2009-05-20", datatype=XSD.date)
    assert first["assessed"] == Literal("2015-08", datatype=XSD.gYearMonth)
    assert int(str(first["reports"])) == 2
    assert sorted(str(first["addressedBy"]).split()) == [
        ID + "initiative/vacancy-questions-2011",
        ID + "source/beta-vacancies",
    ]
    assert str(first["recommendations"]) == ID + "recommendation/panel-2009-local-vacancies"
    assert [key(r["gap"]) for r in run(fixture_store, "documented-gaps", status="open")] == [
        "gap/on-reserve-data"
    ]
    assert run(fixture_store, "documented-gaps", status="partially-closed") == []
    # Never assessed counts as open; a reopened gap is open again.
    reopened = run(analysis_store, "documented-gaps", status="open")
    assert [key(r["gap"]) for r in reopened] == [
        "gap/long-term-graduate-outcomes",
        "gap/small-area-wages",
        "gap/on-reserve-data",
    ]
    assert "latestAssessment" not in reopened[0]


def test_stalled_recommendations(
    fixture_store: OxigraphStore, analysis_store: OxigraphStore
) -> None:
    assert run(fixture_store, "stalled-recommendations", since="2010") == []
    rows = run(analysis_store, "stalled-recommendations", since="2018")
    assert cells(rows, "recommendation", "report", "currentStatus") == [
        ("recommendation/audit-2014-on-reserve", "report/audit-2014", "status/open"),
        ("recommendation/audit-2014-small-area-wages", "report/audit-2014", "status/open"),
    ]
    assert "lastProgress" not in rows[0]
    assert rows[1]["lastProgress"] == Literal("2016-02", datatype=XSD.gYearMonth)
    assert [
        key(r["recommendation"])
        for r in run(analysis_store, "stalled-recommendations", since="2016")
    ] == ["recommendation/audit-2014-on-reserve"]


def test_can_i_answer(fixture_store: OxigraphStore) -> None:
    rows = run(
        fixture_store,
        "can-i-answer",
        variable="job-vacancies",
        level="economic-region",
        frequency="quarterly",
    )
    assert cells(rows, "source", "finest", "sourceFrequency", "sourceAccess") == [
        (
            "source/beta-vacancies",
            "geo-level/economic-region",
            FREQ + "QUARTERLY",
            ACCESS + "PUBLIC",
        ),
        (
            "source/epsilon-postings",
            "geo-level/economic-region",
            FREQ + "WEEKLY",
            ACCESS + "RESTRICTED",
        ),
    ]
    assert [
        key(r["source"])
        for r in run(
            fixture_store,
            "can-i-answer",
            variable="job-vacancies",
            level="economic-region",
            frequency="monthly",
            access="public",
        )
    ] == []
    youth = run(fixture_store, "can-i-answer", group="youth", level="economic-region")
    assert sorted({key(r["provided"]) for r in youth}) == [
        "variable/employment",
        "variable/unemployment-rate",
    ]
    assert run(fixture_store, "can-i-answer", group="indigenous-on-reserve") == []
    assert run(fixture_store, "can-i-answer", level="dissemination-area") == []


def test_mismatch_readiness(fixture_store: OxigraphStore) -> None:
    rows = run(fixture_store, "mismatch-readiness")
    pairs = {key(r["level"]): int(str(r["pairs"])) for r in rows}
    assert {k for k, v in pairs.items() if v} == {
        "geo-level/canada",
        "geo-level/geographic-region",
        "geo-level/province-territory",
        "geo-level/economic-region",
    }
    cma = next(r for r in rows if key(r["level"]) == "geo-level/cma-ca")
    assert (int(str(cma["demandSources"])), int(str(cma["supplySources"]))) == (0, 1)
    industry = run(fixture_store, "mismatch-readiness", dimension="industry")
    assert {key(r["classification"]) for r in industry} == {"classification/naics2022"}
    assert all(int(str(r["pairs"])) == 0 for r in industry)


def test_mismatch_regions(fixture_store: OxigraphStore) -> None:
    rows = run(fixture_store, "mismatch-regions")
    assert cells(rows, "region", "pairs") == [
        ("geo/CA", "1"),
        ("geo/24", "1"),
        ("geo/35", "1"),
        ("geo/2420", "1"),
        ("geo/3510", "1"),
        ("geo/3530", "1"),
    ]
    assert run(fixture_store, "mismatch-regions", show="missing") == []
    missing = run(fixture_store, "mismatch-regions", dimension="industry", show="missing")
    by_region = {key(r["region"]): int(str(r["supplySources"])) for r in missing}
    assert by_region == {
        "geo/CA": 1,
        "geo/24": 1,
        "geo/35": 2,
        "geo/2420": 1,
        "geo/3510": 1,
        "geo/3530": 1,
    }


def test_stale_sources(fixture_store: OxigraphStore) -> None:
    rows = run(fixture_store, "stale-sources", asOf="2026-12-03")
    assert cells(rows, "source", "status", "daysOverdue") == [
        ("source/delta-payroll", "overdue", "2848"),
        ("source/epsilon-postings", "undated", "-"),
        ("source/gamma-outcomes", "undated", "-"),
    ]
    assert rows[0]["expectedBy"] == Literal("2019-02-15", datatype=XSD.date)
    later = run(fixture_store, "stale-sources", asOf="2027-01-03", grace="3", show="overdue")
    assert cells(later, "source", "expectedBy", "daysOverdue") == [
        ("source/delta-payroll", "2019-02-18", "2876"),
        ("source/alpha-survey", "2026-12-10", "24"),
        ("source/beta-vacancies", "2026-12-20", "14"),
    ]
    today = QUERIES["stale-sources"].bind({}, fixture_store, today=date(2030, 1, 1))
    assert today["asOf"] == Literal("2030-01-01", datatype=XSD.date)


def test_restricted_only(fixture_store: OxigraphStore) -> None:
    rows = run(fixture_store, "restricted-only")
    assert cells(rows, "subject", "level", "source") == [
        ("group/persons-with-disabilities", "geo-level/canada", "source/gamma-outcomes"),
        ("group/persons-with-disabilities", "geo-level/geographic-region", "source/gamma-outcomes"),
        (
            "group/persons-with-disabilities",
            "geo-level/province-territory",
            "source/gamma-outcomes",
        ),
        ("variable/graduate-earnings", "geo-level/canada", "source/gamma-outcomes"),
        ("variable/graduate-earnings", "geo-level/geographic-region", "source/gamma-outcomes"),
        ("variable/graduate-earnings", "geo-level/province-territory", "source/gamma-outcomes"),
    ]


# ---------------------------------------------------------------------------------------------
# Substitution means what SPARQL means
# ---------------------------------------------------------------------------------------------


def _with_values(text: str, bindings: dict[str, Node]) -> str:
    """The query with its parameters as a VALUES block at the top of WHERE (test only)."""
    names = " ".join(f"?{k}" for k in bindings)
    terms = " ".join(v.n3() for v in bindings.values())
    return re.sub(r"\bWHERE\s*\{", f"WHERE {{ VALUES ({names}) {{ ({terms}) }}", text, count=1)


@pytest.mark.parametrize("name", list(QUERIES))
def test_substitution_gives_the_rows_of_a_values_block(
    analysis_store: OxigraphStore, name: str
) -> None:
    query = QUERIES[name]
    choices = []
    for param in query.params:
        if param.type == "date":
            choices.append(
                [Literal("2026-12-03", datatype=XSD.date), Literal("2019-03-01", datatype=XSD.date)]
            )
        elif param.type == "integer":
            choices.append(
                [
                    Literal(n)
                    for n in (0, 3, 2016, 2018)
                    if (param.minimum or 0) <= n <= (param.maximum or 9999)
                ]
            )
        else:
            values: list[Node] = [v.term for v in param.values]
            if param.value_class is not None:
                values += class_members(analysis_store, param.value_class)
            choices.append(values)
    combos = list(itertools.product(*choices)) or [()]
    random.Random(name).shuffle(combos)
    for combo in combos[:8]:
        bindings = dict(zip([p.name for p in query.params], combo, strict=True))
        substituted = analysis_store.select(query.text, bindings).rows
        written = (
            analysis_store.select(_with_values(query.text, bindings)).rows
            if bindings
            else substituted
        )
        assert substituted == written, (name, {k: str(v) for k, v in bindings.items()})


def test_literal_parameters_have_their_default_when_run_without_them(
    analysis_store: OxigraphStore,
) -> None:
    query = QUERIES["stalled-recommendations"]
    unbound = analysis_store.select(query.text).rows
    default = run(analysis_store, "stalled-recommendations")
    assert [{k: v for k, v in r.items() if k != "since"} for r in default] == unbound
    assert query.param("since").default == "2018"
    assert "COALESCE(?since, 2018)" in query.text
    stale = QUERIES["stale-sources"]
    assert "COALESCE(?grace, 0)" in stale.text and stale.param("grace").default == "0"


def test_without_parameters_a_question_answers_for_every_value(
    fixture_store: OxigraphStore,
) -> None:
    query = QUERIES["coverage-matrix"]
    everything = fixture_store.select(query.text).rows
    one = run(fixture_store, "coverage-matrix", frequency="monthly", access="public")
    subset = [
        r
        for r in everything
        if r["frequency"] == URIRef(FREQ + "MONTHLY") and r["access"] == URIRef(ACCESS + "PUBLIC")
    ]
    assert subset == one
    assert len(everything) == len(one) * 12 * 4


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


def test_json_and_csv_carry_the_same_rows(fixture_store: OxigraphStore) -> None:
    query = QUERIES["stale-sources"]
    bindings = query.bind({"asOf": "2026-12-03"}, fixture_store)
    result = run_sparql(fixture_store, query, bindings)
    body = result_json(query, bindings, result, "fr", {ID + "source/delta-payroll": "Delta"})
    assert body["params"] == {"asOf": "2026-12-03", "grace": "0", "show": "all"}
    assert body["title"] == query.title["fr"]
    lines = result_csv(result).splitlines()
    assert lines[0].split(",") == result.columns
    rows = body["rows"]
    assert isinstance(rows, list)
    for line, row in zip(lines[1:], rows, strict=True):
        assert line.split(",") == ["" if row[c] is None else str(row[c]) for c in result.columns]
    assert rows[0]["daysOverdue"] == 2848
