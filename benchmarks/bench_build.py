"""Build benchmark: the full build against a raw pyoxigraph bulk load of the same triples.

For each size (default 10,000 and 100,000 data sources) it generates the synthetic catalog,
then measures in the same run:

- baseline: ``pyoxigraph.Store.bulk_load`` of the same quads (pre-concatenated as N-Quads, so
  the baseline pays no per-file or Python cost at all) into a fresh on-disk store;
- the full ``lmickg build`` (discover, parse+load, validate, index), time and peak memory per
  phase, and its ratio to the baseline (goal at 100,000: within 15x);
- an incremental build after changing one data-source file, whose validate phase is the
  "re-validate what changed" figure (goal: under 2 s whatever the size).

It ends with each phase's growth from the smallest to the largest size, against the growth in
triples (linear growth means the two ratios match).

    python -m benchmarks.bench_build            # 10,000 and 100,000
    python -m benchmarks.bench_build 2000 20000 # other sizes
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from lmickg.build import BuildResult, build
from lmickg.catalog import discover, parse_file

from .synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"


def _concatenate(paths: list[Path], target: Path) -> int:
    """Write every catalog file's triples as N-Quads in its own graph (the baseline's input)."""
    count = 0
    with target.open("wb") as out:
        for file in discover(paths):
            graph = ox.NamedNode(file.graph)
            quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in parse_file(file)]
            count += len(quads)
            ox.serialize(quads, out, format=ox.RdfFormat.N_QUADS)
    return count


def _baseline(nquads: Path, work: Path) -> float:
    store_dir = work / "baseline-store"
    start = time.perf_counter()
    store = ox.Store(str(store_dir))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.flush()
    seconds = time.perf_counter() - start
    del store
    shutil.rmtree(store_dir, ignore_errors=True)
    return seconds


def _touch_one_source(catalog: Path) -> Path:
    path = catalog / "sources" / "00" / "s0000000.ttl"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Table 0", "Table 0 (revised)", 1), encoding="utf-8")
    return path


def run(size: int, work: Path) -> dict[str, float]:
    """Measure one size; return the figures for the growth table."""
    catalog = work / "catalog"
    started = time.perf_counter()
    counts = generate(size, catalog)
    print(
        f"\n== {size:,} data sources (generated in {time.perf_counter() - started:.1f} s: {counts})"
    )
    nquads = work / "all.nq"
    triples = _concatenate([catalog, ONTOLOGY], nquads)
    baseline = _baseline(nquads, work)
    print(f"baseline pyoxigraph bulk_load of {triples:,} quads: {baseline:.2f} s")

    result: BuildResult = build([catalog, ONTOLOGY], work / "store", incremental=False)
    print(f"{'phase':<12}{'seconds':>10}{'peak RSS MiB':>15}{'worker peak MiB':>17}")
    for phase in result.clock.phases:
        print(
            f"{phase.name:<12}{phase.seconds:>10.2f}{phase.peak_rss_mb:>15.0f}{phase.peak_child_rss_mb:>17.0f}"
        )
    for name, summary in result.derived.items():
        # Derivers may run side by side: their times can add up to more than the index phase.
        print(f"  {name:<10}{float(summary.get('seconds', 0.0)):>10.2f}   (deriver)")
    total = result.clock.total()
    print(f"{'total':<12}{total:>10.2f}")
    print(
        f"full build / raw bulk load = {total / baseline:.1f}x "
        f"(goal <= 15x); validation: {len(result.report.violations)} violations, "
        f"{len(result.report.warnings)} warnings"
    )

    _touch_one_source(catalog)
    incremental = build([catalog, ONTOLOGY], work / "store")
    phases = incremental.clock.seconds()
    print(
        f"incremental build after one file changed: {incremental.clock.total():.2f} s total, "
        f"validate {phases.get('validate', 0.0):.2f} s (goal < 2 s), "
        f"incremental={incremental.incremental}"
    )
    figures = {name: seconds for name, seconds in result.clock.seconds().items()}
    figures.update(total=total, baseline=baseline, triples=float(triples))
    return figures


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    print(f"CPUs: {os.cpu_count()}  (validation workers default to one per CPU)")
    results: dict[int, dict[str, float]] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix=f"lmickg-bench-{size}-") as tmp:
            results[size] = run(size, Path(tmp))
    if len(sizes) > 1:
        small, large = results[sizes[0]], results[sizes[-1]]
        print(f"\n== growth from {sizes[0]:,} to {sizes[-1]:,} sources")
        print(f"triples: x{large['triples'] / small['triples']:.1f}")
        for name in large:
            if name == "triples" or not small.get(name):
                continue
            print(f"{name:<12} x{large[name] / small[name]:.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
