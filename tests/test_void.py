"""lmickg.void: statistics counted at build time, and the VoID document built from them."""

from __future__ import annotations

import json
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, VOID, XSD

from lmickg.namespaces import DCAT, GRAPH_BASE, ID
from lmickg.serving import ServedCatalog
from lmickg.store import OxigraphStore, StoreRoot
from lmickg.void import DATASET, VoidStatistics, compute_statistics, load_statistics, void_graph


def test_the_build_writes_statistics(built_store: Path, fixture_store: OxigraphStore) -> None:
    build_dir = StoreRoot(built_store).current_dir()
    assert build_dir is not None
    written = VoidStatistics.from_json(json.loads((build_dir / "void.json").read_text()))
    assert written == compute_statistics(fixture_store)
    manifest = json.loads((build_dir / "manifest.json").read_text())
    assert manifest["derived"]["void"]["triples"] == written.triples == manifest["triples"]


def test_counts_match_the_fixture(fixture_store: OxigraphStore) -> None:
    stats = compute_statistics(fixture_store)
    assert stats.classes[str(DCAT.Dataset)] == 4
    assert stats.triples == len(fixture_store.native) == sum(stats.graphs.values())
    assert f"{GRAPH_BASE}catalog/sources/alpha-survey.ttl" in stats.graphs
    assert str(DCAT) in stats.vocabularies and str(ID) not in stats.vocabularies
    entities = fixture_store.select(
        f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{ID}")) }}'
    )
    assert stats.entities == int(entities.rows[0]["n"])  # type: ignore[call-overload]


def test_statistics_for_builds_without_the_artifact(built_store: Path, tmp_path: Path) -> None:
    snapshot = ServedCatalog(built_store).snapshot()
    copy = type(snapshot)(snapshot.build_id, tmp_path, snapshot.store, snapshot.manifest)
    assert load_statistics(copy) == load_statistics(snapshot)


def test_void_graph(fixture_store: OxigraphStore) -> None:
    stats = compute_statistics(fixture_store)
    graph = void_graph(stats, "http://example.org/")
    assert (DATASET, RDF.type, VOID.Dataset) in graph
    assert (DATASET, VOID.sparqlEndpoint, URIRef("http://example.org/sparql")) in graph
    assert (DATASET, VOID.dataDump, URIRef("http://example.org/catalog.ttl")) in graph
    assert (DATASET, VOID.triples, Literal(stats.triples, datatype=XSD.integer)) in graph
    assert (DATASET, VOID.uriSpace, Literal(str(ID))) in graph
    partitions = {
        graph.value(p, VOID["class"]): graph.value(p, VOID.entities)
        for p in graph.objects(DATASET, VOID.classPartition)
    }
    assert partitions[DCAT.Dataset] == Literal(4, datatype=XSD.integer)
    assert len(list(graph.objects(DATASET, VOID.subset))) == len(stats.graphs)
