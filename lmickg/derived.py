"""Derived artifacts: what a build computes from the validated graph besides the store.

A deriver takes a :class:`DeriveContext` (the new store, writable; its build directory; the
previous build's directory; what changed) and writes its artifact into the build directory,
returning a few numbers for the build summary. Derivers only read the store and write their own
files, so :func:`run_derivers` runs them side by side in fresh interpreters for a large catalog;
they run inside the atomic build: if one fails, the build fails and the previous build keeps
serving.
Readers load artifacts per build through :meth:`lmickg.serving.Snapshot.artifact`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .catalog import CatalogFile
from .store import OxigraphStore

__all__ = [
    "PARALLEL_TRIPLES",
    "DeriveContext",
    "Deriver",
    "DeriverError",
    "derivers",
    "run_derivers",
    "run_one",
]

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


def run_one(deriver: Deriver, context: DeriveContext) -> dict[str, object]:
    """Run one deriver and add its wall time to its summary (``seconds``)."""
    started = time.perf_counter()
    summary = deriver(context)
    # Timed here, the same way for every deriver, so benchmarks can split the index phase.
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


class DeriverError(RuntimeError):
    """A deriver failed in its worker process; the message carries the end of its stderr."""


def run_derivers(context: DeriveContext, workers: int) -> dict[str, dict[str, object]]:
    """Run every deriver on ``context``; their summaries by name, in :func:`derivers` order.

    With ``workers`` > 1, an on-disk store and at least :data:`PARALLEL_TRIPLES` triples, up to
    ``workers`` of them run at once, each in a fresh interpreter (:mod:`lmickg.derive_worker`)
    that opens the store read-only.
    """
    named = derivers()
    path = context.store.path
    if workers <= 1 or path is None or len(context.store.native) < PARALLEL_TRIPLES:
        return {name: run_one(deriver, context) for name, deriver in named}
    context.store.flush()
    with tempfile.TemporaryDirectory(prefix="lmickg-derive-") as tmp:
        job = Path(tmp) / "job.json"
        job.write_text(
            json.dumps(
                {
                    "store": str(path),
                    "build_dir": str(context.build_dir),
                    "previous_dir": str(context.previous_dir) if context.previous_dir else None,
                    "files": [
                        [f.display, str(f.path), f.graph, f.is_shapes] for f in context.files
                    ],
                    "changed_graphs": None
                    if context.changed_graphs is None
                    else sorted(context.changed_graphs),
                }
            ),
            encoding="utf-8",
        )
        return _run_workers([name for name, _ in named], job, Path(tmp), workers)


def _run_workers(
    names: list[str], job: Path, tmp: Path, workers: int
) -> dict[str, dict[str, object]]:
    # The worker must import this very lmickg, whatever put it on the caller's sys.path.
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    waiting = list(names)
    running: dict[str, tuple[subprocess.Popen[bytes], IO[bytes]]] = {}
    summaries: dict[str, dict[str, object]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                name = waiting.pop(0)
                log: IO[bytes] = (tmp / f"{name}.log").open("w+b")  # its stdout and stderr
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "lmickg.derive_worker",
                        str(job),
                        name,
                        str(tmp / f"{name}.json"),
                    ],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                running[name] = (process, log)
            finished = _wait_any(running)
            process, log = running.pop(finished)
            log.seek(0)
            output = log.read().decode("utf-8", "replace")
            log.close()
            if process.returncode != 0:
                tail = "\n".join(output.strip().splitlines()[-20:])
                raise DeriverError(
                    f"deriver {finished!r} failed (exit {process.returncode}):\n{tail}"
                )
            summaries[finished] = json.loads((tmp / f"{finished}.json").read_text("utf-8"))
    finally:
        for process, log in running.values():
            process.kill()
            process.wait()
            log.close()
    return {name: summaries[name] for name in names}


def _wait_any(running: dict[str, tuple[subprocess.Popen[bytes], IO[bytes]]]) -> str:
    """The name of a worker that has exited (polls: Popen has no portable wait-for-any)."""
    while True:
        for name, (process, _) in running.items():
            if process.poll() is not None:
                return name
        time.sleep(0.05)
