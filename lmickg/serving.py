"""The catalog as a server sees it: the current build, reopened when a new build switches in.

A long-running process (a WSGI worker, a SPARQL worker) holds a :class:`ServedCatalog` and asks
it for the :class:`Snapshot` to use for each request. Checking the ``current`` pointer costs one
``readlink``; when a build has switched in, the new store is opened read-only and per-build
artifacts (search index, precomputed analyses) are loaded again lazily through
:meth:`Snapshot.artifact`. A request keeps the snapshot it started with, so it never mixes
two builds.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from .store import OxigraphStore, StoreRoot

__all__ = ["NoCatalogError", "ServedCatalog", "Snapshot"]

T = TypeVar("T")


class NoCatalogError(FileNotFoundError):
    """Nothing has been built in the store root yet."""


@dataclass
class Snapshot:
    """One build, opened read-only: its store, manifest and lazily loaded artifacts."""

    build_id: str
    build_dir: Path
    store: OxigraphStore
    manifest: dict[str, Any]
    _artifacts: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def artifact(self, name: str, load: Callable[[Snapshot], T]) -> T:
        """The per-build artifact ``name``, loaded once by ``load(snapshot)``."""
        if name not in self._artifacts:
            with self._lock:
                if name not in self._artifacts:
                    self._artifacts[name] = load(self)
        return cast(T, self._artifacts[name])


class ServedCatalog:
    """Hands out the current build's snapshot, following the store root's pointer."""

    def __init__(self, root: str | Path) -> None:
        self.root = StoreRoot(root)
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The snapshot of the build being served now; NoCatalogError if none was built."""
        build_id = self.root.current_id()
        current = self._snapshot
        if current is not None and current.build_id == build_id:
            return current
        with self._lock:
            if self._snapshot is None or self._snapshot.build_id != build_id:
                self._snapshot = self._open(build_id)
            return self._snapshot

    def _open(self, build_id: str | None) -> Snapshot:
        if build_id is None:
            raise NoCatalogError(
                f"no catalog has been built in {self.root.root}; run `lmickg build`"
            )
        build_dir = self.root.builds / build_id
        try:
            store = OxigraphStore(build_dir / StoreRoot.OXIGRAPH, read_only=True)
            manifest = json.loads((build_dir / "manifest.json").read_text())
        except (OSError, ValueError) as error:
            raise NoCatalogError(f"build {build_id} cannot be opened: {error}") from error
        return Snapshot(build_id, build_dir, store, manifest)
