"""The fixture build exists and the app reports it (a guard for every other test module)."""

from flask.testing import FlaskClient

from lmickg.store import OxigraphStore


def test_fixture_build_has_sources(fixture_store: OxigraphStore) -> None:
    rows = fixture_store.select("SELECT (COUNT(?s) AS ?n) WHERE { ?s a dcat:Dataset }")
    assert int(rows.rows[0]["n"]) == 4


def test_health_names_build(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json is not None and response.json["status"] == "ok"
