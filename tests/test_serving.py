"""A long-running reader follows the current pointer to new builds and keeps per-build artifacts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lmickg.build import build
from lmickg.serving import NoCatalogError, ServedCatalog

from .conftest import FIXTURE_CATALOG, ONTOLOGY


def test_snapshot_follows_new_builds(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(FIXTURE_CATALOG, catalog)
    served = ServedCatalog(tmp_path / "store")
    with pytest.raises(NoCatalogError):
        served.snapshot()
    first = build([catalog, ONTOLOGY], tmp_path / "store", workers=1)
    snapshot = served.snapshot()
    assert snapshot.build_id == first.build_id
    assert served.snapshot() is snapshot  # same build: same snapshot, no reopening
    loads: list[str] = []
    assert snapshot.artifact("n", lambda s: loads.append(s.build_id) or 1) == 1
    assert snapshot.artifact("n", lambda s: loads.append(s.build_id) or 2) == 1
    assert loads == [first.build_id]

    (catalog / "sources" / "delta-payroll.ttl").unlink()
    second = build([catalog, ONTOLOGY], tmp_path / "store", workers=1)
    fresh = served.snapshot()
    assert fresh.build_id == second.build_id
    assert fresh.manifest["build_id"] == second.build_id
    rows = fresh.store.select("SELECT (COUNT(?s) AS ?n) WHERE { ?s a dcat:Dataset }")
    assert int(rows.rows[0]["n"]) == 3  # type: ignore[call-overload]
    # The old snapshot still answers from its own build (a request never mixes builds).
    old = snapshot.store.select("SELECT (COUNT(?s) AS ?n) WHERE { ?s a dcat:Dataset }")
    assert int(old.rows[0]["n"]) == 4  # type: ignore[call-overload]
