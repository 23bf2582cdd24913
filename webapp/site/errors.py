"""Errors as pages people can act on: in the page language, saying what was wrong and what is
allowed, as HTML or as a JSON body. Never a stack trace, never a 500 for bad input.

Registered app-wide; a blueprint that wants other error bodies for its own routes registers its
own ``errorhandler`` (Flask prefers it for errors raised in that blueprint). Paths outside
``/en`` and ``/fr`` (machine endpoints) get JSON unless the client prefers HTML.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Response, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, InternalServerError

from lmickg.search import SearchError
from lmickg.serving import NoCatalogError

from ..i18n import LANGUAGES
from . import site
from .render import respond, to_jsonable, wants_json
from .vocabulary import FACETS, ui

__all__ = ["NotInCatalog", "SearchProblem", "search_message"]

log = logging.getLogger(__name__)


class SearchProblem(Exception):
    """A SearchError on its way to becoming a 400 (or 404) page."""

    def __init__(self, error: SearchError) -> None:
        super().__init__(str(error))
        self.error = error


class NotInCatalog(Exception):
    """An entity address the catalog has nothing about (a 404 naming the IRI)."""

    def __init__(self, iri: str) -> None:
        super().__init__(iri)
        self.iri = iri


def _name(parameter: str) -> str:
    return f"{parameter} ({ui(FACETS, parameter)})" if parameter in FACETS else parameter


def search_message(error: SearchError) -> str:
    """The error in the page language: what was wrong, and the rule."""
    name = _name(error.parameter)
    messages = {
        "unknown-parameter": lambda: gettext("Unknown parameter “%(name)s”.", name=error.parameter),
        "unknown-value": lambda: gettext(
            "“%(value)s” is not a value of %(name)s.", value=error.value, name=name
        ),
        "unknown-scope": lambda: gettext(
            "“%(value)s” is not something the catalog searches.", value=error.value
        ),
        "unknown-sort": lambda: gettext("“%(value)s” is not a sort order.", value=error.value),
        "bad-number": lambda: gettext(
            "%(name)s must be a whole number from 1 to %(limit)s, not “%(value)s”.",
            name=name,
            limit=error.limit,
            value=error.value,
        ),
        "too-long": lambda: gettext(
            "The search text is too long: at most %(limit)s characters.", limit=error.limit
        ),
        "too-many": lambda: gettext(
            "Too many values for %(name)s: at most %(limit)s.", name=name, limit=error.limit
        ),
        "page-out-of-range": lambda: gettext(
            "There is no page %(value)s: the results fill %(limit)s page(s).",
            value=error.value,
            limit=error.limit,
        ),
    }
    return messages[error.code]() if error.code in messages else str(error)


def _title(status: int) -> str:
    titles = {
        400: gettext("Bad request"),
        404: gettext("Page not found"),
        405: gettext("Method not allowed"),
        413: gettext("Request too large"),
        414: gettext("Address too long"),
        429: gettext("Too many requests"),
        500: gettext("Something went wrong"),
        503: gettext("Catalog unavailable"),
    }
    return titles.get(status, gettext("Error"))


def _in_site() -> bool:
    first = request.path.strip("/").split("/", 1)[0].split(".", 1)[0]
    return first in LANGUAGES


def _page(status: int, message: str, **extra: Any) -> Response:
    view = {"error": {"status": status, "title": _title(status), "message": message, **extra}}
    # Machine endpoints (no /en or /fr prefix) answer JSON unless a browser asks for HTML.
    accept = request.accept_mimetypes
    browser = accept.quality("text/html") > accept.quality("application/json")
    if not _in_site() and not wants_json() and not browser:
        body = json.dumps(to_jsonable(view), ensure_ascii=False, indent=1)
        return Response(body, status=status, mimetype="application/json")
    return respond("site/error.html", view, status=status)


@site.app_errorhandler(SearchProblem)
def search_problem(problem: SearchProblem) -> Response:
    """A bad search URL: 400 naming the parameter and the allowed values (404 past the end)."""
    error = problem.error
    status = 404 if error.code == "page-out-of-range" else 400
    return _page(
        status,
        search_message(error),
        code=error.code,
        parameter=error.parameter,
        value=error.value,
        allowed=error.allowed[:200],
        limit=error.limit,
    )


@site.app_errorhandler(NotInCatalog)
def not_in_catalog(error: NotInCatalog) -> Response:
    """An entity page for an IRI the catalog does not describe."""
    return _page(404, gettext("The catalog has no entity %(iri)s.", iri=error.iri), iri=error.iri)


@site.app_errorhandler(NoCatalogError)
def no_catalog(error: NoCatalogError) -> Response:
    """Nothing built yet (or the build cannot be opened)."""
    log.warning("no catalog: %s", error)
    return _page(
        503, gettext("No catalog has been built yet. Run “lmickg build”, then reload this page.")
    )


@site.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Any other HTTP error, phrased in the page language."""
    status = error.code or 500
    if status >= 500:
        return server_error(error)
    messages = {
        404: lambda: gettext("There is no page at %(path)s.", path=request.path[:200]),
        405: lambda: gettext(
            "This address does not accept %(method)s requests.", method=request.method
        ),
        413: lambda: gettext("The request is larger than this server accepts."),
        414: lambda: gettext("The address is too long."),
    }
    message = messages[status]() if status in messages else str(error.description or _title(status))
    response = _page(status, message)
    valid = getattr(error, "valid_methods", None)
    if status == 405 and valid:
        response.headers["Allow"] = ", ".join(valid)
    return response


@site.app_errorhandler(InternalServerError)
def server_error(error: HTTPException) -> Response:
    """A bug: logged with its traceback, shown as a plain apology."""
    original = getattr(error, "original_exception", None)
    if original is not None:
        log.error("unhandled error on %s", request.path, exc_info=original)
    status = error.code or 500
    return _page(status, gettext("The server could not answer. The error has been logged."))
