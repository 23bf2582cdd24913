"""The public SPARQL endpoint: ``/sparql``, its query UI, and ``/.well-known/void``.

Register with ``app.register_blueprint(sparql_bp)``. HTTP in (:mod:`.protocol`), a query worker
runs it (:mod:`lmickg.query_pool`, :mod:`lmickg.sparql`), results out; limits and state live in
:mod:`.endpoint`. The blueprint adds its French strings (``translations/``) to Flask-Babel's
translation directories and initialises Flask-Babel if the app has not.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from ..context import add_translations

__all__ = ["bp"]

bp = Blueprint("sparql", __name__)

TRANSLATIONS = str(Path(__file__).resolve().parent / "translations")


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    add_translations(state.app, TRANSLATIONS)


from . import views  # noqa: E402  (routes register on bp)

__all__ += ["views"]
