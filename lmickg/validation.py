"""SHACL validation of catalog files with pySHACL, in parallel chunks, with results per file.

The shapes in ``ontology/shapes/`` are *local* (see the comment at the top of
``ontology/shapes/common.ttl``): a focus node is judged by its own triples, the blank nodes it
owns, and the ``rdf:type`` of the nodes it points to. So a set of files can be validated
without the rest of the catalog, given a *context* that answers two questions about the rest:
what types do these IRIs have, and what do other files say about these subjects. The context is
the freshly loaded store (:class:`StoreContext`), which is what makes both a parallel full
validation and re-validating one changed file cheap.

Each chunk of files is copied into a small in-memory Oxigraph store with its context and
validated by pySHACL; only results whose focus node belongs to the chunk are kept, and each
result is attributed to the file that describes its focus node.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from .catalog import CatalogFile, parse_file
from .namespaces import DCT, PREFIXES, RDF, RDFS, SH
from .store import bound, from_oxigraph, solutions

__all__ = [
    "StoreContext",
    "ValidationReport",
    "ValidationResult",
    "load_shapes",
    "validate_files",
]

RDF_TYPE = ox.NamedNode(str(RDF.type))
SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
SEVERITIES = {str(SH.Violation): "Violation", str(SH.Warning): "Warning", str(SH.Info): "Info"}
#: A chunk of about this many triples is validated in one pySHACL run: big enough that
#: pySHACL's per-run set-up is noise, small enough that two workers stay evenly loaded.
CHUNK_TRIPLES = 60_000
#: Below this many triples, forking workers costs more than it saves.
PARALLEL_MIN_TRIPLES = 120_000
_VALUES_BATCH = 400


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result, attributed to the catalog file that describes the focus node."""

    severity: str
    file: str | None
    focus: str
    path: str | None
    message: str
    value: str | None = None
    shape: str | None = None
    component: str | None = None

    def sort_key(self) -> tuple[str, int, str, str, str]:
        order = {"Violation": 0, "Warning": 1}.get(self.severity, 2)
        return (self.file or "", order, self.focus, self.path or "", self.message)


