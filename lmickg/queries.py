"""Named questions: SPARQL files with a small header, parsed once, checked, run with bound parameters.

A named question is a file ``queries/NAME.rq``. Its header is a block of ``#+`` comment lines
(grlc-style, so the file stays a valid SPARQL query anyone can paste into an endpoint)::

    #+ title: Coverage matrix: variables by geographic level      (English, required)
    #+ title@fr: Matrice de couverture : …                         (French, required)
    #+ description: …                                             (required)
    #+ description@fr: …                                          (required)
    #+ order: 1                                                   (position in lists)
    #+ precompute: coverage                                       (answered from the build's
    #+                                                             coverage index, see coverage.py;
    #+                                                             or `sparql`: this query run at
    #+                                                             build time for every value)
    #+ param: frequency | Published at least as often as | Publiée au moins aussi souvent que
    #+   type: iri                                                (iri, date, integer or string)
    #+   default: any                                             (a value below; dates: today)
    #+   value: any = dct:Frequency | any frequency | toute fréquence
    #+   value: freq:MONTHLY                                      (alias: "monthly")
    #+   class: lmic:Variable                                     (its instances are allowed too)
    #+   min: 1900                                                (integers)
    #+   max: 2100
    #+ column: sources | Sources | Sources                        (column labels, optional)

A ``value`` line is ``[alias =] term [| English label | French label]``: the term is a prefixed
name (the catalog's prefixes) or ``<IRI>`` for ``iri`` parameters, the text itself for ``string``
parameters; without an alias, an IRI's alias is its last segment in lower case (``MONTHLY`` →
``monthly``). A class IRI stands for "any" of its members by convention.

Parameters are bound with pyoxigraph substitutions (:meth:`lmickg.store.Store.select` bindings),
never pasted into the text, so a value can never change the query's structure. Oxigraph only
substitutes variables of the ``SELECT`` clause, and its optimizer treats a variable that no
pattern binds as always unbound, so a query binds each ``iri`` or ``string`` parameter with a
pattern listing every value it may take (``VALUES``, or ``?x a lmic:Variable``), never tests a
parameter with ``BOUND()`` and never copies it with a bare ``BIND``. Run without parameters, such
a query answers for every value at once, one set of rows per value.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, overload

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from .namespaces import PREFIXES, XSD
from .store import Store, to_oxigraph

__all__ = [
    "QUERIES_DIR",
    "AllowedValue",
    "Column",
    "LazyRows",
    "NamedQuery",
    "Param",
    "ParamError",
    "Precomputed",
    "QueryDefinitionError",
    "QueryResult",
    "UnknownQueryError",
    "answer",
    "cell_value",
    "get_named_query",
    "load_named_queries",
    "parse_query_file",
    "result_csv",
    "result_json",
    "run_sparql",
]

#: The repository's named questions.
QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
LANGUAGES = ("en", "fr")
PARAM_TYPES = ("iri", "date", "integer", "string")
PRECOMPUTE_KINDS = ("coverage", "sparql")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CURIE = re.compile(r"^([A-Za-z][\w-]*):([^\s<>]*)$")


class QueryDefinitionError(ValueError):
    """A named-question file that cannot be used; the message names the file and line."""


class UnknownQueryError(KeyError):
    """No named question has this name."""

    def __init__(self, name: str, available: Iterable[str]) -> None:
        self.name = name
        self.available = sorted(available)
        super().__init__(name)

    def __str__(self) -> str:
        return f"no named question {self.name!r}; available: {', '.join(self.available)}"


class ParamError(ValueError):
    """A parameter name or value the question does not accept; ``allowed`` lists what it does."""

    def __init__(self, query: str, param: str, value: str, reason: str, allowed: list[str]) -> None:
        self.query = query
        self.param = param
        self.value = value
        self.reason = reason
        self.allowed = allowed
        listed = f"; allowed: {', '.join(allowed)}" if allowed else ""
        super().__init__(f"{query}: parameter {param!r}={value!r}: {reason}{listed}")

    def to_json(self) -> dict[str, object]:
        """The error as a JSON body for machine clients."""
        return {
            "error": "bad parameter",
            "query": self.query,
            "param": self.param,
            "value": self.value,
            "reason": self.reason,
            "allowed": self.allowed,
        }


@dataclass(frozen=True)
class AllowedValue:
    """One value a parameter may take, with its short alias and optional labels."""

    term: Node
    alias: str
    label: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Param:
    """A parameter of a named question: a SPARQL variable bound by substitution."""

    name: str
    type: str
    label: dict[str, str]
    default: str
    values: tuple[AllowedValue, ...] = ()
    value_class: URIRef | None = None
    minimum: int | None = None
    maximum: int | None = None

    def allowed_tokens(self) -> list[str]:
        """What the user may type, as listed in error messages."""
        tokens = [v.alias for v in self.values]
        if self.value_class is not None:
            tokens.append(f"any {_curie(self.value_class)} of the catalog (its key or IRI)")
        if self.type == "date":
            tokens.append("a date YYYY-MM-DD or 'today'")
        if self.type == "integer":
            low = self.minimum if self.minimum is not None else "…"
            high = self.maximum if self.maximum is not None else "…"
            tokens.append(f"an integer from {low} to {high}")
        return tokens

    def token(self, term: Node) -> str:
        """The shortest text that names ``term`` (used in URLs and forms)."""
        for value in self.values:
            if value.term == term:
                return value.alias
        if isinstance(term, URIRef):
            return _last_segment(str(term))
        return str(term)

    def resolve(
        self, query: str, text: str, store: Store | None = None, today: date | None = None
    ) -> Node:
        """The RDF term for ``text``; ParamError if it is not an allowed value."""
        text = text.strip()
        if self.type == "date":
            if text.lower() == "today":
                return Literal((today or date.today()).isoformat(), datatype=XSD.date)
            try:
                return Literal(date.fromisoformat(text).isoformat(), datatype=XSD.date)
            except ValueError:
                raise self._error(query, text, "not a date") from None
        if self.type == "integer":
            try:
                number = int(text)
            except ValueError:
                raise self._error(query, text, "not an integer") from None
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                raise self._error(query, text, "out of range")
            return Literal(number)
        for value in self.values:
            if text.lower() == value.alias.lower() or text == str(value.term):
                return value.term
        if self.type == "string":
            raise self._error(query, text, "not one of the allowed values")
        iri = _expand(text)
        for value in self.values:
            if iri is not None and value.term == iri:
                return value.term
        if self.value_class is None:
            raise self._error(query, text, "not one of the allowed values")
        if store is None:
            raise self._error(query, text, "cannot check catalog members without a store")
        members = class_members(store, self.value_class)
        if iri is not None and iri in members:
            return iri
        matches = [m for m in members if _last_segment(str(m)) == text.lower()]
        if len(matches) == 1:
            return matches[0]
        reason = (
            "ambiguous: give the full IRI"
            if matches
            else f"not a {_curie(self.value_class)} of the catalog"
        )
        raise self._error(query, text, reason)

    def _error(self, query: str, text: str, reason: str) -> ParamError:
        return ParamError(query, self.name, text, reason, self.allowed_tokens())


@dataclass(frozen=True)
class Column:
    """A result column's labels."""

    name: str
    label: dict[str, str]


