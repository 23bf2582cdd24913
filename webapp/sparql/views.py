"""Routes of the SPARQL endpoint: protocol, service description, query UI, VoID, Yasgui assets."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import (
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import force_locale, lazy_gettext
from werkzeug.exceptions import NotFound

from lmickg import sparql as core
from lmickg.namespaces import PREFIXES
from lmickg.service_description import service_description
from lmickg.serving import NoCatalogError, Snapshot
from lmickg.sparql import QueryOutcome, QueryRequest, SparqlError
from lmickg.void import VoidStatistics, load_statistics, void_graph

from ..context import snapshot as current_snapshot
from . import bp
from .endpoint import Endpoint, endpoint
from .examples import example_queries
from .protocol import ProtocolError, ProtocolRequest, parse_request
from .render import html_results

#: Yasgui's own build, installed by npm (``make setup``); served, never fetched from a CDN.
YASGUI_PACKAGE = Path("@zazuko") / "yasgui" / "build"
#: The query UI needs inline styles (Yasgui sets them on its widgets); nothing else is relaxed.
UI_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; script-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
EXPOSED_HEADERS = (
    "ETag, Retry-After, X-SPARQL-Truncated, X-SPARQL-MaxRows, X-SPARQL-Timeout, "
    "X-SPARQL-Build, X-SPARQL-Cache"
)
RDF_DOCUMENT_TYPES = {
    core.TURTLE: "turtle",
    "application/x-turtle": "turtle",
    core.JSONLD: "json-ld",
    core.RDFXML: "xml",
    core.NTRIPLES: "nt",
    core.TRIG: "trig",
    core.NQUADS: "nquads",
}
_TEXT_TYPES = ("text/", "application/sparql-results+", "application/n-", "application/trig")
DEFAULT_QUERY = """SELECT ?source ?title WHERE {
  ?source a dcat:Dataset ;
          dct:title ?title .
  FILTER(LANG(?title) = "en")
}
ORDER BY ?title
LIMIT 20"""

#: What each refusal is called on the HTML page, in the page language.
HEADLINES = {
    "syntax-error": lazy_gettext("The query has a syntax error"),
    "update-refused": lazy_gettext("This endpoint is read-only"),
    "service-refused": lazy_gettext("Federated queries are not allowed"),
    "not-acceptable": lazy_gettext("No acceptable result format"),
    "timeout": lazy_gettext("The query took too long and was stopped"),
    "busy": lazy_gettext("The endpoint is busy"),
    "worker-failed": lazy_gettext("The query could not be completed"),
    "rate-limited": lazy_gettext("Too many queries"),
    "no-catalog": lazy_gettext("No catalog has been built yet"),
    "body-too-large": lazy_gettext("The query is too long"),
    "query-too-long": lazy_gettext("The query is too long"),
    "bad-timeout": lazy_gettext("The time limit is not valid"),
    "multiple-queries": lazy_gettext("More than one query"),
    "missing-query": lazy_gettext("No query was given"),
    "unsupported-media-type": lazy_gettext("Unsupported request format"),
    "unsupported-charset": lazy_gettext("Unsupported character encoding"),
    "bad-encoding": lazy_gettext("Unsupported character encoding"),
    "method-not-allowed": lazy_gettext("Method not allowed"),
    "precondition-failed": lazy_gettext("Precondition failed"),
}
STATUS = {
    "syntax-error": 400,
    "update-refused": 403,
    "service-refused": 400,
    "not-acceptable": 406,
    "timeout": 504,
    "busy": 503,
    "worker-failed": 503,
    "no-catalog": 503,
}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _page_lang(given: str | None = None) -> str:
    languages = tuple(current_app.config.get("LANGUAGES", ("en", "fr")))
    for candidate in (given, request.args.get("lang")):
        if candidate in languages:
            return str(candidate)
    return str(request.accept_languages.best_match(languages) or languages[0])


def _wants_html() -> bool:
    """Whether the client prefers an HTML page to JSON (for error bodies and the UI)."""
    named = [v.strip().lower() for v in request.args.getlist("format") if v.strip()]
    if named:
        # A browser asking for JSON or CSV by parameter gets a JSON error, not a page.
        return "html" in named
    if not request.accept_mimetypes:
        return False
    best = request.accept_mimetypes.best_match(["application/json", *core.HTML_MEDIA_TYPES])
    return best in core.HTML_MEDIA_TYPES


def _endpoint_url() -> str:
    """This endpoint's URL as the client reached it (the base for relative IRIs, sd:endpoint)."""
    if "sparql_endpoint_url" not in g:
        g.sparql_endpoint_url = request.url_root + "sparql"
    return str(g.sparql_endpoint_url)


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def _client() -> str:
    return request.remote_addr or "unknown"


