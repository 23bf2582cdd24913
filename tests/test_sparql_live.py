"""The endpoint on a real server: gunicorn (2 processes, threads) on loopback, queried by
SPARQLWrapper as researchers use it. Time limits are small so the suite stays fast."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, POST, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from lmickg.store import StoreRoot

from .live_server import LiveServer, start_server

SOURCES = "SELECT ?s WHERE { ?s a dcat:Dataset } ORDER BY ?s"
EXPECTED = [
    "https://w3id.org/lmickg/id/source/alpha-survey",
    "https://w3id.org/lmickg/id/source/beta-vacancies",
    "https://w3id.org/lmickg/id/source/delta-payroll",
    "https://w3id.org/lmickg/id/source/gamma-outcomes",
]
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TIME_LIMIT = 3


@pytest.fixture(scope="module")
def live(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(
        built_store,
        tmp_path_factory.mktemp("gunicorn"),
        # Two query workers per server process: while the runaway query holds one, the other
        # answers, whichever server process accepts the concurrent request.
        {"SPARQL_TIMEOUT": str(TIME_LIMIT), "SPARQL_WORKERS": "2", "SPARQL_RATE_PER_MINUTE": "0"},
    )
    # Start every process's query workers, so later process counts compare like with like.
    for _ in range(16):
        urllib.request.urlopen(server.endpoint + "?query=ASK%7B%7D", timeout=30).read()
    yield server
    server.stop()


def _wrapper(live: LiveServer, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(live.endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method == "POST":
        client.setMethod(POST)
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_json(live: LiveServer, method: str) -> None:
    result = _wrapper(live, SOURCES, JSON, method).queryAndConvert()
    assert [b["s"]["value"] for b in result["results"]["bindings"]] == EXPECTED


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_xml(live: LiveServer, method: str) -> None:
    document = _wrapper(live, SOURCES, XML, method).queryAndConvert()
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]
    assert uris == EXPECTED


@pytest.mark.parametrize(("fmt", "separator"), [(CSV, ","), (TSV, "\t")])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_csv_tsv(live: LiveServer, fmt: str, separator: str, method: str) -> None:
    text = _wrapper(live, SOURCES, fmt, method).queryAndConvert().decode("utf-8")
    lines = text.strip().splitlines()
    assert lines[0].strip() in ("s", "?s")
    values = [line.strip().strip("<>") for line in lines[1:]]
    assert values == EXPECTED


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_ask(live: LiveServer, method: str) -> None:
    assert _wrapper(live, "ASK { ?s a dcat:Dataset }", JSON, method).queryAndConvert()["boolean"]
    document = _wrapper(
        live, "ASK { ?s a <http://example.org/Nothing> }", XML, method
    ).queryAndConvert()
    assert document.getElementsByTagName("boolean")[0].firstChild.data == "false"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_construct_turtle_and_jsonld(live: LiveServer, method: str) -> None:
    query = "CONSTRUCT { ?s dct:title ?t } WHERE { ?s a dcat:Dataset ; dct:title ?t }"
    turtle = _wrapper(live, query, TURTLE, method).queryAndConvert()
    assert len(Graph().parse(data=turtle, format="turtle")) == 8
    with warnings.catch_warnings():
        # SPARQLWrapper parses JSON-LD into rdflib's deprecated ConjunctiveGraph.
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = _wrapper(live, query, JSONLD, method).queryAndConvert()
    assert len(graph) == 8


def test_runaway_query_is_stopped_while_others_are_answered(live: LiveServer) -> None:
    before = live.descendants()
    outcome: dict[str, object] = {}

    def runaway() -> None:
        request = urllib.request.Request(
            live.endpoint,
            data=RUNAWAY.encode(),
            headers={"Content-Type": "application/sparql-query", "Accept": "application/json"},
        )
        try:
            urllib.request.urlopen(request, timeout=60)
            outcome["status"] = 200
        except urllib.error.HTTPError as error:
            outcome["status"] = error.code
            outcome["body"] = error.read()
        outcome["finished"] = time.monotonic()

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)  # let the runaway reach its worker
    answers = []
    for _ in range(4):
        result = _wrapper(live, SOURCES, JSON).queryAndConvert()
        answers.append((time.monotonic(), len(result["results"]["bindings"])))
    thread.join()
    assert outcome["status"] == 504
    assert b"time limit" in outcome["body"]  # type: ignore[operator]
    assert all(count == 4 for _, count in answers)
    assert all(answered < outcome["finished"] for answered, _ in answers)  # type: ignore[operator]
    # The stopped worker process is gone and a fresh one took its place.
    deadline = time.monotonic() + 10
    while True:
        after = live.descendants()
        if len(after - before) == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(before - after) == 1 and len(after - before) == 1
    result = _wrapper(live, SOURCES, JSON, "POST").queryAndConvert()
    assert len(result["results"]["bindings"]) == 4


def _listen() -> tuple[socket.socket, list[bytes], threading.Event, threading.Thread]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                received.append(conn.recv(4096) or b"(connected)")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    return server, received, stop, thread


def test_service_and_from_never_reach_a_listener(live: LiveServer) -> None:
    server, received, stop, thread = _listen()
    port = server.getsockname()[1]
    try:
        service = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
        with pytest.raises(QueryBadFormed, match="service-refused"):
            _wrapper(live, service, JSON).queryAndConvert()
        with pytest.raises(QueryBadFormed, match="service-refused"):
            _wrapper(live, service.replace("SERVICE", "service SILENT"), JSON, "POST").query()
        # FROM names a graph of the store; it is never fetched.
        dataset = f"SELECT * FROM <http://127.0.0.1:{port}/data.ttl> WHERE {{ ?s ?p ?o }}"
        assert _wrapper(live, dataset, JSON).queryAndConvert()["results"]["bindings"] == []
        time.sleep(0.5)
    finally:
        stop.set()
        thread.join()
        server.close()
    assert received == []


def test_update_is_refused_and_the_data_unchanged(live: LiveServer, built_store: Path) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def triples() -> int:
        result = _wrapper(live, count, JSON).queryAndConvert()
        return int(result["results"]["bindings"][0]["n"]["value"])

    before = triples()
    assert before == len(StoreRoot(built_store).open_current().native)
    client = SPARQLWrapper(live.endpoint)
    client.setMethod(POST)
    client.setQuery("CLEAR ALL")
    with pytest.raises(urllib.error.HTTPError) as refused:
        client.query()
    assert refused.value.code == 403
    assert b"update-refused" in refused.value.read()
    insert = SPARQLWrapper(live.endpoint)
    insert.setQuery("INSERT DATA { GRAPH <http://example.org/g> { <http://a> <http://b> 1 } }")
    insert.setMethod(POST)
    with pytest.raises(urllib.error.HTTPError):
        insert.query()
    assert triples() == before
    assert len(StoreRoot(built_store).open_current().native) == before
