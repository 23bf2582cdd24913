"""Gap analysis on the web: named questions, coverage heatmaps and the lineage of gaps.

Pages (each with a JSON twin: ``.json`` or ``Accept: application/json``)::

    /<lang>/questions                    the named questions
    /<lang>/questions/<name>             a form and the answer (+ .json, .csv, .rq)
    /<lang>/coverage                     heatmaps: variables × levels, groups × levels
    /<lang>/lineage                      the catalog-wide lineage (+ .graphml)
    /<lang>/lineage/<gap key>            one gap's lineage (+ .graphml, .svg)

The gap page of the web front end includes ``analysis/_gap_lineage.html``; it needs ``gap_iri``
(or ``entity_iri``) and ``lang``, and calls the Jinja global ``gap_lineage(gap_iri, lang)``
registered here.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, request
from flask.blueprints import BlueprintSetupState

__all__ = ["bp"]

TRANSLATIONS = Path(__file__).resolve().parent / "translations"

bp = Blueprint(
    "analysis",
    __name__,
    static_folder="static",
    static_url_path="/static/analysis",
)


def _page_language() -> str | None:
    args = request.view_args or {}
    lang = args.get("lang")
    return lang if lang in ("en", "fr") else None


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    """Make this area's French strings and the lineage partial's helper available to the app."""
    app: Flask = state.app
    from flask_babel import Babel, get_babel

    # Whoever sets Babel up (the web front end does, in create_app), our catalog joins theirs:
    # in the config for a later Babel(app), in the live configuration for an earlier one.
    directories = [d for d in app.config.get("BABEL_TRANSLATION_DIRECTORIES", "").split(";") if d]
    if str(TRANSLATIONS) not in directories:
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
            [*(directories or ["translations"]), str(TRANSLATIONS)]
        )
    if "babel" not in app.extensions:
        Babel(app, locale_selector=_page_language)
    babel = get_babel(app)
    if str(TRANSLATIONS) not in babel.translation_directories:
        babel.translation_directories.append(str(TRANSLATIONS))
    from .views import gap_lineage

    app.jinja_env.globals["gap_lineage"] = gap_lineage


from . import views  # noqa: E402,F401  (routes register on bp)
