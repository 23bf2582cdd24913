"""The sitemap: every entity page in both languages, so search engines find the whole catalog.

The list of entities is derived at build time (the "sitemap" deriver writes ``entities.txt``:
every IRI under ``/id/`` that has a type); servers turn it into sitemap XML for the host they
answer on. A sitemap file holds at most 50,000 URLs (sitemaps.org), so a large catalog gets a
sitemap index pointing at numbered parts. Each URL names its other-language twin
(``xhtml:link rel="alternate" hreflang``), and data-source pages carry ``lastmod`` from the
record history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

from .derived import DeriveContext
from .entities import parse_entity_iri
from .namespaces import ID
from .records import format_stamp
from .store import bound, solutions

__all__ = [
    "ENTITIES_FILE",
    "MAX_URLS",
    "derive_sitemap",
    "entity_path",
    "index_xml",
    "load_entities",
    "urlset_xml",
]

ENTITIES_FILE = "entities.txt"
#: The sitemaps.org limit of URLs per file.
MAX_URLS = 50_000
_SAFE = "/:@-._~!$&'()*+,;="


def derive_sitemap(context: DeriveContext) -> dict[str, object]:
    """The "sitemap" deriver: list every typed entity IRI minted under ``/id/``."""
    rows = solutions(
        context.store.native,
        f'SELECT DISTINCT ?s WHERE {{ ?s a ?t FILTER(STRSTARTS(STR(?s), "{ID}")) }}',
        union=True,
    )
    entities = sorted(bound(row, "s").value for row in rows)
    (context.build_dir / ENTITIES_FILE).write_text("".join(f"{e}\n" for e in entities))
    return {"entities": len(entities)}


def load_entities(build_dir: Path) -> list[str]:
    """The entity IRIs a build listed (FileNotFoundError if it has none)."""
    return (build_dir / ENTITIES_FILE).read_text().split()


def entity_path(iri: str, lang: str) -> str | None:
    """The path of an entity's page, ``/<lang>/<kind>/<key>``, percent-encoded."""
    ref = parse_entity_iri(iri)
    if ref is None:
        return None
    return quote(f"/{lang}/{ref.kind}/{ref.key}", safe=_SAFE)


def urlset_xml(
    base: str,
    pages: Iterable[Sequence[tuple[str, str]]],
    lastmod: Mapping[str, int],
    keys: Sequence[str] | None = None,
) -> bytes:
    """A ``<urlset>``: one ``<url>`` per language version of each page, naming the others.

    ``pages`` yields, per page, its ``(lang, path)`` versions; ``keys`` (same order) are the
    entity IRIs to look ``lastmod`` up by, or None.
    """
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
    ]
    for index, versions in enumerate(pages):
        stamp = lastmod.get(keys[index]) if keys is not None else None
        modified = f"<lastmod>{format_stamp(stamp)}</lastmod>" if stamp is not None else ""
        alternates = "".join(
            f'<xhtml:link rel="alternate" hreflang="{lang}" href="{escape(base + path)}"/>'
            for lang, path in versions
        )
        for _lang, path in versions:
            out.append(f"<url><loc>{escape(base + path)}</loc>{modified}{alternates}</url>\n")
    out.append("</urlset>\n")
    return "".join(out).encode()


def index_xml(locations: Iterable[str]) -> bytes:
    """A ``<sitemapindex>`` pointing at the numbered sitemap parts."""
    body = "".join(f"<sitemap><loc>{escape(loc)}</loc></sitemap>\n" for loc in locations)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{body}</sitemapindex>\n"
    ).encode()
