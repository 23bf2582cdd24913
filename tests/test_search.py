"""The search index (lmickg.search) on the fixture catalog: text, ranking, facets, paging,
and facet counts checked against SPARQL over the same store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from lmickg.namespaces import ID
from lmickg.search import (
    SCOPES,
    SearchError,
    SearchIndex,
    SearchRequest,
    fold,
    load_index,
    tokenize,
)
from lmickg.serving import ServedCatalog
from lmickg.store import OxigraphStore


@pytest.fixture(scope="module")
def index(built_store: Path) -> SearchIndex:
    return ServedCatalog(built_store).snapshot().artifact("search", load_index)


def keys(index: SearchIndex, **kwargs: object) -> list[str]:
    response = index.search(SearchRequest(**kwargs))  # type: ignore[arg-type]
    return [hit.iri.rsplit("/", 1)[-1] for hit in response.hits]


def counts(index: SearchIndex, facet: str, **kwargs: object) -> dict[str, int]:
    response = index.search(SearchRequest(**kwargs))  # type: ignore[arg-type]
    return {v.value: v.count for v in response.facets[facet]}


# -- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Québec", "quebec"), ("ÉVALUER", "evaluer"), ("main-d'œuvre", "main-d'oeuvre"), ("Ça", "ca")],
)
def test_fold_strips_accents_and_case(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Job vacancies", ["job", "vacancy"]),
        ("Enquête sur les postes vacants", ["enquete", "poste", "vacant"]),
        ("l'emploi au Québec", ["emploi", "quebec"]),
        ("NOC 2021", ["noc", "2021"]),
    ],
)
def test_tokenize_folds_plurals_and_drops_function_words(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


@pytest.mark.parametrize("query", ["emploi", "Emploi", "EMPLOI", "émploi"])
def test_emploi_finds_sources_with_emploi_in_french(index: SearchIndex, query: str) -> None:
    found = keys(index, text=query)
    # Alpha's French title and Delta's French variable label contain "emploi"; Epsilon's
    # French title says "offres d'emploi".
    assert set(found) == {"alpha-survey", "delta-payroll", "epsilon-postings"}


@pytest.mark.parametrize("query", ["quebec", "québec", "QUÉBEC", "Quebec"])
def test_quebec_with_or_without_accent_finds_quebec(index: SearchIndex, query: str) -> None:
    assert keys(index, text=query) == ["alpha-survey"]


def test_every_term_must_match(index: SearchIndex) -> None:
    assert keys(index, text="vacancy economic") == ["beta-vacancies", "epsilon-postings"]
    assert keys(index, text="vacancy payroll") == []


def test_title_match_ranks_above_variable_match(index: SearchIndex) -> None:
    # Beta has "Vacancy" in its title; Epsilon only provides the variable "Job vacancies".
    response = index.search(SearchRequest(text="vacancy"))
    assert [h.iri.rsplit("/", 1)[-1] for h in response.hits] == [
        "beta-vacancies",
        "epsilon-postings",
    ]
    assert response.hits[0].score > response.hits[1].score > 0


def test_a_term_matches_words_it_starts_with(index: SearchIndex) -> None:
    assert set(keys(index, text="employ")) == {"alpha-survey", "delta-payroll"}


def test_minus_excludes_a_term(index: SearchIndex) -> None:
    assert keys(index, text="job -epsilon") == ["beta-vacancies", "delta-payroll"]


def test_identifier_and_keywords_are_searchable(index: SearchIndex) -> None:
    assert keys(index, text="9001") == ["alpha-survey"]
    assert keys(index, text="ALS") == ["alpha-survey"]


def test_no_match_gives_zero_results(index: SearchIndex) -> None:
    response = index.search(SearchRequest(text="xylophone"))
    assert response.total == 0 and response.hits == []
    assert all(v.count == 0 for values in response.facets.values() for v in values)


# -- facets -------------------------------------------------------------------------------------


def test_facet_filter_narrows_results(index: SearchIndex) -> None:
    # Beta is quarterly but one of its variable coverages is monthly.
    assert keys(index, filters={"frequency": ("MONTHLY",)}) == [
        "alpha-survey",
        "beta-vacancies",
        "delta-payroll",
    ]
    assert keys(index, filters={"frequency": ("MONTHLY",), "access": ("RESTRICTED",)}) == []


def test_values_of_one_facet_are_ored(index: SearchIndex) -> None:
    assert keys(index, filters={"frequency": ("WEEKLY", "ANNUAL")}) == [
        "epsilon-postings",
        "gamma-outcomes",
    ]


def test_counts_are_disjunctive(index: SearchIndex) -> None:
    unfiltered = counts(index, "frequency")
    selected = index.search(SearchRequest(filters={"frequency": ("WEEKLY",)}))
    # The selected facet keeps every value's count: choosing weekly does not hide monthly...
    assert {v.value: v.count for v in selected.facets["frequency"]} == unfiltered
    assert [v.value for v in selected.facets["frequency"] if v.selected] == ["WEEKLY"]
    # ... while the other facets count only weekly sources.
    assert {v.value: v.count for v in selected.facets["publisher"]} == {"lmic": 1}


def test_geographic_coverage_is_hierarchical(index: SearchIndex) -> None:
    # Canada at economic-region level covers every ER; Delta covers only Ontario (province level).
    assert set(keys(index, filters={"geo": ("3510",)})) == {
        "alpha-survey",
        "beta-vacancies",
        "epsilon-postings",
    }
    assert "delta-payroll" in keys(index, filters={"geo": ("35",)})
    assert "delta-payroll" not in keys(index, filters={"geo": ("CA",)})
    assert "gamma-outcomes" not in keys(index, filters={"geo": ("2420",)})  # province level only
    tree = {v.value: v.parent for v in index.search(SearchRequest()).facets["geo"]}
    assert tree == {"CA": None, "24": "CA", "35": "CA", "2420": "24", "3510": "35", "3530": "35"}


def test_gap_status_is_the_latest_assessment(index: SearchIndex) -> None:
    assert keys(index, scope="gaps", filters={"status": ("closed",)}) == ["local-job-vacancies"]
    assert keys(index, scope="gaps", filters={"status": ("open",)}) == ["on-reserve-data"]
    assert counts(index, "report", scope="gaps") == {"audit-2014": 2, "panel-2009": 1}
    assert counts(index, "priority", scope="gaps") == {"identify-gaps": 1, "local-granular": 1}


@pytest.mark.parametrize(
    ("scope", "text", "expected"),
    [
        ("variables", "chomage", ["unemployment-rate"]),
        ("gaps", "reserve", ["on-reserve-data"]),
        ("recommendations", "local", ["panel-2009-local-vacancies"]),
        ("reports", "audit", ["audit-2014"]),
    ],
)
def test_other_scopes(index: SearchIndex, scope: str, text: str, expected: list[str]) -> None:
    assert keys(index, scope=scope, text=text) == expected


# -- sort and pages -----------------------------------------------------------------------------


def test_sort_by_title_follows_the_language(index: SearchIndex) -> None:
    english = keys(index, sort="title", lang="en", scope="reports")
    french = keys(index, sort="title", lang="fr", scope="reports")
    assert english == ["audit-2014", "lmic-operational-plan-2018", "panel-2009"]
    # "Audit des…", "Plan opérationnel", "Rapport du comité…"
    assert french == ["audit-2014", "lmic-operational-plan-2018", "panel-2009"]
    assert keys(index, sort="title", lang="fr") != keys(index, sort="title", lang="en")


def test_sort_newest_puts_undated_last(index: SearchIndex) -> None:
    assert keys(index, sort="newest") == [
        "alpha-survey",
        "beta-vacancies",
        "delta-payroll",
        "epsilon-postings",
        "gamma-outcomes",
    ]


def test_pagination(index: SearchIndex) -> None:
    pages = [keys(index, size=2, page=n) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert len({k for p in pages for k in p}) == 5
    with pytest.raises(SearchError) as error:
        index.search(SearchRequest(size=2, page=4))
    assert error.value.code == "page-out-of-range" and error.value.limit == 3


# -- parsing URL parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code", "parameter"),
    [
        ({"colour": ["red"]}, "unknown-parameter", "colour"),
        ({"publisher": ["nobody"]}, "unknown-value", "publisher"),
        ({"scope": ["everything"]}, "unknown-scope", "scope"),
        ({"sort": ["random"]}, "unknown-sort", "sort"),
        ({"page": ["two"]}, "bad-number", "page"),
        ({"page": ["0"]}, "bad-number", "page"),
        ({"size": ["5000"]}, "bad-number", "size"),
        ({"q": ["x" * 501]}, "too-long", "q"),
        ({"q": [" ".join(f"w{i}" for i in range(30))]}, "too-many", "q"),
        ({"scope": ["gaps", "sources"]}, "too-many", "scope"),
        ({"theme": ["labour-supply"] * 51}, "too-many", "theme"),
        ({"scope": ["gaps"], "publisher": ["statcan"]}, "unknown-parameter", "publisher"),
    ],
)
def test_bad_parameters_are_named(
    index: SearchIndex, params: dict[str, list[str]], code: str, parameter: str
) -> None:
    with pytest.raises(SearchError) as error:
        request = index.parse(params)
        index.search(request)
    assert error.value.code == code
    assert error.value.parameter == parameter


def test_unknown_value_lists_the_allowed_ones(index: SearchIndex) -> None:
    with pytest.raises(SearchError) as error:
        index.parse({"publisher": ["nobody"]})
    assert error.value.allowed == ["lmic", "statcan"]


def test_parse_accepts_keys_and_full_iris(index: SearchIndex) -> None:
    request = index.parse(
        {"q": ["emploi"], "publisher": [str(ID["org/statcan"])], "geo": ["35"], "page": ["1"]}
    )
    assert request.filters == {"publisher": ("statcan",), "geo": ("35",)}
    assert request.text == "emploi"


# -- facet counts against SPARQL ----------------------------------------------------------------

SOURCE = "VALUES ?t { dcat:Dataset dcat:DatasetSeries dcat:DataService } ?s a ?t ."
#: The documented facet semantics, in SPARQL: ``?v`` is the facet value of source ``?s``.
PATTERNS = {
    "type": "?s a ?v . VALUES ?v { dcat:Dataset dcat:DatasetSeries dcat:DataService }",
    "publisher": "?s dct:publisher ?v",
    "theme": "?s dcat:theme ?v",
    "classification": "?s lmic:usesClassification ?v",
    **{
        facet: f"{{ ?s {p} ?v }} UNION {{ ?s lmic:qualifiedVariable/{p} ?v }}"
        for facet, p in {
            "frequency": "dct:accrualPeriodicity",
            "level": "lmic:geographicGranularity",
            "access": "dct:accessRights",
            "group": "lmic:populationGroup",
            "variable": "lmic:variable",
        }.items()
    },
    "geo": "{ ?s dct:spatial ?v } UNION { ?s dct:spatial ?area . ?v skos:broader+ ?area ; "
    "dct:type ?gl . ?s (lmic:geographicGranularity|lmic:qualifiedVariable/lmic:geographicGranularity)"
    "/skos:broader* ?gl }",
}


def sparql_counts(
    store: OxigraphStore, index: SearchIndex, facet: str, filters: Mapping[str, Sequence[str]]
) -> dict[str, int]:
    """Counts per value of ``facet`` with every other facet's filter applied, by SPARQL."""
    clauses = []
    for n, (other, values) in enumerate(filters.items()):
        if other == facet:
            continue
        iris = " ".join(f"<{index.facet_value('sources', other, v)['iri']}>" for v in values)  # type: ignore[index]
        pattern = (
            PATTERNS[other]
            .replace("?v", f"?v{n}")
            .replace("?area", f"?area{n}")
            .replace("?gl", f"?gl{n}")
        )
        clauses.append(f"FILTER EXISTS {{ {pattern} VALUES ?v{n} {{ {iris} }} }}")
    query = (
        f"SELECT ?v (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {SOURCE} {{ {PATTERNS[facet]} }} "
        f"{' '.join(clauses)} }} GROUP BY ?v"
    )
    out = {}
    for row in store.select(query):
        value = index.facet_value("sources", facet, str(row["v"]))
        assert value is not None, f"SPARQL found a value the index lacks: {row['v']}"
        out[value["key"]] = int(row["n"])  # type: ignore[call-overload]
    return out


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"frequency": ["MONTHLY"]},
        {"geo": ["35"], "access": ["PUBLIC"]},
        {"variable": ["job-vacancies"], "level": ["economic-region"]},
        {"publisher": ["statcan"], "theme": ["labour-supply", "labour-demand"], "group": ["women"]},
        {"geo": ["3510", "2420"], "classification": ["noc2021"], "type": ["Dataset"]},
    ],
    ids=lambda f: "+".join(f) or "none",
)
def test_facet_counts_equal_sparql_counts(
    index: SearchIndex, fixture_store: OxigraphStore, filters: dict[str, list[str]]
) -> None:
    response = index.search(SearchRequest(filters={k: tuple(v) for k, v in filters.items()}))
    assert set(response.facets) == set(SCOPES["sources"].facets)
    for facet in SCOPES["sources"].facets:
        from_index = {v.value: v.count for v in response.facets[facet] if v.count}
        assert from_index == sparql_counts(fixture_store, index, facet, filters), facet