def _limit_headers(response: Response, settings: Any, timeout: float | None = None) -> None:
    response.headers["X-SPARQL-MaxRows"] = str(settings.max_rows)
    response.headers["X-SPARQL-Timeout"] = (
        f"{timeout if timeout is not None else settings.timeout:g}"
    )


def _ui_context(lang: str, ep: Endpoint, **extra: Any) -> dict[str, Any]:
    settings = ep.settings
    examples = example_queries(lang)
    return {
        "lang": lang,
        "endpoint_url": _endpoint_url(),
        "limits": settings.limits(),
        "examples": examples,
        "prefixes": PREFIXES,
        "default_query": DEFAULT_QUERY,
        "query": DEFAULT_QUERY,
        "format": "html",
        "timeout": "",
        "yasgui_available": _yasgui_dir().is_dir(),
        **extra,
    }


def _error(
    status: int,
    code: str,
    message: str,
    *,
    lang: str | None = None,
    headers: dict[str, str] | None = None,
    query: str | None = None,
    details: dict[str, Any] | None = None,
) -> Response:
    """A 4xx/5xx answer: JSON for machines, the query page with the message for browsers."""
    details = {k: v for k, v in (details or {}).items() if k not in ("error", "message")}
    if _wants_html():
        lang = _page_lang(lang)
        ep = endpoint(current_app)
        with force_locale(lang):
            context = _ui_context(
                lang,
                ep,
                error={
                    "status": status,
                    "code": code,
                    "headline": str(HEADLINES.get(code, code)),
                    "message": message,
                    "details": details,
                },
            )
            if query is not None:
                context["query"] = query
            body = render_template("sparql/index.html", **context)
        response = Response(body, status=status, content_type="text/html; charset=utf-8")
    else:
        response = jsonify(error=code, status=status, message=message, **details)
        response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return _cors(response)


def _sparql_error(error: SparqlError, query: str | None, lang: str | None) -> Response:
    status = STATUS.get(error.code, 400)
    headers: dict[str, str] = {}
    if error.code == "not-acceptable":
        offered = error.details.get("offers", [])
        headers["Vary"] = "Accept"
        details = {"allowed": offered}
    elif error.code == "busy":
        headers["Retry-After"] = str(error.details.get("retry_after", 5))
        details = {}
    elif error.code == "timeout":
        details = {"limit_seconds": error.details.get("limit")}
    else:
        details = {}
    if error.code == "update-refused":
        details["documentation"] = url_for("sparql.query", _external=True) + "#limits"
    return _error(
        status, error.code, error.message, lang=lang, headers=headers, query=query, details=details
    )


def _etag(build_id: str, parts: Iterable[object]) -> str:
    digest = hashlib.sha256(repr((build_id, *parts)).encode("utf-8")).hexdigest()[:40]
    return f'"{digest}"'


def _document_response(body: bytes, media_type: str, etag: str, max_age: int) -> Response:
    if request.method in ("GET", "HEAD") and request.if_none_match.contains(etag.strip('"')):
        response = Response(status=304)
    else:
        charset = "; charset=utf-8" if media_type.startswith(_TEXT_TYPES) else ""
        response = Response(body, content_type=media_type + charset)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Vary"] = "Accept"
    return _cors(response)


def _statistics(snapshot: Snapshot) -> VoidStatistics:
    return snapshot.artifact("void", load_statistics)


# ---------------------------------------------------------------------------------------------
# /sparql
# ---------------------------------------------------------------------------------------------


