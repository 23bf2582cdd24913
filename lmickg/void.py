"""VoID: what the served catalog holds, in numbers, for people and crawlers.

The statistics (triples, entities per class, triples per property, named graphs, vocabularies)
are counted once per build by the ``void`` deriver and written to ``void.json`` in the build
directory; servers read that file through :meth:`lmickg.serving.Snapshot.artifact`. The same
numbers describe the default dataset in the SPARQL service description
(:func:`lmickg.service_description.service_description`) and the ``/.well-known/void`` document
(:func:`void_graph`), so the two always agree.

Counts are over the named graphs (one per catalog file): a triple stated in two files counts
twice, as it appears twice in the union default graph that queries read.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from .namespaces import BASE_IRI, DCT, FOAF, ID, PREFIXES, RDF, RDFS, SD, VOID
from .store import OxigraphStore, bound, solutions

if TYPE_CHECKING:
    from .derived import DeriveContext
    from .serving import Snapshot

__all__ = [
    "DATASET",
    "MAX_LISTED_GRAPHS",
    "VoidStatistics",
    "compute_statistics",
    "derive_void",
    "load_statistics",
    "void_graph",
]

ARTIFACT = "void.json"
#: The catalog as an RDF dataset (the VoID description is published at /.well-known/void).
DATASET = URIRef(BASE_IRI + ".well-known/void#dataset")
#: Named graphs listed one by one; beyond this only their number is given.
MAX_LISTED_GRAPHS = 500

TITLE = {
    "en": "lmickg: a catalog of Canadian labour market information",
    "fr": "lmickg : un catalogue de l'information sur le marché du travail au Canada",
}
DESCRIPTION = {
    "en": "Metadata about Canadian labour market information sources, their variables and "
    "coverage, and the data gaps named in past assessments, as RDF (DCAT 3, SKOS/XKOS, PROV-O, "
    "DQV).",
    "fr": "Métadonnées sur les sources d'information sur le marché du travail au Canada, leurs "
    "variables et leur couverture, et les lacunes relevées dans des évaluations, en RDF (DCAT 3, "
    "SKOS/XKOS, PROV-O, DQV).",
}


@dataclass
class VoidStatistics:
    """The numbers VoID publishes about one build."""

    triples: int = 0
    entities: int = 0
    distinct_subjects: int = 0
    distinct_objects: int = 0
    #: class IRI -> distinct instances
    classes: dict[str, int] = field(default_factory=dict)
    #: property IRI -> triples
    properties: dict[str, int] = field(default_factory=dict)
    #: named graph IRI -> triples
    graphs: dict[str, int] = field(default_factory=dict)
    vocabularies: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``void.json`` artifact)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VoidStatistics:
        """Read the ``void.json`` artifact back."""
        return cls(**data)


def _count(store: ox.Store, query: str) -> int:
    for row in solutions(store, query, union=True):
        return int(bound(row, "n").value)
    return 0


def _grouped(store: ox.Store, query: str, *, union: bool = True) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in solutions(store, query, union=union):
        key = bound(row, "k")
        if isinstance(key, ox.NamedNode):
            counts[key.value] = int(bound(row, "n").value)
    return dict(sorted(counts.items()))


def compute_statistics(store: OxigraphStore) -> VoidStatistics:
    """Count what VoID publishes, from the store itself."""
    native = store.native
    classes = _grouped(native, "SELECT ?k (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?k } GROUP BY ?k")
    properties = _grouped(native, "SELECT ?k (COUNT(*) AS ?n) WHERE { ?s ?k ?o } GROUP BY ?k")
    graphs = _grouped(
        native,
        "SELECT ?k (COUNT(*) AS ?n) WHERE { GRAPH ?k { ?s ?p ?o } } GROUP BY ?k",
        union=False,
    )
    used = set(classes) | set(properties)
    vocabularies = sorted(
        namespace
        for namespace in set(PREFIXES.values())
        if namespace != str(ID) and any(iri.startswith(namespace) for iri in used)
    )
    return VoidStatistics(
        triples=len(native),
        entities=_count(
            native,
            f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o "
            f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}")) }}',
        ),
        distinct_subjects=_count(native, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        distinct_objects=_count(native, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        classes=classes,
        properties=properties,
        graphs=graphs,
        vocabularies=vocabularies,
    )


def derive_void(context: DeriveContext) -> dict[str, object]:
    """The ``void`` deriver: count once per build, write ``void.json``."""
    stats = compute_statistics(context.store)
    (context.build_dir / ARTIFACT).write_text(json.dumps(stats.to_json(), ensure_ascii=False))
    return {"triples": stats.triples, "classes": len(stats.classes), "graphs": len(stats.graphs)}


def load_statistics(snapshot: Snapshot) -> VoidStatistics:
    """A build's statistics: its ``void.json``, or counted now for builds made without it."""
    path = Path(snapshot.build_dir) / ARTIFACT
    try:
        return VoidStatistics.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return compute_statistics(snapshot.store)


