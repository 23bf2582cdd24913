"""The language machinery every page shares: Flask-Babel, ``/en`` and ``/fr``, the language switch.

The page language comes from the URL (``/en/…``, ``/fr/…``); pages outside those prefixes
(``/sparql``, errors on unknown paths) use ``?lang=`` and then the browser's Accept-Language. Templates get
``lang``, ``other_lang``, ``switch_url`` (this page, same query string, other language) and
``label(labels)`` (a content label in the page language, with the language it is really in).

A blueprint with its own French strings calls :func:`add_translations` with its
``translations/`` directory; message catalogs are compiled by ``make setup``
(``pybabel compile``), and, for a fresh checkout, on first use by :func:`compile_catalogs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, g, request, url_for
from flask_babel import Babel, get_locale
from markupsafe import Markup, escape
from werkzeug.routing import BuildError

from lmickg.labels import pick_label

__all__ = [
    "LANGUAGES",
    "add_translations",
    "compile_catalogs",
    "current_lang",
    "init_i18n",
    "localized",
    "switch_url",
]

LANGUAGES = ("en", "fr")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def current_lang() -> str:
    """The language of the page being built (``en`` or ``fr``)."""
    cached = g.get("lmickg_lang")
    if cached:
        return str(cached)
    lang = _select()
    g.lmickg_lang = lang
    return lang


def _select() -> str:
    args = request.view_args or {}
    if args.get("lang") in LANGUAGES:
        return str(args["lang"])
    first = request.path.strip("/").split("/", 1)[0].split(".", 1)[0]
    if first in LANGUAGES:
        return first
    # Language-neutral pages (the SPARQL query page) take ?lang= before Accept-Language.
    if request.args.get("lang") in LANGUAGES:
        return str(request.args["lang"])
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def switch_url(lang: str) -> str:
    """This page in ``lang``: same endpoint and arguments, same query string."""
    args = dict(request.view_args or {})
    query = request.query_string.decode("latin-1")
    suffix = f"?{query}" if query else ""
    if "lang" in args and request.endpoint:
        args["lang"] = lang
        try:
            return url_for(request.endpoint, **args) + suffix
        except BuildError:  # a view without a reversible URL: fall back to the home page
            return f"/{lang}/"
    first, _, rest = request.path.lstrip("/").partition("/")
    if first in LANGUAGES:
        return f"/{lang}/{rest}{suffix}"
    if request.endpoint and request.endpoint != "static" and request.method == "GET":
        # A language-neutral page: the same page with ?lang= (what /sparql reads).
        args = request.args.to_dict(flat=False)
        args["lang"] = [lang]
        return f"{request.path}?{urlencode([(k, v) for k, vs in args.items() for v in vs])}"
    return f"/{lang}/"


def localized(labels: Mapping[str, str] | None, lang: str | None = None) -> dict[str, str]:
    """``{"text", "lang"}``: the label in the page language, or the fallback and its language."""
    text, used = pick_label(labels or {}, lang or current_lang())
    return {"text": text, "lang": used}


def _label_html(labels: Mapping[str, str] | None, fallback: str = "") -> Markup:
    """A label as HTML, wrapped in a ``lang`` span when it is not in the page language."""
    lang = current_lang()
    text, used = pick_label(labels or {}, lang)
    if not text:
        return escape(fallback)
    if used != lang:
        return Markup('<span lang="{}" class="fallback">{}</span>').format(used, text)
    return escape(text)


def add_translations(app: Flask, directory: Path) -> None:
    """Merge another ``translations/`` directory into the app's message catalogs."""
    compile_catalogs(directory)
    config = app.extensions["babel"]
    if str(directory) not in config.translation_directories:
        config.translation_directories.append(str(directory))


def compile_catalogs(directory: Path) -> None:
    """Compile ``.po`` files whose ``.mo`` is missing or older (a fresh checkout runs at once)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in directory.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        try:
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)
        except OSError:
            continue  # read-only install: the packaged .mo is what we have


def init_i18n(app: Flask) -> None:
    """Set up Flask-Babel and the template helpers; call once in ``create_app``."""
    # Every blueprint's catalogs (webapp/*/translations too), so a fresh checkout is bilingual
    # before `make setup` has compiled them.
    for directory in (TRANSLATIONS, *TRANSLATIONS.parent.glob("*/translations")):
        compile_catalogs(directory)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=current_lang)

    @app.context_processor
    def language_context() -> dict[str, Any]:
        lang = current_lang()
        other = "fr" if lang == "en" else "en"
        return {
            "lang": lang,
            "other_lang": other,
            "switch_url": switch_url(other),
            "label": _label_html,
            "localized": localized,
        }

    @app.after_request
    def content_language(response: Any) -> Any:
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Language", str(get_locale() or current_lang()))
        return response
