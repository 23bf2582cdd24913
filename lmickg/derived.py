"""Derived artifacts: what a build computes from the validated graph besides the store.

A deriver takes a :class:`DeriveContext` (the new store, writable; its build directory; the
previous build's directory; what changed) and writes its artifact into the build directory,
returning a few numbers for the build summary. Derivers only read the store and write their own
files, so :func:`run_derivers` runs them side by side in worker processes for a large catalog;
they run inside the atomic build: if one fails, the build fails and the previous build keeps
serving.
Readers load artifacts per build through :meth:`lmickg.serving.Snapshot.artifact`.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .catalog import CatalogFile
from .store import OxigraphStore

__all__ = ["PARALLEL_TRIPLES", "DeriveContext", "Deriver", "derivers", "run_derivers"]

#: From this many triples, derivers run in parallel worker processes (below, starting the
#: workers costs more than it saves).
PARALLEL_TRIPLES = 200_000


@dataclass
class DeriveContext:
    """What a deriver gets: the new store (writable), its directory, and what changed."""

    store: OxigraphStore
    build_dir: Path
    previous_dir: Path | None
    files: list[CatalogFile]
    #: Graph IRIs added, changed or removed since the previous build; None for a full build.
    changed_graphs: set[str] | None


Deriver = Callable[[DeriveContext], dict[str, object]]


def derivers() -> list[tuple[str, Deriver]]:
    """The derived-artifact builders, in the order the build runs them."""
    # Imported here so that `import lmickg.build` stays light for tools that only validate.
    from .coverage import derive_coverage
    from .lineage import derive_lineage
    from .records import derive_records
    from .search import derive_search
    from .sitemap import derive_sitemap
    from .void import derive_void

    # Submitted in this order to the workers: at 100,000 sources search takes about as long as
    # records and coverage together, so with two workers these three finish together.
    return [
        ("search", derive_search),
        ("records", derive_records),
        ("coverage", derive_coverage),
        ("void", derive_void),
        ("lineage", derive_lineage),
        ("sitemap", derive_sitemap),
    ]


def _run_one(deriver: Deriver, context: DeriveContext) -> dict[str, object]:
    started = time.perf_counter()
    summary = deriver(context)
    # Timed here, the same way for every deriver, so benchmarks can split the index phase.
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


def _run_in_worker(
    name: str,
    store_path: Path,
    build_dir: Path,
    previous_dir: Path | None,
    files: list[CatalogFile],
    changed_graphs: set[str] | None,
) -> dict[str, object]:
    # A worker opens its own read-only handle: the parent's RocksDB handle cannot cross a
    # process boundary, and the parent writes nothing while the derivers run.
    store = OxigraphStore(store_path, read_only=True)
    context = DeriveContext(store, build_dir, previous_dir, files, changed_graphs)
    return _run_one(dict(derivers())[name], context)


def run_derivers(context: DeriveContext, workers: int) -> dict[str, dict[str, object]]:
    """Run every deriver on ``context``; their summaries by name, in :func:`derivers` order.

    With ``workers`` > 1, an on-disk store and at least :data:`PARALLEL_TRIPLES` triples, they
    run in that many processes (started by a fork server, not forked from this process, which
    holds the store open for writing).
    """
    named = derivers()
    path = context.store.path
    if workers <= 1 or path is None or len(context.store.native) < PARALLEL_TRIPLES:
        return {name: _run_one(deriver, context) for name, deriver in named}
    context.store.flush()
    arguments = (path, context.build_dir, context.previous_dir, context.files)
    pool = multiprocessing.get_context("forkserver").Pool(min(workers, len(named)))
    try:
        jobs = {
            name: pool.apply_async(_run_in_worker, (name, *arguments, context.changed_graphs))
            for name, _ in named
        }
        return {name: job.get() for name, job in jobs.items()}
    finally:
        pool.terminate()
        pool.join()