def _integer(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def describe_dataset(graph: Graph, node: URIRef | BNode, stats: VoidStatistics) -> None:
    """Add the statistics of ``stats`` to ``node`` (a void:Dataset) in ``graph``."""
    graph.add((node, RDF.type, VOID.Dataset))
    graph.add((node, VOID.triples, _integer(stats.triples)))
    graph.add((node, VOID.entities, _integer(stats.entities)))
    graph.add((node, VOID.distinctSubjects, _integer(stats.distinct_subjects)))
    graph.add((node, VOID.distinctObjects, _integer(stats.distinct_objects)))
    graph.add((node, VOID.classes, _integer(len(stats.classes))))
    graph.add((node, VOID.properties, _integer(len(stats.properties))))
    for vocabulary in stats.vocabularies:
        graph.add((node, VOID.vocabulary, URIRef(vocabulary)))
    for iri, count in stats.classes.items():
        partition = BNode()
        graph.add((node, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], URIRef(iri)))
        graph.add((partition, VOID.entities, _integer(count)))
    for iri, count in stats.properties.items():
        partition = BNode()
        graph.add((node, VOID.propertyPartition, partition))
        graph.add((partition, VOID.property, URIRef(iri)))
        graph.add((partition, VOID.triples, _integer(count)))


def void_graph(stats: VoidStatistics, root: str) -> Graph:
    """The VoID description of the catalog, with access links under ``root`` (ends with /)."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in (
        ("void", VOID),
        ("dct", DCT),
        ("foaf", FOAF),
        ("sd", SD),
        ("rdfs", RDFS),
        ("xsd", XSD),
    ):
        graph.bind(prefix, namespace)
    document = URIRef(root + ".well-known/void")
    graph.add((document, RDF.type, VOID.DatasetDescription))
    graph.add((document, FOAF.primaryTopic, DATASET))
    describe_dataset(graph, DATASET, stats)
    for lang, title in TITLE.items():
        graph.add((DATASET, DCT.title, Literal(title, lang=lang)))
    for lang, text in DESCRIPTION.items():
        graph.add((DATASET, DCT.description, Literal(text, lang=lang)))
    graph.add((DATASET, VOID.sparqlEndpoint, URIRef(root + "sparql")))
    graph.add((DATASET, VOID.dataDump, URIRef(root + "catalog.ttl")))
    graph.add((DATASET, VOID.uriSpace, Literal(str(ID))))
    listed = list(stats.graphs.items())[:MAX_LISTED_GRAPHS]
    for iri, count in listed:
        subset = URIRef(iri)
        graph.add((DATASET, VOID.subset, subset))
        graph.add((subset, RDF.type, VOID.Dataset))
        graph.add((subset, SD.name, subset))
        graph.add((subset, VOID.triples, _integer(count)))
    graph.add(
        (
            DATASET,
            RDFS.comment,
            Literal(
                f"{len(stats.graphs)} named graphs, one per catalog file"
                + (
                    f"; the first {len(listed)} are listed"
                    if len(listed) < len(stats.graphs)
                    else ""
                )
                + ". Queries read their union as the default graph.",
                lang="en",
            ),
        )
    )
    return graph
