"""The endpoint's per-process machinery: settings, the query pool, the cache, the rate limiter."""

from __future__ import annotations

import atexit
import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from lmickg.query_pool import QueryPool
from lmickg.ratelimit import RateLimiter
from lmickg.result_cache import ResultCache

__all__ = ["Documents", "Endpoint", "Settings", "endpoint"]

EXTENSION = "lmickg_sparql"

#: Defaults for the app's config; each can be set as LMICKG_<NAME> in the environment.
DEFAULTS: dict[str, Any] = {
    "SPARQL_TIMEOUT": 10,
    "SPARQL_MAX_ROWS": 10_000,
    "SPARQL_HTML_MAX_ROWS": 1_000,
    "SPARQL_MAX_RESULT_MB": 64,
    "SPARQL_MAX_QUERY_BYTES": 100_000,
    "SPARQL_WORKERS": 2,
    "SPARQL_QUEUE_TIMEOUT": 10,
    "SPARQL_WORKER_MEMORY_MB": 4096,
    "SPARQL_SANDBOX": True,
    "SPARQL_RATE_PER_MINUTE": 60,
    "SPARQL_RATE_BURST": 30,
    "SPARQL_RATE_DB": None,
    "SPARQL_CACHE_MB": 64,
    "SPARQL_CACHE_MAX_AGE": 60,
}


@dataclass(frozen=True)
class Settings:
    """The endpoint's limits, read from the app config."""

    timeout: float
    max_rows: int
    html_max_rows: int
    max_result_bytes: int
    max_query_bytes: int
    workers: int
    queue_timeout: float
    worker_memory_mb: int | None
    sandbox: bool
    rate_per_minute: float
    rate_burst: float
    rate_db: str | None
    cache_bytes: int
    cache_max_age: int

    @classmethod
    def from_config(cls, config: dict[str, Any], store_root: str) -> Settings:
        """Read (and type-check) every SPARQL_* setting."""

        def get(name: str) -> Any:
            return config.get(name, DEFAULTS[name])

        rate_db = get("SPARQL_RATE_DB")
        if rate_db is None:
            # Shared by every process serving this store root, private to it.
            digest = hashlib.sha256(str(Path(store_root).resolve()).encode()).hexdigest()[:16]
            rate_db = str(Path(tempfile.gettempdir()) / f"lmickg-sparql-rate-{digest}.sqlite")
        return cls(
            timeout=float(get("SPARQL_TIMEOUT")),
            max_rows=int(get("SPARQL_MAX_ROWS")),
            html_max_rows=int(get("SPARQL_HTML_MAX_ROWS")),
            max_result_bytes=int(float(get("SPARQL_MAX_RESULT_MB")) * 2**20),
            max_query_bytes=int(get("SPARQL_MAX_QUERY_BYTES")),
            workers=int(get("SPARQL_WORKERS")),
            queue_timeout=float(get("SPARQL_QUEUE_TIMEOUT")),
            worker_memory_mb=int(get("SPARQL_WORKER_MEMORY_MB")) or None,
            sandbox=bool(get("SPARQL_SANDBOX")),
            rate_per_minute=float(get("SPARQL_RATE_PER_MINUTE") or 0),
            rate_burst=float(get("SPARQL_RATE_BURST")),
            rate_db=str(rate_db) if rate_db != ":memory:" else None,
            cache_bytes=int(float(get("SPARQL_CACHE_MB")) * 2**20),
            cache_max_age=int(get("SPARQL_CACHE_MAX_AGE")),
        )

    def limits(self) -> dict[str, object]:
        """The limits as published in the service description and the JSON view."""
        return {
            "timeout_seconds": self.timeout,
            "max_rows": self.max_rows,
            "html_max_rows": self.html_max_rows,
            "max_result_bytes": self.max_result_bytes,
            "max_query_bytes": self.max_query_bytes,
            "rate_per_minute": self.rate_per_minute or None,
            "rate_burst": self.rate_burst if self.rate_per_minute else None,
        }


class Endpoint:
    """Pool, cache and limiter of one server process (recreated in a forked child)."""

    def __init__(self, settings: Settings, store_root: str) -> None:
        self.settings = settings
        self.pool = QueryPool(
            store_root,
            workers=settings.workers,
            queue_timeout=settings.queue_timeout,
            memory_mb=settings.worker_memory_mb,
            sandbox=settings.sandbox,
        )
        self.cache = ResultCache(settings.cache_bytes)
        self.limiter = (
            RateLimiter(settings.rate_db, settings.rate_per_minute, settings.rate_burst)
            if settings.rate_per_minute > 0
            else None
        )
        # Per build, endpoint URL and format: service descriptions and VoID documents, bounded
        # because the URL comes from the Host header, which clients choose.
        self.documents = Documents(max_entries=32)
        self.pid = os.getpid()
        atexit.register(self.pool.close)


class Documents:
    """A small LRU of serialized documents: (body, media type) by key."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, ...], tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> tuple[bytes, str] | None:
        """The document for ``key``, or None."""
        with self._lock:
            document = self._entries.get(key)
            if document is not None:
                self._entries.move_to_end(key)
            return document

    def put(self, key: tuple[str, ...], document: tuple[bytes, str]) -> None:
        """Keep ``document``, forgetting the least recently used beyond the bound."""
        with self._lock:
            self._entries[key] = document
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


_lock = threading.Lock()


def endpoint(app: Flask) -> Endpoint:
    """This process's endpoint machinery for ``app`` (created on first use)."""
    current = app.extensions.get(EXTENSION)
    if current is not None and current.pid == os.getpid():
        return current  # type: ignore[no-any-return]
    with _lock:
        current = app.extensions.get(EXTENSION)
        if current is None or current.pid != os.getpid():
            settings = Settings.from_config(app.config, app.config["STORE_ROOT"])
            current = Endpoint(settings, app.config["STORE_ROOT"])
            app.extensions[EXTENSION] = current
        return current  # type: ignore[no-any-return]
