"""Public SPARQL queries, independent of HTTP: what a query is, whether it may run, and its result.

The endpoint answers SELECT, ASK, CONSTRUCT and DESCRIBE over the served build and nothing
else. This module decides, for one query text:

* its **form** (:func:`classify`): a query form, or an update, which is refused before anything
  runs (the catalog changes only through reviewed files and ``lmickg build``);
* whether it asks for **federation** (:func:`refuse_federation`): pyoxigraph executes
  ``SERVICE <url>``, which would let anyone make the server fetch a URL. The check runs on the
  parsed query (rdflib's SPARQL parser and algebra, fed the text as pyoxigraph reads it) and,
  independently, on the SPARQL terminals of this module's lexer, never on raw text: the word in
  a comment, a string or a prefixed name is harmless. Texts that never spell "service" (in any
  case) cannot hold the keyword and skip the parse;
* the **media type** of its answer (:func:`negotiate`), from the client's Accept preferences
  (a callable, so the web layer can pass Werkzeug's q-value matching) and the ``format``,
  ``output`` and ``results`` parameters that clients such as SPARQLWrapper add;
* its **result**, row-capped with the truncation reported (:func:`execute`).

:func:`execute` is what a query worker process runs (see :mod:`lmickg.query_pool`); nothing here
knows about processes or time limits.
"""

from __future__ import annotations

import io
import itertools
import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar, cast

import pyoxigraph as ox

from .namespaces import PREFIXES

__all__ = [
    "GRAPH_MEDIA_TYPES",
    "HTML_MEDIA_TYPES",
    "RESULTS_MEDIA_TYPES",
    "Busy",
    "Negotiation",
    "NotAcceptable",
    "QueryOutcome",
    "QueryRequest",
    "QuerySyntaxError",
    "QueryTimeout",
    "ServiceRefused",
    "SparqlError",
    "UpdateRefused",
    "WorkerFailed",
    "classify",
    "declared_limit",
    "error_from",
    "execute",
    "negotiate",
    "refuse_federation",
]

# ---------------------------------------------------------------------------------------------
# Media types
# ---------------------------------------------------------------------------------------------

JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
TRIG = "application/trig"
NQUADS = "application/n-quads"
HTML = "text/html"

#: Media types a client may ask for SELECT/ASK results, mapped to the type we answer with.
#: Ordered by preference: ``*/*`` or no Accept header gets the first.
RESULTS_MEDIA_TYPES: dict[str, str] = {
    JSON_RESULTS: JSON_RESULTS,
    "application/json": JSON_RESULTS,
    XML_RESULTS: XML_RESULTS,
    "application/xml": XML_RESULTS,
    "text/xml": XML_RESULTS,
    CSV: CSV,
    TSV: TSV,
}
#: Media types for CONSTRUCT/DESCRIBE results (RDF), mapped to the type we answer with.
GRAPH_MEDIA_TYPES: dict[str, str] = {
    TURTLE: TURTLE,
    "application/turtle": TURTLE,
    "application/x-turtle": TURTLE,
    NTRIPLES: NTRIPLES,
    JSONLD: JSONLD,
    "application/json": JSONLD,
    RDFXML: RDFXML,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
    TRIG: TRIG,
    NQUADS: NQUADS,
}
#: A browser asking for a page: results are shown as an HTML table.
HTML_MEDIA_TYPES: tuple[str, ...] = (HTML, "application/xhtml+xml")

_RESULTS_FORMATS = {
    JSON_RESULTS: ox.QueryResultsFormat.JSON,
    XML_RESULTS: ox.QueryResultsFormat.XML,
    CSV: ox.QueryResultsFormat.CSV,
    TSV: ox.QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    TURTLE: ox.RdfFormat.TURTLE,
    NTRIPLES: ox.RdfFormat.N_TRIPLES,
    JSONLD: ox.RdfFormat.JSON_LD,
    RDFXML: ox.RdfFormat.RDF_XML,
    TRIG: ox.RdfFormat.TRIG,
    NQUADS: ox.RdfFormat.N_QUADS,
}
#: Only SELECT results have a CSV/TSV form (W3C SPARQL 1.1 CSV and TSV results).
_BOOLEAN_TYPES = (JSON_RESULTS, XML_RESULTS)

