"""The SPARQL 1.1 Protocol's query operation, read from a Flask request.

Turns GET ``?query=``, POST form-encoded and POST ``application/sparql-query`` into one
:class:`ProtocolRequest`, or a :class:`ProtocolError` naming what was wrong and what is allowed.
Update operations (``update=`` or ``application/sparql-update``) are recognised so they can be
refused with the documented error rather than a confusing one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from flask import Request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

__all__ = ["ProtocolError", "ProtocolRequest", "parse_request", "parse_timeout"]

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
#: Parameters clients add to name the result format (Virtuoso: format, sparqler: output, ...).
FORMAT_PARAMETERS = ("format", "output", "results")


class ProtocolError(Exception):
    """A request the protocol does not allow; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


@dataclass
class ProtocolRequest:
    """What a query-operation request asks for."""

    query: str | None
    update: bool = False
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    formats: list[str] = field(default_factory=list)
    timeout: float | None = None
    lang: str | None = None


_TIMEOUT = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s)?\s*", re.IGNORECASE)


def parse_timeout(value: str) -> float:
    """Seconds from a ``timeout`` parameter: ``5``, ``2.5s`` or ``2500ms``."""
    match = _TIMEOUT.fullmatch(value)
    if not match:
        raise ProtocolError(
            400,
            "bad-timeout",
            f"timeout {value!r} is not a duration; give seconds (5, 2.5s) or milliseconds (2500ms)",
        )
    seconds = float(match.group(1))
    if (match.group(2) or "s").lower() == "ms":
        seconds /= 1000
    if not math.isfinite(seconds) or seconds <= 0:
        raise ProtocolError(400, "bad-timeout", "timeout must be more than zero")
    return seconds


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(
            400,
            "multiple-queries",
            f"the request has {len(values)} {name} parameters; the protocol allows exactly one",
        )
    return values[0] if values else None


def _decode(data: bytes, charset: str | None) -> str:
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ProtocolError(
            415,
            "unsupported-charset",
            f"query bodies must be UTF-8 (the protocol requires it); got charset={charset}",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, "bad-encoding", f"the query is not valid UTF-8: {error}") from None


def parse_request(request: Request, max_query_bytes: int) -> ProtocolRequest:
    """Read one SPARQL Protocol request; raise ProtocolError for anything the protocol forbids."""
    args = request.args
    if request.method in ("GET", "HEAD"):
        params: MultiDict[str, str] = MultiDict(args)
        query = _single(args.getlist("query"), "query")
        if query is not None and len(query.encode("utf-8")) > max_query_bytes:
            raise ProtocolError(
                414,
                "query-too-long",
                f"the query is longer than {max_query_bytes} bytes; send it with POST "
                f"(also capped at {max_query_bytes} bytes)",
            )
    elif request.method == "POST":
        if request.content_length is not None and request.content_length > max_query_bytes:
            raise ProtocolError(
                413,
                "body-too-large",
                f"the request body is larger than the {max_query_bytes}-byte limit for queries",
            )
        # Also applies to chunked bodies without Content-Length.
        request.max_content_length = max_query_bytes
        mimetype = request.mimetype
        try:
            if mimetype == FORM:
                params = MultiDict(args)
                for key, values in request.form.lists():
                    params.setlist(key, params.getlist(key) + values)
                query = _single(params.getlist("query"), "query")
            elif mimetype == SPARQL_QUERY:
                params = MultiDict(args)
                if "query" in args:
                    raise ProtocolError(
                        400,
                        "multiple-queries",
                        "a query in the body and a query parameter: send only one",
                    )
                query = _decode(request.get_data(), request.mimetype_params.get("charset"))
            elif mimetype == SPARQL_UPDATE:
                return ProtocolRequest(query=None, update=True)
            else:
                shown = mimetype or "none"
                raise ProtocolError(
                    415,
                    "unsupported-media-type",
                    f"POST bodies must be {FORM} (query=...) or {SPARQL_QUERY}; "
                    f"got Content-Type: {shown}",
                    allowed=[FORM, SPARQL_QUERY],
                )
        except RequestEntityTooLarge:
            raise ProtocolError(
                413,
                "body-too-large",
                f"the request body is larger than the {max_query_bytes}-byte limit for queries",
            ) from None
    else:
        raise ProtocolError(
            405,
            "method-not-allowed",
            f"{request.method} is not a SPARQL query operation; use GET or POST",
            allowed=["GET", "POST", "OPTIONS"],
        )

    if params.getlist("update"):
        return ProtocolRequest(query=None, update=True)
    if "using-graph-uri" in params or "using-named-graph-uri" in params:
        return ProtocolRequest(query=None, update=True)

    default = params.getlist("default-graph-uri")
    named = params.getlist("named-graph-uri")
    dataset_given = bool(default or named)
    # Empty values are what an HTML form sends for a field left blank.
    timeout_values = [v for v in params.getlist("timeout") if v.strip()]
    timeout = parse_timeout(timeout_values[0]) if timeout_values else None
    formats = [v for name in FORMAT_PARAMETERS for v in params.getlist(name) if v.strip()]
    return ProtocolRequest(
        query=query,
        default_graphs=tuple(default) if dataset_given else None,
        named_graphs=tuple(named) if dataset_given else None,
        formats=formats,
        timeout=timeout,
        lang=params.get("lang"),
    )
