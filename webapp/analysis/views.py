"""Routes of the gap-analysis area: HTTP in, calls into lmickg, HTML/JSON/CSV out."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from flask import Response, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from rdflib import Literal, URIRef
from rdflib.term import Node

from lmickg.coverage import Analysis, load_analysis
from lmickg.diagrams import heatmap_svg, lineage_svg
from lmickg.entities import parse_entity_iri
from lmickg.labels import labels_in
from lmickg.lineage import (
    EVENT_LABELS,
    STATUS_LABELS,
    LineageGraph,
    build_lineage,
    gap_lineage_json,
    graphml,
    load_lineage,
    overview_json,
    words,
)
from lmickg.namespaces import ID
from lmickg.queries import (
    NamedQuery,
    Param,
    ParamError,
    QueryResult,
    UnknownQueryError,
    answer,
    class_members,
    get_named_query,
    load_named_queries,
    result_csv,
    result_json,
)
from lmickg.serving import NoCatalogError

from ..context import snapshot
from . import bp

LANGS = "<any(en, fr):lang>"
#: Rows shown per HTML page (the JSON and CSV downloads carry every row).
PAGE_ROWS = 500
RESERVED = {"page"}
SUFFIXES = (".json", ".csv", ".rq", ".graphml", ".svg")


# ---------------------------------------------------------------------------------------------
# Plumbing
# ---------------------------------------------------------------------------------------------


class _Problem(Exception):
    """A client error, answered as HTML in the page language or as JSON."""

    def __init__(self, status: int, message: str, body: Mapping[str, object]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = dict(body)


def _no_version(fmt: str, allowed: list[str]) -> _Problem:
    """404 for a format this address does not offer, naming the ones it does."""
    return _Problem(
        404,
        _("This address has no %(format)s version.", format=fmt),
        {"error": "unknown format", "format": fmt, "allowed": allowed},
    )


View = TypeVar("View", bound=Callable[..., Any])


def localized(view: View) -> View:
    """Run a view (strings, templates, error messages) in the language of its URL, whatever
    locale the application would pick by itself."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with force_locale(kwargs.get("lang", "en")):
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _split(name: str) -> tuple[str, str]:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix[1:]
    return name, "html"


def _wants_json(fmt: str) -> bool:
    if fmt == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return fmt == "html" and best == "application/json"


def _load_analysis(build_dir: Path) -> Analysis | None:
    analysis = load_analysis(build_dir)
    if analysis is not None:
        analysis.warm()
    return analysis


def _analysis() -> Analysis | None:
    return snapshot().artifact("gap-analysis", lambda s: _load_analysis(s.build_dir))


def _lineage() -> LineageGraph:
    return snapshot().artifact(
        "gap-lineage", lambda s: load_lineage(s.build_dir) or build_lineage(s.store)
    )


def _labels(iris: Iterable[str], lang: str) -> dict[str, str]:
    wanted = sorted({str(i) for i in iris})
    analysis = _analysis()
    if analysis is not None:
        return analysis.labels(wanted, lang, snapshot().store)
    return labels_in(snapshot().store, wanted, lang)


def entity_href(iri: str, lang: str) -> str | None:
    """The page of a catalog entity (``/<lang>/<kind>/<key>``), None for other IRIs."""
    ref = parse_entity_iri(iri)
    return f"/{lang}/{ref.kind}/{ref.key}" if ref is not None else None


def lineage_href(iri: str, lang: str) -> str | None:
    """The lineage page of a gap."""
    ref = parse_entity_iri(iri)
    return f"/{lang}/lineage/{ref.key}" if ref is not None and ref.kind == "gap" else None


def _respond(
    fmt: str, lang: str, template: str, view: Mapping[str, Any], data: Mapping[str, Any]
) -> Response:
    if _wants_json(fmt):
        response = jsonify(data)
    else:
        response = Response(render_template(template, lang=lang, view=view, data=data))
    response.headers["Vary"] = "Accept"
    return response


@bp.errorhandler(_Problem)
def _problem(problem: _Problem) -> Response:
    args = request.view_args or {}
    lang = args.get("lang", "en")
    fmt = _split(str(args.get("name") or args.get("key") or ""))[1]
    if fmt in ("json", "csv", "rq", "graphml", "svg") or _wants_json(fmt):
        response = jsonify(problem.body)
    else:
        with force_locale(lang):
            page = render_template("analysis/error.html", lang=lang, problem=problem)
        response = Response(page, content_type="text/html; charset=utf-8")
    response.status_code = problem.status
    return response


