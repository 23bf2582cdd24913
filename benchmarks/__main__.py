"""Run every benchmark: `python -m benchmarks` (each prints its figures and ratios)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["bench_build", "bench_search", "bench_sparql", "bench_analysis", "bench_harvest"]

if __name__ == "__main__":
    names = sys.argv[1:] or BENCHMARKS
    for name in names:
        print(f"\n######## {name}")
        importlib.import_module(f"benchmarks.{name}").main([])