@dataclass(frozen=True)
class NamedQuery:
    """A named question, parsed from ``queries/NAME.rq``."""

    name: str
    title: dict[str, str]
    description: dict[str, str]
    text: str
    params: list[Param]
    columns: list[Column] = field(default_factory=list)
    order: int = 100
    precompute: str | None = None
    path: Path | None = None

    def param(self, name: str) -> Param:
        """The parameter called ``name``; ParamError lists the parameter names."""
        for param in self.params:
            if param.name == name:
                return param
        raise ParamError(
            self.name, name, "", "no such parameter", [p.name for p in self.params] or ["none"]
        )

    def column_label(self, name: str, lang: str) -> str:
        """The label of result column ``name`` in ``lang`` (the variable name if none)."""
        for column in self.columns:
            if column.name == name:
                return column.label.get(lang) or column.label.get("en") or name
        for param in self.params:
            if param.name == name:
                return param.label.get(lang) or param.label.get("en") or name
        return name

    def bind(
        self,
        given: Mapping[str, str],
        store: Store | None = None,
        today: date | None = None,
    ) -> dict[str, Node]:
        """Resolve ``given`` (name → text) plus defaults into RDF terms for substitution."""
        for name in given:
            self.param(name)
        bindings: dict[str, Node] = {}
        for param in self.params:
            text = given.get(param.name)
            if text is None or text == "":
                text = param.default
            bindings[param.name] = param.resolve(self.name, text, store, today)
        return bindings

    def tokens(self, bindings: Mapping[str, Node]) -> dict[str, str]:
        """The short text of each bound parameter (for URLs and exports)."""
        return {p.name: p.token(bindings[p.name]) for p in self.params if p.name in bindings}


