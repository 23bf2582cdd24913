"""Search at scale: the derived index against SPARQL GROUP BY on the same store, same run.

    python -m benchmarks.bench_search [N_SOURCES] [--requests 200] [--sparql 5] [--validate]

1. Writes the synthetic catalog (``benchmarks.synthetic.generate``) with N sources (default
   100,000) into a temporary directory and builds it into a temporary store root. By default
   the build skips SHACL validation (it does not change what search reads; ``bench_build``
   measures it); ``--validate`` runs the full ``lmickg.build.build``.
2. Measures in-process searches as the web app makes them: a text query plus three facet
   filters, every facet's disjunctive counts, one page of hits (``SearchIndex.search``).
3. Answers the same searches with SPARQL on the same Oxigraph store: the total and one
   ``GROUP BY`` count query per facet, each applying the other facets' filters.
4. In a separate process (the serving process), loads the app, answers the same searches
   through ``/en/search.json`` and reports their latency and the process's resident memory.

Prints a table with p50/p95 and the ratio of each figure to the SPARQL baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Facets a benchmark request filters on (three of them per request), all of the sources scope.
FILTER_FACETS = ("frequency", "access", "geo", "theme", "level", "group", "publisher", "variable")
#: Words the synthetic titles, descriptions and variable names are made of (English and French).
WORDS = (
    "employment", "emploi", "wages", "salaires", "job vacancies", "postes vacants", "regional",
    "régional", "survey", "enquête", "graduates", "diplômés", "skills", "compétences", "payroll",
    "hours worked", "longitudinal", "administratif", "income", "revenu",
)  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def build_catalog(n_sources: int, workdir: Path, validate: bool) -> tuple[Path, dict[str, float]]:
    """Generate and build the synthetic catalog; return the store root and phase times."""
    from benchmarks.synthetic import generate

    times: dict[str, float] = {}
    catalog = workdir / "catalog"
    start = time.perf_counter()
    generate(n_sources, catalog, seed=0)
    times["generate"] = time.perf_counter() - start
    root = workdir / "store"
    start = time.perf_counter()
    if validate:
        from lmickg.build import build

        result = build([catalog, ROOT / "ontology"], root, workers=os.cpu_count())
        times.update({p.name: p.seconds for p in result.clock.phases})
    else:
        times.update(_load_and_derive([catalog, ROOT / "ontology"], root))
    times["build total"] = time.perf_counter() - start
    return root, times


def _load_and_derive(paths: list[Path], root: Path) -> dict[str, float]:
    """A build without SHACL validation: load every file into its graph, run the derivers."""
    from lmickg.build import load_files
    from lmickg.catalog import discover
    from lmickg.derived import DeriveContext, derivers
    from lmickg.store import OxigraphStore, StoreRoot

    times: dict[str, float] = {}
    store_root = StoreRoot(root)
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    build_dir = store_root.new_build_dir(build_id)
    start = time.perf_counter()
    files = discover(paths)
    store = OxigraphStore(build_dir / StoreRoot.OXIGRAPH)
    counts = load_files(files, store)
    times["load"] = time.perf_counter() - start
    context = DeriveContext(store, build_dir, None, list(files), None)
    derived = {}
    for name, deriver in derivers():
        start = time.perf_counter()
        derived[name] = deriver(context)
        times[f"derive {name}"] = time.perf_counter() - start
    store.flush()
    manifest = {
        "build_id": build_id,
        "triples": sum(counts.values()),
        "validation": "skipped by benchmarks.bench_search",
        "derived": derived,
    }
    (build_dir / StoreRoot.MANIFEST).write_text(json.dumps(manifest))
    del store
    store_root.switch(build_id)
    return times


def make_requests(index: Any, count: int, seed: int = 1) -> list[dict[str, list[str]]]:
    """URL parameters of ``count`` searches: one or two words and three facet filters."""
    rng = random.Random(seed)
    scope = index.scopes["sources"]
    requests = []
    for _ in range(count):
        params: dict[str, list[str]] = {"q": [rng.choice(WORDS)]}
        for facet in rng.sample(FILTER_FACETS, 3):
            values = scope.facets[facet].values
            if facet == "geo":  # provinces and economic regions, not Canada as a whole
                values = [v for v in values if v["depth"] >= 1] or values
            params[facet] = [rng.choice(values)["key"]]
        requests.append(params)
    return requests


def time_index(
    index: Any, requests: list[dict[str, list[str]]]
) -> tuple[list[float], list[float], list[int]]:
    """Wall and CPU milliseconds per ``SearchIndex.search`` (parse included), and totals.

    CPU time is reported too because benchmarks here share two cores with other work: it is
    what a request costs, whatever else the machine is doing.
    """
    for params in requests[:10]:  # warm the page cache and numpy
        index.search(index.parse(params))
    wall, cpu, totals = [], [], []
    for params in requests:
        start, start_cpu = time.perf_counter(), time.process_time()
        response = index.search(index.parse(params))
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
        totals.append(response.total)
    return wall, cpu, totals


#: The facet semantics of lmickg.search in SPARQL: ``?v`` is a value of source ``?s``.
PATTERNS = {
    "type": "?s a ?v . VALUES ?v { dcat:Dataset dcat:DatasetSeries dcat:DataService }",
    "publisher": "?s dct:publisher ?v",
    "theme": "?s dcat:theme ?v",
    "classification": "?s lmic:usesClassification ?v",
    **{
        facet: f"{{ ?s {p} ?v }} UNION {{ ?s lmic:qualifiedVariable/{p} ?v }}"
        for facet, p in {
            "frequency": "dct:accrualPeriodicity",
            "level": "lmic:geographicGranularity",
            "access": "dct:accessRights",
            "group": "lmic:populationGroup",
            "variable": "lmic:variable",
        }.items()
    },
    "geo": "{ ?s dct:spatial ?v } UNION { ?v skos:broader+ ?area . ?s dct:spatial ?area . "
    "?v dct:type ?gl . ?s (lmic:geographicGranularity|lmic:qualifiedVariable/"
    "lmic:geographicGranularity)/skos:broader* ?gl }",
}


def sparql_queries(index: Any, params: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The SPARQL for one search: its total, then one GROUP BY per facet.

    Filters are joins with the selected values bound first (VALUES), which Oxigraph answers
    far faster than FILTER EXISTS. Text: every word, lower-cased, must occur in a title,
    description, keyword or variable name (SPARQL has no accent folding or stemming, so this
    does less than the index does).
    """
    from lmickg.search import SCOPES

    sources = "VALUES ?t { dcat:Dataset dcat:DatasetSeries dcat:DataService } ?s a ?t ."
    words = [w.casefold().replace('"', "") for w in params.get("q", [""])[0].split()]
    text = " ".join(
        f"{{ ?s dct:title|dct:description|dcat:keyword ?x{i} }} UNION "
        f'{{ ?s lmic:variable/skos:prefLabel ?x{i} }} FILTER(CONTAINS(LCASE(STR(?x{i})), "{w}"))'
        for i, w in enumerate(words)
    )
    filters = {f: v for f, v in params.items() if f in PATTERNS}

    def joined(skip: str | None) -> str:
        out = []
        for n, (facet, values) in enumerate(filters.items()):
            if facet == skip:
                continue
            iris = " ".join(f"<{index.facet_value('sources', facet, v)['iri']}>" for v in values)
            pattern = PATTERNS[facet].replace("?v", f"?f{n}")
            pattern = pattern.replace("?area", f"?a{n}").replace("?gl", f"?g{n}")
            out.append(f"VALUES ?f{n} {{ {iris} }} {{ {pattern} }}")
        return " ".join(out)

    queries = [
        ("total", f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {joined(None)} {sources} {text} }}")
    ]
    for facet in SCOPES["sources"].facets:
        queries.append(
            (
                facet,
                f"SELECT ?v (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {joined(facet)} {sources} {text} "
                f"{{ {PATTERNS[facet]} }} }} GROUP BY ?v",
            )
        )
    return queries


