"""Derived artifacts: what a build computes from the validated graph besides the store.

A deriver takes a :class:`DeriveContext` (the new store, writable; its build directory; the
previous build's directory; what changed) and writes its artifact into the build directory,
returning a few numbers for the build summary. Derivers run in the order of :func:`derivers`,
inside the atomic build: if one fails, the build fails and the previous build keeps serving.
Readers load artifacts per build through :meth:`lmickg.serving.Snapshot.artifact`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .catalog import CatalogFile
from .store import OxigraphStore

__all__ = ["DeriveContext", "Deriver", "derivers"]


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

    return [
        ("void", derive_void),
        ("coverage", derive_coverage),
        ("lineage", derive_lineage),
        ("records", derive_records),
        ("sitemap", derive_sitemap),
        ("search", derive_search),
    ]
