"""The lmickg web application: HTTP in, calls into the core, HTML/JSON/RDF out.

``create_app`` is the only entry point (``gunicorn 'webapp:create_app()'``). Each area of the
site is a blueprint in its own module; nothing here knows about graphs beyond asking the core's
:class:`lmickg.serving.ServedCatalog` for the current snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify

from lmickg import config as core_config
from lmickg.serving import NoCatalogError, ServedCatalog

from .analysis import bp as analysis_bp
from .context import install_security_headers
from .i18n import init_i18n
from .linkeddata import bp as linkeddata_bp
from .site import site
from .sparql import bp as sparql_bp

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app; ``config`` overrides defaults (tests pass STORE_ROOT and TESTING)."""
    app = Flask(__name__)
    app.config.from_mapping(
        STORE_ROOT=str(core_config.store_root()),
        LANGUAGES=("en", "fr"),
        # Largest request body accepted anywhere (the SPARQL endpoint may set a smaller cap).
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    # LMICKG_STORE_ROOT, LMICKG_SPARQL_TIMEOUT, ... from the environment.
    app.config.from_prefixed_env("LMICKG")
    if config:
        app.config.update(config)
    app.extensions["lmickg"] = ServedCatalog(app.config["STORE_ROOT"])
    install_security_headers(app)
    init_i18n(app)

    @app.get("/health")
    def health() -> Any:
        """Liveness and the build being served (for monitoring and load balancers)."""
        try:
            snapshot = app.extensions["lmickg"].snapshot()
        except NoCatalogError as error:
            return jsonify(status="no-catalog", detail=str(error)), 503
        return jsonify(status="ok", build=snapshot.build_id)

    # Blueprints register here, one per area of the site.
    app.register_blueprint(linkeddata_bp)
    app.register_blueprint(sparql_bp)
    app.register_blueprint(analysis_bp)
    app.register_blueprint(site)
    return app