class LazyRows(Sequence[dict[str, Node]]):
    """Rows built only when read: a page of a 400,000-row answer costs a page, not the answer."""

    def __init__(self, items: Sequence[Any], build: Callable[[Any], dict[str, Node]]) -> None:
        self._items = items
        self._build = build

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> dict[str, Node]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Node]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Node] | list[dict[str, Node]]:
        if isinstance(index, slice):
            return [self._build(item) for item in self._items[index]]
        return self._build(self._items[index])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@dataclass
class QueryResult:
    """Rows of a named question: column names in order, rows as ``{column: term}``."""

    columns: list[str]
    rows: Sequence[dict[str, Node]]


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


def _curie(iri: URIRef) -> str:
    text = str(iri)
    best = ""
    for prefix, namespace in PREFIXES.items():
        if text.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{text[len(PREFIXES[best]) :]}" if best else text


def _last_segment(iri: str) -> str:
    segment = re.split(r"[/#]", iri.rstrip("/"))[-1]
    return segment.lower().replace("_", "-")


def _expand(text: str) -> URIRef | None:
    """A full IRI for ``<IRI>``, ``http…`` or a prefixed name with a known prefix."""
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if text.startswith(("http://", "https://", "urn:")):
        return URIRef(text) if not re.search(r"[\s<>\"{}|\\^`]", text) else None
    match = _CURIE.match(text)
    if match and match.group(1) in PREFIXES:
        return URIRef(PREFIXES[match.group(1)] + match.group(2))
    return None


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lineno = 0

    def fail(self, message: str) -> QueryDefinitionError:
        return QueryDefinitionError(f"{self.path}:{self.lineno}: {message}")

    def labels(self, parts: list[str]) -> dict[str, str]:
        labels = {}
        for lang, text in zip(LANGUAGES, parts, strict=False):
            if text.strip():
                labels[lang] = text.strip()
        return labels

    def value(self, param_type: str, spec: str) -> AllowedValue:
        parts = spec.split("|")
        head = parts[0].strip()
        labels = self.labels(parts[1:])
        alias = None
        if param_type == "iri" and "=" in head:
            alias, _, head = (s.strip() for s in head.partition("="))
        if param_type == "string":
            if not head:
                raise self.fail("empty value")
            return AllowedValue(Literal(head), head, labels)
        if param_type != "iri":
            raise self.fail(f"'value' is only for iri and string parameters, not {param_type}")
        iri = _expand(head)
        if iri is None:
            raise self.fail(f"not an IRI or prefixed name with a known prefix: {head!r}")
        return AllowedValue(iri, alias or _last_segment(str(iri)), labels)

    def parse(self, name: str, text: str) -> NamedQuery:
        fields: dict[str, str] = {}
        params: list[dict[str, Any]] = []
        columns: list[Column] = []
        current: dict[str, Any] | None = None
        for self.lineno, line in enumerate(text.splitlines(), start=1):
            if not line.startswith("#"):
                if line.strip():
                    break
                continue
            if not line.startswith("#+"):
                current = None
                continue
            body = line[2:]
            nested = body.startswith("   ")
            key, sep, value = body.strip().partition(":")
            key, value = key.strip(), value.strip()
            if not sep:
                raise self.fail(f"expected 'key: value', got {line!r}")
            if nested:
                if current is None:
                    raise self.fail(f"indented {key!r} outside a param")
                if key == "value":
                    current.setdefault("values", []).append((self.lineno, value))
                elif key in ("type", "default", "class", "min", "max"):
                    if key in current:
                        raise self.fail(f"{key!r} given twice")
                    current[key] = value
                    current[f"{key}_line"] = self.lineno
                else:
                    raise self.fail(f"unknown param attribute {key!r}")
                continue
            if key == "param":
                parts = value.split("|")
                pname = parts[0].strip()
                if not _VARIABLE.match(pname):
                    raise self.fail(f"bad parameter name {pname!r}")
                current = {"name": pname, "label": self.labels(parts[1:]), "line": self.lineno}
                params.append(current)
            elif key == "column":
                parts = value.split("|")
                columns.append(Column(parts[0].strip(), self.labels(parts[1:])))
                current = None
            elif key in (
                "title",
                "title@fr",
                "description",
                "description@fr",
                "order",
                "precompute",
            ):
                if key in fields:
                    raise self.fail(f"{key!r} given twice")
                fields[key] = value
                current = None
            else:
                raise self.fail(f"unknown header key {key!r}")
        self.lineno = 1
        for required in ("title", "title@fr", "description", "description@fr"):
            if not fields.get(required):
                raise self.fail(f"missing '#+ {required}:'")
        precompute = fields.get("precompute") or None
        if precompute is not None and precompute not in PRECOMPUTE_KINDS:
            raise self.fail(f"precompute must be one of {', '.join(PRECOMPUTE_KINDS)}")
        try:
            order = int(fields.get("order", "100"))
        except ValueError:
            raise self.fail("order must be an integer") from None
        return NamedQuery(
            name=name,
            title={"en": fields["title"], "fr": fields["title@fr"]},
            description={"en": fields["description"], "fr": fields["description@fr"]},
            text=text,
            params=[self.param(p) for p in params],
            columns=columns,
            order=order,
            precompute=precompute,
            path=self.path,
        )

    def param(self, spec: dict[str, Any]) -> Param:
        self.lineno = spec["line"]
        param_type = spec.get("type")
        if param_type not in PARAM_TYPES:
            raise self.fail(f"param {spec['name']}: type must be one of {', '.join(PARAM_TYPES)}")
        values = []
        for self.lineno, value in spec.get("values", []):
            values.append(self.value(param_type, value))
        aliases = [v.alias.lower() for v in values]
        if len(set(aliases)) != len(aliases):
            raise self.fail(f"param {spec['name']}: two values share an alias")
        value_class = None
        if "class" in spec:
            self.lineno = spec["class_line"]
            value_class = _expand(spec["class"])
            if param_type != "iri" or value_class is None:
                raise self.fail(f"param {spec['name']}: class needs an iri parameter and an IRI")
        bounds: dict[str, int | None] = {"min": None, "max": None}
        for key in bounds:
            if key in spec:
                self.lineno = spec[f"{key}_line"]
                if param_type != "integer":
                    raise self.fail(f"param {spec['name']}: {key} is for integer parameters")
                try:
                    bounds[key] = int(spec[key])
                except ValueError:
                    raise self.fail(f"param {spec['name']}: {key} must be an integer") from None
        if param_type in ("iri", "string") and not values and value_class is None:
            raise self.fail(f"param {spec['name']}: list its values (and/or a class)")
        if "default" not in spec:
            self.lineno = spec["line"]
            raise self.fail(f"param {spec['name']}: a default is required")
        return Param(
            name=spec["name"],
            type=param_type,
            label=spec["label"],
            default=spec["default"],
            values=tuple(values),
            value_class=value_class,
            minimum=bounds["min"],
            maximum=bounds["max"],
        )


