"""The triple store behind the catalog, and the directory of atomic builds it lives in.

Everything above this module (build, search, web, SPARQL endpoint) talks to a :class:`Store`:
query, construct, load or replace a named graph, drop a graph, list graphs. The embedded
implementation is :class:`OxigraphStore` (pyoxigraph, on disk). A remote SPARQL 1.1 store can
implement the same protocol later without touching the callers.

Queries read the union of the named graphs (one graph per catalog file), so callers never need
``GRAPH`` clauses unless they ask where a triple came from.

A *store root* holds builds side by side and a ``current`` symlink naming the one being served::

    STORE_ROOT/
      current -> builds/20261203T162100-3f2a
      builds/20261203T162100-3f2a/{oxigraph/, manifest.json, ...}

Switching builds is one atomic ``rename`` of that symlink; readers notice the change by
comparing :meth:`StoreRoot.current_id` with the build they opened.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .namespaces import PREFIXES

__all__ = [
    "OxigraphStore",
    "QueryError",
    "SelectResult",
    "Store",
    "StoreRoot",
    "bound",
    "from_oxigraph",
    "solutions",
    "to_oxigraph",
]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


class QueryError(ValueError):
    """A query the store refused: a syntax error or an unsupported form. The message says why."""


@dataclass
class SelectResult:
    """The rows of a SELECT query: variable names in order, rows as ``{name: rdflib term}``.

    Unbound variables are absent from a row's dict, as in the SPARQL JSON results format.
    """

    variables: list[str]
    rows: list[dict[str, Node]] = field(default_factory=list)

    def __iter__(self) -> Iterator[dict[str, Node]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


@runtime_checkable
class Store(Protocol):
    """What the rest of lmickg needs from a triple store."""

    def query(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> SelectResult | bool | Graph:
        """Run any query over the union of graphs; ``bindings`` pre-bind variables."""
        ...

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> SelectResult:
        """Run a SELECT query over the union of graphs.

        ``bindings`` pre-bind variables (SPARQL-dev SEP-0007 substitution): a bound variable of a
        SELECT must be in its projection.
        """
        ...

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        """Run an ASK query."""
        ...

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query and return the triples as an rdflib Graph."""
        ...

    def serialize_query(self, query: str, media_type: str, **options: object) -> bytes:
        """Run any query and serialize its result in ``media_type`` (results or RDF format)."""
        ...

    def load_graph(
        self, graph: str, data: bytes | str | Path, media_type: str = "text/turtle"
    ) -> None:
        """Replace the named graph ``graph`` with the parsed ``data`` (atomically)."""
        ...

    def drop_graph(self, graph: str) -> None:
        """Remove the named graph ``graph`` and its triples."""
        ...

    def graphs(self) -> list[str]:
        """The IRIs of all named graphs."""
        ...

    def triple_count(self) -> int:
        """How many quads the store holds."""
        ...


# ---------------------------------------------------------------------------------------------
# Term conversion between pyoxigraph and rdflib
# ---------------------------------------------------------------------------------------------


