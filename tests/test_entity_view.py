"""Entity page data (lmickg.entity_view) on the fixture catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmickg.entity_view import EntityView, entity_view
from lmickg.namespaces import DCT, ID, LMIC
from lmickg.search import SearchIndex, load_index
from lmickg.serving import ServedCatalog
from lmickg.store import OxigraphStore


@pytest.fixture(scope="module")
def index(built_store: Path) -> SearchIndex:
    return ServedCatalog(built_store).snapshot().artifact("search", load_index)


def view(store: OxigraphStore, index: SearchIndex, path: str) -> EntityView:
    found = entity_view(store, str(ID[path]), index)
    assert found is not None
    return found


def keys(nodes: list) -> list[str]:  # type: ignore[type-arg]
    return [n.key for n in nodes]


def test_gap_assessments_in_date_order(fixture_store: OxigraphStore, index: SearchIndex) -> None:
    gap = view(fixture_store, index, "gap/local-job-vacancies")
    assessments = gap.sections["assessments"]
    assert [a["date"] for a in assessments] == ["2009-05-20", "2011-03", "2014", "2015-08"]
    assert [a["status"].key for a in assessments] == [
        "open",
        "partially-closed",
        "partially-closed",
        "closed",
    ]
    assert keys(assessments[-1]["addressed_by"]) == ["beta-vacancies"]
    assert gap.labels == {
        "en": "Local job vacancies by occupation",
        "fr": "Postes vacants locaux par profession",
    }
    incoming = {s.predicate: keys(s.values) for s in gap.incoming}
    assert incoming[str(LMIC.addresses)] == ["panel-2009-local-vacancies"]


def test_variable_providers_with_coverages(
    fixture_store: OxigraphStore, index: SearchIndex
) -> None:
    variable = view(fixture_store, index, "variable/job-vacancies")
    providers = variable.sections["providers"]
    assert providers["total"] == 2
    by_source = {p["source"].key: p for p in providers["providers"]}
    assert set(by_source) == {"beta-vacancies", "epsilon-postings"}
    coverages = by_source["beta-vacancies"]["coverages"]
    levels = sorted(n.key for c in coverages for n in c.get(str(LMIC.geographicGranularity), []))
    assert levels == ["economic-region", "province-territory"]
    frequency = by_source["epsilon-postings"]["defaults"][str(DCT.accrualPeriodicity)]
    assert [n.iri.rsplit("/", 1)[-1] for n in frequency] == ["WEEKLY"]


def test_geography_hierarchy_and_coverage(fixture_store: OxigraphStore, index: SearchIndex) -> None:
    ontario = view(fixture_store, index, "geo/35")
    section = ontario.sections["geography"]
    assert keys(section["broader"]) == ["CA"]
    assert keys(section["narrower"]) == ["3510", "3530"]
    coverage = section["coverage"]
    assert coverage["total"] == 5
    assert {level["value"]: level["count"] for level in coverage["levels"]} == {
        "province-territory": 3,
        "economic-region": 3,
        "cma-ca": 1,
    }
    ottawa = view(fixture_store, index, "geo/3510")
    assert keys(ottawa.sections["geography"]["broader"]) == ["CA", "35"]
    assert ottawa.sections["geography"]["coverage"]["total"] == 3


def test_source_sections(fixture_store: OxigraphStore, index: SearchIndex) -> None:
    beta = view(fixture_store, index, "source/beta-vacancies")
    assert [a["assesses"].key for a in beta.sections["addressed"]] == [
        "local-job-vacancies",
        "panel-2009-local-vacancies",
    ]
    alpha = view(fixture_store, index, "source/alpha-survey")
    assert [d["distribution"].key for d in alpha.sections["distributions"]] == ["alpha-table"]
    # Blank nodes (the time period) are nested, not lost.
    temporal = next(s for s in alpha.statements if s.predicate == str(DCT.temporal))
    assert temporal.values[0].statements
    assert "dcat:startDate" in alpha.turtle or "startDate" in alpha.turtle


def test_search_links_count_facet_uses(fixture_store: OxigraphStore, index: SearchIndex) -> None:
    statcan = view(fixture_store, index, "org/statcan")
    links = {(s["scope"], s["facet"]): s["count"] for s in statcan.sections["search"]}
    assert links[("sources", "publisher")] == 4
    assert links[("recommendations", "to")] == 1


def test_labels_of_linked_entities_in_both_languages(
    fixture_store: OxigraphStore, index: SearchIndex
) -> None:
    report = view(fixture_store, index, "report/audit-2014")
    named = next(s for s in report.incoming if s.predicate == str(LMIC.identifiedIn))
    assert {n.key for n in named.values} == {"local-job-vacancies", "on-reserve-data"}
    labels = {n.key: n.labels for n in named.values}
    assert labels["on-reserve-data"]["fr"].startswith("Données sur le marché du travail")


@pytest.mark.parametrize("path", ["source/nothing-here", "gap/<script>", "geo/99"])
def test_unknown_entities(fixture_store: OxigraphStore, path: str) -> None:
    iri = str(ID[""]) + path
    if "<" in path:
        with pytest.raises(ValueError):
            entity_view(fixture_store, iri)
    else:
        assert entity_view(fixture_store, iri) is None


def test_rdf_lists_keep_their_order_past_the_description_depth(
    fixture_store: OxigraphStore,
) -> None:
    from lmickg.namespaces import XKOS

    scheme = entity_view(fixture_store, str(ID["scheme/sgc2021"]))
    assert scheme is not None
    levels = next(s for s in scheme.statements if s.predicate == str(XKOS.levels))
    assert levels.ordered
    assert keys(levels.values) == [
        "canada",
        "geographic-region",
        "province-territory",
        "economic-region",
        "census-division",
        "census-subdivision",
        "dissemination-area",
    ]