#: Short names accepted in ``format``/``output``/``results`` parameters: (results, graph) type.
_FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": (JSON_RESULTS, JSONLD),
    "srj": (JSON_RESULTS, None),
    "xml": (XML_RESULTS, RDFXML),
    "srx": (XML_RESULTS, None),
    "csv": (CSV, None),
    "tsv": (TSV, None),
    "turtle": (None, TURTLE),
    "ttl": (None, TURTLE),
    "n3": (None, TURTLE),
    "nt": (None, NTRIPLES),
    "ntriples": (None, NTRIPLES),
    "n-triples": (None, NTRIPLES),
    "json-ld": (None, JSONLD),
    "jsonld": (None, JSONLD),
    "rdf": (None, RDFXML),
    "rdfxml": (None, RDFXML),
    "rdf+xml": (None, RDFXML),
    "trig": (None, TRIG),
    "nq": (None, NQUADS),
    "nquads": (None, NQUADS),
    "html": (HTML, HTML),
}


@dataclass(frozen=True)
class Negotiation:
    """The media type to answer with for each query form (None: nothing the client accepts).

    ``results`` is a key of RESULTS_MEDIA_TYPES, ``graph`` one of GRAPH_MEDIA_TYPES, or HTML.
    """

    results: str | None
    graph: str | None

    @property
    def results_html(self) -> bool:
        """Whether SELECT/ASK results are to be shown as an HTML page."""
        return self.results == HTML

    @property
    def graph_html(self) -> bool:
        """Whether CONSTRUCT/DESCRIBE results are to be shown as an HTML page."""
        return self.graph == HTML


def _format_choice(values: Sequence[str]) -> tuple[str | None, str | None] | None:
    """The (results, graph) types named by ``format``-style parameters, or None if none is known."""
    results: str | None = None
    graph: str | None = None
    known = False
    for raw in values:
        value = raw.strip().lower()
        value = value.split(";", 1)[0].strip()
        if value in _FORMAT_NAMES:
            known = True
            r, g = _FORMAT_NAMES[value]
            results = results or r
            graph = graph or g
        elif (
            value in RESULTS_MEDIA_TYPES or value in GRAPH_MEDIA_TYPES or value in HTML_MEDIA_TYPES
        ):
            known = True
            if value in HTML_MEDIA_TYPES:
                results, graph = results or HTML, graph or HTML
            results = results or RESULTS_MEDIA_TYPES.get(value)
            graph = graph or GRAPH_MEDIA_TYPES.get(value)
    return (results, graph) if known else None


def negotiate(
    best_match: Callable[[Sequence[str]], str | None] | None,
    formats: Sequence[str] = (),
    *,
    html: bool = True,
) -> Negotiation:
    """Pick the answer's media type per query form.

    ``best_match(offers)`` returns the offer the client prefers (honouring q-values) or None;
    pass None when the request had no Accept header (then JSON results and Turtle). Known
    ``formats`` values (``json``, ``csv``, a media type, ...) win over Accept, as in Virtuoso.
    """
    chosen = _format_choice(formats)
    if chosen is not None:
        results, graph = chosen
        # A format parameter naming only one family leaves the other to Accept.
        if results is not None and graph is not None:
            return Negotiation(results, graph)
    else:
        results = graph = None
    extra = list(HTML_MEDIA_TYPES) if html else []
    if best_match is None:
        return Negotiation(results or JSON_RESULTS, graph or TURTLE)
    # The type the client matched is the one we answer with (``application/json`` stays
    # ``application/json``); the body is written in the format it stands for.
    if results is None:
        picked = best_match([*RESULTS_MEDIA_TYPES, *extra])
        results = HTML if picked in HTML_MEDIA_TYPES else picked
    if graph is None:
        picked = best_match([*GRAPH_MEDIA_TYPES, *extra])
        graph = HTML if picked in HTML_MEDIA_TYPES else picked
    return Negotiation(results, graph)