def from_oxigraph(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    """Convert a pyoxigraph term to the equal rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"unsupported term: {term!r}")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert an rdflib term to the equal pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(f"unsupported term: {term!r}")


_RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}


def rdf_format(media_type: str) -> ox.RdfFormat:
    """The pyoxigraph RDF format for a media type; ValueError names the supported ones."""
    try:
        return _RDF_FORMATS[media_type]
    except KeyError:
        raise ValueError(
            f"unsupported RDF media type {media_type!r}; use one of {', '.join(_RDF_FORMATS)}"
        ) from None


def _select_result(solutions: ox.QuerySolutions) -> SelectResult:
    names = [v.value for v in solutions.variables]
    rows = []
    cache: dict[str, URIRef] = {}
    for solution in solutions:
        row: dict[str, Node] = {}
        for name in names:
            value = solution[name]
            if value is None:
                continue
            if isinstance(value, ox.NamedNode):
                # Most result cells are IRIs repeated across rows; share the objects.
                iri = cache.get(value.value)
                if iri is None:
                    iri = cache[value.value] = URIRef(value.value)
                row[name] = iri
            else:
                row[name] = from_oxigraph(value)
        rows.append(row)
    return SelectResult(names, rows)


def _graph(triples: ox.QueryTriples) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(
            (
                from_oxigraph(triple.subject),
                from_oxigraph(triple.predicate),
                from_oxigraph(triple.object),
            )
        )
    return graph


def solutions(store: ox.Store, query: str, *, union: bool = False) -> ox.QuerySolutions:
    """Run a SELECT on a native pyoxigraph store (core code issuing its own bulk queries)."""
    result = store.query(query, use_default_graph_as_union=union)
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError("not a SELECT query")
    return result


def bound(solution: ox.QuerySolution, name: str) -> Any:
    """The value of a variable that the query always binds (a pyoxigraph term)."""
    term = solution[name]
    if term is None:
        raise KeyError(name)
    return term


class OxigraphStore:
    """The embedded store: pyoxigraph on disk (or in memory when ``path`` is None)."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        if path is None:
            self._store = ox.Store()
        elif read_only:
            self._store = ox.Store.read_only(str(path))
        else:
            self._store = ox.Store(str(path))
        self.read_only = read_only

    @property
    def native(self) -> ox.Store:
        """The pyoxigraph store, for bulk operations the protocol does not cover."""
        return self._store

    def _run(self, query: str, bindings: Mapping[str, Node] | None = None) -> object:
        substitutions: (
            dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] | None
        ) = (
            {ox.Variable(name): to_oxigraph(value) for name, value in bindings.items()}
            if bindings
            else None
        )
        try:
            return self._store.query(
                query,
                prefixes=PREFIXES,
                use_default_graph_as_union=True,
                substitutions=substitutions,
            )
        except SyntaxError as error:
            raise QueryError(str(error)) from error
        except RuntimeError as error:
            # e.g. a bound variable missing from the SELECT projection (SEP-0007 substitution
            # requires it there): the query is wrong for these bindings, not the store.
            raise QueryError(str(error)) from error

    def query(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> SelectResult | bool | Graph:
        """Run any query: rows for SELECT, a bool for ASK, a Graph for CONSTRUCT/DESCRIBE."""
        result = self._run(query, bindings)
        if isinstance(result, ox.QuerySolutions):
            return _select_result(result)
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        return _graph(result)  # type: ignore[arg-type]

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> SelectResult:
        """Run a SELECT query over the union of graphs."""
        result = self.query(query, bindings)
        if not isinstance(result, SelectResult):
            raise QueryError("not a SELECT query")
        return result

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        """Run an ASK query."""
        result = self.query(query, bindings)
        if not isinstance(result, bool):
            raise QueryError("not an ASK query")
        return result

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query and return an rdflib Graph."""
        result = self.query(query, bindings)
        if not isinstance(result, Graph):
            raise QueryError("not a CONSTRUCT or DESCRIBE query")
        return result

    def serialize_query(self, query: str, media_type: str, **options: object) -> bytes:
        """Run any query and serialize its result in ``media_type``."""
        result = self._run(query, options.get("bindings"))  # type: ignore[arg-type]
        if isinstance(result, ox.QueryTriples):
            return bytes(result.serialize(format=rdf_format(media_type)) or b"")
        try:
            results_format = _RESULT_FORMATS[media_type]
        except KeyError:
            raise ValueError(f"unsupported results media type {media_type!r}") from None
        assert isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
        return bytes(result.serialize(format=results_format) or b"")

    def load_graph(
        self, graph: str, data: bytes | str | Path, media_type: str = "text/turtle"
    ) -> None:
        """Replace the named graph ``graph`` with the parsed ``data``, in one transaction."""
        fmt = rdf_format(media_type)
        name = ox.NamedNode(graph)
        if isinstance(data, Path):
            quads = [
                ox.Quad(t.subject, t.predicate, t.object, name)
                for t in ox.parse(path=str(data), format=fmt)
            ]
        else:
            quads = [
                ox.Quad(t.subject, t.predicate, t.object, name) for t in ox.parse(data, format=fmt)
            ]
        self._store.remove_graph(name)
        self._store.extend(quads)

    def drop_graph(self, graph: str) -> None:
        """Remove the named graph ``graph``."""
        self._store.remove_graph(ox.NamedNode(graph))

    def graphs(self) -> list[str]:
        """The IRIs of all named graphs."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def triple_count(self) -> int:
        """How many quads the store holds."""
        return len(self._store)

    def bulk_add(self, quads: Iterable[ox.Quad]) -> None:
        """Load many quads fast, bypassing transactions (used by the build on a fresh store)."""
        self._store.bulk_extend(quads)

    def flush(self) -> None:
        """Make every write durable before the build switches to this store."""
        self._store.flush()

    def backup(self, target: Path) -> None:
        """Copy this store to ``target`` cheaply (hard links on the same file system)."""
        self._store.backup(str(target))


# ---------------------------------------------------------------------------------------------
# Build directories and the `current` pointer
# ---------------------------------------------------------------------------------------------


class StoreRoot:
    """A directory of builds with an atomically switched ``current`` pointer."""

    OXIGRAPH = "oxigraph"
    MANIFEST = "manifest.json"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.builds = self.root / "builds"
        self.pointer = self.root / "current"

    def current_id(self) -> str | None:
        """The id of the build being served, or None if nothing was built yet."""
        try:
            return Path(os.readlink(self.pointer)).name
        except (FileNotFoundError, OSError):
            return None

    def current_dir(self) -> Path | None:
        """The directory of the build being served."""
        build_id = self.current_id()
        return self.builds / build_id if build_id else None

    def new_build_dir(self, build_id: str) -> Path:
        """Create an empty directory for a new build (not yet served)."""
        path = self.builds / build_id
        path.mkdir(parents=True, exist_ok=False)
        return path

    def switch(self, build_id: str) -> None:
        """Serve ``build_id`` from now on: one atomic rename, readers see old or new, never half."""
        target = Path("builds") / build_id
        tmp = self.root / f".current.{os.getpid()}"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(target, tmp)
        os.replace(tmp, self.pointer)

    def open_current(self, *, read_only: bool = True) -> OxigraphStore:
        """Open the served build's store; FileNotFoundError if nothing was built yet."""
        current = self.current_dir()
        if current is None or not (current / self.OXIGRAPH).exists():
            raise FileNotFoundError(
                f"no catalog has been built in {self.root}; run `lmickg build` first"
            )
        return OxigraphStore(current / self.OXIGRAPH, read_only=read_only)

    def prune(self, keep: int = 3) -> list[str]:
        """Delete old builds, keeping the served one and the ``keep`` newest; return removed ids."""
        if not self.builds.exists():
            return []
        current = self.current_id()
        ids = sorted(p.name for p in self.builds.iterdir() if p.is_dir())
        keep_ids = set(ids[-keep:]) | ({current} if current else set())
        removed = []
        for build_id in ids:
            if build_id not in keep_ids:
                shutil.rmtree(self.builds / build_id, ignore_errors=True)
                removed.append(build_id)
        return removed
