"""Worker processes that run public queries where they can be stopped.

pyoxigraph cannot cancel a running query, so a query that must be stoppable runs in a separate
process: the caller waits for its answer up to the time limit, then kills the process and starts
a fresh one. Other callers keep using the remaining workers, so a runaway query never blocks
anyone but its sender.

Each worker follows the store root's ``current`` pointer through its own
:class:`lmickg.serving.ServedCatalog` (read-only), so a new build is picked up without restarts.
Before opening anything a worker, where the kernel allows it, moves itself into an empty network
namespace (no interface but a loopback that is down): even a query that slipped past
:func:`lmickg.sparql.refuse_federation` could not reach any host. An address-space limit keeps a
memory-hungry query from taking the machine down; the worker dies instead and is replaced.

Workers are started with the ``forkserver`` method: safe from threaded servers, and fast to
replace because the server process has already imported pyoxigraph and rdflib's parser.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import resource
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from pathlib import Path

from .sparql import Busy, QueryOutcome, QueryRequest, QueryTimeout, WorkerFailed, error_from

__all__ = ["PoolStats", "QueryPool", "isolate_network"]

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PRELOAD = [
    "lmickg.query_pool",
    "lmickg.sparql",
    "lmickg.serving",
    "rdflib.plugins.sparql.parser",
    "rdflib.plugins.sparql.algebra",
]


def isolate_network() -> bool:
    """Move this (single-threaded) process into a new, empty network namespace.

    Unprivileged: a new user namespace owns the new network namespace. Returns False where the
    kernel does not allow it (the SERVICE refusal still applies).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0)
    except (OSError, AttributeError):
        return False


def _limit_memory(megabytes: int | None) -> None:
    if megabytes:
        limit = megabytes * 2**20
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(conn: Connection, store_root: str, memory_mb: int | None, sandbox: bool) -> None:
    """A worker's life: answer query requests on ``conn`` until the pipe closes."""
    isolated = isolate_network() if sandbox else False
    _limit_memory(memory_mb)
    from .serving import NoCatalogError, ServedCatalog
    from .sparql import SparqlError, execute

    catalog = ServedCatalog(store_root)
    conn.send(("ready", isolated))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            snapshot = catalog.snapshot()
            outcome = execute(snapshot.store.native, request, build_id=snapshot.build_id)
            conn.send(("ok", outcome))
        except SparqlError as error:
            conn.send(("error", (error.code, error.message, error.details)))
        except NoCatalogError as error:
            conn.send(("no-catalog", str(error)))
        except MemoryError:
            conn.send(("error", ("worker-failed", "the query needed more memory than allowed", {})))
        except Exception as error:  # report, stay alive: the next query may be fine
            conn.send(("crash", f"{type(error).__name__}: {error}"))


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    isolated: bool = False
    started: float = field(default_factory=time.monotonic)


@dataclass
class PoolStats:
    """What the pool has done since it started (for /health-style reporting and tests)."""

    workers: int
    idle: int
    started: int
    killed: int
    isolated: bool