def offers(form: str) -> list[str]:
    """The media types the endpoint can answer a query of ``form`` with."""
    if form == "ask":
        return list(_BOOLEAN_TYPES)
    if form == "select":
        return list(_RESULTS_FORMATS)
    return list(_GRAPH_FORMATS)


# ---------------------------------------------------------------------------------------------
# Errors (crossing process boundaries as (code, message, details))
# ---------------------------------------------------------------------------------------------


class SparqlError(Exception):
    """A query the endpoint will not answer; ``code`` names the rule, the message says why."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __reduce__(self) -> tuple[Any, ...]:
        return (error_from, (self.code, self.message, self.details))


class QuerySyntaxError(SparqlError):
    """The text is not a SPARQL 1.1 query; the message is the parser's."""

    code = "syntax-error"


class UpdateRefused(SparqlError):
    """SPARQL Update (INSERT, DELETE, LOAD, CLEAR, ...): this endpoint is read-only."""

    code = "update-refused"


class ServiceRefused(SparqlError):
    """A federated query (``SERVICE``): the server never fetches URLs on a client's behalf."""

    code = "service-refused"


class NotAcceptable(SparqlError):
    """The client accepts no media type this query form can be answered in."""

    code = "not-acceptable"


class QueryTimeout(SparqlError):
    """The query ran past its time limit and was stopped."""

    code = "timeout"


class Busy(SparqlError):
    """Every query worker stayed busy for longer than a request may wait."""

    code = "busy"


class WorkerFailed(SparqlError):
    """The worker running the query died (e.g. it hit its memory limit) and was replaced."""

    code = "worker-failed"


_ERRORS: dict[str, type[SparqlError]] = {
    cls.code: cls
    for cls in (
        QuerySyntaxError,
        UpdateRefused,
        ServiceRefused,
        NotAcceptable,
        QueryTimeout,
        Busy,
        WorkerFailed,
    )
}


def error_from(code: str, message: str, details: dict[str, Any] | None = None) -> SparqlError:
    """Rebuild an error sent by a worker process."""
    return _ERRORS.get(code, SparqlError)(message, **(details or {}))


UPDATE_MESSAGE = (
    "This endpoint is read-only: SPARQL Update operations (INSERT, DELETE, LOAD, CLEAR, CREATE, "
    "DROP, COPY, MOVE, ADD) are not accepted. The catalog changes only through reviewed "
    "catalog files and `lmickg build`."
)
SERVICE_MESSAGE = (
    "Federated queries are not allowed: this endpoint never fetches other services or URLs "
    "(SERVICE clause found). Query each endpoint separately and combine the results yourself."
)

# ---------------------------------------------------------------------------------------------
# Tokens: just enough SPARQL lexing to find the query form, a final LIMIT and dataset clauses
# ---------------------------------------------------------------------------------------------