@bp.errorhandler(NoCatalogError)
def _no_catalog(error: NoCatalogError) -> Response:
    response = jsonify(error="no catalog", detail=str(error))
    response.status_code = 503
    return response


def _param_problem(error: ParamError, lang: str) -> _Problem:
    message = _(
        "The value “%(value)s” is not allowed for “%(param)s” (%(reason)s). Allowed: %(allowed)s.",
        value=error.value,
        param=error.param,
        reason=error.reason,
        allowed=", ".join(error.allowed),
    )
    return _Problem(400, message, error.to_json())


def _unknown_problem(error: UnknownQueryError) -> _Problem:
    message = _(
        "There is no question called “%(name)s”. The questions are: %(names)s.",
        name=error.name,
        names=", ".join(error.available),
    )
    return _Problem(
        404,
        message,
        {"error": "unknown question", "name": error.name, "available": error.available},
    )


# ---------------------------------------------------------------------------------------------
# Named questions
# ---------------------------------------------------------------------------------------------


def _param_label(param: Param, lang: str) -> str:
    return param.label.get(lang) or param.label.get("en") or param.name


def _options(param: Param, lang: str) -> list[dict[str, str]]:
    store = snapshot().store
    explicit = [(v.alias, v.term, v.label) for v in param.values]
    members: list[URIRef] = []
    if param.value_class is not None:
        members = class_members(store, param.value_class)
    labels = _labels([str(t) for _, t, _l in explicit if isinstance(t, URIRef)] + members, lang)
    options = [
        {"value": alias, "label": own.get(lang) or own.get("en") or labels.get(str(term), alias)}
        for alias, term, own in explicit
    ]
    options += sorted(
        ({"value": param.token(m), "label": labels.get(str(m), str(m))} for m in members),
        key=lambda o: o["label"].casefold(),
    )
    return options


def _form(query: NamedQuery, tokens: Mapping[str, str], lang: str) -> list[dict[str, Any]]:
    fields = []
    for param in query.params:
        field: dict[str, Any] = {
            "name": param.name,
            "label": _param_label(param, lang),
            "value": tokens.get(param.name, param.default),
        }
        if param.type == "date":
            field["type"] = "date"
        elif param.type == "integer":
            field.update(type="number", min=param.minimum, max=param.maximum)
        else:
            field.update(type="select", options=_options(param, lang))
        fields.append(field)
    return fields


def _cell(term: Node | None, lang: str, labels: Mapping[str, str]) -> dict[str, Any]:
    if term is None:
        return {"text": ""}
    if isinstance(term, URIRef):
        iri = str(term)
        return {"text": labels.get(iri, iri), "href": entity_href(iri, lang), "iri": iri}
    text = str(term)
    parts = text.split()
    if parts and all(p.startswith(str(ID)) for p in parts):
        return {
            "text": "",
            "list": [
                {"text": labels.get(p, p), "href": entity_href(p, lang), "iri": p} for p in parts
            ],
        }
    numeric = isinstance(term, Literal) and term.datatype is not None and "integer" in term.datatype
    return {"text": text, "numeric": numeric}