def _check(query: NamedQuery) -> None:
    """Prepare the query on an empty store with its defaults: syntax and parameters must hold."""
    for param in query.params:
        if f"?{param.name}" not in query.text and f"${param.name}" not in query.text:
            raise QueryDefinitionError(f"{query.path}: parameter ?{param.name} is not in the query")
        if param.type in ("iri", "string") and param.value_class is None:
            try:
                param.resolve(query.name, param.default)
            except ParamError as error:
                raise QueryDefinitionError(f"{query.path}: default: {error}") from None
    bindings = {}
    for param in query.params:
        if param.value_class is not None and not any(
            v.alias == param.default for v in param.values
        ):
            raise QueryDefinitionError(
                f"{query.path}: param {param.name}: a class parameter's default must be a listed value"
            )
        bindings[param.name] = param.resolve(query.name, param.default, today=date(2000, 1, 1))
    empty = ox.Store()
    try:
        plain = empty.query(query.text, prefixes=PREFIXES, use_default_graph_as_union=True)
    except (SyntaxError, RuntimeError, ValueError) as error:
        raise QueryDefinitionError(f"{query.path}: {error}") from error
    if not isinstance(plain, ox.QuerySolutions):
        raise QueryDefinitionError(f"{query.path}: a named question must be a SELECT query")
    names = {v.value for v in plain.variables}
    for param in query.params:
        if param.name not in names:
            raise QueryDefinitionError(
                f"{query.path}: parameter ?{param.name} must be in the SELECT clause "
                "(only selected variables can be bound)"
            )
    try:
        list(
            empty.query(
                query.text,
                prefixes=PREFIXES,
                use_default_graph_as_union=True,
                substitutions={ox.Variable(k): to_oxigraph(v) for k, v in bindings.items()},
            )  # type: ignore[arg-type]
        )
    except (SyntaxError, RuntimeError, ValueError) as error:
        raise QueryDefinitionError(f"{query.path}: {error}") from error
    for column in query.columns:
        if column.name not in names:
            raise QueryDefinitionError(f"{query.path}: column {column.name!r} is not selected")