@bp.route(
    "/sparql",
    methods=["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"],
    provide_automatic_options=False,
)
def query() -> Response:
    """The SPARQL 1.1 Protocol query operation; the service description or UI without a query."""
    if request.method == "OPTIONS":
        return _preflight()
    ep = endpoint(current_app)
    settings = ep.settings
    try:
        proto = parse_request(request, settings.max_query_bytes)
    except ProtocolError as error:
        headers = {"Allow": "GET, POST, OPTIONS"} if error.status == 405 else {}
        if error.status == 415:
            headers["Accept-Post"] = "application/x-www-form-urlencoded, application/sparql-query"
        return _error(
            error.status, error.code, error.message, headers=headers, details=error.details
        )
    if proto.update:
        return _error(
            403,
            "update-refused",
            core.UPDATE_MESSAGE,
            lang=proto.lang,
            details={"documentation": url_for("sparql.query", _external=True) + "#limits"},
        )
    if proto.query is None:
        if request.method == "POST":
            return _error(
                400,
                "missing-query",
                "no query: send query=... (form) or a body of type application/sparql-query",
                lang=proto.lang,
            )
        return _service_page(ep, proto)
    return _run(ep, proto)


def _preflight() -> Response:
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    requested = request.headers.get("Access-Control-Request-Headers")
    response.headers["Access-Control-Allow-Headers"] = (
        requested or "Accept, Content-Type, If-None-Match"
    )
    response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Allow"] = "GET, POST, OPTIONS"
    return _cors(response)


def _run(ep: Endpoint, proto: ProtocolRequest) -> Response:
    settings = ep.settings
    assert proto.query is not None
    client = _client()
    if ep.limiter is not None:
        wait = ep.limiter.admit(client)
        if wait is not None:
            seconds = max(1, int(wait + 0.999))
            return _error(
                429,
                "rate-limited",
                f"this client has used its query budget ({settings.rate_per_minute:g} units per "
                f"minute: one per request plus one per second of query time); retry in "
                f"{seconds} s",
                lang=proto.lang,
                headers={"Retry-After": str(seconds)},
                query=proto.query,
                details={"retry_after": seconds},
            )
    accept = request.accept_mimetypes
    negotiation = core.negotiate(
        accept.best_match if request.headers.get("Accept") else None, proto.formats
    )
    if negotiation.results is None and negotiation.graph is None:
        return _error(
            406,
            "not-acceptable",
            "none of the accepted media types can carry SPARQL results; accepted here: "
            + ", ".join([*core.RESULTS_MEDIA_TYPES, *core.GRAPH_MEDIA_TYPES, "text/html"]),
            headers={"Vary": "Accept"},
            details={
                "allowed": sorted(
                    {*core.RESULTS_MEDIA_TYPES.values(), *core.GRAPH_MEDIA_TYPES.values()}
                )
            },
        )
    html = negotiation.results_html or negotiation.graph_html
    lang = _page_lang(proto.lang) if html else ""
    timeout = min(proto.timeout or settings.timeout, settings.timeout)
    max_rows = settings.max_rows
    if negotiation.results_html:
        max_rows = min(max_rows, settings.html_max_rows)
    request_ = QueryRequest(
        query=proto.query,
        negotiation=negotiation,
        default_graphs=proto.default_graphs,
        named_graphs=proto.named_graphs,
        base_iri=_endpoint_url(),
        max_rows=max_rows,
        max_bytes=settings.max_result_bytes,
    )
    try:
        snapshot = current_snapshot()
    except NoCatalogError as error:
        return _error(503, "no-catalog", str(error), lang=proto.lang, headers={"Retry-After": "60"})
    key = request_.key()
    etag = _etag(snapshot.build_id, (*key, lang))
    if request.if_none_match and request.if_none_match.contains(etag.strip('"')):
        if request.method == "POST":
            return _error(412, "precondition-failed", "If-None-Match matched (POST is not cached)")
        response = Response(status=304)
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = f"public, max-age={settings.cache_max_age}"
        response.headers["Vary"] = "Accept, Accept-Language"
        return _cors(response)

    outcome = ep.cache.get((snapshot.build_id, key))
    cached = outcome is not None
    if outcome is None:
        started = time.monotonic()
        try:
            outcome = ep.pool.run(request_, timeout)
        except SparqlError as error:
            if ep.limiter is not None:
                ep.limiter.charge(client, time.monotonic() - started)
            response = _sparql_error(error, proto.query, proto.lang)
            _limit_headers(response, settings, timeout)
            return response
        except NoCatalogError as error:
            return _error(503, "no-catalog", str(error), headers={"Retry-After": "60"})
        if ep.limiter is not None:
            ep.limiter.charge(client, outcome.seconds)
        if outcome.build_id and outcome.build_id != snapshot.build_id:
            # A new build switched in while the query ran: the answer is that build's.
            etag = _etag(outcome.build_id, (*key, lang))
        ep.cache.put((outcome.build_id or snapshot.build_id, key), outcome)

    if (outcome.form in ("select", "ask") and negotiation.results_html) or (
        outcome.form == "graph" and negotiation.graph_html
    ):
        response = _html_results(ep, proto, outcome, lang, timeout)
    else:
        charset = "; charset=utf-8" if outcome.media_type.startswith(_TEXT_TYPES) else ""
        response = Response(outcome.body, content_type=outcome.media_type + charset)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = f"public, max-age={settings.cache_max_age}"
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["X-SPARQL-Truncated"] = "true" if outcome.truncated else "false"
    response.headers["X-SPARQL-Build"] = outcome.build_id or snapshot.build_id
    response.headers["X-SPARQL-Cache"] = "hit" if cached else "miss"
    _limit_headers(response, settings, timeout)
    if outcome.truncated:
        response.headers["X-SPARQL-MaxRows"] = str(request_.max_rows)
    return _cors(response)


