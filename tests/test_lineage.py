"""The lineage of gaps: the fixture gap's timeline event by event, the catalog-wide overview,
and the JSON and GraphML exports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import networkx as nx
import pytest

from lmickg.lineage import (
    LineageGraph,
    build_lineage,
    gap_lineage_json,
    graphml,
    load_lineage,
    normalise_date,
    overview_json,
)
from lmickg.store import OxigraphStore, StoreRoot

ID = "https://w3id.org/lmickg/id/"
GAP = ID + "gap/local-job-vacancies"


def key(iri: str | None) -> str | None:
    return iri.removeprefix(ID) if iri else iri


@pytest.fixture(scope="module")
def lineage(built_store: Path) -> LineageGraph:
    build_dir = StoreRoot(built_store).current_dir()
    assert build_dir is not None
    found = load_lineage(build_dir)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def analysis_lineage(analysis_store: OxigraphStore) -> LineageGraph:
    return build_lineage(analysis_store)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014", "2014-01-01"),
        ("2011-03", "2011-03-01"),
        ("2009-05-20", "2009-05-20"),
        ("2009-05-20T10:00:00Z", "2009-05-20"),
        ("someday", None),
        (None, None),
    ],
)
def test_dates_of_any_precision_are_ordered_by_their_first_day(
    text: str | None, expected: str | None
) -> None:
    assert normalise_date(text) == expected


def test_local_job_vacancies_event_by_event(lineage: LineageGraph) -> None:
    found = lineage.gap(GAP)
    events = [
        (e.date_text, e.kind, key(e.subject), e.status, [key(a) for a in e.addressed_by])
        for e in found.events
    ]
    assert events == [
        ("2009-05-20", "identified", "report/panel-2009", None, []),
        ("2009-05-20", "recommended", "recommendation/panel-2009-local-vacancies", None, []),
        ("2009-05-20", "assessed-open", "assessment/local-job-vacancies-2009", "open", []),
        (
            "2011-03",
            "partly-closed",
            "assessment/local-job-vacancies-2011",
            "partially-closed",
            ["initiative/vacancy-questions-2011"],
        ),
        ("2014", "reiterated", "report/audit-2014", None, []),
        (
            "2014",
            "still-partly-closed",
            "assessment/local-job-vacancies-2014",
            "partially-closed",
            [],
        ),
        (
            "2015-08",
            "closed",
            "assessment/local-job-vacancies-2015",
            "closed",
            ["source/beta-vacancies"],
        ),
        (
            "2015-08",
            "recommendation-assessed",
            "assessment/panel-2009-local-vacancies-2015",
            "closed",
            ["source/beta-vacancies"],
        ),
    ]
    first = found.events[2]
    assert key(first.attributed_to) == "org/flmm"
    assert key(first.derived_from) == "report/panel-2009"
    assert found.status == "closed"
    assert (found.first_identified, key(found.first_report)) == ("2009-05-20", "report/panel-2009")
    assert found.closed_on == "2015-08-01"
    assert [(key(a["entity"]), a["kind"], a["date_text"]) for a in found.addressed_by] == [
        ("initiative/vacancy-questions-2011", "initiative", "2011-03"),
        ("source/beta-vacancies", "source", "2015-08"),
    ]
    assert [key(r) for r in found.recommendations] == ["recommendation/panel-2009-local-vacancies"]
    assert found.concerns["variables"] == [ID + "variable/job-vacancies"]
    assert found.still_concerns == {}
    assert found.related == []


def test_open_gap_still_concerns_its_group_and_was_planned(lineage: LineageGraph) -> None:
    found = lineage.gap(ID + "gap/on-reserve-data")
    assert [(e.kind, key(e.subject)) for e in found.events] == [
        ("identified", "report/audit-2014"),
        ("assessed-open", "assessment/on-reserve-data-2014"),
        ("planned", "project/collect-1"),
    ]
    assert found.events[-1].date_text == "2018-07"
    assert found.status == "open" and found.closed_on is None
    assert found.still_concerns == {"groups": [ID + "group/indigenous-on-reserve"]}


def test_reopened_gap_and_related_gaps(analysis_lineage: LineageGraph) -> None:
    found = analysis_lineage.gap(ID + "gap/small-area-wages")
    assert [(e.date_text, e.kind) for e in found.events] == [
        ("2014", "identified"),
        ("2014", "recommended"),
        ("2016-02", "partly-closed"),
        ("2019", "reopened"),
    ]
    assert found.status == "open"
    assert found.related == [
        {"gap": GAP, "shared": {"levels": [ID + "geo-level/economic-region"]}},
    ]
    never = analysis_lineage.gap(ID + "gap/long-term-graduate-outcomes")
    assert never.status == "open" and [e.kind for e in never.events] == ["identified"]


def test_unknown_gap_is_a_key_error(lineage: LineageGraph) -> None:
    with pytest.raises(KeyError):
        lineage.gap(ID + "gap/nothing")
    with pytest.raises(KeyError):
        lineage.gap(ID + "report/panel-2009")


def test_catalog_overview(analysis_lineage: LineageGraph) -> None:
    overview = analysis_lineage.overview(date(2026, 12, 3))
    assert [(key(r["report"]), r["gaps"], r["open"], r["closed"]) for r in overview.reports] == [
        ("report/panel-2009", 2, 1, 1),
        ("report/audit-2014", 3, 2, 1),
    ]
    assert [key(g) for g in overview.reports[1]["still_open"]] == [
        "gap/on-reserve-data",
        "gap/small-area-wages",
    ]
    assert [(key(g["gap"]), g["since"], g["years_open"]) for g in overview.longest_open] == [
        ("gap/long-term-graduate-outcomes", "2009-05-20", 17.5),
        ("gap/on-reserve-data", "2014-01-01", 12.9),
        ("gap/small-area-wages", "2014-01-01", 12.9),
    ]
    assert [(key(r["recommendation"]), r["closed"]) for r in overview.recommendations] == [
        ("recommendation/panel-2009-local-vacancies", 1),
        ("recommendation/audit-2014-on-reserve", 0),
        ("recommendation/audit-2014-small-area-wages", 0),
    ]
    assert overview_json(overview)["as_of"] == "2026-12-03"


def test_artifact_equals_a_fresh_build(lineage: LineageGraph, fixture_store: OxigraphStore) -> None:
    fresh = build_lineage(fixture_store)
    assert nx.utils.graphs_equal(fresh.graph, lineage.graph)
    again = LineageGraph.from_json(json.loads(json.dumps(fresh.to_json())))
    assert sorted(again.graph.edges) == sorted(fresh.graph.edges)


def test_json_export_names_everything_it_mentions(lineage: LineageGraph) -> None:
    body = gap_lineage_json(lineage, GAP, "fr")
    assert json.loads(json.dumps(body)) == body
    assert body["labels"][GAP] == "Postes vacants locaux par profession"
    assert body["labels"][ID + "report/panel-2009"].startswith("Rapport du comité")
    assert [e["kind"] for e in body["events"]][:2] == ["identified", "recommended"]
    nodes = {n["id"] for n in body["graph"]["nodes"]}
    assert {GAP, ID + "source/beta-vacancies", ID + "report/audit-2014"} <= nodes
    assert ID + "gap/on-reserve-data" not in nodes


def test_graphml_export_is_valid_and_complete(lineage: LineageGraph) -> None:
    text = graphml(lineage.subgraph(GAP))
    root = ET.fromstring(text.encode())
    assert root.tag.endswith("graphml")
    back = nx.read_graphml(__import__("io").BytesIO(text.encode()))
    assert back.nodes[GAP]["kind"] == "gap"
    assert back.nodes[GAP]["variables"] == ID + "variable/job-vacancies"
    assert back.edges[ID + "report/panel-2009", GAP]["relation"] == "identifies"
    assert back.nodes[ID + "assessment/local-job-vacancies-2011"]["date"] == "2011-03-01"
    assert back.number_of_nodes() == lineage.subgraph(GAP).number_of_nodes()
