"""Harvest benchmark: the paged DCAT-AP export of a large catalog, harvested through HTTP.

At each size (default 100,000 synthetic data sources) it generates and builds the catalog (with
the catalog description, as `make run` would), serves it with gunicorn on loopback (one
worker), and measures in the same run:

- the record-history deriver's time in the build;
- one page of 100 records through HTTP: the first page, and pages sampled across the whole
  catalog (p50, p95), against the baseline of offset paging in-process (SPARQL ``ORDER BY …
  OFFSET k LIMIT 100``, then the same descriptions as Turtle, no HTTP) at the first, middle and
  last page; keyset pages cost the same at any depth, offset pages grow with it;
- a full harvest following ``rel="next"`` from ``/catalog.ttl``: pages, records, seconds,
  records per second, against the baseline of dumping every data source's description as
  Turtle in-process in one query (the floor for moving the same triples);
- the serving worker's resident memory at the end.

Goals: a page under 100 ms, the full harvest of 100,000 sources under 5 minutes.

    python -m benchmarks.bench_harvest            # 100,000
    python -m benchmarks.bench_harvest 10000      # other sizes
    python -m benchmarks.bench_harvest 100000 --keep /tmp/harvest   # keep (or reuse) the build
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pyoxigraph as ox

from lmickg.build import build
from lmickg.store import StoreRoot

from .synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
CATALOG_DESCRIPTION = ROOT / "catalog_ttl" / "catalog.ttl"
#: The catalog description's publisher, which the synthetic catalog does not define.
PUBLISHER = ROOT / "tests" / "data" / "linkeddata"
PAGE = 100
SAMPLES = 60
NEXT = re.compile(rb'<([^>]+)>; rel="next"')
DATASET = "http://www.w3.org/ns/dcat#Dataset"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[bytes, str, float]:
    start = time.perf_counter()
    request = urllib.request.Request(url, headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        link = response.headers.get("Link", "")
    return body, link, time.perf_counter() - start


def _serve(store: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LMICKG_STORE_ROOT": str(store),
        "LMICKG_PAGE_TOKEN_SECRET": "benchmark",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "webapp:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


def _worker_rss_mb(server: subprocess.Popen[bytes]) -> float:
    """Resident memory of gunicorn's worker (the arbiter's child)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    total = 0.0
    for pid in children.read_text().split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def _offset_page(native: ox.Store, offset: int) -> float:
    """The baseline: one page by OFFSET/LIMIT, descriptions serialized as Turtle, in-process."""
    start = time.perf_counter()
    query = f"""
        CONSTRUCT {{ ?s ?p ?o }} WHERE {{
            {{ SELECT ?s WHERE {{ ?s a <{DATASET}> }} ORDER BY ?s OFFSET {offset} LIMIT {PAGE} }}
            ?s ?p ?o }}"""
    triples = native.query(query, use_default_graph_as_union=True)
    ox.serialize(triples, format=ox.RdfFormat.TURTLE)  # type: ignore[arg-type]
    return time.perf_counter() - start