def sparql_search(
    store: Any, index: Any, params: dict[str, list[str]]
) -> tuple[int, dict[str, dict[str, int]]]:
    """The same search by SPARQL: the total and every facet's counts."""
    total = 0
    counts: dict[str, dict[str, int]] = {}
    for name, query in sparql_queries(index, params):
        rows = store.select(query)
        if name == "total":
            total = int(rows.rows[0]["n"])
        else:
            counts[name] = {str(r["v"]): int(r["n"]) for r in rows}
    return total, counts


def time_sparql(
    store: Any, index: Any, requests: list[dict[str, list[str]]], budget: float
) -> tuple[list[float], float | None]:
    """Milliseconds per search answered by SPARQL, within ``budget`` seconds in all.

    A query cannot be interrupted, so the budget is checked between queries; a search cut short
    is returned as a lower bound (the second value), never as a measurement.
    """
    done: list[float] = []
    began = time.perf_counter()
    for params in requests:
        start = time.perf_counter()
        for _name, query in sparql_queries(index, params):
            store.select(query)
            if time.perf_counter() - began > budget:
                return done, (time.perf_counter() - start) * 1000
        done.append((time.perf_counter() - start) * 1000)
    return done, None


def serve_process(root: Path, requests_file: Path) -> dict[str, Any]:
    """Run the serving-process measurement in a child process; return its JSON report."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_search",
            "--serve-child",
            str(root),
            str(requests_file),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def _rss_mib() -> tuple[float, float]:
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _serve_child(root: str, requests_file: str) -> None:
    """The serving process: the Flask app answering /en/search.json for every request."""
    from urllib.parse import urlencode

    from webapp import create_app

    app = create_app({"STORE_ROOT": root})
    client = app.test_client()
    client.get("/health")
    before, _ = _rss_mib()
    requests = json.loads(Path(requests_file).read_text())
    urls = [
        "/en/search.json?" + urlencode([(k, v) for k, vs in p.items() for v in vs])
        for p in requests
    ]
    start = time.perf_counter()
    assert client.get(urls[0]).status_code == 200
    first = (time.perf_counter() - start) * 1000  # includes loading the index for this build
    for url in urls[:10]:
        client.get(url)
    times, cpu = [], []
    for url in urls:
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        cpu.append((time.process_time() - start_cpu) * 1000)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    html_times = []
    for url in urls[:50]:
        start = time.perf_counter()
        client.get(url.replace("/en/search.json", "/en/search"))
        html_times.append((time.perf_counter() - start) * 1000)
    rss, peak = _rss_mib()
    print(
        json.dumps(
            {
                "rss_before_index_mib": before,
                "rss_mib": rss,
                "peak_rss_mib": peak,
                "first_request_ms": first,
                "json_ms": times,
                "json_cpu_ms": cpu,
                "html_ms": html_times,
            }
        )
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sources", nargs="?", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="searches timed on the index")
    parser.add_argument("--sparql", type=int, default=5, help="of those, answered by SPARQL too")
    parser.add_argument(
        "--sparql-budget", type=float, default=1800, help="seconds SPARQL may take in all"
    )
    parser.add_argument("--validate", action="store_true", help="full build with SHACL validation")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep the catalog and store here"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the store already built in --workdir"
    )
    parser.add_argument(
        "--serve-child", nargs=2, metavar=("ROOT", "REQUESTS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.serve_child:
        _serve_child(*args.serve_child)
        return

    from lmickg.search import load_index
    from lmickg.serving import ServedCatalog
    from lmickg.store import StoreRoot

    with tempfile.TemporaryDirectory(prefix="lmickg-bench-search-") as tmp:
        workdir = args.workdir or Path(tmp)
        print(
            f"building the synthetic catalog with {args.sources:,} sources in {workdir} ...",
            file=sys.stderr,
        )
        if args.reuse and args.workdir and StoreRoot(workdir / "store").current_id():
            root, build_times = workdir / "store", {}
        else:
            root, build_times = build_catalog(args.sources, workdir, args.validate)
        snapshot = ServedCatalog(root).snapshot()
        start = time.perf_counter()
        index = snapshot.artifact("search", load_index)
        load_ms = (time.perf_counter() - start) * 1000
        requests = make_requests(index, args.requests)
        print("timing the index ...", file=sys.stderr)
        index_ms, index_cpu_ms, totals = time_index(index, requests)
        print("timing SPARQL ...", file=sys.stderr)
        sparql_ms, partial_ms = time_sparql(
            snapshot.store, index, requests[: args.sparql], args.sparql_budget
        )
        # Same answers? Facet filters only: SPARQL has no accent folding or stemming for text.
        check = {"frequency": ["MONTHLY"], "access": ["PUBLIC"], "level": ["economic-region"]}
        total, counts = sparql_search(snapshot.store, index, {"q": [""], **check})
        response = index.search(index.parse(check))
        agree = total == response.total and all(
            counts[f] == {v.iri: v.count for v in values if v.count}
            for f, values in response.facets.items()
        )
        requests_file = workdir / "requests.json"
        requests_file.write_text(json.dumps(requests))
        print("timing the serving process ...", file=sys.stderr)
        served = serve_process(root, requests_file)
    report(
        args,
        build_times,
        totals,
        (index_ms, index_cpu_ms),
        sparql_ms,
        partial_ms,
        served,
        load_ms,
        agree,
    )


def report(
    args: argparse.Namespace,
    build_times: dict[str, float],
    totals: list[int],
    index_times: tuple[list[float], list[float]],
    sparql_ms: list[float],
    partial_ms: float | None,
    served: dict[str, Any],
    load_ms: float,
    agree: bool,
) -> None:
    """Print the figures, each against the SPARQL baseline of the same run."""
    index_ms, index_cpu_ms = index_times
    # If not one SPARQL search finished within the budget, its elapsed time is a lower bound.
    baseline = percentile(sparql_ms, 50) if sparql_ms else partial_ms or float("nan")
    rows = [
        ("SPARQL GROUP BY (total + 10 facets)", sparql_ms or [baseline]),
        ("index: SearchIndex.search", index_ms),
        ("index: SearchIndex.search, CPU time", index_cpu_ms),
        ("app: GET /en/search.json", served["json_ms"]),
        ("app: GET /en/search.json, CPU time", served["json_cpu_ms"]),
        ("app: GET /en/search (HTML)", served["html_ms"]),
    ]
    print()
    load = os.getloadavg()[0]
    print(
        f"search benchmark: {args.sources:,} synthetic sources, {os.cpu_count()} CPUs, "
        f"load average {load:.1f} at the end"
    )
    print("build: " + (", ".join(f"{k} {v:.1f} s" for k, v in build_times.items()) or "reused"))
    print(
        "each request: text query + 3 facet filters + counts of all 10 facets + one page; "
        f"median total {statistics.median(totals):,.0f} sources"
    )
    if partial_ms is not None:
        print(
            f"SPARQL budget of {args.sparql_budget:.0f} s reached: a search was cut short after "
            f"{partial_ms / 1000:.0f} s"
            + ("" if sparql_ms else " (the SPARQL row is a lower bound)")
        )
    print()
    print(f"{'what':<38} {'n':>5} {'p50 ms':>10} {'p95 ms':>10} {'SPARQL p50 / p50':>17}")
    for name, values in rows:
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(f"{name:<38} {len(values):>5} {p50:>10.2f} {p95:>10.2f} {baseline / p50:>16.0f}x")
    print()
    print(
        f"index load per build and process: {load_ms:.0f} ms; first request of a fresh "
        f"serving process: {served['first_request_ms']:.0f} ms"
    )
    print(
        f"serving process memory: RSS {served['rss_mib']:.0f} MiB after the requests "
        f"({served['rss_before_index_mib']:.0f} MiB before loading the index), "
        f"peak {served['peak_rss_mib']:.0f} MiB"
    )
    print(f"index and SPARQL agree on the total and every facet count (filters only): {agree}")
    goal = percentile(index_ms, 50) <= 20 and percentile(index_ms, 95) <= 50
    print(f"goal p50 <= 20 ms and p95 <= 50 ms for the index: {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
