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
from flask_babel import Babel

__all__ = ["bp"]

bp = Blueprint("sparql", __name__)

TRANSLATIONS = str(Path(__file__).resolve().parent / "translations")


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app = state.app
    directories = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations")
    if TRANSLATIONS not in directories.split(";"):
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = f"{directories};{TRANSLATIONS}"
    babel = app.extensions.get("babel")
    if babel is None:
        # The site's language machinery may initialise Babel again later; it reads the
        # directories from the config, which now includes ours.
        Babel(app)
    elif TRANSLATIONS not in babel.translation_directories:
        babel.translation_directories.append(TRANSLATIONS)


from . import views  # noqa: E402  (routes register on bp)

__all__ += ["views"]