def _dump(native: ox.Store) -> float:
    """The baseline for the harvest: every data source's triples as Turtle, one query."""
    start = time.perf_counter()
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s a <{DATASET}> ; ?p ?o }}"
    triples = native.query(query, use_default_graph_as_union=True)
    ox.serialize(triples, format=ox.RdfFormat.TURTLE)  # type: ignore[arg-type]
    return time.perf_counter() - start


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def run(n_sources: int, work: Path) -> dict[str, object]:
    """Generate, build, serve and harvest a catalog of ``n_sources``; print and return figures."""
    catalog = work / "catalog"
    store = work / "store"
    print(f"\n=== {n_sources:,} synthetic data sources")
    built = StoreRoot(store).current_dir()
    if built is None:
        started = time.perf_counter()
        generate(n_sources, catalog)
        print(f"generated in {time.perf_counter() - started:.1f} s; building ...", flush=True)
        result = build(
            [catalog, ONTOLOGY, CATALOG_DESCRIPTION, PUBLISHER], store, workers=os.cpu_count()
        )
        built, phases, derived = result.build_dir, result.clock.seconds(), result.derived
    else:
        manifest = json.loads((built / "manifest.json").read_text())
        phases, derived = manifest["phases"], manifest["derived"]
        print(f"reusing the build in {built}")
    records = derived["records"]
    print(
        f"build phases {phases}; records deriver {records['seconds']} s "
        f"for {records['records']:,} records (sitemap: {derived['sitemap']})",
        flush=True,
    )
    port = _free_port()
    server = _serve(store, port)
    base = f"http://127.0.0.1:{port}"
    try:
        first_url = f"{base}/catalog.ttl?page_size={PAGE}"
        _get(first_url)  # load the record table and open the store once
        first = [_get(first_url)[2] for _ in range(10)]

        harvest_start = time.perf_counter()
        url: str | None = first_url
        pages: list[str] = []
        count = 0
        while url is not None:
            body, link, _ = _get(url)
            pages.append(url)
            count += body.count(b"a dcat:CatalogRecord")
            found = NEXT.search(link.encode())
            url = found.group(1).decode() if found else None
        harvest_seconds = time.perf_counter() - harvest_start

        sample = random.Random(0).sample(pages, min(SAMPLES, len(pages)))
        sampled = sorted(_get(page)[2] for page in sample)
        rss = _worker_rss_mb(server)
    finally:
        server.terminate()
        server.wait(timeout=30)

    native = StoreRoot(store).open_current().native
    depths = {"first": 0, "middle": (n_sources // 2 // PAGE) * PAGE, "last": n_sources - PAGE}
    offset = {name: min(_offset_page(native, k) for _ in range(3)) for name, k in depths.items()}
    dump = _dump(native)

    p50 = statistics.median(sampled)
    p95 = sampled[min(len(sampled) - 1, int(0.95 * len(sampled)))]
    print(f"\none page of {PAGE} records through HTTP (Turtle, DCAT-AP profile)")
    print(f"  first page, median of 10      {_ms(statistics.median(first))}")
    print(f"  {len(sampled)} pages across the catalog  p50 {_ms(p50)}   p95 {_ms(p95)}")
    print("  baseline: offset paging in-process (no HTTP), same page size")
    for name, seconds in offset.items():
        print(
            f"    {name:<7} offset {depths[name]:>7,}  {_ms(seconds)}"
            f"   offset / keyset p50 = {seconds / p50:6.1f}x"
        )
    print(f"\nfull harvest through HTTP following rel=next ({PAGE} per page)")
    print(f"  pages {len(pages):,}   records {count:,}   {harvest_seconds:.1f} s")
    print(
        f"  {count / harvest_seconds:,.0f} records/s   {len(pages) / harvest_seconds:.1f} pages/s"
    )
    print(
        f"  baseline: one in-process dump of every data source as Turtle {dump:.1f} s"
        f"   harvest / dump = {harvest_seconds / dump:.1f}x"
    )
    print(f"  serving worker resident memory {rss:.0f} MiB")
    goal_page = "met" if p95 < 0.1 else "MISSED"
    goal_harvest = "met" if harvest_seconds < 300 else "MISSED"
    print(f"\ngoals: page < 100 ms (p95): {goal_page}; full harvest < 5 min: {goal_harvest}")
    if count != n_sources:
        raise AssertionError(f"harvested {count} records, expected {n_sources}")
    return {
        "sources": n_sources,
        "records_deriver_s": records["seconds"],
        "first_page_ms": statistics.median(first) * 1000,
        "page_p50_ms": p50 * 1000,
        "page_p95_ms": p95 * 1000,
        "offset_ms": {k: v * 1000 for k, v in offset.items()},
        "harvest_s": harvest_seconds,
        "pages": len(pages),
        "records_per_s": count / harvest_seconds,
        "dump_s": dump,
        "worker_rss_mb": rss,
    }


def main(argv: list[str]) -> None:
    """Run at the sizes given (default 100,000), each in a scratch directory (or --keep DIR)."""
    keep = None
    if "--keep" in argv:
        at = argv.index("--keep")
        keep = Path(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    sizes = [int(a) for a in argv] or [100_000]
    figures = []
    for size in sizes:
        work = keep / str(size) if keep else Path(tempfile.mkdtemp(prefix="lmickg-harvest-"))
        try:
            figures.append(run(size, work))
        finally:
            if keep is None:
                shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
