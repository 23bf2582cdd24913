"""Where things are: defaults, overridable by environment variables and CLI options.

``LMICKG_CATALOG``  catalog paths, separated by ``os.pathsep`` (default ``catalog_ttl:ontology``)
``LMICKG_STORE``    the store root holding builds (default ``var/store``)
``LMICKG_WORKERS``  processes used to validate and derive (default: one per CPU)
``LMICKG_TOMBSTONE_DAYS``  days a deleted data source's catalog record stays published as a
                   tombstone before a build purges it (default 90)
``LMICKG_DCAT_AP_SHAPES``  the DCAT-AP 3.0.1 SHACL shapes ``lmickg dcat-ap-report`` checks the
                   export against (default: the copy in ``tests/data/dcat-ap-3.0.1``)
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "catalog_paths",
    "dcat_ap_shapes",
    "store_root",
    "tombstone_retention_days",
    "workers",
]

DEFAULT_CATALOG = ("catalog_ttl", "ontology")
DEFAULT_STORE = "var/store"
DEFAULT_TOMBSTONE_DAYS = 90.0


def catalog_paths() -> list[Path]:
    """The catalog directories to build or validate when none are given."""
    value = os.environ.get("LMICKG_CATALOG")
    parts = value.split(os.pathsep) if value else list(DEFAULT_CATALOG)
    return [Path(p) for p in parts if p]


def store_root() -> Path:
    """The store root that builds go into and the server reads from."""
    return Path(os.environ.get("LMICKG_STORE") or DEFAULT_STORE)


def workers() -> int | None:
    """How many validation processes to use, or None for one per CPU."""
    value = os.environ.get("LMICKG_WORKERS")
    return int(value) if value else None


def tombstone_retention_days() -> float:
    """How long deleted records stay published as tombstones, in days."""
    value = os.environ.get("LMICKG_TOMBSTONE_DAYS")
    if not value:
        return DEFAULT_TOMBSTONE_DAYS
    days = float(value)
    if days < 0:
        raise ValueError(f"LMICKG_TOMBSTONE_DAYS must be zero or more, not {value!r}")
    return days


def dcat_ap_shapes() -> Path:
    """Where the official DCAT-AP 3.0.1 shapes are (kept with the tests, which need them too)."""
    value = os.environ.get("LMICKG_DCAT_AP_SHAPES")
    if value:
        return Path(value)
    return Path(__file__).resolve().parent.parent / "tests" / "data" / "dcat-ap-3.0.1"
