"""DCAT-AP 3.0.1 conformance of the export, checked with the official shapes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from lmickg.build import build
from lmickg.cli import main
from lmickg.dcatap import dcat_ap_triples, iri_ref, validate
from lmickg.export import catalog_page, export_all
from lmickg.namespaces import FOAF, ID, RDF
from lmickg.paging import PageToken, plan_page
from lmickg.records import RecordFeed
from lmickg.store import StoreRoot

from .conftest import CATALOG_DESCRIPTION, FIXTURE_CATALOG, LINKED_DATA_EXTRA, ONTOLOGY

SHAPES = Path(__file__).resolve().parent / "data" / "dcat-ap-3.0.1"


def _export(root: Path) -> list[ox.Triple]:
    store_root = StoreRoot(root)
    current = store_root.current_dir()
    assert current is not None
    return export_all(store_root.open_current(), RecordFeed.load(current))


def test_export_has_no_dcat_ap_violation(ld_store: Path) -> None:
    report = validate(_export(ld_store), SHAPES)
    assert report.violations == []
    # What is left are recommendations the fixture's content does not meet (contact points,
    # bounding boxes, licences of distributions...), none the export could state itself.
    by_property = report.summary()["warnings_by_property"]
    assert isinstance(by_property, dict)
    assert not any(path.startswith(("dcat:Catalog", "dcat:CatalogRecord")) for path in by_property)
    assert "dct:LicenseDocument dct:type" not in by_property


def test_shapes_catch_what_the_export_adds(ld_store: Path) -> None:
    """Negative control: without the foaf:Agent typing the export adds, DCAT-AP fails."""
    agent = ox.NamedNode(str(FOAF.Agent))
    rdf_type = ox.NamedNode(str(RDF.type))
    stripped = [t for t in _export(ld_store) if not (t.predicate == rdf_type and t.object == agent)]
    report = validate(stripped, SHAPES)
    assert report.violations
    assert any(path == "dct:publisher" for _cls, path, _msg in report.violations)


def test_tombstones_keep_the_export_conformant(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(FIXTURE_CATALOG, catalog)
    paths = [catalog, ONTOLOGY, CATALOG_DESCRIPTION, LINKED_DATA_EXTRA]
    build(paths, tmp_path / "store", workers=1)
    (catalog / "sources" / "gamma-outcomes.ttl").unlink()
    build(paths, tmp_path / "store", workers=1)
    root = StoreRoot(tmp_path / "store")
    current = root.current_dir()
    assert current is not None
    feed = RecordFeed.load(current)
    page = plan_page(feed, PageToken(None, 0, feed.stamp, 100, 0), issued=0)
    assert any(not r.live for r in page.records)
    document = catalog_page(
        root.open_current(),
        feed,
        page,
        view="http://localhost/catalog.ttl",
        link=lambda token: "http://localhost/catalog.ttl?page=p",
        dcat_ap=True,
    )
    assert document.stored, "live sources come from the build's stored descriptions"
    assert validate(document.all_triples(), SHAPES).violations == []


def test_distribution_view_is_typed(ld_store: Path) -> None:
    store = StoreRoot(ld_store).open_current()
    triples = dcat_ap_triples(store, [str(ID["distribution/alpha-table"])])
    predicates = {t.predicate.value for t in triples}
    assert "http://www.w3.org/ns/dcat#accessURL" in predicates
    assert validate(triples, SHAPES).violations == []


def test_report_command_counts_violations_and_warnings(ld_store: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["dcat-ap-report", "--store", str(ld_store), "--shapes", str(SHAPES), "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    expected = validate(_export(ld_store), SHAPES)
    assert summary["violations"] == 0
    assert summary["warnings"] == len(expected.warnings) > 0
    text = runner.invoke(
        main, ["dcat-ap-report", "--store", str(ld_store), "--shapes", str(SHAPES)]
    )
    assert text.exit_code == 0
    assert f"warnings: {len(expected.warnings)}" in text.output


def test_report_command_without_a_build(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["dcat-ap-report", "--store", str(tmp_path)])
    assert result.exit_code == 2
    assert "lmickg build" in result.output


@pytest.mark.parametrize("bad", ["", "a b", "<x>", 'x"y', "x\ny"])
def test_iri_ref_refuses_what_could_break_a_query(bad: str) -> None:
    with pytest.raises(ValueError, match="not an IRI"):
        iri_ref(bad)