@dataclass
class ValidationReport:
    """All results of a validation run, grouped and counted by severity and file."""

    results: list[ValidationResult] = field(default_factory=list)
    files_checked: int = 0

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        """True when there is no violation (warnings allowed)."""
        return not self.violations

    def by_file(self) -> dict[str, list[ValidationResult]]:
        """Results grouped by file, files in order, violations first within a file."""
        grouped: dict[str, list[ValidationResult]] = defaultdict(list)
        for result in sorted(self.results, key=ValidationResult.sort_key):
            grouped[result.file or "(unknown file)"].append(result)
        return dict(grouped)

    def summary(self) -> dict[str, int]:
        """Counts for build summaries and manifests."""
        return {
            "files_checked": self.files_checked,
            "violations": len(self.violations),
            "warnings": len(self.warnings),
        }

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: summary, then results grouped by file."""
        return {
            "conforms": self.conforms,
            **self.summary(),
            "files": {
                file: [asdict(r) for r in results] for file, results in self.by_file().items()
            },
        }

    def to_text(self) -> str:
        """Human-readable lines grouped by file, then a one-line summary."""
        lines: list[str] = []
        for file, results in self.by_file().items():
            lines.append(file)
            for r in results:
                path = f" {r.path}" if r.path else ""
                value = f" (value: {r.value})" if r.value is not None else ""
                lines.append(f"  {r.severity}: {r.focus}{path}: {r.message}{value}")
        lines.append(
            f"{self.files_checked} files checked: {len(self.violations)} violation(s), "
            f"{len(self.warnings)} warning(s)"
        )
        return "\n".join(lines)

    def to_turtle(self) -> str:
        """The results as a SHACL validation report graph; ``dct:source`` names each file."""
        graph = Graph()
        graph.namespace_manager = _namespace_manager()
        report = BNode()
        graph.add((report, RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, Literal(self.conforms)))
        for r in sorted(self.results, key=ValidationResult.sort_key):
            node = BNode()
            graph.add((report, SH.result, node))
            graph.add((node, RDF.type, SH.ValidationResult))
            graph.add((node, SH.resultSeverity, URIRef(f"{SH}{r.severity}")))
            graph.add((node, SH.focusNode, _term(r.focus)))
            graph.add((node, SH.resultMessage, Literal(r.message)))
            if r.path:
                graph.add((node, SH.resultPath, _expand(r.path)))
            if r.value is not None:
                graph.add((node, SH.value, Literal(r.value)))
            if r.shape and not r.shape.startswith("_:"):
                graph.add((node, SH.sourceShape, URIRef(r.shape)))
            if r.component:
                component = URIRef(f"{SH}{r.component}ConstraintComponent")
            graph.add((node, SH.sourceConstraintComponent, component))
            if r.file:
                graph.add((node, DCT.source, Literal(r.file)))
        return graph.serialize(format="turtle")


@lru_cache(maxsize=1)
def _namespace_manager() -> NamespaceManager:
    manager = NamespaceManager(Graph(), bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        manager.bind(prefix, namespace, override=True)
    return manager


def short_name(term: Node) -> str:
    """A term as people read it: a prefixed name where a known prefix fits."""
    if isinstance(term, URIRef):
        name = term.n3(_namespace_manager())
        return str(term) if name.startswith("<") else name
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _expand(name: str) -> URIRef:
    if ":" in name and not name.startswith("<"):
        prefix, local = name.split(":", 1)
        if prefix in PREFIXES:
            return URIRef(PREFIXES[prefix] + local)
    return URIRef(name.strip("<>"))


def _term(text: str) -> Node:
    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)


def load_shapes(files: Iterable[CatalogFile]) -> Graph:
    """Parse the shapes files into one rdflib graph for pySHACL, property shapes hoisted."""
    shapes = Graph()
    for file in files:
        for triple in parse_file(file):
            shapes.add(_to_rdflib(triple))
    return hoist_property_shapes(shapes)


_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_SHAPE_REFERENCES = (SH.node, SH["and"], SH["or"], SH.xone, SH["not"], SH.qualifiedValueShape)


def hoist_property_shapes(shapes: Graph) -> Graph:
    """Give each property shape of a targeted node shape that node shape's targets.

    The result validates exactly the same focus nodes against the same constraints (a property
    shape with a target checks each target node, as it did as a sh:property of the node shape)
    but runs far faster: pySHACL sets up and runs a sh:property once *per focus node*, whereas a
    targeted shape runs once for all its focus nodes. Node shapes used elsewhere through sh:node
    and the logical constraints keep their sh:property links, since there they have no targets.
    """
    referenced = {o for p in _SHAPE_REFERENCES for o in shapes.objects(None, p)}
    for node_shape in set(shapes.subjects(SH.property, None)):
        targets = [(p, o) for p in _TARGETS for o in shapes.objects(node_shape, p)]
        if not targets or (node_shape, SH.deactivated, Literal(True)) in shapes:
            continue
        for property_shape in list(shapes.objects(node_shape, SH.property)):
            for predicate, target in targets:
                shapes.add((property_shape, predicate, target))
            # Remember the node shape, so results still name it (see _read_results).
            shapes.add((property_shape, RDFS.isDefinedBy, node_shape))
            if node_shape not in referenced:
                shapes.remove((node_shape, SH.property, property_shape))
    return shapes


def _to_rdflib(triple: ox.Triple) -> tuple[Node, Node, Node]:
    return _Converter().triple(triple)


class _Converter:
    """pyoxigraph triples to rdflib triples, sharing IRI objects (most terms repeat)."""

    def __init__(self) -> None:
        self._iris: dict[str, URIRef] = {}

    def term(self, term: Any) -> Node:
        if isinstance(term, ox.NamedNode):
            value = term.value
            iri = self._iris.get(value)
            if iri is None:
                iri = self._iris[value] = URIRef(value)
            return iri
        return from_oxigraph(term)

    def triple(self, triple: ox.Triple) -> tuple[Node, Node, Node]:
        term = self.term
        return (term(triple.subject), term(triple.predicate), term(triple.object))


# ---------------------------------------------------------------------------------------------
# Context: what the rest of the catalog says about the nodes a chunk points to
# ---------------------------------------------------------------------------------------------


class StoreContext:
    """Answers context questions from a loaded store (the build's new store)."""

    def __init__(self, store_path: Path | None = None, store: ox.Store | None = None) -> None:
        self._path = store_path
        self._store = store
        self._schema: list[ox.Triple] | None = None

    def _native(self) -> ox.Store:
        # Opened lazily so a forked worker opens its own read-only handle.
        if self._store is None:
            assert self._path is not None
            self._store = ox.Store.read_only(str(self._path))
        return self._store

    def schema(self) -> list[ox.Triple]:
        """The rdfs:subClassOf axioms, which pySHACL needs to resolve sh:class and targets."""
        if self._schema is None:
            rows = solutions(
                self._native(), f"SELECT ?s ?o WHERE {{ ?s <{SUBCLASS_OF}> ?o }}", union=True
            )
            predicate = ox.NamedNode(SUBCLASS_OF)
            self._schema = [ox.Triple(bound(r, "s"), predicate, bound(r, "o")) for r in rows]
        return self._schema

    def types(self, iris: Iterable[str]) -> list[ox.Triple]:
        """``rdf:type`` triples of the given IRIs, wherever they are stated."""
        found: list[ox.Triple] = []
        for batch in _batches(sorted(iris), _VALUES_BATCH):
            values = " ".join(f"<{iri}>" for iri in batch)
            rows = solutions(
                self._native(),
                f"SELECT DISTINCT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s a ?t }}",
                union=True,
            )
            found.extend(ox.Triple(bound(r, "s"), RDF_TYPE, bound(r, "t")) for r in rows)
        return found

    def graphs_describing(self, iris: Iterable[str]) -> dict[str, set[str]]:
        """For each IRI, the named graphs in which it is a subject."""
        result: dict[str, set[str]] = defaultdict(set)
        for batch in _batches(sorted(iris), _VALUES_BATCH):
            values = " ".join(f"<{iri}>" for iri in batch)
            rows = solutions(
                self._native(),
                f"SELECT DISTINCT ?s ?g WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}",
            )
            for row in rows:
                result[bound(row, "s").value].add(bound(row, "g").value)
        return result

    def describe_elsewhere(self, iris: Iterable[str], exclude_graphs: set[str]) -> list[ox.Triple]:
        """What graphs outside ``exclude_graphs`` say about ``iris``, with owned blank nodes."""
        found: list[ox.Triple] = []
        for batch in _batches(sorted(iris), _VALUES_BATCH):
            values = " ".join(f"<{iri}>" for iri in batch)
            rows = solutions(
                self._native(),
                "SELECT ?g ?s ?p ?o ?p2 ?o2 WHERE { VALUES ?s { "
                + values
                + " } GRAPH ?g { ?s ?p ?o OPTIONAL { ?o ?p2 ?o2 FILTER(isBlank(?o)) } } }",
            )
            seen: set[tuple[str, str, str]] = set()
            for row in rows:
                if bound(row, "g").value in exclude_graphs:
                    continue
                subject, predicate, obj = bound(row, "s"), bound(row, "p"), bound(row, "o")
                triple = ox.Triple(subject, predicate, obj)
                key = (str(subject), str(predicate), str(obj))
                if key not in seen:
                    seen.add(key)
                    found.append(triple)
                if row["p2"] is not None:
                    found.append(ox.Triple(obj, bound(row, "p2"), bound(row, "o2")))
        return found


def _batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------------------------
# Validation of chunks
# ---------------------------------------------------------------------------------------------

# Set before the worker pool forks, so workers inherit them instead of pickling a shapes graph.
_SHAPES: Graph | None = None
_CONTEXT: StoreContext | None = None


def _validate_chunk(files: list[CatalogFile]) -> list[ValidationResult]:
    assert _SHAPES is not None and _CONTEXT is not None
    chunk_graphs = {f.graph for f in files}
    display_of = {f.graph: f.display for f in files}
    data = Graph()
    convert = _Converter()
    subjects: dict[str, set[str]] = defaultdict(set)  # IRI subject -> chunk graphs describing it
    blank_owner: dict[str, str] = {}  # blank node id -> chunk graph
    objects: set[str] = set()
    add = data.add
    for file in files:
        for triple in parse_file(file):
            add(convert.triple(triple))
            subject = triple.subject
            if isinstance(subject, ox.NamedNode):
                subjects[subject.value].add(file.graph)
            elif isinstance(subject, ox.BlankNode):
                blank_owner[subject.value] = file.graph
            if isinstance(triple.object, ox.NamedNode):
                objects.add(triple.object.value)

    # Subjects also described in files outside the chunk are validated with all their triples.
    elsewhere = _CONTEXT.graphs_describing(subjects)
    split = {iri for iri, graphs in elsewhere.items() if graphs - chunk_graphs}
    context: list[ox.Triple] = list(_CONTEXT.schema())
    if split:
        context.extend(_CONTEXT.describe_elsewhere(split, chunk_graphs))
    context.extend(_CONTEXT.types(objects - subjects.keys()))
    for triple in context:
        add(convert.triple(triple))

    # Each focus node is reported once, by the file that sorts first among those describing it.
    owner: dict[str, str] = {}
    for iri, graphs in subjects.items():
        primary = min(elsewhere.get(iri, set()) | graphs)
        if primary in chunk_graphs:
            owner[iri] = primary

    # An rdflib graph, not pySHACL's Oxigraph-backed one: pySHACL asks the data graph for its
    # length on every failed check (nested sh:or branches fail routinely), which is a full
    # COUNT on Oxigraph but free on rdflib's memory store.
    conforms, report, _ = pyshacl.validate(
        data,
        shacl_graph=_SHAPES,
        inference="none",
        inplace=True,
        allow_warnings=True,
        allow_infos=True,
    )
    del conforms  # with allow_warnings it is True despite warnings, which we report too
    return list(_read_results(report, _SHAPES, owner, blank_owner, display_of))


def _read_results(
    report: Graph,
    shapes: Graph,
    owner: dict[str, str],
    blank_owner: dict[str, str],
    display_of: dict[str, str],
) -> Iterable[ValidationResult]:
    for node in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(node, SH.focusNode)
        if isinstance(focus, URIRef):
            graph = owner.get(str(focus))
        elif isinstance(focus, BNode):
            graph = blank_owner.get(str(focus))
        else:
            graph = None
        if graph is None:
            continue  # a context node: reported by the chunk that owns it
        severity = SEVERITIES.get(str(report.value(node, SH.resultSeverity)), "Violation")
        messages = list(report.objects(node, SH.resultMessage))
        english = [m for m in messages if isinstance(m, Literal) and m.language in (None, "en")]
        message = str((english or messages or ["(no message)"])[0])
        path = report.value(node, SH.resultPath)
        value = report.value(node, SH.value)
        shape = report.value(node, SH.sourceShape)
        if isinstance(shape, BNode):
            # An anonymous property shape: name the node shape it was declared in.
            shape = shapes.value(shape, RDFS.isDefinedBy) or shape
        component = report.value(node, SH.sourceConstraintComponent)
        yield ValidationResult(
            severity=severity,
            file=display_of.get(graph, graph),
            focus=short_name(focus) if isinstance(focus, URIRef) else f"_:{focus}",
            path=short_name(path)
            if isinstance(path, URIRef)
            else (None if path is None else "(path)"),
            message=message,
            value=None if value is None else short_name(value),
            shape=None if shape is None else (str(shape) if isinstance(shape, URIRef) else None),
            component=None
            if component is None
            else str(component).removeprefix(str(SH)).removesuffix("ConstraintComponent"),
        )


def _chunks(files: list[CatalogFile], sizes: dict[str, int], limit: int) -> list[list[CatalogFile]]:
    chunks: list[list[CatalogFile]] = []
    current: list[CatalogFile] = []
    weight = 0
    for file in files:
        current.append(file)
        weight += sizes.get(file.graph, 1)
        if weight >= limit:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


def validate_files(
    files: Sequence[CatalogFile],
    shapes: Graph,
    context: StoreContext,
    *,
    triple_counts: dict[str, int] | None = None,
    workers: int | None = None,
) -> ValidationReport:
    """Validate the data files among ``files`` against ``shapes``, with ``context`` for the rest.

    Large sets run in ``workers`` forked processes (default: one per CPU); each chunk is
    independent, so results do not depend on the number of workers.
    """
    global _SHAPES, _CONTEXT
    data_files = [f for f in files if not f.is_shapes]
    sizes = triple_counts or {}
    total = sum(sizes.get(f.graph, 1) for f in data_files)
    workers = workers or os.cpu_count() or 1
    parallel = workers > 1 and total >= PARALLEL_MIN_TRIPLES and bool(triple_counts)
    limit = max(1, min(CHUNK_TRIPLES, total // (workers * 4) or 1)) if parallel else total + 1
    chunks = _chunks(data_files, sizes, limit)
    _SHAPES, _CONTEXT = shapes, context
    results: list[ValidationResult] = []
    try:
        if parallel and len(chunks) > 1:
            pool = multiprocessing.get_context("fork").Pool(workers)
            try:
                for chunk_results in pool.imap_unordered(_validate_chunk, chunks):
                    results.extend(chunk_results)
            finally:
                pool.close()
                pool.join()
        else:
            for chunk in chunks:
                results.extend(_validate_chunk(chunk))
    finally:
        _SHAPES, _CONTEXT = None, None
    return ValidationReport(sorted(results, key=ValidationResult.sort_key), len(data_files))


def report_from_json(data: dict[str, Any]) -> ValidationReport:
    """Rebuild a report saved with :meth:`ValidationReport.to_json` (from a build manifest)."""
    results = [
        ValidationResult(**item) for items in data.get("files", {}).values() for item in items
    ]
    return ValidationReport(results, int(data.get("files_checked", 0)))


def dumps(report: ValidationReport) -> str:
    """Serialize a report as JSON text."""
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2)
