"""Request-scoped access to the catalog, and headers every response carries."""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from flask_babel import Babel

from lmickg.serving import Snapshot

__all__ = ["add_translations", "install_security_headers", "snapshot"]

#: Strict by default: only our own scripts, styles and images. A blueprint that needs more
#: (e.g. the query UI) sets its own header on its responses.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def snapshot() -> Snapshot:
    """The catalog build this request reads, fixed for the whole request."""
    if "lmickg_snapshot" not in g:
        g.lmickg_snapshot = current_app.extensions["lmickg"].snapshot()
    return g.lmickg_snapshot  # type: ignore[no-any-return]


def add_translations(app: Flask, directory: str) -> None:
    """Add a blueprint's message catalogs to Flask-Babel's, initialising it if nobody has.

    Flask-Babel merges every directory in ``BABEL_TRANSLATION_DIRECTORIES``; whichever order the
    app and its blueprints set it up in, the directory ends up both in the config (read by a
    later ``Babel(app)``) and in the running configuration.
    """
    directories = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations")
    if directory not in directories.split(";"):
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = f"{directories};{directory}"
    babel = app.extensions.get("babel")
    if babel is None:
        Babel(app)
    elif directory not in babel.translation_directories:
        babel.translation_directories.append(directory)


def install_security_headers(app: Flask) -> None:
    """Add security headers to every response that did not set its own."""

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
