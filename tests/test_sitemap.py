"""Discovery: the sitemap lists every entity page in both languages; robots.txt points to it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from flask.testing import FlaskClient

from lmickg.store import StoreRoot
from webapp import create_app

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


def _entities(root: Path) -> set[str]:
    store = StoreRoot(root).open_current()
    rows = store.select(
        'SELECT DISTINCT ?s WHERE { ?s a ?t FILTER(STRSTARTS(STR(?s), "https://w3id.org/lmickg/id/")) }'
    )
    return {str(r["s"]) for r in rows}


def _urls(body: bytes) -> list[ET.Element]:
    return ET.fromstring(body).findall("s:url", NS)


def test_sitemap_lists_every_entity_page_in_both_languages(
    ld_client: FlaskClient, ld_store: Path
) -> None:
    response = ld_client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    urls = _urls(response.data)
    locations = {u.findtext("s:loc", namespaces=NS) for u in urls}
    entities = _entities(ld_store)
    for iri in entities:
        path = iri.removeprefix("https://w3id.org/lmickg/id")
        assert f"http://localhost/en{path}" in locations
        assert f"http://localhost/fr{path}" in locations
    assert "http://localhost/fr/" in locations and "http://localhost/en/catalog" in locations
    assert len(urls) == 2 * (len(entities) + 2)


def test_sitemap_names_language_twins_and_lastmod(ld_client: FlaskClient) -> None:
    urls = _urls(ld_client.get("/sitemap.xml").data)
    alpha = next(
        u
        for u in urls
        if u.findtext("s:loc", namespaces=NS) == "http://localhost/fr/source/alpha-survey"
    )
    twins = {link.get("hreflang"): link.get("href") for link in alpha.findall("x:link", NS)}
    assert twins == {
        "en": "http://localhost/en/source/alpha-survey",
        "fr": "http://localhost/fr/source/alpha-survey",
    }
    modified = alpha.findtext("s:lastmod", namespaces=NS)
    assert modified is not None and modified.endswith("Z")
    gap = next(
        u
        for u in urls
        if u.findtext("s:loc", namespaces=NS) == "http://localhost/en/gap/local-job-vacancies"
    )
    assert gap.find("s:lastmod", NS) is None


def test_large_sitemap_is_split_into_parts(ld_store: Path, ld_client: FlaskClient) -> None:
    app = create_app({"STORE_ROOT": str(ld_store), "TESTING": True, "SITEMAP_MAX_URLS": 40})
    client = app.test_client()
    index = ET.fromstring(client.get("/sitemap.xml").data)
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [loc.text for loc in index.findall("s:sitemap/s:loc", NS)]
    assert parts and parts[0] == "http://localhost/sitemap/1.xml"
    locations: list[str | None] = []
    for part in parts:
        assert part is not None
        urls = _urls(client.get(part).data)
        assert len(urls) <= 40
        locations.extend(u.findtext("s:loc", namespaces=NS) for u in urls)
    whole = _urls(ld_client.get("/sitemap.xml").data)
    assert sorted(locations) == sorted(u.findtext("s:loc", namespaces=NS) for u in whole)  # type: ignore[type-var]
    missing = client.get(f"/sitemap/{len(parts) + 1}.xml")
    assert missing.status_code == 404 and f"1 to {len(parts)}" in missing.json["error"]


def test_robots_points_to_the_sitemap_and_keeps_crawlers_off_queries(
    ld_client: FlaskClient,
) -> None:
    response = ld_client.get("/robots.txt")
    lines = response.data.decode().splitlines()
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert "Disallow: /sparql?" in lines
    assert "Allow: /" in lines
