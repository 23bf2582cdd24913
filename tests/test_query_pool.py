"""lmickg.query_pool: queries run in worker processes that are killed and replaced on timeout."""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from lmickg.query_pool import QueryPool, isolate_network
from lmickg.sparql import (
    JSON_RESULTS,
    Busy,
    Negotiation,
    QueryRequest,
    QueryTimeout,
    ServiceRefused,
    WorkerFailed,
)
from lmickg.store import StoreRoot

JSON = Negotiation(JSON_RESULTS, None)
SIMPLE = QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?s a dcat:Dataset }", JSON)
#: 2,218 triples cubed: far more work than any time limit in these tests allows.
RUNAWAY = QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", JSON)


def _wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


@pytest.fixture
def pool(built_store: Path) -> Iterator[QueryPool]:
    pool = QueryPool(built_store, workers=2, queue_timeout=5)
    yield pool
    pool.close()


def test_answers_from_the_current_build(pool: QueryPool, built_store: Path) -> None:
    outcome = pool.run(SIMPLE, timeout=10)
    assert b'"value":"4"' in outcome.body
    assert outcome.build_id == StoreRoot(built_store).current_id()
    assert pool.stats().workers == 2


def test_runaway_query_is_stopped_and_others_are_answered(pool: QueryPool) -> None:
    pool.run(SIMPLE, timeout=10)  # both workers up
    before = set(pool.pids())
    finished = threading.Event()
    raised: list[Exception] = []

    def runaway() -> None:
        try:
            pool.run(RUNAWAY, timeout=1.5)
        except Exception as error:
            raised.append(error)
        finally:
            finished.set()

    thread = threading.Thread(target=runaway)
    thread.start()
    _wait_for(lambda: pool.stats().idle == 1)  # the runaway holds one worker
    outcome = pool.run(SIMPLE, timeout=10)
    answered_while_running = not finished.is_set()
    thread.join()

    assert b'"value":"4"' in outcome.body
    assert answered_while_running
    assert len(raised) == 1 and isinstance(raised[0], QueryTimeout)
    assert raised[0].details["limit"] == 1.5
    after = set(pool.pids())
    assert len(after) == 2 and len(after - before) == 1  # the stopped worker was replaced
    assert pool.stats().killed == 1
    assert b'"value":"4"' in pool.run(SIMPLE, timeout=10).body


def test_busy_when_no_worker_frees_up_in_time(built_store: Path) -> None:
    pool = QueryPool(built_store, workers=1, queue_timeout=0.2)
    try:
        pool.run(SIMPLE, timeout=10)
        stopped: list[Exception] = []

        def runaway() -> None:
            try:
                pool.run(RUNAWAY, timeout=1.5)
            except QueryTimeout as error:
                stopped.append(error)

        thread = threading.Thread(target=runaway)
        thread.start()
        _wait_for(lambda: pool.stats().idle == 0)
        with pytest.raises(Busy) as raised:
            pool.run(SIMPLE, timeout=10)
        assert raised.value.details["retry_after"] >= 1
        thread.join()
        assert len(stopped) == 1
        assert b'"value":"4"' in pool.run(SIMPLE, timeout=10).body
    finally:
        pool.close()


def test_worker_over_its_memory_limit_is_replaced(built_store: Path) -> None:
    pool = QueryPool(built_store, workers=1, memory_mb=1000)
    try:
        pool.run(SIMPLE, timeout=10)
        hungry = QueryRequest("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?d ?c ?f", JSON)
        with pytest.raises(WorkerFailed, match="replaced"):
            pool.run(hungry, timeout=60)
        assert b'"value":"4"' in pool.run(SIMPLE, timeout=10).body
        assert pool.stats().started == 2
    finally:
        pool.close()


def _listener() -> tuple[socket.socket, list[bytes], threading.Thread]:
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
                conn.settimeout(1)
                try:
                    received.append(conn.recv(4096) or b"(connected)")
                except OSError:
                    received.append(b"(connected)")

    thread = threading.Thread(target=accept, daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return server, received, thread


def test_service_query_never_reaches_a_listener(pool: QueryPool) -> None:
    server, received, thread = _listener()
    port = server.getsockname()[1]
    try:
        for text in (
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
            f"ASK {{ SERVICE SILENT <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
            # Escaped quotes: rdflib alone would read the SERVICE clause as a string.
            f'SELECT * {{ ?s ?p "\\u0022" . SERVICE <http://127.0.0.1:{port}/> {{ ?a ?b ?c }} '
            f'?s ?p "\\u0022" . }}',
        ):
            with pytest.raises(ServiceRefused):
                pool.run(QueryRequest(text, JSON), timeout=10)
        time.sleep(0.3)  # a connection, had one been made, would have been accepted by now
    finally:
        thread.stop.set()  # type: ignore[attr-defined]
        thread.join()
        server.close()
    assert received == []


def _connect_isolated(port: int, conn: Connection) -> None:
    isolated = isolate_network()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        conn.send((isolated, "connected"))
    except OSError as error:
        conn.send((isolated, f"refused: {error}"))


def test_isolated_worker_cannot_open_connections() -> None:
    """The second line of defence: a worker's network namespace has no usable interface."""
    server, received, thread = _listener()
    port = server.getsockname()[1]
    ctx = multiprocessing.get_context("forkserver")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_connect_isolated, args=(port, child))
    process.start()
    try:
        assert parent.poll(20)
        isolated, result = parent.recv()
    finally:
        process.join(10)
        thread.stop.set()  # type: ignore[attr-defined]
        thread.join()
        server.close()
    if not isolated:
        pytest.skip("this kernel does not allow unprivileged network namespaces")
    assert result.startswith("refused")
    assert received == []
