"""Gap-analysis benchmark: named questions and gap lineage, precomputed against raw SPARQL.

On the synthetic catalog (default 100,000 data sources), loaded as ``lmickg build`` would (no
SHACL validation: the analysis, not the build, is measured) and derived with the build's own
derivers, it measures in the same run:

- build time of the two analysis derivers (coverage index + precomputed answers, lineage graph);
- every named question with its default parameters and with a typical selective choice, as a
  server answers it (``lmickg.queries.answer`` with the build's precomputed analysis): the first
  answer of a fresh process (artifacts read from disk) and the median of warm answers
  (goal: each under 1 s);
- web requests through the Flask app (in process, no network): the coverage matrix as JSON and
  the coverage heatmap page, one gap's lineage as JSON and as its page;
- baselines: the coverage-matrix SPARQL and a SPARQL query fetching one gap's lineage facts,
  run raw on the same store in a child process (pyoxigraph cannot cancel a query; the child is
  stopped after ``--timeout`` seconds and the ratio is then a lower bound). The lineage baseline
  only fetches the facts; the request also orders them into a timeline, names what addressed
  the gap and finds related gaps.

    python -m benchmarks.bench_analysis                  # 100,000 sources
    python -m benchmarks.bench_analysis 10000 100000     # several sizes
    python -m benchmarks.bench_analysis --timeout 300 100000
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lmickg.build import load_files
from lmickg.catalog import discover
from lmickg.coverage import derive_coverage, load_analysis
from lmickg.derived import DeriveContext
from lmickg.lineage import derive_lineage, gap_lineage_json, load_lineage
from lmickg.queries import answer, load_named_queries
from lmickg.store import OxigraphStore, StoreRoot

from .synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
WARM_RUNS = 15

#: A typical selective choice per question (the defaults are measured too).
TYPICAL: dict[str, dict[str, str]] = {
    "coverage-matrix": {"frequency": "monthly", "access": "public"},
    "groups-by-level": {"variable": "v0003"},
    "unmet-needs": {"access": "public"},
    "documented-gaps": {"status": "open"},
    "stalled-recommendations": {"since": "2018"},
    "can-i-answer": {"variable": "v0003", "level": "economic-region", "frequency": "quarterly"},
    "mismatch-readiness": {"dimension": "industry"},
    "mismatch-regions": {"show": "missing"},
    "stale-sources": {"asOf": "2026-12-03", "show": "overdue"},
    "restricted-only": {},
}

LINEAGE_SPARQL = """
PREFIX lmic: <https://w3id.org/lmickg/ns#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?step ?entity ?date ?status ?by ?gap WHERE {
  { ?gap lmic:identifiedIn ?entity . ?entity dct:issued ?date . BIND("report" AS ?step) }
  UNION
  { ?entity lmic:addresses ?gap ; lmic:recommendedIn/dct:issued ?date . BIND("recommendation" AS ?step) }
  UNION
  { ?entity lmic:assesses ?gap ; lmic:status ?status ; dct:date ?date .
    OPTIONAL { ?entity lmic:addressedBy ?by } BIND("assessment" AS ?step) }
  UNION
  { ?recommendation lmic:addresses ?gap . ?entity lmic:assesses ?recommendation ;
      lmic:status ?status ; dct:date ?date .
    OPTIONAL { ?entity lmic:addressedBy ?by } BIND("recommendation-assessment" AS ?step) }
  UNION
  { ?entity lmic:answers ?gap ; dct:isPartOf/dct:issued ?date . BIND("plan" AS ?step) }
}
"""

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from rdflib import URIRef
    from lmickg.store import OxigraphStore
    from lmickg.queries import load_named_queries
    store = OxigraphStore(sys.argv[1], read_only=True)
    kind, name = sys.argv[2], sys.argv[3]
    if kind == "named":
        query = load_named_queries()[name]
        bindings = query.bind(json.loads(sys.argv[4]), store)
        text = query.text
    else:
        text = sys.argv[4]
        bindings = {"gap": URIRef(name)}
    started = time.perf_counter()
    rows = store.select(text, bindings)
    print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(rows)}))
    """
)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _timed(call: Callable[[], Any], runs: int = WARM_RUNS) -> tuple[float, Any]:
    samples = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        samples.append(time.perf_counter() - started)
    return _median(samples), result


