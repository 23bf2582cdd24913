"""The /sparql blueprint through the Flask test client: protocol, status codes, caching, CORS,
the HTML form and results, the service description, /.well-known/void, Yasgui assets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, VOID, XSD

from lmickg.namespaces import SD
from lmickg.store import OxigraphStore
from lmickg.void import DATASET, compute_statistics
from webapp import create_app

SOURCES = "SELECT ?s WHERE { ?s a dcat:Dataset } ORDER BY ?s"
JSON_RESULTS = "application/sparql-results+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def shared_app(built_store: Path) -> Iterator[Flask]:
    """One app (and query worker) for the tests that do not change settings."""
    app = create_app(
        {
            "STORE_ROOT": str(built_store),
            "TESTING": True,
            "SPARQL_WORKERS": 1,
            # Budgets are tested on their own app (test_rate_limit_answers_429_with_retry_after).
            "SPARQL_RATE_PER_MINUTE": 0,
        }
    )
    yield app
    app.extensions["lmickg_sparql"].pool.close()


@pytest.fixture
def client(shared_app: Flask) -> FlaskClient:
    return shared_app.test_client()


def _rdf_triples(body: bytes, media_type: str) -> int:
    fmt = ox.RdfFormat.from_media_type(media_type)
    assert fmt is not None
    return len(list(ox.parse(body, format=fmt)))


def _rows(response) -> list[dict]:
    return json.loads(response.get_data())["results"]["bindings"]


# -- protocol ----------------------------------------------------------------------------------


def test_get_post_form_and_post_direct_agree(client: FlaskClient) -> None:
    by_get = client.get("/sparql", query_string={"query": SOURCES})
    by_form = client.post("/sparql", data={"query": SOURCES})
    by_body = client.post("/sparql", data=SOURCES.encode(), content_type="application/sparql-query")
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200
        assert response.mimetype == JSON_RESULTS
        assert len(_rows(response)) == 4
    assert by_get.get_data() == by_form.get_data() == by_body.get_data()


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/json", "application/json"),
        ("*/*", JSON_RESULTS),
    ],
)
def test_select_content_negotiation(client: FlaskClient, accept: str, mimetype: str) -> None:
    response = client.get("/sparql", query_string={"query": SOURCES}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert b"alpha-survey" in response.get_data()
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    "mimetype",
    [
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
        "application/rdf+xml",
        "application/trig",
    ],
)
def test_construct_content_negotiation(
    client: FlaskClient, fixture_store: OxigraphStore, mimetype: str
) -> None:
    query = "CONSTRUCT { ?s dct:title ?t } WHERE { ?s a dcat:Dataset ; dct:title ?t }"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": mimetype})
    assert response.status_code == 200 and response.mimetype == mimetype
    assert _rdf_triples(response.get_data(), mimetype) == len(fixture_store.construct(query)) == 8


def test_sparqlwrapper_format_parameters_are_tolerated(client: FlaskClient) -> None:
    # What SPARQLWrapper sends for TSV: three parameters, each twice.
    params = [("query", SOURCES)] + [
        (name, value)
        for name in ("format", "output", "results")
        for value in ("tsv", "text/tab-separated-values")
    ]
    response = client.get(
        "/sparql?" + urlencode(params), headers={"Accept": "text/tab-separated-values"}
    )
    assert response.status_code == 200 and response.mimetype == "text/tab-separated-values"
    assert response.get_data().decode().splitlines()[0] == "?s"
    # A format parameter alone picks the format, whatever Accept says.
    csv = client.get("/sparql", query_string={"query": SOURCES, "format": "csv"})
    assert csv.mimetype == "text/csv"


def test_syntax_error_is_400_with_the_parsers_message(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "syntax-error"
    assert body["message"].startswith("error at 1:")


def test_update_is_refused_with_403(client: FlaskClient) -> None:
    for response in (
        client.post("/sparql", data={"update": "CLEAR ALL"}),
        client.post("/sparql", data=b"CLEAR ALL", content_type="application/sparql-update"),
        client.get("/sparql", query_string={"query": "DELETE WHERE { ?s ?p ?o }"}),
    ):
        assert response.status_code == 403
        assert response.get_json()["error"] == "update-refused"
    assert len(_rows(client.get("/sparql", query_string={"query": SOURCES}))) == 4


def test_service_is_refused(client: FlaskClient) -> None:
    response = client.get(
        "/sparql",
        query_string={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "service-refused"


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "code"),
    [
        ("put", {"query_string": {"query": "ASK {}"}}, 405, "method-not-allowed"),
        ("post", {"data": b"ASK {}", "content_type": "text/plain"}, 415, "unsupported-media-type"),
        (
            "post",
            {"data": b"ASK {}", "content_type": "application/sparql-query; charset=latin-1"},
            415,
            "unsupported-charset",
        ),
        ("post", {"data": {"format": "json"}}, 400, "missing-query"),
        (
            "get",
            {"query_string": [("query", "ASK {}"), ("query", "ASK {}")]},
            400,
            "multiple-queries",
        ),
        ("get", {"query_string": {"query": "ASK {}", "timeout": "soon"}}, 400, "bad-timeout"),
        ("get", {"query_string": {"query": "ASK {}", "timeout": "-1"}}, 400, "bad-timeout"),
    ],
)
def test_bad_requests_name_the_rule(
    client: FlaskClient, method: str, kwargs: dict, status: int, code: str
) -> None:
    response = getattr(client, method)("/sparql", **kwargs)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == code and body["message"]
    if status == 405:
        assert response.headers["Allow"] == "GET, POST, OPTIONS"


def test_406_when_nothing_acceptable(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string={"query": SOURCES}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406
    assert JSON_RESULTS in response.get_json()["allowed"]
    # ASK has no CSV form: 406 naming the forms it has.
    ask = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "text/csv"})
    assert ask.status_code == 406
    assert ask.get_json()["allowed"] == [JSON_RESULTS, "application/sparql-results+xml"]


def test_request_body_and_query_length_caps(app: Flask) -> None:
    app.config["SPARQL_MAX_QUERY_BYTES"] = 200
    app.extensions.pop("lmickg_sparql", None)
    client = app.test_client()
    long_query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 300
    assert client.post("/sparql", data={"query": long_query}).status_code == 413
    direct = client.post(
        "/sparql", data=long_query.encode(), content_type="application/sparql-query"
    )
    assert direct.status_code == 413 and direct.get_json()["error"] == "body-too-large"
    assert client.get("/sparql", query_string={"query": long_query}).status_code == 414
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


def test_timeout_parameter_may_lower_not_raise_the_limit(client: FlaskClient) -> None:
    blank = client.get("/sparql", query_string={"query": "ASK {}", "timeout": "", "format": ""})
    assert blank.status_code == 200 and blank.headers["X-SPARQL-Timeout"] == "10"
    lower = client.get("/sparql", query_string={"query": "ASK {}", "timeout": "2500ms"})
    assert lower.headers["X-SPARQL-Timeout"] == "2.5"
    higher = client.get("/sparql", query_string={"query": "ASK {}", "timeout": "3600"})
    assert higher.status_code == 200
    assert higher.headers["X-SPARQL-Timeout"] == "10"


def test_timeout_answers_504_and_the_endpoint_keeps_answering(app: Flask) -> None:
    client = app.test_client()
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    response = client.get("/sparql", query_string={"query": runaway, "timeout": "1"})
    assert response.status_code == 504
    assert response.get_json()["error"] == "timeout"
    assert response.get_json()["limit_seconds"] == 1
    assert len(_rows(client.get("/sparql", query_string={"query": SOURCES}))) == 4


# -- truncation, caching -----------------------------------------------------------------------


def test_row_cap_is_signalled_in_a_header(app: Flask) -> None:
    app.config["SPARQL_MAX_ROWS"] = 3
    client = app.test_client()
    capped = client.get("/sparql", query_string={"query": SOURCES})
    assert capped.headers["X-SPARQL-Truncated"] == "true"
    assert capped.headers["X-SPARQL-MaxRows"] == "3"
    assert len(_rows(capped)) == 3
    whole = client.get("/sparql", query_string={"query": SOURCES + " LIMIT 3"})
    assert whole.headers["X-SPARQL-Truncated"] == "false"


def test_etag_revalidation_and_cache(client: FlaskClient) -> None:
    query = SOURCES + "  # not asked before"
    first = client.get("/sparql", query_string={"query": query})
    etag = first.headers["ETag"]
    assert first.headers["X-SPARQL-Cache"] == "miss"
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get("/sparql", query_string={"query": query})
    assert again.headers["X-SPARQL-Cache"] == "hit" and again.headers["ETag"] == etag
    assert again.get_data() == first.get_data()
    revalidated = client.get(
        "/sparql", query_string={"query": query}, headers={"If-None-Match": etag}
    )
    assert revalidated.status_code == 304 and revalidated.get_data() == b""
    other_type = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "text/csv"}
    )
    assert other_type.headers["ETag"] != etag
    post = client.post("/sparql", data={"query": query}, headers={"If-None-Match": etag})
    assert post.status_code == 412


def test_rate_limit_answers_429_with_retry_after(built_store: Path) -> None:
    app = create_app(
        {
            "STORE_ROOT": str(built_store),
            "TESTING": True,
            "SPARQL_WORKERS": 1,
            "SPARQL_RATE_DB": ":memory:",
            "SPARQL_RATE_PER_MINUTE": 6,
            "SPARQL_RATE_BURST": 3,
        }
    )
    client = app.test_client()
    try:
        statuses = [
            client.get("/sparql", query_string={"query": "ASK {}"}).status_code for _ in range(3)
        ]
        limited = client.get("/sparql", query_string={"query": "ASK {}"})
        other_client = client.get(
            "/sparql", query_string={"query": "ASK {}"}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
        )
    finally:
        app.extensions["lmickg_sparql"].pool.close()
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["error"] == "rate-limited"
    assert other_client.status_code == 200


# -- CORS ----------------------------------------------------------------------------------------


def test_cors_preflight_and_headers(client: FlaskClient) -> None:
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://tools.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type, accept"
    response = client.get(
        "/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://tools.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-SPARQL-Truncated" in response.headers["Access-Control-Expose-Headers"]
    error = client.get("/sparql", query_string={"query": "ASK {"})
    assert error.headers["Access-Control-Allow-Origin"] == "*"


# -- HTML: the form, results and errors for browsers -----------------------------------------------


def test_browser_gets_an_html_table_with_the_truncation_notice(app: Flask) -> None:
    app.config["SPARQL_MAX_ROWS"] = 2
    client = app.test_client()
    response = client.get("/sparql", query_string={"query": SOURCES}, headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<table class="sparql-table">' in page
    assert 'href="/id/source/alpha-survey"' in page
    assert "id:source/alpha-survey" in page and "gamma-outcomes" not in page
    assert 'id="sparql-truncated"' in page and "only the first 2 rows" in page
    assert response.headers["X-SPARQL-Truncated"] == "true"
    # The page holds the form, with the query, so it can be edited and run again.
    assert 'name="query"' in page and "ORDER BY ?s</textarea>" in page
    # No Yasgui (and no relaxed policy) on a results page.
    assert "yasgui.min.js" not in page
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_html_in_french(client: FlaskClient) -> None:
    response = client.get(
        "/sparql",
        query_string={"query": SOURCES, "lang": "fr"},
        headers={"Accept": BROWSER},
    )
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Point d'accès SPARQL" in page and "4 lignes" in page
    by_header = client.get(
        "/sparql", headers={"Accept": BROWSER, "Accept-Language": "fr-CA,fr;q=0.9"}
    )
    assert "Exécuter la requête" in by_header.get_data(as_text=True)


def test_html_errors_in_the_page_language(client: FlaskClient) -> None:
    response = client.get(
        "/sparql",
        query_string={"query": "SELECT * WHERE {", "lang": "fr"},
        headers={"Accept": BROWSER},
    )
    assert response.status_code == 400 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "La requête contient une erreur de syntaxe" in page
    assert 'role="alert"' in page and "error at 1:" in page


def test_a_format_parameter_wins_for_errors_too(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string={"query": "ASK {", "format": "json"}, headers={"Accept": BROWSER}
    )
    assert response.status_code == 400 and response.mimetype == "application/json"


def test_ask_and_construct_as_html(client: FlaskClient) -> None:
    ask = client.get(
        "/sparql", query_string={"query": "ASK { ?s a dcat:Dataset }"}, headers={"Accept": BROWSER}
    )
    assert "yes (true)" in ask.get_data(as_text=True)
    construct = client.get(
        "/sparql",
        query_string={"query": "CONSTRUCT WHERE { ?s a dcat:Dataset }"},
        headers={"Accept": BROWSER},
    )
    assert '<pre class="sparql-graph">' in construct.get_data(as_text=True)


def test_results_never_link_unsafe_schemes(built_store: Path) -> None:
    # A literal can be cast to an IRI with any scheme; the page must not make it a link.
    app = create_app(
        {
            "STORE_ROOT": str(built_store),
            "TESTING": True,
            "SPARQL_WORKERS": 1,
            "SPARQL_RATE_DB": ":memory:",
        }
    )
    try:
        page = (
            app.test_client()
            .get(
                "/sparql",
                query_string={"query": 'SELECT (IRI("javascript:alert(1)") AS ?x) {}'},
                headers={"Accept": BROWSER},
            )
            .get_data(as_text=True)
        )
    finally:
        app.extensions["lmickg_sparql"].pool.close()
    assert "javascript:alert(1)" in page
    assert 'href="javascript' not in page


def test_query_ui_page(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="yasgui"' in page and "/assets/yasgui/yasgui.min.js" in page
    assert 'id="sparql-form"' in page and 'method="get"' in page
    config = page.split('<script type="application/json" id="sparql-config">')[1]
    config = json.loads(config.split("</script>")[0])
    assert config["prefixes"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert config["endpoint"] == "http://localhost/sparql"
    # Yasgui needs inline styles: relaxed here only, scripts still only from this site.
    policy = response.headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy and "script-src 'self';" in policy


def test_json_twin_of_the_query_page(client: FlaskClient) -> None:
    for response in (
        client.get("/sparql.json"),
        client.get("/sparql", headers={"Accept": "application/json"}),
    ):
        assert response.status_code == 200
        data = response.get_json()
        assert data["endpoint"] == "http://localhost/sparql"
        assert data["limits"]["max_rows"] == 10_000 and data["limits"]["timeout_seconds"] == 10
        assert data["dataset"]["named_graphs"] > 0
        assert isinstance(data["examples"], list)


def test_every_named_question_is_an_example_that_runs(client: FlaskClient) -> None:
    examples = client.get("/sparql.json").get_json()["examples"]
    names = {path.stem for path in (Path(__file__).parent.parent / "queries").glob("*.rq")}
    assert {e["name"] for e in examples} == names and names
    for example in examples:
        response = client.post("/sparql", data={"query": example["query"]})
        assert response.status_code == 200, (example["name"], response.get_data(as_text=True))


def test_yasgui_assets_are_served_from_node_modules(client: FlaskClient) -> None:
    response = client.get("/assets/yasgui/yasgui.min.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert client.get("/assets/yasgui/../../../package.json").status_code == 404
    assert client.get("/assets/yasgui/nothing.js").get_json()["error"] == "not-found"


# -- service description and VoID --------------------------------------------------------------


def test_service_description_has_void_statistics(
    client: FlaskClient, fixture_store: OxigraphStore
) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.get_data(), format="turtle")
    service = URIRef("http://localhost/sparql")
    assert (service, SD.endpoint, service) in graph
    stats = compute_statistics(fixture_store)
    assert (DATASET, VOID.triples, Literal(stats.triples, datatype=XSD.integer)) in graph
    assert stats.triples == len(fixture_store.native)
    assert len(list(graph.objects(DATASET, SD.namedGraph))) == len(stats.graphs)
    json_ld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert _rdf_triples(json_ld.get_data(), "application/ld+json") == len(graph)
    # A browser can ask for it by parameter.
    by_parameter = client.get("/sparql?format=turtle", headers={"Accept": BROWSER})
    assert by_parameter.mimetype == "text/turtle"
    # Revalidation works for the description too.
    assert (
        client.get(
            "/sparql", headers={"Accept": "text/turtle", "If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )


def test_well_known_void(client: FlaskClient, fixture_store: OxigraphStore) -> None:
    response = client.get("/.well-known/void")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.get_data(), format="turtle")
    assert (DATASET, RDF.type, VOID.Dataset) in graph
    assert (DATASET, VOID.sparqlEndpoint, URIRef("http://localhost/sparql")) in graph
    assert (DATASET, VOID.dataDump, URIRef("http://localhost/catalog.ttl")) in graph
    datasets = [
        p
        for p in graph.objects(DATASET, VOID.classPartition)
        if graph.value(p, VOID["class"]) == URIRef("http://www.w3.org/ns/dcat#Dataset")
    ]
    assert graph.value(datasets[0], VOID.entities) == Literal(4, datatype=XSD.integer)
    as_xml = client.get("/.well-known/void", headers={"Accept": "application/rdf+xml"})
    assert as_xml.mimetype == "application/rdf+xml"
    assert len(Graph().parse(data=as_xml.get_data(), format="xml")) == len(graph)
    assert client.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406


def test_no_catalog_is_503(tmp_path: Path) -> None:
    app = create_app({"STORE_ROOT": str(tmp_path), "TESTING": True, "SPARQL_RATE_DB": ":memory:"})
    client = app.test_client()
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 503 and response.get_json()["error"] == "no-catalog"
    assert client.get("/.well-known/void").status_code == 503