@lru_cache(maxsize=8)
def _load(directory: Path, signature: tuple[tuple[str, int, int], ...]) -> dict[str, NamedQuery]:
    found: dict[str, NamedQuery] = {}
    for path in sorted(directory.glob("*.rq")):
        name = path.stem
        if not _NAME.match(name):
            raise QueryDefinitionError(f"{path}: file names are lower-case words joined by '-'")
        query = _Parser(path).parse(name, path.read_text(encoding="utf-8"))
        _check(query)
        found[name] = query
    return dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))


def load_named_queries(directory: Path | None = None) -> dict[str, NamedQuery]:
    """Every named question in ``directory`` (default: the repository's ``queries/``), checked.

    Files are parsed and prepared once (cached until a file changes). Raises
    QueryDefinitionError naming the file (and line) of the first broken question.
    """
    directory = (directory or QUERIES_DIR).resolve()
    signature = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.rq"))
    )
    return dict(_load(directory, signature))


def get_named_query(name: str, directory: Path | None = None) -> NamedQuery:
    """The named question ``name``; UnknownQueryError lists the available names."""
    queries = load_named_queries(directory)
    try:
        return queries[name]
    except KeyError:
        raise UnknownQueryError(name, queries) from None


def parse_query_file(path: Path) -> NamedQuery:
    """Parse and check one ``.rq`` file that carries a header (for ``lmickg query FILE.rq``)."""
    query = _Parser(path).parse(path.stem, path.read_text(encoding="utf-8"))
    _check(query)
    return query


def class_members(store: Store, value_class: URIRef) -> list[URIRef]:
    """The IRIs typed ``value_class`` in the catalog, sorted."""
    rows = store.select(
        "SELECT DISTINCT ?member ?class WHERE { ?member a ?class }", {"class": value_class}
    )
    return sorted(r["member"] for r in rows if isinstance(r.get("member"), URIRef))  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# Running and exporting
# ---------------------------------------------------------------------------------------------


def run_sparql(store: Store, query: NamedQuery, bindings: Mapping[str, Node]) -> QueryResult:
    """Answer ``query`` live with SPARQL on ``store`` (the definition every answer must match)."""
    result = store.select(query.text, bindings)
    return QueryResult(list(result.variables), list(result.rows))


def cell_value(term: Node | None) -> str | int | float | bool | None:
    """A result cell as plain JSON: IRIs and strings as text, numbers and booleans as such."""
    if term is None:
        return None
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype else ""
        if datatype in (str(XSD.integer), str(XSD.int), str(XSD.long)):
            try:
                return int(str(term))
            except ValueError:
                return str(term)
        if datatype in (str(XSD.decimal), str(XSD.double), str(XSD.float)):
            try:
                return float(str(term))
            except ValueError:
                return str(term)
        if datatype == str(XSD.boolean):
            return str(term) in ("true", "1")
    return str(term)


def result_json(
    query: NamedQuery,
    bindings: Mapping[str, Node],
    result: QueryResult,
    lang: str,
    labels: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """The JSON form of a result, shared by the web app and the CLI so both give the same rows."""
    return {
        "query": query.name,
        "title": query.title.get(lang, query.title["en"]),
        "params": query.tokens(bindings),
        "columns": result.columns,
        "rows": [{c: cell_value(row.get(c)) for c in result.columns} for row in result.rows],
        "labels": dict(labels or {}),
    }


def result_csv(result: QueryResult) -> str:
    """The CSV form of a result: a header of column names, IRIs and literals as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if row.get(c) is None else str(row[c]) for c in result.columns])
    return buffer.getvalue()


class Precomputed(Protocol):
    """What :func:`answer` needs from a build's precomputed analysis (lmickg.coverage.Analysis)."""

    def answer(self, query: NamedQuery, bindings: Mapping[str, Node]) -> QueryResult | None:
        """The precomputed answer, or None."""
        ...


def answer(
    store: Store,
    query: NamedQuery,
    bindings: Mapping[str, Node],
    analysis: Precomputed | None = None,
) -> QueryResult:
    """Answer a named question: from the build's precomputed analysis when it has the answer,
    otherwise live with SPARQL (both give the same rows)."""
    if analysis is not None and query.precompute:
        result = analysis.answer(query, bindings)
        if result is not None:
            return result
    return run_sparql(store, query, bindings)
