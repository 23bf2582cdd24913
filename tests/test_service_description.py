"""lmickg.service_description: the sd:Service graph of the endpoint."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, VOID, XSD

from lmickg.namespaces import FORMATS, SD
from lmickg.service_description import FORMAT_IRIS, limits_text, service_description
from lmickg.store import OxigraphStore
from lmickg.void import DATASET, compute_statistics

LIMITS = {
    "timeout_seconds": 10.0,
    "max_rows": 10000,
    "max_query_bytes": 100000,
    "rate_per_minute": 60,
}


def test_service_description(fixture_store: OxigraphStore) -> None:
    stats = compute_statistics(fixture_store)
    graph = service_description("http://example.org/sparql", stats, LIMITS)
    service = URIRef("http://example.org/sparql")
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert set(graph.objects(service, SD.resultFormat)) == set(FORMAT_IRIS.values())
    assert FORMATS.SPARQL_Results_JSON in set(graph.objects(service, SD.resultFormat))
    assert (service, SD.defaultDataset, DATASET) in graph
    default_graph = graph.value(DATASET, SD.defaultGraph)
    assert graph.value(default_graph, VOID.triples) == Literal(stats.triples, datatype=XSD.integer)
    names = {graph.value(n, SD.name) for n in graph.objects(DATASET, SD.namedGraph)}
    assert names == {URIRef(g) for g in stats.graphs}
    assert "10 s" in str(graph.value(service, RDFS.comment))


def test_limits_text_names_every_limit() -> None:
    text = limits_text(LIMITS)
    for part in ("10 s", "10000 rows", "100000 bytes", "60 units", "Update", "SERVICE"):
        assert part in text
    assert "units" not in limits_text({**LIMITS, "rate_per_minute": None})
