"""Run one deriver in a fresh interpreter: ``python -m lmickg.derive_worker JOB NAME RESULT``.

:func:`lmickg.derived.run_derivers` starts one of these per deriver for a large catalog. A fresh
interpreter, not a multiprocessing worker: multiprocessing re-imports the caller's main script
in every worker, so a script that builds without an ``if __name__ == "__main__"`` guard would
start its build again in each of them. JOB is the JSON job file the build wrote; the summary
goes to RESULT as JSON. Any failure exits non-zero with the traceback on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .catalog import CatalogFile
from .derived import DeriveContext, derivers, run_one
from .store import OxigraphStore


def main(argv: list[str]) -> int:
    """Run deriver NAME of job file JOB and write its summary to RESULT."""
    if len(argv) != 3:
        print("usage: python -m lmickg.derive_worker JOB NAME RESULT", file=sys.stderr)
        return 2
    job_file, name, result_file = argv
    named = dict(derivers())
    if name not in named:
        print(f"unknown deriver {name!r}; known: {', '.join(named)}", file=sys.stderr)
        return 2
    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    files = [
        CatalogFile(display, Path(path), graph, is_shapes)
        for display, path, graph, is_shapes in job["files"]
    ]
    changed = job["changed_graphs"]
    # A read-only handle: the build holds the store open for writing, and writes nothing while
    # the derivers run.
    context = DeriveContext(
        OxigraphStore(job["store"], read_only=True),
        Path(job["build_dir"]),
        Path(job["previous_dir"]) if job["previous_dir"] else None,
        files,
        None if changed is None else set(changed),
    )
    summary = run_one(named[name], context)
    Path(result_file).write_text(json.dumps(summary), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
