"""The W3C SPARQL 1.1 Protocol test suite, run from its manifest against /sparql.

``tests/data/w3c-sparql11-protocol/protocol-manifest.ttl`` (W3C test data, LICENSE.md alongside)
encodes each test as HTTP requests and expected responses. Its data files are loaded into a
store root as the named graphs the manifest names. Every request is sent as written (method,
path, headers, body in its stated encoding) through the Flask test client.

* Query tests must get what the manifest expects (status class, result format, boolean).
* Update tests must get the documented refusal instead (403, ``update-refused``), and a query
  that follows an update in the same test must show the data unchanged (the manifest expects
  the update's effect; we check its absence).
* The service-description manifest's three tests are checked on GET /sparql.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection

from lmickg.store import OxigraphStore, StoreRoot
from webapp import create_app

SUITE = Path(__file__).parent / "data" / "w3c-sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected_status: set[int]
    expected_format: str | None
    expected_boolean: bool | None

    @property
    def is_update(self) -> bool:
        """Whether this request is a SPARQL Update operation (by parameter or media type)."""
        query = parse_qs(urlsplit(self.path).query)
        content_type = self.headers.get("content-type", "")
        form = ""
        if content_type.startswith("application/x-www-form-urlencoded") and self.body:
            form = self.body.decode("utf-8", "replace")
        return (
            "update" in query
            or "using-graph-uri" in query
            or "using-named-graph-uri" in query
            or "update" in parse_qs(form)
            or content_type.startswith("application/sparql-update")
        )


@dataclass
class ProtocolTest:
    name: str
    title: str
    requests: list[HttpRequest]
    graphs: dict[str, Path] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """query | update | bad-query | bad-update (from the manifest's naming)."""
        local = self.name
        if local.startswith("bad_update") or local.startswith("bad_multiple_updates"):
            return "bad-update"
        if local.startswith("bad_"):
            return "bad-query"
        return "update" if local.startswith("update") else "query"


def _load_manifest() -> list[ProtocolTest]:
    manifest = Graph()
    path = SUITE / "protocol-manifest.ttl"
    manifest.parse(path, format="turtle", publicID=path.resolve().as_uri())
    root = next(manifest.subjects(RDF.type, MF.Manifest))
    entries = Collection(manifest, manifest.value(root, MF.entries))
    tests = []
    for entry in entries:
        name = str(entry).rsplit("#", 1)[-1]
        graphs = {}
        for data in manifest.objects(entry, UT.graphData):
            file = Path(str(manifest.value(data, UT.graph)).rsplit("/", 1)[-1])
            graphs[str(manifest.value(data, RDFS.label))] = SUITE / f"protocol-{file.name}"
        action = manifest.value(entry, MF.action)
        requests = []
        for request in Collection(manifest, manifest.value(action, HT.requests)):
            headers = {}
            header_list = manifest.value(request, HT.headers)
            if header_list is not None:
                for header in Collection(manifest, header_list):
                    headers[str(manifest.value(header, HT.fieldName)).lower()] = str(
                        manifest.value(header, HT.fieldValue)
                    )
            body = None
            body_node = manifest.value(request, HT.body)
            if body_node is not None:
                encoding = str(manifest.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(manifest.value(body_node, CNT.chars)).encode(encoding.lower())
            response = manifest.value(request, HT.resp)
            statuses = {
                int(str(s)[len(HTS)]) for s in manifest.objects(response, MF.expectedStatus)
            }
            fmt = manifest.value(response, MF.expectedFormat)
            boolean = manifest.value(response, MF.expectedBoolean)
            requests.append(
                HttpRequest(
                    method=str(manifest.value(request, HT.methodName)),
                    path=str(manifest.value(request, HT.absolutePath)),
                    headers=headers,
                    body=body,
                    expected_status=statuses,
                    expected_format=str(fmt) if fmt is not None else None,
                    expected_boolean=bool(boolean.toPython()) if boolean is not None else None,
                )
            )
        tests.append(ProtocolTest(name, str(manifest.value(entry, MF.name)), requests, graphs))
    return tests


TESTS = _load_manifest()
DATA_GRAPHS = {label: path for test in TESTS for label, path in test.graphs.items()}


def _make_store(root: Path) -> Path:
    """A store root whose one build holds the suite's data files as their named graphs."""
    store_root = StoreRoot(root)
    build_dir = store_root.new_build_dir("w3c-protocol")
    store = OxigraphStore(build_dir / StoreRoot.OXIGRAPH)
    for label, path in sorted(DATA_GRAPHS.items()):
        store.load_graph(label, path, "application/n-triples")
    store.flush()
    (build_dir / StoreRoot.MANIFEST).write_text(json.dumps({"build_id": "w3c-protocol"}))
    del store
    store_root.switch("w3c-protocol")
    return root


@pytest.fixture(scope="module")
def w3c_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    root = _make_store(tmp_path_factory.mktemp("w3c-store"))
    app = create_app(
        {
            "STORE_ROOT": str(root),
            "TESTING": True,
            "SPARQL_WORKERS": 1,
            "SPARQL_RATE_PER_MINUTE": 0,
            "SPARQL_CACHE_MB": 0,
        }
    )
    yield app
    app.extensions["lmickg_sparql"].pool.close()


@pytest.fixture
def w3c_client(w3c_app: Flask) -> FlaskClient:
    return w3c_app.test_client()


def _send(client: FlaskClient, request: HttpRequest) -> tuple[int, str, bytes]:
    path = request.path.replace("/sparql/", "/sparql", 1)
    headers = {k: v for k, v in request.headers.items() if k != "content-type"}
    response = client.open(
        path,
        method=request.method,
        headers=headers,
        data=request.body,
        content_type=request.headers.get("content-type"),
    )
    return response.status_code, response.mimetype, response.get_data()


def _boolean(mimetype: str, body: bytes) -> bool:
    result = ox.parse_query_results(body, RESULT_TYPES[mimetype])
    assert isinstance(result, ox.QueryBoolean), f"not a boolean result: {body[:200]!r}"
    return bool(result)


def _check_format(expected: str, mimetype: str, body: bytes) -> None:
    if expected == "boolean":
        assert mimetype in ("application/sparql-results+json", "application/sparql-results+xml")
        _boolean(mimetype, body)
    elif expected == "tabular":
        assert mimetype in (*RESULT_TYPES, "text/csv")
        if mimetype != "text/csv":
            solutions = ox.parse_query_results(body, RESULT_TYPES[mimetype])
            assert isinstance(solutions, ox.QuerySolutions)
            list(solutions)
    elif expected == "RDF":
        assert mimetype in RDF_TYPES, mimetype
        Graph().parse(data=body, format=RDF_TYPES[mimetype])
    else:  # pragma: no cover - the manifest has no other format
        raise AssertionError(f"unknown expected format {expected}")


def _quads(app: Flask) -> int:
    return len(StoreRoot(app.config["STORE_ROOT"]).open_current().native)


@pytest.mark.parametrize("test", [t for t in TESTS if t.kind == "query"], ids=lambda t: t.name)
def test_query(w3c_client: FlaskClient, test: ProtocolTest) -> None:
    for request in test.requests:
        status, mimetype, body = _send(w3c_client, request)
        assert status // 100 in request.expected_status, (test.title, status, body[:300])
        if request.expected_format:
            _check_format(request.expected_format, mimetype, body)
        if request.expected_boolean is not None:
            assert _boolean(mimetype, body) is request.expected_boolean


@pytest.mark.parametrize("test", [t for t in TESTS if t.kind == "bad-query"], ids=lambda t: t.name)
def test_bad_query(w3c_client: FlaskClient, test: ProtocolTest) -> None:
    for request in test.requests:
        status, mimetype, body = _send(w3c_client, request)
        assert status // 100 in request.expected_status == {4}, (test.title, status)
        assert mimetype == "application/json"
        error = json.loads(body)
        assert error["status"] == status and error["message"]


@pytest.mark.parametrize(
    "test", [t for t in TESTS if t.kind in ("update", "bad-update")], ids=lambda t: t.name
)
def test_update_refused(w3c_app: Flask, w3c_client: FlaskClient, test: ProtocolTest) -> None:
    before = _quads(w3c_app)
    for request in test.requests:
        status, mimetype, body = _send(w3c_client, request)
        if request.is_update:
            # The documented refusal: 403 with a JSON body naming the rule.
            assert status == 403, (test.title, status, body[:300])
            error = json.loads(body)
            assert error["error"] == "update-refused"
            assert "read-only" in error["message"]
        elif request.expected_boolean is not None:
            # The manifest's follow-up query checks the update's effect: there is none.
            assert status == 200
            assert _boolean(mimetype, body) is False
        else:
            # Not recognisable as an update (e.g. text/plain body): a plain 4xx.
            assert status // 100 == 4 and request.expected_status == {4}
    assert _quads(w3c_app) == before


def test_suite_counts() -> None:
    """Every manifest entry is run by one of the tests above (34 in the 2013 suite)."""
    kinds = [t.kind for t in TESTS]
    assert len(TESTS) == 34
    assert kinds.count("query") == 13
    assert kinds.count("bad-query") == 7
    assert kinds.count("update") == 7
    assert kinds.count("bad-update") == 7


# -- service-description-manifest.ttl ---------------------------------------------------------


def _service_graph(client: FlaskClient) -> tuple[Graph, str]:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    return Graph().parse(data=response.get_data(), format="turtle"), "http://localhost/sparql"


def test_service_description_returns_rdf(w3c_client: FlaskClient) -> None:
    graph, _ = _service_graph(w3c_client)
    assert len(graph) > 10


def test_service_description_has_endpoint_triple(w3c_client: FlaskClient) -> None:
    graph, endpoint = _service_graph(w3c_client)
    service = URIRef(endpoint)
    assert (service, SD.endpoint, service) in graph


def test_service_description_conforms_to_schema(w3c_client: FlaskClient) -> None:
    graph, endpoint = _service_graph(w3c_client)
    service = URIRef(endpoint)
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    # Ranges of the properties used (SPARQL 1.1 Service Description, section 3).
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in graph
    default_graph = graph.value(dataset, SD.defaultGraph)
    assert (default_graph, RDF.type, SD.Graph) in graph
    for named in graph.objects(dataset, SD.namedGraph):
        assert (named, RDF.type, SD.NamedGraph) in graph
        assert isinstance(graph.value(named, SD.name), URIRef)
    names = {str(graph.value(n, SD.name)) for n in graph.objects(dataset, SD.namedGraph)}
    assert names == set(DATA_GRAPHS)
    assert set(graph.objects(service, SD.resultFormat))
