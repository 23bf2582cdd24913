"""The SPARQL service description (W3C SPARQL 1.1 Service Description) of the endpoint.

Answered by the endpoint to a GET without a query. It names the endpoint, the query language
(SPARQL 1.1 Query only: no update, no federation), the result formats, the union default graph,
and the default dataset with its VoID statistics (:mod:`lmickg.void`), and states the limits
in force.
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import BNode, Graph, Literal, URIRef

from .namespaces import DCT, ENTAILMENT, FORMATS, RDF, RDFS, SD, VOID, XSD
from .sparql import (
    CSV,
    JSON_RESULTS,
    JSONLD,
    NQUADS,
    NTRIPLES,
    RDFXML,
    TRIG,
    TSV,
    TURTLE,
    XML_RESULTS,
)
from .void import DATASET, MAX_LISTED_GRAPHS, VoidStatistics, describe_dataset

__all__ = ["FORMAT_IRIS", "limits_text", "service_description"]

TITLE = {
    "en": "SPARQL endpoint of lmickg, a catalog of Canadian labour market information",
    "fr": "Point d'accès SPARQL de lmickg, un catalogue de l'information sur le marché du "
    "travail au Canada",
}

#: The W3C format IRI of each media type the endpoint answers with.
FORMAT_IRIS: dict[str, URIRef] = {
    JSON_RESULTS: FORMATS.SPARQL_Results_JSON,
    XML_RESULTS: FORMATS.SPARQL_Results_XML,
    CSV: FORMATS.SPARQL_Results_CSV,
    TSV: FORMATS.SPARQL_Results_TSV,
    TURTLE: FORMATS.Turtle,
    NTRIPLES: FORMATS["N-Triples"],
    JSONLD: FORMATS["JSON-LD"],
    RDFXML: FORMATS.RDF_XML,
    TRIG: FORMATS.TriG,
    NQUADS: FORMATS["N-Quads"],
}


def limits_text(limits: Mapping[str, object]) -> str:
    """The limits in force, as one English sentence for people reading the description."""
    parts = [
        f"queries run at most {limits['timeout_seconds']:g} s (a client may ask for less with "
        "the timeout parameter)",
        f"results are capped at {limits['max_rows']} rows or triples (truncation is signalled "
        "in the X-SPARQL-Truncated header)",
        f"query texts at most {limits['max_query_bytes']} bytes",
    ]
    rate = limits.get("rate_per_minute")
    if rate:
        parts.append(
            f"each client may spend {rate:g} units per minute (one per request plus one per "
            "second of query time; 429 with Retry-After beyond)"
        )
    parts.append("SPARQL Update and SERVICE (federated query) are refused")
    return "Limits: " + "; ".join(parts) + "."


def service_description(
    endpoint: str, stats: VoidStatistics, limits: Mapping[str, object]
) -> Graph:
    """The sd:Service at ``endpoint`` (the URL the client used) with its default dataset."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in (
        ("sd", SD),
        ("void", VOID),
        ("formats", FORMATS),
        ("dct", DCT),
        ("rdfs", RDFS),
        ("xsd", XSD),
    ):
        graph.bind(prefix, namespace)
    service = URIRef(endpoint)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    graph.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    for format_iri in FORMAT_IRIS.values():
        graph.add((service, SD.resultFormat, format_iri))
    for lang, title in TITLE.items():
        graph.add((service, DCT.title, Literal(title, lang=lang)))
    graph.add((service, RDFS.comment, Literal(limits_text(limits), lang="en")))

    graph.add((service, SD.defaultDataset, DATASET))
    graph.add((DATASET, RDF.type, SD.Dataset))
    describe_dataset(graph, DATASET, stats)
    default_graph = BNode()
    graph.add((DATASET, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    graph.add((default_graph, VOID.triples, Literal(stats.triples, datatype=XSD.integer)))
    graph.add(
        (
            default_graph,
            RDFS.comment,
            Literal("The union of all named graphs (one per catalog file).", lang="en"),
        )
    )
    for graph_iri, count in list(stats.graphs.items())[:MAX_LISTED_GRAPHS]:
        named = BNode()
        inner = BNode()
        graph.add((DATASET, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(graph_iri)))
        graph.add((named, SD.graph, inner))
        graph.add((inner, RDF.type, SD.Graph))
        graph.add((inner, VOID.triples, Literal(count, datatype=XSD.integer)))
    return graph
