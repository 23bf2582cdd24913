"""One view, two representations: HTML for people, JSON for programs, from the same data.

A request gets JSON when its path ends in ``.json`` or its Accept header prefers
``application/json`` over ``text/html``. Other blueprints can reuse :func:`respond` and
:func:`wants_json` for their own JSON twins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Response, render_template, request

__all__ = ["respond", "to_jsonable", "wants_json"]


def wants_json() -> bool:
    """Whether this request asks for the JSON twin."""
    if request.path.endswith(".json"):
        return True
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json"])
    return best == "application/json" and accept["application/json"] > accept["text/html"]


def to_jsonable(value: Any) -> Any:
    """Lazy strings and other odd values made plain for ``json.dumps``."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def respond(template: str, view: Mapping[str, Any], status: int = 200) -> Response:
    """Render ``view`` with ``template``, or as JSON when the request wants the JSON twin.

    Keys starting with ``_`` are for the template only (helpers, pre-rendered HTML).
    """
    if wants_json():
        # Keys starting with "_" are for the template; lazy strings serialize as text.
        public = {k: v for k, v in view.items() if not str(k).startswith("_")}
        body = json.dumps(public, ensure_ascii=False, separators=(",", ":"), default=str)
        response = Response(body, status=status, mimetype="application/json")
    else:
        response = Response(
            render_template(template, view=view), status=status, mimetype="text/html"
        )
    response.vary.add("Accept")
    return response