def _iris_in(rows: Iterable[Mapping[str, Node]], columns: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for row in rows:
        for column in columns:
            term = row.get(column)
            if isinstance(term, URIRef):
                found.add(str(term))
            elif term is not None and str(term).startswith(str(ID)):
                found.update(p for p in str(term).split() if p.startswith(str(ID)))
    return found


def run_question(
    name: str, args: Mapping[str, str]
) -> tuple[NamedQuery, dict[str, Node], QueryResult]:
    """Bind ``args`` to the named question and answer it from the current build."""
    query = get_named_query(name)
    given = {k: v for k, v in args.items() if k not in RESERVED}
    snap = snapshot()
    bindings = query.bind(given, snap.store)
    return query, bindings, answer(snap.store, query, bindings, _analysis())


@bp.get(f"/{LANGS}/questions")
@bp.get(f"/{LANGS}/questions.json")
@localized
def questions(lang: str) -> Response:
    """The list of named questions."""
    fmt = "json" if request.path.endswith(".json") else "html"
    items = [
        {
            "name": q.name,
            "title": q.title.get(lang, q.title["en"]),
            "description": q.description.get(lang, q.description["en"]),
            "params": [{"name": p.name, "label": _param_label(p, lang)} for p in q.params],
            "url": f"/{lang}/questions/{q.name}",
            "precomputed": q.precompute is not None,
        }
        for q in load_named_queries().values()
    ]
    data = {"questions": items}
    return _respond(fmt, lang, "analysis/questions.html", data, data)


@bp.get(f"/{LANGS}/questions/<name>")
@localized
def question(lang: str, name: str) -> Response:
    """A named question: its form and answer, or the answer as JSON or CSV, or its SPARQL."""
    name, fmt = _split(name)
    try:
        query = get_named_query(name)
        if fmt == "rq":
            return Response(query.text, content_type="application/sparql-query; charset=utf-8")
        if fmt in ("graphml", "svg"):
            raise _no_version(fmt, ["html", "json", "csv", "rq"])
        query, bindings, result = run_question(name, request.args)
    except UnknownQueryError as error:
        raise _unknown_problem(error) from None
    except ParamError as error:
        raise _param_problem(error, lang) from None
    if fmt == "csv":
        response = Response(result_csv(result), content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    tokens = query.tokens(bindings)
    param_names = {p.name for p in query.params}
    shown = [c for c in result.columns if c not in param_names]
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    if _wants_json(fmt):
        labels = _labels(_iris_in(result.rows, result.columns), lang)
        return _respond(fmt, lang, "", {}, result_json(query, bindings, result, lang, labels))
    rows = result.rows[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    labels = _labels(_iris_in(rows, shown), lang)
    query_string = "&".join(f"{k}={v}" for k, v in tokens.items())
    view = {
        "name": query.name,
        "title": query.title.get(lang, query.title["en"]),
        "description": query.description.get(lang, query.description["en"]),
        "form": _form(query, tokens, lang),
        "columns": [{"name": c, "label": query.column_label(c, lang)} for c in shown],
        "rows": [[_cell(row.get(c), lang, labels) for c in shown] for row in rows],
        "total": len(result.rows),
        "page": page,
        "pages": max(1, -(-len(result.rows) // PAGE_ROWS)),
        "query_string": query_string,
        "downloads": {
            "csv": f"/{lang}/questions/{name}.csv?{query_string}",
            "json": f"/{lang}/questions/{name}.json?{query_string}",
            "rq": f"/{lang}/questions/{name}.rq",
        },
        "precomputed": query.precompute is not None,
    }
    return _respond(fmt, lang, "analysis/question.html", view, {})


# ---------------------------------------------------------------------------------------------
# Coverage heatmaps
# ---------------------------------------------------------------------------------------------


def _gaps_concerning(lineage: LineageGraph) -> dict[tuple[str, str], str]:
    """(variable or group, level or "") → a documented gap about it, for zero cells."""
    found: dict[tuple[str, str], str] = {}
    for gap in lineage.gaps():
        attributes = lineage.graph.nodes[gap]
        levels = attributes.get("levels", []) or [""]
        for subject in [*attributes.get("variables", []), *attributes.get("groups", [])]:
            for level in levels:
                found.setdefault((subject, level), gap)
    return found


def _heatmap(
    result: QueryResult,
    row_column: str,
    count_column: str,
    lang: str,
    href: Callable[[str, str, int], str | None],
    title: str,
    rows_name: str,
    ident: str,
) -> dict[str, Any]:
    rows_seen: list[str] = []
    columns: list[str] = []
    counts: dict[tuple[str, str], int] = {}
    for row in result.rows:
        r, c = str(row[row_column]), str(row["level"])
        if r not in rows_seen:
            rows_seen.append(r)
        if c not in columns:
            columns.append(c)
        counts[(r, c)] = int(str(row[count_column]))
    labels = _labels([*rows_seen, *columns], lang)
    ordered = sorted(rows_seen, key=lambda r: labels.get(r, r).casefold())
    svg = heatmap_svg(
        ordered,
        columns,
        counts,
        lambda iri: labels.get(iri, iri),
        lang,
        href,
        title=title,
        rows_name=rows_name,
        columns_name=_("geographic levels"),
        ident=ident,
    )
    return {
        "svg": Markup(svg),
        "rows": [{"iri": r, "label": labels.get(r, r)} for r in ordered],
        "columns": [{"iri": c, "label": labels.get(c, c)} for c in columns],
        "cells": [
            [
                {"count": counts.get((r, c), 0), "href": href(r, c, counts.get((r, c), 0))}
                for c in columns
            ]
            for r in ordered
        ],
    }


@bp.get(f"/{LANGS}/coverage")
@bp.get(f"/{LANGS}/coverage.json")
@localized
def coverage(lang: str) -> Response:
    """Heatmaps of coverage: variables × levels and population groups × levels."""
    fmt = "json" if request.path.endswith(".json") else "html"
    allowed = {"frequency", "access", "variable"}
    for name, value in request.args.items():
        if name not in allowed:
            raise _param_problem(
                ParamError("coverage", name, value, "no such parameter", sorted(allowed)), lang
            )
    args = request.args
    try:
        matrix_query, matrix_bindings, matrix = run_question(
            "coverage-matrix", {k: args[k] for k in ("frequency", "access") if k in args}
        )
        groups_query, groups_bindings, groups = run_question(
            "groups-by-level", {k: args[k] for k in ("variable",) if k in args}
        )
    except ParamError as error:
        raise _param_problem(error, lang) from None
    tokens = {**matrix_query.tokens(matrix_bindings), **groups_query.tokens(groups_bindings)}
    concerning = _gaps_concerning(_lineage())
    can = get_named_query("can-i-answer")

    def token_of(param: str, iri: str) -> str:
        return can.param(param).token(URIRef(iri))

    def matrix_href(variable: str, level: str, count: int) -> str | None:
        gap = concerning.get((variable, level)) or concerning.get((variable, ""))
        if count == 0 and gap:
            return entity_href(gap, lang)
        return (
            f"/{lang}/questions/can-i-answer?variable={token_of('variable', variable)}"
            f"&level={token_of('level', level)}&frequency={tokens['frequency']}"
            f"&access={tokens['access']}"
        )

    def groups_href(group: str, level: str, count: int) -> str | None:
        gap = concerning.get((group, level)) or concerning.get((group, ""))
        if count == 0 and gap:
            return entity_href(gap, lang)
        return (
            f"/{lang}/questions/can-i-answer?group={token_of('group', group)}"
            f"&level={token_of('level', level)}&variable={tokens['variable']}"
        )

    view = {
        "form": _form(matrix_query, tokens, lang) + _form(groups_query, tokens, lang),
        "matrix": _heatmap(
            matrix,
            "variable",
            "sources",
            lang,
            matrix_href,
            _("Sources per variable and geographic level"),
            _("variables"),
            "matrix",
        ),
        "groups": _heatmap(
            groups,
            "group",
            "sources",
            lang,
            groups_href,
            _("Sources identifying each population group, by geographic level"),
            _("population groups"),
            "groups",
        ),
        "params": tokens,
    }
    data = {
        "params": tokens,
        "matrix": {k: v for k, v in view["matrix"].items() if k != "svg"},  # type: ignore[attr-defined]
        "groups": {k: v for k, v in view["groups"].items() if k != "svg"},  # type: ignore[attr-defined]
    }
    return _respond(fmt, lang, "analysis/coverage.html", view, data)


# ---------------------------------------------------------------------------------------------
# Lineage
# ---------------------------------------------------------------------------------------------


def gap_lineage(gap_iri: object, lang: str = "en") -> dict[str, Any] | None:
    """Everything ``analysis/_gap_lineage.html`` shows for a gap (None if it is not a gap)."""
    lang = lang if lang in ("en", "fr") else "en"
    with force_locale(lang):
        return _gap_lineage(str(gap_iri), lang)


def _gap_lineage(gap_iri: str, lang: str) -> dict[str, Any] | None:
    lineage = _lineage()
    try:
        found = lineage.gap(str(gap_iri))
    except KeyError:
        return None

    def label(iri: str) -> str:
        return lineage.label(iri, lang)

    svg = lineage_svg(found, label, lang, lambda iri: entity_href(iri, lang))
    ref = parse_entity_iri(found.gap)
    key = ref.key if ref is not None else ""
    events = [
        {
            "date": e.date,
            "date_text": e.date_text,
            "kind": e.kind,
            "kind_label": words(EVENT_LABELS, e.kind, lang),
            "subject": {
                "iri": e.subject,
                # Assessments have no title: the kind of step names them in the list.
                "label": None if e.status and e.kind != "recommended" else label(e.subject),
                "href": entity_href(e.subject, lang),
            },
            "status": words(STATUS_LABELS, e.status, lang) if e.status else None,
            "addressed_by": [
                {"iri": a, "label": label(a), "href": entity_href(a, lang)} for a in e.addressed_by
            ],
            "by": label(e.attributed_to) if e.attributed_to else None,
        }
        for e in found.events
    ]
    concern_names = {
        "variables": _("variables"),
        "levels": _("geographic levels"),
        "groups": _("population groups"),
        "frequencies": _("frequencies"),
    }
    return {
        "gap": found.gap,
        "key": key,
        "label": label(found.gap),
        "status": found.status,
        "status_label": words(STATUS_LABELS, found.status, lang),
        "svg": Markup(svg),
        "events": events,
        "still_concerns": [
            {
                "name": concern_names[name],
                "values": [{"label": label(i), "href": entity_href(i, lang)} for i in items],
            }
            for name, items in found.still_concerns.items()
        ],
        "related": [
            {"label": label(r["gap"]), "href": lineage_href(r["gap"], lang)} for r in found.related
        ],
        "downloads": {
            "json": f"/{lang}/lineage/{key}.json",
            "graphml": f"/{lang}/lineage/{key}.graphml",
            "svg": f"/{lang}/lineage/{key}.svg",
        },
        "strings": {
            "heading": _("Lineage of this gap"),
            "status": _("Status now"),
            "timeline": _("Timeline"),
            "addressed": _("addressed by"),
            "by": _("by"),
            "still": _("Still concerns"),
            "related": _("Related gaps"),
            "download": _("Download"),
            # French sets a space before a colon.
            "colon": ": " if lang == "en" else " : ",
        },
    }


@bp.get(f"/{LANGS}/lineage")
@bp.get(f"/{LANGS}/lineage.<fmt>")
@localized
def lineage_overview(lang: str, fmt: str = "html") -> Response:
    """Which reports' gaps are still open, the longest-open gaps, what closed most."""
    if fmt not in ("html", "json", "graphml"):
        raise _no_version(fmt, ["html", "json", "graphml"])
    lineage = _lineage()
    if fmt == "graphml":
        return Response(graphml(lineage.graph), content_type="application/graphml+xml")
    overview = lineage.overview()
    data = overview_json(overview)
    mentioned = {g["gap"] for g in data["gaps"]} | {r["report"] for r in data["reports"]}
    mentioned |= {r["recommendation"] for r in data["recommendations"]}
    data["labels"] = {iri: lineage.label(iri, lang) for iri in sorted(mentioned)}
    view = {
        **data,
        "status_label": {s: words(STATUS_LABELS, s, lang) for s in STATUS_LABELS},
        "href": lambda iri: entity_href(iri, lang),
        "lineage_href": lambda iri: lineage_href(iri, lang),
    }
    return _respond(fmt, lang, "analysis/lineage.html", view, data)


@bp.get(f"/{LANGS}/lineage/<key>")
@localized
def lineage_gap(lang: str, key: str) -> Response:
    """One gap's lineage page, or its JSON, GraphML or SVG."""
    key, fmt = _split(key)
    lineage = _lineage()
    gap = f"{ID}gap/{key}"
    try:
        lineage.gap(gap)
    except KeyError:
        raise _Problem(
            404,
            _("There is no gap “%(key)s” in the catalog.", key=key),
            {
                "error": "unknown gap",
                "gap": key,
                "available": [g.rsplit("/", 1)[1] for g in lineage.gaps()],
            },
        ) from None
    if fmt == "graphml":
        return Response(graphml(lineage.subgraph(gap)), content_type="application/graphml+xml")
    if fmt == "svg":
        view = gap_lineage(gap, lang)
        assert view is not None
        return Response(str(view["svg"]), content_type="image/svg+xml")
    if fmt in ("csv", "rq"):
        raise _no_version(fmt, ["html", "json", "graphml", "svg"])
    data = gap_lineage_json(lineage, gap, lang)
    return _respond(fmt, lang, "analysis/gap.html", {"gap_iri": gap}, data)
