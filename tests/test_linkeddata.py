"""Dereferenceable IRIs: /id/<kind>/<key> in every RDF format, by Accept, extension and profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF

from lmickg.entities import describe, parse_entity_iri
from lmickg.namespaces import ID
from lmickg.profiles import schema_org_available
from lmickg.store import StoreRoot

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

DCAT = Namespace("http://www.w3.org/ns/dcat#")
LMIC = Namespace("https://w3id.org/lmickg/ns#")
FORMATS = {
    "ttl": ("text/turtle", "turtle"),
    "nt": ("application/n-triples", "nt"),
    "jsonld": ("application/ld+json", "json-ld"),
    "rdf": ("application/rdf+xml", "xml"),
}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ALPHA = "/id/source/alpha-survey"


def _one_per_kind(root: Path) -> list[str]:
    store = StoreRoot(root).open_current()
    rows = store.select(
        f'SELECT DISTINCT ?s WHERE {{ ?s a ?t FILTER(STRSTARTS(STR(?s), "{ID}")) }}'
    )
    chosen: dict[str, str] = {}
    for iri in sorted(str(r["s"]) for r in rows):
        ref = parse_entity_iri(iri)
        assert ref is not None
        chosen.setdefault(ref.kind, iri)
    return sorted(chosen.values())


@pytest.fixture(scope="module")
def entities(ld_store: Path) -> list[str]:
    found = _one_per_kind(ld_store)
    kinds = {parse_entity_iri(i).kind for i in found}  # type: ignore[union-attr]
    assert {"source", "distribution", "variable", "geo", "group", "org", "report", "gap"} <= kinds
    return found


def test_every_kind_dereferences_in_every_format(
    ld_client: FlaskClient, ld_store: Path, entities: list[str]
) -> None:
    store = StoreRoot(ld_store).open_current()
    for iri in entities:
        expected = describe(store, iri)
        assert len(expected)
        path = iri.removeprefix("https://w3id.org/lmickg")
        for extension, (media_type, parser) in FORMATS.items():
            for response in (
                ld_client.get(f"{path}.{extension}"),
                ld_client.get(path, headers={"Accept": media_type}),
            ):
                assert response.status_code == 200, (iri, media_type)
                assert response.headers["Content-Type"].split(";")[0] == media_type
                got = Graph().parse(data=response.data, format=parser)
                assert isomorphic(got, expected), (iri, media_type)


def test_negotiated_response_names_its_file_and_alternates(ld_client: FlaskClient) -> None:
    response = ld_client.get(ALPHA, headers={"Accept": "application/ld+json"})
    assert response.headers["Content-Location"] == f"{ALPHA}.jsonld"
    assert "Accept" in response.headers["Vary"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Content-Profile"] == "<https://w3id.org/lmickg/ns>"
    links = response.headers["Link"]
    for extension, (media_type, _) in FORMATS.items():
        assert f'<{ALPHA}.{extension}>; rel="alternate"; type="{media_type}"' in links
    assert '</fr/source/alpha-survey>; rel="alternate"; type="text/html"; hreflang="fr"' in links
    assert f"<{ALPHA}.ttl?_profile=dcat-ap>" in links


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("application/json", "application/ld+json"),
        ("text/html;q=0.5, application/rdf+xml", "application/rdf+xml"),
        ("application/n-triples;q=0.9, text/turtle;q=0.4", "application/n-triples"),
    ],
)
def test_accept_picks_the_format(ld_client: FlaskClient, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = ld_client.get(ALPHA, headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == expected


@pytest.mark.parametrize(
    ("language", "page"),
    [
        (None, "/en/source/alpha-survey"),
        ("fr-CA,fr;q=0.9,en;q=0.5", "/fr/source/alpha-survey"),
        ("de", "/en/source/alpha-survey"),
    ],
)
def test_browsers_are_sent_to_the_page(
    ld_client: FlaskClient, language: str | None, page: str
) -> None:
    headers = {"Accept": BROWSER}
    if language:
        headers["Accept-Language"] = language
    response = ld_client.get(ALPHA, headers=headers)
    assert response.status_code == 303
    assert response.headers["Location"] == page
    assert "Accept-Language" in response.headers["Vary"]
    html = ld_client.get(f"{ALPHA}.html")
    assert html.status_code == 303 and html.headers["Location"].endswith("/source/alpha-survey")


def test_profiles_by_header_and_parameter(ld_client: FlaskClient) -> None:
    by_header = ld_client.get(
        ALPHA, headers={"Accept": "text/turtle", "Accept-Profile": "<http://data.europa.eu/r5r/>"}
    )
    by_param = ld_client.get(f"{ALPHA}.ttl?_profile=dcat-ap")
    for response in (by_header, by_param):
        assert response.headers["Content-Profile"] == "<http://data.europa.eu/r5r/>"
        graph = Graph().parse(data=response.data, format="turtle")
        alpha = URIRef("https://w3id.org/lmickg/id/source/alpha-survey")
        assert graph.value(alpha, LMIC.variable) is None
        publisher = graph.value(alpha, DCTERMS.publisher)
        assert (publisher, RDF.type, FOAF.Agent) in graph
        distribution = graph.value(alpha, DCAT.distribution)
        assert graph.value(distribution, DCAT.accessURL) is not None
    assert "Accept-Profile" in by_header.headers["Vary"]
    # A header asking only for something not offered gets the default, and is told so.
    other = ld_client.get(ALPHA, headers={"Accept-Profile": "<http://example.org/nope>"})
    assert other.status_code == 200
    assert other.headers["Content-Profile"] == "<https://w3id.org/lmickg/ns>"


def test_schema_org_profile_for_data_sources(ld_client: FlaskClient) -> None:
    response = ld_client.get(f"{ALPHA}.jsonld?_profile=schema")
    if schema_org_available():
        assert response.status_code == 200
        assert response.headers["Content-Profile"] == "<https://schema.org/>"
        assert response.json["@type"] == "Dataset"
        assert ld_client.get(f"{ALPHA}.ttl?_profile=schema").status_code == 406
    else:
        assert response.status_code == 406
        assert "schema" in response.json["error"]


@pytest.mark.parametrize(
    ("url", "headers", "status", "names"),
    [
        ("/id/source/no-such-source", {}, 404, ".ttl"),
        ("/id/nothing", {}, 404, "/id/<kind>/<key>"),
        (ALPHA, {"Accept": "image/png"}, 406, "text/turtle"),
        (f"{ALPHA}?_profile=ckan", {}, 400, "dcat-ap"),
        ("/id/gap/local-job-vacancies?_profile=dcat-ap", {}, 406, "lmic"),
        ("/id/record/source/no-such-source", {}, 404, "record"),
    ],
)
def test_bad_requests_say_what_is_allowed(
    ld_client: FlaskClient, url: str, headers: dict[str, str], status: int, names: str
) -> None:
    response = ld_client.get(url, headers=headers)
    assert response.status_code == status
    assert response.is_json and names in str(response.json)


def test_catalog_records_dereference(ld_client: FlaskClient) -> None:
    response = ld_client.get("/id/record/source/alpha-survey.ttl")
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format="turtle")
    record = URIRef("https://w3id.org/lmickg/id/record/source/alpha-survey")
    assert (record, RDF.type, DCAT.CatalogRecord) in graph
    assert graph.value(record, FOAF.primaryTopic) == URIRef(
        "https://w3id.org/lmickg/id/source/alpha-survey"
    )
    assert response.headers["Last-Modified"]
    browser = ld_client.get("/id/record/source/alpha-survey", headers={"Accept": BROWSER})
    assert browser.status_code == 303 and browser.headers["Location"] == "/en/source/alpha-survey"


def test_unchanged_entity_answers_not_modified(ld_client: FlaskClient) -> None:
    etag = ld_client.get(f"{ALPHA}.ttl").headers["ETag"]
    assert ld_client.get(f"{ALPHA}.ttl", headers={"If-None-Match": etag}).status_code == 304


def test_alternate_links_for_entity_pages(ld_app: Flask) -> None:
    template = "{% for href, type in alternate_links() %}{{ type }} {{ href }}\n{% endfor %}"
    with ld_app.test_request_context("/fr/source/alpha-survey"):
        lines = render_template_string(template).split("\n")
    assert f"text/turtle {ALPHA}.ttl" in lines
    assert f"application/ld+json {ALPHA}.jsonld" in lines
    assert len([line for line in lines if line]) == 4
    for not_an_entity in ("/en/search", "/en/source/no-such-source", "/xx/source/alpha-survey"):
        with ld_app.test_request_context(not_an_entity):
            assert render_template_string(template) == ""
    with ld_app.test_request_context("/"):
        explicit = render_template_string(
            "{{ alternate_links('https://w3id.org/lmickg/id/gap/local-job-vacancies')|length }}"
        )
    assert explicit == "4"


def test_every_string_of_the_blueprint_has_a_french_translation() -> None:
    root = Path(__file__).resolve().parent.parent
    po = root / "webapp" / "linkeddata" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    sources = [
        *((path, "python") for path in (root / "webapp" / "linkeddata").glob("*.py")),
        *(
            (path, "jinja2")
            for path in (root / "webapp" / "templates" / "linkeddata").glob("*.html")
        ),
    ]
    found = {
        message[1] if isinstance(message[1], str) else message[1][0]
        for path, method in sources
        for message in extract_from_file(method, str(path))
    }
    assert len(found) > 20
    untranslated = sorted(m for m in found if not (catalog.get(m) and catalog.get(m).string))
    assert not untranslated


def test_ontology_and_named_graphs_dereference(ld_client: FlaskClient) -> None:
    root = Path(__file__).resolve().parent.parent
    ontology = Graph().parse(root / "ontology" / "lmic.ttl", format="turtle")
    for extension, (media_type, parser) in FORMATS.items():
        response = ld_client.get(f"/ns.{extension}")
        assert response.headers["Content-Type"].split(";")[0] == media_type
        assert isomorphic(Graph().parse(data=response.data, format=parser), ontology)
    browser = ld_client.get("/ns", headers={"Accept": BROWSER})
    assert browser.status_code == 200 and browser.headers["Content-Type"].startswith("text/plain")
    source = root / "tests" / "data" / "catalog" / "sources" / "alpha-survey.ttl"
    expected = Graph().parse(source, format="turtle")
    for url in (
        "/graph/catalog/sources/alpha-survey.ttl",
        "/graph/catalog/sources/alpha-survey.ttl.nt",
    ):
        response = ld_client.get(url)
        assert response.status_code == 200
        parser = "nt" if url.endswith(".nt") else "turtle"
        assert isomorphic(Graph().parse(data=response.data, format=parser), expected)
    assert ld_client.get("/graph/catalog/sources/no-such-file.ttl").status_code == 404
    assert ld_client.get("/ns.csv").status_code == 404


@pytest.mark.browser
def test_harvest_page_in_a_browser(ld_app: Flask) -> None:
    """Real Chromium: the harvest page pages through records and has no serious axe issue."""
    import threading

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    axe = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
    server = make_server("127.0.0.1", 0, ld_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            # axe is injected as a script the page's CSP would refuse.
            page = browser.new_context(bypass_csp=True, locale="fr-CA").new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/catalog?page_size=2")
            assert page.url.endswith("/fr/catalog?page_size=2")
            assert page.locator("h2#harvest").inner_text() == "Moissonner le catalogue"
            first_rows = page.locator("tbody tr").all_inner_texts()
            assert len(first_rows) == 2
            page.get_by_role("link", name="Page suivante").click()
            page.wait_for_load_state()
            second_rows = page.locator("tbody tr").all_inner_texts()
            assert len(second_rows) == 2 and not set(first_rows) & set(second_rows)
            page.add_script_tag(path=str(axe))
            result = page.evaluate("async () => await axe.run()")
            serious = [
                v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")
            ]
            assert not serious, serious
            browser.close()
    finally:
        server.shutdown()
        thread.join()


def test_cors_preflight_allows_profile_negotiation(ld_client: FlaskClient) -> None:
    for url in (ALPHA, "/catalog.ttl"):
        response = ld_client.options(
            url,
            headers={
                "Origin": "https://portal.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "accept-profile",
            },
        )
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Accept-Profile" in response.headers["Access-Control-Allow-Headers"]
    plain = ld_client.get(f"{ALPHA}.ttl", headers={"Origin": "https://portal.example"})
    assert plain.headers["Access-Control-Allow-Origin"] == "*"
    assert "Link" in plain.headers["Access-Control-Expose-Headers"]