def _raw(store_dir: Path, kind: str, name: str, argument: str, timeout: float) -> str:
    """Run one raw SPARQL query in a child process; its seconds, or '> timeout'."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(store_dir), kind, name, argument],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return f"> {timeout:.0f}"
    except subprocess.CalledProcessError as error:
        return f"failed: {error.stderr.strip().splitlines()[-1] if error.stderr else error}"
    return f"{json.loads(done.stdout)['seconds']:.3f}"


def _prepare(n_sources: int, work: Path) -> tuple[Path, dict[str, float]]:
    catalog = work / "catalog"
    started = time.perf_counter()
    generate(n_sources, catalog)
    generated = time.perf_counter() - started
    root = StoreRoot(work / "store")
    build_dir = root.new_build_dir("bench")
    store = OxigraphStore(build_dir / StoreRoot.OXIGRAPH)
    files = discover([catalog, ONTOLOGY])
    started = time.perf_counter()
    load_files(files, store)
    loaded = time.perf_counter() - started
    context = DeriveContext(store, build_dir, None, list(files), None)
    started = time.perf_counter()
    coverage = derive_coverage(context)
    coverage_seconds = time.perf_counter() - started
    started = time.perf_counter()
    derive_lineage(context)
    lineage_seconds = time.perf_counter() - started
    store.flush()
    (build_dir / StoreRoot.MANIFEST).write_text(json.dumps({"build_id": "bench"}))
    del store
    root.switch("bench")
    return root.root, {
        "generate": generated,
        "load": loaded,
        "coverage deriver": coverage_seconds,
        "lineage deriver": lineage_seconds,
        "precomputed answers": float(str(coverage["precomputed answers"])),
    }


def run(n_sources: int, timeout: float) -> None:
    """Benchmark one size and print the figures."""
    with tempfile.TemporaryDirectory(prefix="lmickg-bench-analysis-") as tmp:
        print(f"== {n_sources:,} synthetic data sources")
        store_root, build = _prepare(n_sources, Path(tmp))
        for name, seconds in build.items():
            if name == "precomputed answers":
                print(f"  {name:<22} {seconds:10.0f} (question × parameter combinations)")
            else:
                print(f"  {name:<22} {seconds:10.2f} s")
        root = StoreRoot(store_root)
        build_dir = root.current_dir()
        assert build_dir is not None
        store = root.open_current()
        queries = load_named_queries()

        print("\n  named questions, as a server answers them    first      warm    rows")
        started = time.perf_counter()
        analysis = load_analysis(build_dir)
        print(f"  {'(read answers table)':<40} {time.perf_counter() - started:7.3f} s")
        worst = 0.0
        for name, query in queries.items():
            for label, params in (("default", {}), ("typical", TYPICAL.get(name, {}))):
                bindings = query.bind(params, store)
                started = time.perf_counter()
                first = answer(store, query, bindings, analysis)
                len(first.rows[:500])
                first_seconds = time.perf_counter() - started
                warm, _ = _timed(
                    lambda q=query, b=bindings: answer(store, q, b, analysis).rows[:500]
                )
                rows = len(answer(store, query, bindings, analysis).rows)
                worst = max(worst, warm)
                print(
                    f"  {name + ' (' + label + ')':<40} {first_seconds:7.3f} s {warm:7.3f} s"
                    f" {rows:7,}"
                )
        print(f"  slowest warm answer: {worst:.3f} s (goal < 1 s)")

        from webapp import create_app

        app = create_app({"STORE_ROOT": str(store_root), "TESTING": True})
        client = app.test_client()
        lineage = load_lineage(build_dir)
        assert lineage is not None
        gap = lineage.gaps()[len(lineage.gaps()) // 2]
        key = gap.rsplit("/", 1)[1]
        print(f"\n  {'web requests (Flask app in process)':<62}   first      warm")
        web: dict[str, float] = {}
        for url in (
            "/en/questions/coverage-matrix.json",
            "/en/questions/coverage-matrix?frequency=monthly&access=public",
            "/en/coverage",
            f"/en/lineage/{key}.json",
            f"/en/lineage/{key}",
            "/en/lineage",
        ):
            started = time.perf_counter()
            assert client.get(url).status_code == 200, url
            first_seconds = time.perf_counter() - started
            warm, _ = _timed(lambda u=url: client.get(u))
            web[url] = warm
            print(f"  {url:<62} {first_seconds:7.3f} s {warm:7.3f} s")

        core_lineage, _ = _timed(lambda: gap_lineage_json(lineage, gap, "en"))
        matrix_query = queries["coverage-matrix"]
        matrix_bindings = matrix_query.bind({}, store)
        core_matrix, _ = _timed(lambda: answer(store, matrix_query, matrix_bindings, analysis))
        print(f"\n  baselines: raw SPARQL on the same store, child process, limit {timeout:.0f} s")
        raw_matrix = _raw(
            store_root / "current" / StoreRoot.OXIGRAPH, "named", "coverage-matrix", "{}", timeout
        )
        raw_lineage = _raw(
            store_root / "current" / StoreRoot.OXIGRAPH, "lineage", gap, LINEAGE_SPARQL, timeout
        )
        for what, raw, ours, http in (
            (
                "coverage matrix (defaults)",
                raw_matrix,
                core_matrix,
                web["/en/questions/coverage-matrix.json"],
            ),
            (f"lineage of {key}", raw_lineage, core_lineage, web[f"/en/lineage/{key}.json"]),
        ):
            bound = raw.startswith(">")
            seconds = float(raw.lstrip("> ")) if raw[0] in "0123456789>" else float("nan")
            sign = "> " if bound else ""
            print(
                f"  {what:<34} raw SPARQL {raw:>9} s | ours in process {ours * 1000:8.2f} ms"
                f" (raw/ours {sign}{seconds / ours:,.2f}) | HTTP JSON {http * 1000:8.2f} ms"
                f" (raw/HTTP {sign}{seconds / http:,.2f})"
            )
        print(f"\n  peak RSS of this process: {_rss_mb():,.0f} MiB")


def main(argv: list[str]) -> None:
    """Entry point for `python -m benchmarks` and the command line."""
    timeout = 900.0
    sizes = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--timeout":
            timeout = float(args.pop(0))
        else:
            sizes.append(int(arg))
    for size in sizes or [100_000]:
        run(size, timeout)


if __name__ == "__main__":
    main(sys.argv[1:])