def test_gap_status_counts_equal_sparql(index: SearchIndex, fixture_store: OxigraphStore) -> None:
    rows = fixture_store.select(
        """SELECT ?status (COUNT(DISTINCT ?g) AS ?n) WHERE {
             ?g a lmic:Gap . ?a lmic:assesses ?g ; lmic:status ?status ; dct:date ?d .
             FILTER NOT EXISTS { ?b lmic:assesses ?g ; dct:date ?e .
               FILTER(STR(?e) > STR(?d) || (STR(?e) = STR(?d) && STR(?b) > STR(?a))) }
           } GROUP BY ?status"""
    )
    expected = {str(r["status"]).rsplit("/", 1)[-1]: int(r["n"]) for r in rows}  # type: ignore[call-overload]
    assert counts(index, "status", scope="gaps") == expected == {"open": 1, "closed": 1}


def test_total_equals_sparql_total(index: SearchIndex, fixture_store: OxigraphStore) -> None:
    rows = fixture_store.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {SOURCE} }}")
    assert index.search(SearchRequest()).total == int(rows.rows[0]["n"]) == 5  # type: ignore[call-overload]


def test_partial_relevance_sort_equals_a_full_sort() -> None:
    import numpy as np

    from lmickg.search import _by_relevance

    rng = np.random.default_rng(7)
    scores = rng.integers(0, 5, 5000).astype(np.float32)  # many ties
    title_rank = rng.permutation(5000).astype(np.int32)
    ids = np.flatnonzero(rng.random(5000) < 0.6)
    full = ids[np.lexsort((title_rank[ids], -scores[ids]))]
    for needed in (1, 20, 40, 300):
        assert (_by_relevance(ids, scores, title_rank, needed)[:needed] == full[:needed]).all()


def test_unchanged_rebuild_reuses_the_index(tmp_path: Path) -> None:
    from lmickg.build import build

    here = Path(__file__).resolve().parent
    paths = [here / "data" / "catalog", here.parent / "ontology"]
    first = build(paths, tmp_path, workers=1)
    assert first.derived["search"]["documents"]["sources"] == 5  # type: ignore[index]
    second = build(paths, tmp_path, workers=1)
    assert second.derived["search"]["reused"] is True
    reused = ServedCatalog(tmp_path).snapshot().artifact("search", load_index)
    assert reused.search(SearchRequest(text="quebec")).total == 1
