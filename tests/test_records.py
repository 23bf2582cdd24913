"""Record history: created, updated and deleted stamps carried across real builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from lmickg.build import BuildResult, build
from lmickg.catalog import discover
from lmickg.dcatap import dcat_ap_view, descriptions
from lmickg.export import change_type
from lmickg.namespaces import CHANGETYPE, ID
from lmickg.records import (
    Record,
    RecordFeed,
    RecordTable,
    file_descriptions,
    format_stamp,
    parse_stamp,
    record_iri,
    topic_of_record,
    update_table,
)
from lmickg.store import StoreRoot, from_oxigraph

from .conftest import (
    CATALOG_DESCRIPTION,
    FIXTURE_CATALOG,
    LINKED_DATA_CATALOG,
    LINKED_DATA_EXTRA,
    ONTOLOGY,
)

DCAT = Namespace("http://www.w3.org/ns/dcat#")

ALPHA = str(ID["source/alpha-survey"])
BETA = str(ID["source/beta-vacancies"])
GAMMA = str(ID["source/gamma-outcomes"])
SOURCES = {
    ALPHA,
    BETA,
    GAMMA,
    str(ID["source/delta-payroll"]),
    str(ID["source/epsilon-postings"]),
}


def _catalog(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(FIXTURE_CATALOG, target)
    return target


def _build(root: Path, catalog: Path, *, full: bool = False) -> RecordTable:
    _build_result(root, catalog, full=full)
    current = StoreRoot(root).current_dir()
    assert current is not None
    return RecordTable.load(current)


def _build_result(root: Path, catalog: Path, *, full: bool = False) -> BuildResult:
    return build(
        [catalog, ONTOLOGY, CATALOG_DESCRIPTION, LINKED_DATA_EXTRA],
        root,
        workers=1,
        incremental=not full,
    )


def _graph(triples: list[ox.Triple]) -> Graph:
    graph = Graph()
    for t in triples:
        graph.add((from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object)))
    return graph


def test_first_build_lists_every_data_source(ld_store: Path) -> None:
    current = StoreRoot(ld_store).current_dir()
    assert current is not None
    table = RecordTable.load(current)
    store = StoreRoot(ld_store).open_current()
    rows = store.select(
        "SELECT DISTINCT ?s WHERE { VALUES ?t { dcat:Dataset dcat:DatasetSeries dcat:DataService }"
        " ?s a ?t }"
    )
    assert {str(r["s"]) for r in rows} == SOURCES == set(table.records)
    for record in table.records.values():
        assert record.live and record.created == record.modified == table.stamp
        assert change_type(record) == CHANGETYPE.Created


def test_full_rebuild_of_the_same_files_changes_no_record(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    first = _build(tmp_path / "store", catalog)
    # A full build re-parses every file: blank nodes get new labels, digests must not care.
    second = _build(tmp_path / "store", catalog, full=True)
    assert second.stamp > first.stamp
    assert second.records == first.records


def test_stored_descriptions_are_the_store_s(ld_store: Path) -> None:
    current = StoreRoot(ld_store).current_dir()
    assert current is not None
    feed = RecordFeed.load(current)
    assert feed.stored is not None
    stored = feed.stored.read(SOURCES)
    live = descriptions(StoreRoot(ld_store).open_current(), SOURCES, distributions=True)
    assert set(stored) == SOURCES
    for topic in SOURCES:
        assert isomorphic(_graph(stored[topic]), _graph(dcat_ap_view(topic, live[topic]))), topic
    alpha = _graph(stored[ALPHA])
    assert (URIRef(str(ID["distribution/alpha-table"])), DCAT.accessURL, None) in alpha


def test_files_and_store_give_the_same_descriptions(ld_store: Path) -> None:
    """A full build reads descriptions from the files, an incremental one from the store."""
    kinds, from_files = file_descriptions(discover(LINKED_DATA_CATALOG))
    store = StoreRoot(ld_store).open_current()
    assert set(kinds) == SOURCES
    from_store = descriptions(store, SOURCES, distributions=True)
    for topic in SOURCES:
        assert isomorphic(_graph(from_files[topic]), _graph(from_store[topic])), topic


def test_description_spread_over_files_is_whole(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    extra = (
        "<https://w3id.org/lmickg/id/distribution/alpha-table> "
        '<http://purl.org/dc/terms/description> "The alpha table."@en .\n'
        "<https://w3id.org/lmickg/id/source/alpha-survey> "
        '<http://www.w3.org/ns/dcat#keyword> "extra"@en .\n'
    )
    (catalog / "extra.ttl").write_text(extra)
    paths = [catalog, ONTOLOGY, CATALOG_DESCRIPTION, LINKED_DATA_EXTRA]
    _kinds, found = file_descriptions(discover(paths))
    alpha = _graph(found[ALPHA])
    assert (URIRef(ALPHA), DCAT.keyword, Literal("extra", lang="en")) in alpha
    assert (URIRef(str(ID["distribution/alpha-table"])), DCTERMS.description, None) in alpha
    assert (URIRef(ALPHA), DCAT.distribution, None) in alpha
    # The incremental path (the store) agrees: touching the file re-reads alpha, unchanged.
    first = _build(tmp_path / "store", catalog)
    (catalog / "extra.ttl").write_text("# the same statements, reformatted\n" + extra)
    second = _build_result(tmp_path / "store", catalog)
    assert second.incremental and second.derived["records"]["read"] == 1
    assert second.derived["records"]["unchanged"] == 5
    assert RecordTable.load(second.build_dir).records[ALPHA] == first.records[ALPHA]


def test_incremental_build_reads_only_what_changed(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    first = _build_result(tmp_path / "store", catalog)
    assert first.derived["records"]["read"] == 5
    path = catalog / "sources" / "beta-vacancies.ttl"
    path.write_text(path.read_text().replace("Beta Vacancy Survey", "Beta Survey"))
    second = _build_result(tmp_path / "store", catalog)
    assert second.incremental and second.derived["records"]["read"] == 1
    feed = RecordFeed.load(second.build_dir)
    assert feed.stored is not None
    beta = _graph(feed.stored.read([BETA])[BETA])
    assert (URIRef(BETA), DCTERMS.title, Literal("Beta Survey", lang="en")) in beta
    # A statement about a distribution, in a file of its own, touches the source that has it.
    (catalog / "extra.ttl").write_text(
        "<https://w3id.org/lmickg/id/distribution/alpha-table> "
        '<http://purl.org/dc/terms/description> "The alpha table."@en .\n'
    )
    third = _build_result(tmp_path / "store", catalog)
    assert third.derived["records"]["read"] == 1
    table = RecordTable.load(third.build_dir)
    assert table.records[ALPHA].modified == table.stamp
    # Removing that file again takes the statement away: the old store says who had it.
    (catalog / "extra.ttl").unlink()
    fourth = _build_result(tmp_path / "store", catalog)
    assert fourth.derived["records"]["read"] == 1
    assert (
        RecordTable.load(fourth.build_dir).records[ALPHA].digest
        == RecordTable.load(second.build_dir).records[ALPHA].digest
    )


def test_edit_updates_only_that_record(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    first = _build(tmp_path / "store", catalog)
    path = catalog / "sources" / "beta-vacancies.ttl"
    path.write_text(path.read_text().replace("Beta Vacancy Survey", "Beta Vacancy Survey, revised"))
    second = _build(tmp_path / "store", catalog)
    beta = second.records[BETA]
    assert beta.modified == second.stamp > first.stamp
    assert beta.created == first.records[BETA].created
    assert change_type(beta) == CHANGETYPE.Updated
    assert {t for t, r in second.records.items() if r != first.records[t]} == {BETA}


def test_distribution_edit_updates_its_data_source(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    first = _build(tmp_path / "store", catalog)
    path = catalog / "sources" / "alpha-survey.ttl"
    path.write_text(path.read_text().replace("alpha/table>", "alpha/table-v2>"))
    second = _build(tmp_path / "store", catalog)
    assert second.records[ALPHA].modified > first.records[ALPHA].modified


def test_removed_source_becomes_a_tombstone_with_its_last_titles(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    first = _build(tmp_path / "store", catalog)
    (catalog / "sources" / "gamma-outcomes.ttl").unlink()
    second = _build(tmp_path / "store", catalog)
    gamma = second.records[GAMMA]
    assert not gamma.live and gamma.deleted == gamma.modified == second.stamp
    assert gamma.created == first.records[GAMMA].created
    assert change_type(gamma) == CHANGETYPE.Deleted
    assert ["Gamma Outcomes Platform", "en"] in second.tombstones[GAMMA]["title"]
    assert second.tombstones[GAMMA]["description"]

    # Back again: a new record, no longer a tombstone.
    shutil.copy(FIXTURE_CATALOG / "sources" / "gamma-outcomes.ttl", catalog / "sources")
    third = _build(tmp_path / "store", catalog)
    assert third.records[GAMMA].live
    assert third.records[GAMMA].created == third.stamp
    assert GAMMA not in third.tombstones


def test_tombstones_are_purged_after_the_retention_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = _catalog(tmp_path)
    _build(tmp_path / "store", catalog)
    (catalog / "sources" / "gamma-outcomes.ttl").unlink()
    second = _build(tmp_path / "store", catalog)
    assert GAMMA in second.records and second.purged_until is None
    monkeypatch.setenv("LMICKG_TOMBSTONE_DAYS", "0")
    third = _build(tmp_path / "store", catalog)
    assert GAMMA not in third.records and GAMMA not in third.tombstones
    assert third.purged_until == second.records[GAMMA].deleted


def _record(topic: str, digest: str, stamp: int) -> Record:
    return Record(topic, digest, "k", stamp, stamp)


def test_stamps_increase_even_when_the_clock_goes_back() -> None:
    previous = RecordTable({"a": _record("a", "1", 500)}, stamp=500)
    table, counts = update_table(previous, {"a": ("2", "k")}, now=100, retention_days=90)
    assert table.stamp == 501 and table.records["a"].modified == 501
    assert counts["updated"] == 1


def test_update_table_counts_every_kind_of_change() -> None:
    previous = RecordTable(
        {
            "same": _record("same", "1", 10),
            "edit": _record("edit", "1", 10),
            "gone": _record("gone", "1", 10),
        },
        stamp=10,
    )
    current = {"same": ("1", "k"), "edit": ("2", "k"), "new": ("1", "k")}
    table, counts = update_table(previous, current, now=20, retention_days=90)
    assert counts == {"created": 1, "updated": 1, "deleted": 1, "unchanged": 1, "purged": 0}
    assert table.records["same"].modified == 10
    assert table.records["gone"].deleted == 20


def test_table_round_trips_through_its_files(tmp_path: Path) -> None:
    table = RecordTable(
        {"a": _record("a", "1", 5), "b": Record("b", "2", "k", 1, 7, 7)},
        stamp=7,
        purged_until=3,
        retention_days=30,
        tombstones={"b": {"title": [["Bé", "fr"]], "description": []}},
    )
    table.save(tmp_path)
    assert RecordTable.load(tmp_path) == table


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01", 0),
        ("1970-01-01T00:00:01Z", 1_000_000),
        ("1970-01-01T01:00:00+01:00", 0),
        ("1970-01-01T00:00:00.000002", 2),
    ],
)
def test_parse_stamp(text: str, expected: int) -> None:
    assert parse_stamp(text) == expected


def test_stamp_text_round_trips() -> None:
    stamp = parse_stamp("2026-12-03T17:00:00.123456Z")
    assert format_stamp(stamp) == "2026-12-03T17:00:00.123456Z"
    with pytest.raises(ValueError, match="2026-12-01"):
        parse_stamp("last week")


def test_record_iris_name_their_topic() -> None:
    assert str(record_iri(ALPHA)) == str(ID["record/source/alpha-survey"])
    assert topic_of_record(str(record_iri(ALPHA))) == ALPHA
    outside = record_iri("https://example.org/dataset/1")
    assert str(outside).startswith(str(ID["record/x/"]))
    assert topic_of_record(str(outside)) is None
