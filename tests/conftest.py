"""Shared fixtures: a small fixed test catalog built once per session, the app, its clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from lmickg.build import build
from lmickg.store import OxigraphStore, StoreRoot
from webapp import create_app

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
#: A small invented catalog with known answers (tests/data/catalog/*.ttl). Never the curated
#: catalog_ttl/, which will keep changing.
FIXTURE_CATALOG = Path(__file__).resolve().parent / "data" / "catalog"
#: Extra invented records for the gap-analysis tests, built together with the fixture catalog.
ANALYSIS_DATA = Path(__file__).resolve().parent / "data" / "analysis"


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store root holding one build of the fixture catalog (read-only for tests)."""
    root = tmp_path_factory.mktemp("store")
    build([FIXTURE_CATALOG, ONTOLOGY], root, workers=1)
    return root


@pytest.fixture(scope="session")
def fixture_store(built_store: Path) -> Iterator[OxigraphStore]:
    """The fixture build's store, opened read-only."""
    yield StoreRoot(built_store).open_current()


@pytest.fixture(scope="session")
def analysis_built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store root with the fixture catalog plus tests/data/analysis/ (gap-analysis tests)."""
    root = tmp_path_factory.mktemp("analysis-store")
    build([FIXTURE_CATALOG, ANALYSIS_DATA, ONTOLOGY], root, workers=1)
    return root


@pytest.fixture(scope="session")
def analysis_store(analysis_built_store: Path) -> Iterator[OxigraphStore]:
    """The analysis build's store, opened read-only."""
    yield StoreRoot(analysis_built_store).open_current()


@pytest.fixture
def app(built_store: Path) -> Iterator[Flask]:
    """The web app serving the fixture build (its SPARQL workers stop after the test)."""
    app = create_app(
        {
            "STORE_ROOT": str(built_store),
            "TESTING": True,
            # One query worker and a per-app rate budget keep tests light and independent.
            "SPARQL_WORKERS": 1,
            "SPARQL_RATE_DB": ":memory:",
        }
    )
    yield app
    endpoint = app.extensions.get("lmickg_sparql")
    if endpoint is not None:
        endpoint.pool.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A Flask test client for ``app``."""
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    """A click runner for the ``lmickg`` CLI."""
    return CliRunner()


# --- Linked data: the fixture catalog plus the catalog's own description --------------------

#: The dcat:Catalog description (curated) and, for the fixture, the publisher it names.
CATALOG_DESCRIPTION = ROOT / "catalog_ttl" / "catalog.ttl"
LINKED_DATA_EXTRA = Path(__file__).resolve().parent / "data" / "linkeddata"
LINKED_DATA_CATALOG = [FIXTURE_CATALOG, ONTOLOGY, CATALOG_DESCRIPTION, LINKED_DATA_EXTRA]


@pytest.fixture(scope="session")
def ld_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store root with one build of the fixture catalog and the catalog description."""
    root = tmp_path_factory.mktemp("ld-store")
    build(LINKED_DATA_CATALOG, root, workers=1)
    return root


@pytest.fixture
def ld_app(ld_store: Path) -> Flask:
    """The web app serving ``ld_store``, with a known page-token secret."""
    return create_app(
        {"STORE_ROOT": str(ld_store), "TESTING": True, "PAGE_TOKEN_SECRET": "test-secret"}
    )


@pytest.fixture
def ld_client(ld_app: Flask) -> FlaskClient:
    """A Flask test client for ``ld_app``."""
    return ld_app.test_client()