def _html_results(
    ep: Endpoint, proto: ProtocolRequest, outcome: QueryOutcome, lang: str, timeout: float
) -> Response:
    assert proto.query is not None
    results = html_results(outcome)
    downloads = []
    formats = ("json", "xml", "csv", "tsv") if outcome.form == "select" else ("json", "xml")
    if outcome.form == "graph":
        formats = ("turtle", "jsonld", "ntriples", "rdfxml")
    for name in formats:
        params: dict[str, Any] = {"query": proto.query, "format": name}
        downloads.append((name, url_for("sparql.query", **params)))
    with force_locale(lang):
        context = _ui_context(
            lang,
            ep,
            query=proto.query,
            results=results,
            outcome=outcome,
            downloads=downloads,
            shown_rows=outcome.rows,
            timeout=f"{proto.timeout:g}" if proto.timeout else "",
        )
        body = render_template("sparql/index.html", **context)
    return Response(body, content_type="text/html; charset=utf-8")


def _service_page(ep: Endpoint, proto: ProtocolRequest) -> Response:
    """GET /sparql without a query: the UI for browsers, the service description for the rest."""
    offers = [
        *core.HTML_MEDIA_TYPES,
        core.TURTLE,
        "application/json",
        core.JSONLD,
        core.RDFXML,
        core.NTRIPLES,
        core.TRIG,
        core.NQUADS,
        "application/x-turtle",
    ]
    chosen = None
    if proto.formats:
        wanted = core.negotiate(None, proto.formats, html=True)
        chosen = "text/html" if wanted.graph == core.HTML else wanted.graph
        if any(f.strip().lower() == "json" for f in proto.formats):
            chosen = "application/json"
    if chosen is None:
        if request.headers.get("Accept"):
            chosen = request.accept_mimetypes.best_match(offers)
            if chosen is None:
                return _error(
                    406,
                    "not-acceptable",
                    "the service description is available as " + ", ".join(offers),
                    details={"allowed": offers},
                )
        else:
            chosen = core.TURTLE
    if chosen in core.HTML_MEDIA_TYPES:
        return _ui_page(ep, proto)
    try:
        snapshot = current_snapshot()
    except NoCatalogError as error:
        return _error(503, "no-catalog", str(error), headers={"Retry-After": "60"})
    stats = _statistics(snapshot)
    if chosen == "application/json":
        return _cors(jsonify(_service_json(ep, snapshot, stats, _page_lang(proto.lang))))
    media = core.GRAPH_MEDIA_TYPES.get(chosen, chosen)
    if media == "application/x-turtle":
        media = core.TURTLE
    endpoint_url = _endpoint_url()
    cache_key = ("sd", snapshot.build_id, endpoint_url, media)
    document = ep.documents.get(cache_key)
    if document is None:
        graph = service_description(endpoint_url, stats, ep.settings.limits())
        body = graph.serialize(format=RDF_DOCUMENT_TYPES[media], encoding="utf-8")
        document = (body, media)
        ep.documents.put(cache_key, document)
    etag = _etag(snapshot.build_id, cache_key)
    return _document_response(document[0], document[1], etag, ep.settings.cache_max_age)


