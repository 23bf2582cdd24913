"""The store protocol on the embedded Oxigraph store, and the atomically switched store root."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from lmickg.namespaces import DCT
from lmickg.store import OxigraphStore, QueryError, Store, StoreRoot

G1 = "https://example.org/graph/one"
G2 = "https://example.org/graph/two"
DATA = """
@prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/a> dct:title "A"@en , "Â"@fr ; dct:identifier "1" .
<https://example.org/b> dct:title "B"@en ; dct:temporal [ dct:identifier "p" ] .
"""


@pytest.fixture
def store(tmp_path: Path) -> OxigraphStore:
    db = OxigraphStore(tmp_path / "db")
    db.load_graph(G1, DATA)
    db.load_graph(
        G2,
        '<https://example.org/c> <http://purl.org/dc/terms/title> "C" .',
        "application/n-triples",
    )
    return db


def test_oxigraph_store_implements_the_protocol(store: OxigraphStore) -> None:
    assert isinstance(store, Store)


def test_select_reads_the_union_of_graphs_with_bindings(store: OxigraphStore) -> None:
    rows = store.select("SELECT ?s WHERE { ?s dct:title ?t } ORDER BY ?s")
    assert [str(r["s"]) for r in rows] == [
        "https://example.org/a",
        "https://example.org/a",
        "https://example.org/b",
        "https://example.org/c",
    ]
    b = URIRef("https://example.org/b")
    bound = store.select("SELECT ?s ?t WHERE { ?s dct:title ?t }", {"s": b})
    assert [r["t"] for r in bound] == [Literal("B", lang="en")]
    with pytest.raises(QueryError, match="projection"):
        store.select("SELECT ?t WHERE { ?s dct:title ?t }", {"s": b})
    # Unbound variables are absent from the row, as in SPARQL JSON results.
    optional = store.select(
        "SELECT ?s ?x WHERE { ?s dct:identifier ?i OPTIONAL { ?s dct:nothing ?x } }"
    )
    assert all("x" not in row for row in optional)


def test_ask_construct_and_errors(store: OxigraphStore) -> None:
    assert store.ask("ASK { <https://example.org/c> dct:title 'C' }")
    graph = store.construct("CONSTRUCT { ?s dct:title ?t } WHERE { ?s dct:title ?t }")
    assert (URIRef("https://example.org/a"), DCT.title, Literal("Â", lang="fr")) in graph
    with pytest.raises(QueryError):
        store.select("SELECT WHERE {")
    with pytest.raises(QueryError):
        store.select("ASK {}")


def test_load_replaces_and_drop_removes_a_graph(store: OxigraphStore) -> None:
    assert store.graphs() == [G1, G2]
    store.load_graph(
        G1,
        '<https://example.org/z> <http://purl.org/dc/terms/title> "Z" .',
        "application/n-triples",
    )
    assert store.triple_count() == 2
    store.drop_graph(G2)
    assert store.graphs() == [G1]
    with pytest.raises(ValueError, match="unsupported RDF media type"):
        store.load_graph(G1, "x", "text/plain")


def test_serialize_query_in_each_format(store: OxigraphStore) -> None:
    query = "SELECT ?s WHERE { ?s dct:identifier '1' }"
    assert b"https://example.org/a" in store.serialize_query(
        query, "application/sparql-results+json"
    )
    assert store.serialize_query(query, "text/csv").splitlines()[0] == b"s"
    turtle = store.serialize_query("CONSTRUCT WHERE { ?s dct:identifier ?i }", "text/turtle")
    assert b"<https://example.org/a>" in turtle
    with pytest.raises(ValueError):
        store.serialize_query(query, "text/html")


def test_store_root_switches_atomically_and_prunes(tmp_path: Path) -> None:
    root = StoreRoot(tmp_path)
    assert root.current_id() is None
    with pytest.raises(FileNotFoundError, match="lmickg build"):
        root.open_current()
    for build_id in ("b1", "b2", "b3", "b4", "b5"):
        directory = root.new_build_dir(build_id)
        OxigraphStore(directory / StoreRoot.OXIGRAPH).flush()
    root.switch("b2")
    assert root.current_id() == "b2"
    assert (tmp_path / "current").is_symlink()
    removed = root.prune(keep=2)
    # The served build survives pruning even though it is old.
    assert removed == ["b1", "b3"]
    assert sorted(p.name for p in root.builds.iterdir()) == ["b2", "b4", "b5"]
    root.switch("b5")
    assert root.open_current().triple_count() == 0