# Mirrors the SPARQL 1.1 terminals for strings, IRIs and comments (section 19.8), so that a
# keyword is only found where the grammar can see one.
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>
        '''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
      | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
      | '(?:[^'\\\n\r]|\\.)*'
      | "(?:[^"\\\n\r]|\\.)*"
    )
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][^\s{}()\[\];,.'"<>\#?$=!&|+*/^@]+)
  | (?P<word>(?:[^\s{}()\[\];,.'"<>\#?$=!&|+*/^\\]|\\.|\.(?=[^\s{}()\[\];,.'"<>\#?$=!&|+*/^]))+)
  | (?P<punct>[\s\S])
    """,
    re.VERBOSE | re.DOTALL,
)
_INTEGER = re.compile(r"[0-9]+")
_QUERY_FORMS = {"select": "select", "ask": "ask", "construct": "construct", "describe": "describe"}
_UPDATE_KEYWORDS = frozenset(
    {"insert", "delete", "load", "clear", "create", "drop", "copy", "move", "add", "with"}
)


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    """Significant tokens as (kind, text): no whitespace, no comments."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        if kind not in ("ws", "comment"):
            yield kind, match.group()


@dataclass(frozen=True)
class QueryShape:
    """What the tokens of a query text show, from one pass over them."""

    #: select, ask, construct, describe, update; None if unrecognised.
    form: str | None
    #: The final top-level LIMIT as written (``LIMIT n``, optionally with OFFSET), if any.
    limit: int | None
    #: Whether the query names its own dataset (``FROM`` / ``FROM NAMED``).
    has_dataset: bool


def analyse(text: str) -> QueryShape:
    """Form, final LIMIT and dataset clauses of ``text`` (a lexer's view; the engine decides)."""
    tokens = [(kind, value.lower() if kind == "word" else value) for kind, value in _tokens(text)]
    form: str | None = None
    index = 0
    while index < len(tokens):
        kind, word = tokens[index]
        if kind == "word" and word == "prefix":  # PREFIX pname: <iri>
            index += 3
            continue
        if kind == "word" and word == "base":
            index += 2
            continue
        if kind == "word" and word in _QUERY_FORMS:
            form = _QUERY_FORMS[word]
        elif kind == "word" and word in _UPDATE_KEYWORDS:
            form = "update"
        break
    # The tail, reversed: [n, LIMIT, ...] or [m, OFFSET, n, LIMIT].
    tail = [word for _, word in tokens[-1:-5:-1]]
    limit: int | None = None
    if len(tail) >= 2 and tail[1] == "limit" and _INTEGER.fullmatch(tail[0]):
        limit = int(tail[0])
    elif (
        len(tail) == 4
        and tail[1] == "offset"
        and _INTEGER.fullmatch(tail[0])
        and tail[3] == "limit"
        and _INTEGER.fullmatch(tail[2])
    ):
        limit = int(tail[2])
    has_dataset = any(kind == "word" and word == "from" for kind, word in tokens)
    return QueryShape(form, limit, has_dataset)


def classify(text: str) -> str | None:
    """The form of ``text``: select, ask, construct, describe, update; None if unrecognised."""
    return analyse(text).form


def declared_limit(text: str) -> int | None:
    """The query's final top-level LIMIT as written (``LIMIT n``, optionally with OFFSET)."""
    return analyse(text).limit


def has_dataset_clause(text: str) -> bool:
    """Whether the query names its own dataset (``FROM`` / ``FROM NAMED``)."""
    return analyse(text).has_dataset


# ---------------------------------------------------------------------------------------------
# Federation check on the parsed query
# ---------------------------------------------------------------------------------------------


def _mentions_service(text: str) -> bool:
    """Whether the text could spell the SERVICE keyword (conservatively: any "service")."""
    # pyoxigraph matches keywords ASCII-case-insensitively; NFKC and casefold only widen this.
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "service" in folded or "\\u" in folded


_CODEPOINT_ESCAPE = re.compile(r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}")


def _as_the_engine_reads_it(text: str) -> str:
    """The text for rdflib, with codepoint escapes made inert.

    rdflib expands ``\\u0022`` into ``"`` before parsing (as SPARQL 1.1 section 19.2 says);
    pyoxigraph reads escapes only inside strings and IRIs, as content. Expanded, an escaped quote
    would let rdflib see a long string where pyoxigraph sees a SERVICE clause between two
    strings, so each escape becomes a plain letter: the same tokens for both parsers.
    """
    return _CODEPOINT_ESCAPE.sub("x", text)


def _service_keyword(text: str) -> bool:
    """Whether the lexer finds a SERVICE keyword (outside strings, IRIs and comments)."""
    return any(kind == "word" and value.casefold() == "service" for kind, value in _tokens(text))


def _contains_service(root: object) -> bool:
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack: list[object] = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            stack.extend(node.values())
        elif isinstance(node, ParseResults | list | tuple | set | frozenset):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
    return False


def refuse_federation(text: str, *, base_iri: str | None = None) -> None:
    """Raise ServiceRefused if the query has a SERVICE clause anywhere.

    Both the lexer and rdflib's algebra must find none. A query mentioning "service" that rdflib
    cannot parse is refused as well (fail closed), unless pyoxigraph shows it is a plain syntax
    error, which is reported as such.
    """
    if not _mentions_service(text):
        return
    # Two independent readings must both find no SERVICE: this module's lexer, and rdflib's
    # parser and algebra (a query slipping past one parser's quirks meets the other).
    if _service_keyword(text):
        raise ServiceRefused(SERVICE_MESSAGE)
    from rdflib.plugins.sparql import algebra, parser

    try:
        parsed = parser.parseQuery(_as_the_engine_reads_it(text))
    except Exception as error:  # pyparsing raises several exception types
        oxigraph_error = _oxigraph_syntax_error(text)
        if oxigraph_error is not None:
            raise QuerySyntaxError(oxigraph_error) from None
        raise ServiceRefused(
            "This query mentions 'service', so it is checked for federated query before it "
            f"runs, and the check could not parse it ({error}). Check its syntax. Federated "
            "queries (SERVICE) are not allowed here."
        ) from None
    if _contains_service(parsed):
        raise ServiceRefused(SERVICE_MESSAGE)
    try:
        translated = algebra.translateQuery(parsed, base=base_iri, initNs=PREFIXES)
    except Exception:
        # The parse tree, already checked, holds every pattern the algebra would.
        return
    if _contains_service(translated.algebra):
        raise ServiceRefused(SERVICE_MESSAGE)


_EMPTY = ox.Store()


def _oxigraph_syntax_error(text: str) -> str | None:
    """pyoxigraph's message if ``text`` has a syntax error, found without running anything.

    A NUL character after a line break can never complete a query (it is not whitespace and no
    token starts with it), so parsing ``text`` + that always fails; when the failure is inside
    ``text`` itself, that is the query's own syntax error.
    """
    lines = text.count("\n") + 1
    try:
        _EMPTY.query(text + "\n\x00", prefixes=PREFIXES, base_iri="http://localhost/")
    except SyntaxError as error:
        message = str(error)
        found = re.match(r"error at (\d+):", message)
        if found and int(found.group(1)) <= lines:
            return message
        return None
    return None  # not reachable: the probe is never a valid query


# ---------------------------------------------------------------------------------------------
# Execution
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryRequest:
    """One query to run, as the protocol layer understood it."""

    query: str
    negotiation: Negotiation
    #: None: the default graph is the union of all named graphs (unless the query has FROM).
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None
    max_rows: int = 10_000
    max_bytes: int = 64 * 2**20

    def key(self) -> tuple[object, ...]:
        """What the result depends on besides the build (for caches and ETags)."""
        return (
            self.query,
            self.negotiation.results,
            self.negotiation.graph,
            self.default_graphs,
            self.named_graphs,
            self.base_iri,
            self.max_rows,
            self.max_bytes,
        )


@dataclass
class QueryOutcome:
    """A finished query: the serialized answer and what the client should be told about it."""

    form: str  # select | ask | graph
    media_type: str
    body: bytes
    truncated: bool = False
    #: Rows (or triples) in the body when counted; None when the engine wrote them directly.
    rows: int | None = None
    build_id: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class _Enough(Exception):
    """Raised from inside a serializer to stop it: the cap is reached."""


class _LineBudget(io.RawIOBase):
    """Collects a line-per-row serialization, stopping after ``max_lines`` or ``max_bytes``."""

    def __init__(self, max_lines: int, max_bytes: int) -> None:
        self.chunks: list[bytes] = []
        self.lines = 0
        self.size = 0
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self.stopped = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.stopped:
            # The engine's buffered writer retries its buffer once more when dropped.
            return len(data)
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.lines += chunk.count(b"\n")
        self.size += len(chunk)
        if self.lines > self.max_lines or self.size > self.max_bytes:
            self.stopped = True
            raise _Enough
        return len(chunk)

    def complete_lines(self, limit: int) -> list[bytes]:
        """Up to ``limit`` complete lines written, within the byte budget (without breaks)."""
        data = b"".join(self.chunks)
        lines = data.split(b"\n")
        lines.pop()  # after the last line break: empty, or an incomplete line
        kept: list[bytes] = []
        size = 0
        for line in lines[:limit]:
            size += len(line) + 1
            if kept and size > self.max_bytes:
                break
            kept.append(line)
        return kept


class _ByteBudget(io.RawIOBase):
    """Collects a serialization, refusing to grow past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.buffer = bytearray()
        self.max_bytes = max_bytes
        self.stopped = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.stopped:
            return len(data)
        self.buffer += data
        if len(self.buffer) > self.max_bytes:
            self.stopped = True
            raise _Enough
        return len(data)


def _dataset_options(request: QueryRequest, shape: QueryShape) -> dict[str, Any]:
    if request.default_graphs is None and request.named_graphs is None:
        # FROM/FROM NAMED in the query define its dataset; pyoxigraph would ignore them under
        # the union flag.
        return {"use_default_graph_as_union": not shape.has_dataset}
    # A protocol dataset replaces the query's own; a part the client left out is empty.
    try:
        return {
            "default_graph": [ox.NamedNode(g) for g in request.default_graphs or ()],
            "named_graphs": [ox.NamedNode(g) for g in request.named_graphs or ()],
        }
    except ValueError as error:
        raise QuerySyntaxError(f"invalid graph IRI in the protocol dataset: {error}") from None


def _limit_confirmed(text: str, base_iri: str | None) -> bool:
    """Whether pyoxigraph agrees the query ends with a top-level LIMIT (cheap, parse-only).

    After a top-level LIMIT or OFFSET another LIMIT is a syntax error; where the lexer could
    have been misled (a ``<`` read as an IRI that the parser reads as less-than, hiding a
    comment), the appended LIMIT parses, and the query takes the capped path.
    """
    try:
        _EMPTY.query(text + "\nLIMIT 1", prefixes=PREFIXES, base_iri=base_iri)
    except SyntaxError:
        return True
    return False


def execute(store: ox.Store, request: QueryRequest, *, build_id: str = "") -> QueryOutcome:
    """Run one public query on ``store`` and serialize its capped result.

    Raises UpdateRefused, ServiceRefused, QuerySyntaxError or NotAcceptable.
    """
    started = time.perf_counter()
    text = request.query
    shape = analyse(text)
    if shape.form == "update":
        raise UpdateRefused(UPDATE_MESSAGE)
    refuse_federation(text, base_iri=request.base_iri)
    options: dict[str, Any] = {"prefixes": PREFIXES, "base_iri": request.base_iri}
    options.update(_dataset_options(request, shape))
    try:
        result = store.query(text, **options)
    except SyntaxError as error:
        raise QuerySyntaxError(str(error)) from None

    negotiation = request.negotiation
    if isinstance(result, ox.QueryBoolean):
        media = JSON_RESULTS if negotiation.results == HTML else negotiation.results
        canonical = RESULTS_MEDIA_TYPES.get(media or "")
        if media is None or canonical not in _BOOLEAN_TYPES:
            raise NotAcceptable(
                "an ASK query answers true or false, in one of: " + ", ".join(_BOOLEAN_TYPES),
                form="ask",
                offers=list(_BOOLEAN_TYPES),
            )
        body = bytes(result.serialize(format=_RESULTS_FORMATS[canonical]) or b"")
        outcome = QueryOutcome("ask", media, body, rows=1)
    elif isinstance(result, ox.QuerySolutions):
        media = JSON_RESULTS if negotiation.results == HTML else negotiation.results
        if media is None or media not in RESULTS_MEDIA_TYPES:
            raise NotAcceptable(
                "a SELECT query answers a table of results, in one of: "
                + ", ".join(_RESULTS_FORMATS),
                form="select",
                offers=list(_RESULTS_FORMATS),
            )
        outcome = _select(result, media, request, shape, lambda: store.query(text, **options))
    else:
        media = TURTLE if negotiation.graph == HTML else negotiation.graph
        if media is None or media not in GRAPH_MEDIA_TYPES:
            raise NotAcceptable(
                "a CONSTRUCT or DESCRIBE query answers RDF, in one of: "
                + ", ".join(_GRAPH_FORMATS),
                form="graph",
                offers=list(_GRAPH_FORMATS),
            )
        outcome = _graph(result, media, request)
    outcome.build_id = build_id
    outcome.seconds = time.perf_counter() - started
    return outcome


def _select(
    result: ox.QuerySolutions,
    media: str,
    request: QueryRequest,
    shape: QueryShape,
    rerun: Callable[[], object],
) -> QueryOutcome:
    canonical = RESULTS_MEDIA_TYPES[media]
    limit = shape.limit
    if (
        limit is not None
        and limit <= request.max_rows
        and canonical != CSV
        and _limit_confirmed(request.query, request.base_iri)
    ):
        # The query itself cannot exceed the cap: let the engine write the answer directly.
        direct = _ByteBudget(request.max_bytes)
        try:
            result.serialize(cast(IO[bytes], direct), format=_RESULTS_FORMATS[canonical])
            return QueryOutcome("select", media, bytes(direct.buffer))
        except _Enough:
            # Too many bytes: the iterator is spent, so run again on the path that trims rows.
            again = rerun()
            assert isinstance(again, ox.QuerySolutions)
            result = again
    # Tab-separated results hold one solution per line (line breaks in values are escaped),
    # so counting lines caps rows exactly; the capped table is re-serialized by pyoxigraph.
    budget = _LineBudget(request.max_rows + 1, request.max_bytes)
    truncated = False
    try:
        result.serialize(cast(IO[bytes], budget), format=ox.QueryResultsFormat.TSV)
    except _Enough:
        truncated = True
    lines = budget.complete_lines(request.max_rows + 1)
    rows = max(len(lines) - 1, 0)
    if rows < budget.lines - 1:
        truncated = True
    tsv = b"\n".join(lines) + b"\n"
    if canonical == TSV:
        body = tsv
    else:
        parsed = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
        assert isinstance(parsed, ox.QuerySolutions)
        body = bytes(parsed.serialize(format=_RESULTS_FORMATS[canonical]) or b"")
    return QueryOutcome("select", media, body, truncated=truncated, rows=rows)


# Entity IRIs have a slash in their local part (``id:source/lfs``), which Turtle would escape.
_SERIALIZATION_PREFIXES = {p: ns for p, ns in PREFIXES.items() if p != "id"}


def _graph(result: ox.QueryTriples, media: str, request: QueryRequest) -> QueryOutcome:
    triples = list(itertools.islice(result, request.max_rows + 1))
    truncated = len(triples) > request.max_rows
    del triples[request.max_rows :]
    canonical = GRAPH_MEDIA_TYPES[media]
    fmt = _GRAPH_FORMATS[canonical]
    prefixes = _SERIALIZATION_PREFIXES if canonical in (TURTLE, TRIG) else None
    while True:
        body = bytes(ox.serialize(triples, format=fmt, prefixes=prefixes) or b"")
        if len(body) <= request.max_bytes or not triples:
            break
        del triples[len(triples) // 2 :]
        truncated = True
    return QueryOutcome("graph", media, body, truncated=truncated, rows=len(triples))
