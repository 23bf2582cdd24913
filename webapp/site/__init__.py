"""The public web catalog: home, faceted search and a page for every entity, in English and French.

Routes (each HTML page has a JSON twin: ``.json`` appended, or ``Accept: application/json``):

``/``                          redirect to ``/en/`` or ``/fr/`` by Accept-Language
``/<lang>/``                   what the catalog holds and where to start (``/<lang>/index.json``)
``/<lang>/search``             faceted search (``/<lang>/search.json``)
``/<lang>/<kind>/<key>``       the page of ``https://w3id.org/lmickg/id/<kind>/<key>``

Views only turn HTTP into calls on the core (:mod:`lmickg.search`, :mod:`lmickg.entity_view`,
:mod:`lmickg.schemaorg`) and results into HTML or JSON.
"""

from __future__ import annotations

from flask import Blueprint

site = Blueprint("site", __name__)

from . import errors, views  # noqa: E402,F401  (routes register on import)

__all__ = ["site"]