class QueryPool:
    """A fixed number of query worker processes, shared by the threads of one server process."""

    def __init__(
        self,
        store_root: str | Path,
        *,
        workers: int = 2,
        queue_timeout: float = 10.0,
        memory_mb: int | None = None,
        sandbox: bool = True,
    ) -> None:
        if workers < 1:
            raise ValueError("a query pool needs at least one worker")
        self.store_root = str(store_root)
        self.size = workers
        self.queue_timeout = queue_timeout
        self.memory_mb = memory_mb
        self.sandbox = sandbox
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._pid = os.getpid()
        self._started = 0
        self._killed = 0
        self._isolated = False
        self._ctx: BaseContext | None = None
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------

    def _context(self) -> BaseContext:
        if self._ctx is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(_PRELOAD)
            self._ctx = ctx
        return self._ctx

    def _spawn(self) -> _Worker:
        ctx = self._context()
        parent, child = ctx.Pipe()
        process = ctx.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(child, self.store_root, self.memory_mb, self.sandbox),
            name="lmickg-query-worker",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        # Wait for the worker to be ready so a failure to start is reported here, not later.
        if not parent.poll(30):
            self._kill(worker)
            raise WorkerFailed("a query worker did not start within 30 s")
        try:
            _, isolated = parent.recv()
        except (EOFError, OSError):
            self._kill(worker)
            raise WorkerFailed("a query worker exited while starting") from None
        worker.isolated = bool(isolated)
        self._isolated = worker.isolated
        self._started += 1
        return worker

    def _ensure_started(self) -> None:
        """Start the workers on first use, and again in a child after a fork (gunicorn)."""
        if self._pid != os.getpid():
            # Inherited from a parent process: its workers and pipes are not ours.
            self._idle, self._all, self._ctx = [], [], None
            self._pid = os.getpid()
        with self._lock:
            missing = self.size - len(self._all)
            for _ in range(missing):
                worker = self._spawn()
                self._all.append(worker)
                self._idle.append(worker)
            if missing > 0:
                self._lock.notify_all()

    def _kill(self, worker: _Worker) -> None:
        with contextlib.suppress(Exception):
            worker.process.kill()
        worker.process.join(5)
        with contextlib.suppress(Exception):
            worker.conn.close()

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and put a fresh one in its place."""
        self._kill(worker)
        with self._lock:
            self._killed += 1
            if worker in self._all:
                self._all.remove(worker)
        if self._closed:
            return
        try:
            fresh = self._spawn()
        except WorkerFailed:
            return  # the next request retries starting it (see _ensure_started)
        with self._lock:
            self._all.append(fresh)
            self._idle.append(fresh)
            self._lock.notify()

    def close(self) -> None:
        """Stop every worker (idempotent)."""
        self._closed = True
        with self._lock:
            workers, self._all, self._idle = list(self._all), [], []
        if self._pid != os.getpid():
            return
        for worker in workers:
            self._kill(worker)

    # -- running queries -------------------------------------------------------------------

    def _acquire(self, wait: float) -> _Worker:
        deadline = time.monotonic() + wait
        with self._lock:
            while not self._idle:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Busy(
                        f"all {self.size} query workers are busy; try again shortly",
                        retry_after=max(1, round(wait)),
                    )
                self._lock.wait(remaining)
            return self._idle.pop()

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)
            self._lock.notify()

    def run(self, request: QueryRequest, timeout: float) -> QueryOutcome:
        """Run ``request`` in a worker, killing it if no answer comes within ``timeout`` s.

        Raises the query's SparqlError, QueryTimeout, Busy (no worker free in time) or
        WorkerFailed; NoCatalogError if nothing has been built.
        """
        if self._closed:
            raise WorkerFailed("the query pool is closed")
        self._ensure_started()
        worker = self._acquire(self.queue_timeout)
        started = time.monotonic()
        try:
            worker.conn.send(request)
            if not worker.conn.poll(timeout):
                self._replace(worker)
                raise QueryTimeout(
                    f"the query ran longer than its time limit of {timeout:g} s and was "
                    "stopped; add LIMIT, narrow the patterns, or ask for less",
                    limit=timeout,
                    seconds=round(time.monotonic() - started, 3),
                )
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            raise WorkerFailed(
                "the worker running this query stopped (it may have needed more memory than "
                "allowed); it has been replaced"
            ) from None
        self._release(worker)
        if status == "ok":
            assert isinstance(payload, QueryOutcome)
            return payload
        if status == "error":
            code, message, details = payload
            raise error_from(code, message, details)
        if status == "no-catalog":
            from .serving import NoCatalogError

            raise NoCatalogError(payload)
        raise WorkerFailed(f"the query failed inside the worker: {payload}")

    def stats(self) -> PoolStats:
        """Counts of workers, idle workers, starts and kills."""
        with self._lock:
            return PoolStats(
                workers=len(self._all),
                idle=len(self._idle),
                started=self._started,
                killed=self._killed,
                isolated=self._isolated,
            )

    def pids(self) -> list[int]:
        """Process ids of the live workers (tests check that a timed-out worker is replaced)."""
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]
