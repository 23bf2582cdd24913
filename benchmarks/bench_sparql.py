"""SPARQL endpoint benchmark: what the HTTP endpoint costs on top of the engine itself.

On the synthetic catalog (default 10,000 data sources, so that one SELECT returns 10,000 rows),
measured in the same run on the same store:

- baseline: pyoxigraph in this process, ``Store.query`` plus serialization of the results as
  SPARQL JSON (no HTTP, no worker process, no row cap);
- the endpoint: gunicorn (threaded workers) on loopback serving ``webapp:create_app()``, the
  query sent as GET over a kept-alive connection. Every request's text differs by a comment, so
  the result cache never answers (cache hits are reported separately).

Figures: the 10,000-row SELECT as JSON (with and without a LIMIT in the query: without one, the
endpoint caps rows itself), its ratio to the baseline (goal <= 1.3x); the latency a one-row query
adds (goal <= 5 ms); throughput with 16 concurrent clients.

The store is loaded straight from the generated files (no SHACL validation: the endpoint, not
the build, is measured), into a store root with one build, as ``lmickg build`` lays it out.

    python -m benchmarks.bench_sparql            # 10,000 sources
    python -m benchmarks.bench_sparql 20000      # another size
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox

from lmickg.build import load_files
from lmickg.catalog import discover
from lmickg.namespaces import PREFIXES
from lmickg.store import OxigraphStore, StoreRoot
from lmickg.void import compute_statistics

from .synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"

BIG = """SELECT ?source ?title WHERE {
  ?source a dcat:Dataset ; dct:title ?title .
  FILTER(LANG(?title) = "en")
}"""
ONE = "SELECT ?source WHERE { ?source a dcat:Dataset } LIMIT 1"
JSON_TYPE = "application/sparql-results+json"


def _store_root(n_sources: int, work: Path) -> tuple[Path, int]:
    catalog = work / "catalog"
    generate(n_sources, catalog)
    root = StoreRoot(work / "store")
    build_dir = root.new_build_dir("bench")
    store = OxigraphStore(build_dir / StoreRoot.OXIGRAPH)
    counts = load_files(discover([catalog, ONTOLOGY]), store)
    stats = compute_statistics(store)
    (build_dir / "void.json").write_text(json.dumps(stats.to_json()))
    (build_dir / StoreRoot.MANIFEST).write_text(json.dumps({"build_id": "bench"}))
    store.flush()
    del store
    root.switch("bench")
    return root.root, sum(counts.values())


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class Server:
    """gunicorn on a free loopback port, stopped by :meth:`stop`."""

    def __init__(self, store_root: Path, workers: int, threads: int, query_workers: int) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        env = dict(
            os.environ,
            LMICKG_STORE_ROOT=str(store_root),
            LMICKG_SPARQL_WORKERS=str(query_workers),
            LMICKG_SPARQL_RATE_PER_MINUTE="0",
            LMICKG_SPARQL_MAX_ROWS="10000",
        )
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--log-level",
                "warning",
                "webapp:create_app()",
            ],
            env=env,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _get(connection: http.client.HTTPConnection, query: str) -> tuple[int, bytes, dict[str, str]]:
    path = "/sparql?" + urllib.parse.urlencode({"query": query})
    connection.request("GET", path, headers={"Accept": JSON_TYPE})
    response = connection.getresponse()
    body = response.read()
    return response.status, body, dict(response.getheaders())


_counter = iter(range(10**9))


def _unique(query: str) -> str:
    # A different text each time: the endpoint's result cache cannot answer.
    return f"{query}\n# request {next(_counter)}"


def _health(server: Server, runs: int) -> float:
    """The floor: gunicorn + Flask answering /health (no query at all)."""
    connection = server.connection()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        samples.append(time.perf_counter() - start)
    connection.close()
    return _median_ms(samples)


def _paired(store: ox.Store, server: Server, query: str, runs: int) -> tuple[float, float, str]:
    """Engine in-process and endpoint over HTTP, alternately, so both see the same machine load."""
    connection = server.connection()
    engine, endpoint = [], []
    truncated = ""
    for _ in range(runs):
        start = time.perf_counter()
        result = store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions)
        expected = result.serialize(format=ox.QueryResultsFormat.JSON) or b""
        engine.append(time.perf_counter() - start)
        text = _unique(query)
        start = time.perf_counter()
        status, body, headers = _get(connection, text)
        endpoint.append(time.perf_counter() - start)
        assert status == 200, (status, body[:300])
        assert len(body) == len(expected)
        truncated = headers.get("X-SPARQL-Truncated", "")
    connection.close()
    return _median_ms(engine), _median_ms(endpoint), truncated


def _cached(server: Server, query: str, runs: int) -> float:
    connection = server.connection()
    _get(connection, query)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        status, _, headers = _get(connection, query)
        samples.append(time.perf_counter() - start)
        assert status == 200 and headers.get("X-SPARQL-Cache") == "hit"
    connection.close()
    return _median_ms(samples)


def _throughput(server: Server, clients: int, seconds: float, *, cached: bool) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        connection = server.connection()
        mine = []
        while time.monotonic() < stop:
            text = ONE if cached else _unique(ONE)
            start = time.perf_counter()
            status, _, _ = _get(connection, text)
            mine.append(time.perf_counter() - start)
            if status != 200:
                with lock:
                    errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
        "errors": errors[0],
    }


def run(n_sources: int, runs: int = 15) -> None:
    """Generate, load, serve and measure; print the figures and ratios."""
    load = os.getloadavg()
    print(f"load average before the run: {load[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="lmickg-bench-sparql-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        store_root, triples = _store_root(n_sources, work)
        print(
            f"synthetic catalog: {n_sources:,} sources, {triples:,} triples "
            f"(generated and loaded in {time.perf_counter() - started:.1f} s)"
        )
        store = StoreRoot(store_root).open_current().native
        big_limited = BIG + "\nLIMIT 10000"
        result = store.query(big_limited, prefixes=PREFIXES, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions)
        body = result.serialize(format=ox.QueryResultsFormat.JSON) or b""
        rows, size = len(json.loads(body)["results"]["bindings"]), len(body)

        server = Server(store_root, workers=2, threads=8, query_workers=2)
        try:
            # Warm up: every gunicorn process starts its query workers on first use.
            warm = server.connection()
            for _ in range(8):
                _get(warm, _unique(ONE))
            warm.close()
            base_big, http_big, truncated = _paired(store, server, big_limited, runs)
            base_big_nolimit, http_big_nolimit, truncated_nolimit = _paired(
                store, server, BIG, runs
            )
            base_one, http_one, _ = _paired(store, server, ONE, runs * 4)
            cached_big = _cached(server, big_limited, runs)
            cached_one = _cached(server, ONE, runs * 4)
            floor = _health(server, runs * 4)
            busy = _throughput(server, 16, 10, cached=False)
            busy_cached = _throughput(server, 16, 5, cached=True)
        finally:
            server.stop()
            del store

    print(
        f"\n{rows:,}-row SELECT as SPARQL JSON ({size / 2**20:.1f} MiB), median of {runs} "
        "(engine and endpoint measured alternately):"
    )
    print(f"  {'':<44}{'ms':>9}{'ratio':>9}")
    print(f"  {'baseline: pyoxigraph query + JSON, in-process':<44}{base_big:9.1f}{1:9.2f}")
    print(
        f"  {'endpoint over HTTP, query with LIMIT 10000':<44}{http_big:9.1f}"
        f"{http_big / base_big:9.2f}   (goal <= 1.3; truncated: {truncated})"
    )
    print(f"  {'baseline without LIMIT':<44}{base_big_nolimit:9.1f}{1:9.2f}")
    print(
        f"  {'endpoint, no LIMIT (endpoint caps rows)':<44}{http_big_nolimit:9.1f}"
        f"{http_big_nolimit / base_big_nolimit:9.2f}   (truncated: {truncated_nolimit})"
    )
    print(
        f"  {'endpoint, same query again (cache hit)':<44}{cached_big:9.1f}"
        f"{cached_big / base_big:9.2f}"
    )
    print(f"\none-row SELECT (LIMIT 1), median of {runs * 4}:")
    print(f"  baseline in-process          {base_one:7.2f} ms")
    print(f"  endpoint over HTTP           {http_one:7.2f} ms")
    print(f"  added by the endpoint        {http_one - base_one:7.2f} ms   (goal <= 5 ms)")
    print(f"  endpoint, cache hit          {cached_one:7.2f} ms")
    print(f"  HTTP floor: GET /health      {floor:7.2f} ms   (gunicorn + Flask, no query)")
    print("\nthroughput, 16 concurrent clients on loopback, one-row queries")
    print("  (gunicorn: 2 processes x 8 threads; 2 query workers per process; 2 CPU cores):")
    for label, figures in (
        ("distinct queries (no cache)", busy),
        ("repeated query (cached)", busy_cached),
    ):
        print(
            f"  {label:<30}{figures['per_second']:8.0f} req/s   p50 {figures['p50_ms']:6.1f} ms"
            f"   p95 {figures['p95_ms']:6.1f} ms   errors {figures['errors']:.0f}"
        )
    single = 1000 / base_one
    print(f"  in-process, one thread, for scale: {single:8.0f} queries/s")


def main(argv: list[str]) -> None:
    """Entry point for `python -m benchmarks` and the command line."""
    sizes = [int(a) for a in argv] or [10_000]
    for size in sizes:
        run(size)


if __name__ == "__main__":
    main(sys.argv[1:])