def _service_json(
    ep: Endpoint, snapshot: Snapshot, stats: VoidStatistics, lang: str
) -> dict[str, Any]:
    return {
        "endpoint": _endpoint_url(),
        "build": snapshot.build_id,
        "limits": ep.settings.limits(),
        "formats": {
            "select": list(core.offers("select")),
            "ask": list(core.offers("ask")),
            "construct_describe": list(core.offers("graph")),
        },
        "prefixes": PREFIXES,
        "examples": [
            {"name": e.name, "title": e.title, "description": e.description, "query": e.text}
            for e in example_queries(lang)
        ],
        "dataset": {
            "triples": stats.triples,
            "entities": stats.entities,
            "named_graphs": len(stats.graphs),
            "classes": stats.classes,
        },
        "void": url_for("sparql.void", _external=True),
    }


def _ui_page(ep: Endpoint, proto: ProtocolRequest) -> Response:
    lang = _page_lang(proto.lang)
    with force_locale(lang):
        body = render_template("sparql/index.html", **_ui_context(lang, ep, yasgui=True))
    response = Response(body, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = UI_CONTENT_SECURITY_POLICY
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["Cache-Control"] = "no-cache"
    _limit_headers(response, ep.settings)
    return _cors(response)


@bp.get("/sparql.json")
def query_json() -> Response:
    """The JSON twin of the query page: endpoint, limits, formats, prefixes, examples."""
    ep = endpoint(current_app)
    try:
        snapshot = current_snapshot()
    except NoCatalogError as error:
        return _error(503, "no-catalog", str(error), headers={"Retry-After": "60"})
    return _cors(jsonify(_service_json(ep, snapshot, _statistics(snapshot), _page_lang())))


# ---------------------------------------------------------------------------------------------
# /.well-known/void
# ---------------------------------------------------------------------------------------------


@bp.route("/.well-known/void", methods=["GET", "OPTIONS"], provide_automatic_options=False)
def void() -> Response:
    """The VoID description of the catalog (Turtle by default; RDF by content negotiation)."""
    if request.method == "OPTIONS":
        return _preflight()
    ep = endpoint(current_app)
    try:
        snapshot = current_snapshot()
    except NoCatalogError as error:
        return _error(503, "no-catalog", str(error), headers={"Retry-After": "60"})
    offers = [core.TURTLE, core.JSONLD, core.RDFXML, core.NTRIPLES, core.TRIG, "application/json"]
    format_values = request.args.getlist("format")
    media: str | None
    if format_values:
        media = core.negotiate(None, format_values, html=False).graph
    elif request.headers.get("Accept"):
        media = request.accept_mimetypes.best_match(offers)
        if media is None and request.accept_mimetypes.best_match(list(core.HTML_MEDIA_TYPES)):
            media = core.TURTLE  # a browser: Turtle is readable as it is
    else:
        media = core.TURTLE
    if media == "application/json":
        media = core.JSONLD
    if media not in RDF_DOCUMENT_TYPES:
        return _error(
            406,
            "not-acceptable",
            "VoID is available as " + ", ".join(offers),
            details={"allowed": offers},
        )
    root = request.url_root
    cache_key = ("void", snapshot.build_id, root, media)
    document = ep.documents.get(cache_key)
    if document is None:
        graph = void_graph(_statistics(snapshot), root)
        document = (graph.serialize(format=RDF_DOCUMENT_TYPES[media], encoding="utf-8"), media)
        ep.documents.put(cache_key, document)
    return _document_response(
        document[0], document[1], _etag(snapshot.build_id, cache_key), ep.settings.cache_max_age
    )


# ---------------------------------------------------------------------------------------------
# Yasgui, from the npm package
# ---------------------------------------------------------------------------------------------


def _yasgui_dir() -> Path:
    assets = current_app.config.get("ASSETS_DIR") or (
        Path(current_app.root_path).parent / "node_modules"
    )
    return Path(assets) / YASGUI_PACKAGE


@bp.get("/assets/yasgui/<path:filename>")
def yasgui_asset(filename: str) -> Response:
    """Yasgui's script and styles (``node_modules/@zazuko/yasgui/build``)."""
    directory = _yasgui_dir()
    try:
        response = send_from_directory(directory, filename, max_age=86400)
    except NotFound:
        return _error(
            404,
            "not-found",
            f"no such Yasgui asset: {filename} (is `npm ci` done? see make setup)",
        )
    return response
