"""``lmickg query NAME --param …`` and ``lmickg lineage``: same rows as the web, clear errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import networkx as nx
from click.testing import CliRunner
from flask.testing import FlaskClient

from lmickg.cli import main

ID = "https://w3id.org/lmickg/id/"


def test_list_names_every_question(runner: CliRunner, built_store: Path) -> None:
    result = runner.invoke(main, ["query", "--list", "--lang", "fr"])
    assert result.exit_code == 0
    assert "coverage-matrix" in result.output and "restricted-only" in result.output
    assert "Matrice de couverture" in result.output
    assert "--param frequency=any --param access=any" in result.output


def test_cli_csv_and_json_equal_the_web(
    runner: CliRunner, built_store: Path, client: FlaskClient
) -> None:
    for name, params in [
        ("coverage-matrix", ["frequency=weekly"]),
        ("documented-gaps", ["status=open"]),
        ("stale-sources", ["asOf=2026-12-03", "grace=3"]),
        ("can-i-answer", ["variable=job-vacancies", "level=economic-region"]),
    ]:
        args = ["query", name, "--store", str(built_store)]
        for param in params:
            args += ["--param", param]
        query_string = "&".join(params)
        as_csv = runner.invoke(main, [*args, "--format", "csv"])
        assert as_csv.exit_code == 0, as_csv.output
        web_csv = client.get(f"/en/questions/{name}.csv?{query_string}").get_data()
        assert as_csv.stdout_bytes == web_csv
        as_json = runner.invoke(main, [*args, "--format", "json"])
        assert as_json.exit_code == 0, as_json.output
        web_json = client.get(f"/en/questions/{name}.json?{query_string}").get_json()
        assert json.loads(as_json.output) == web_json


def test_table_shows_labels(runner: CliRunner, built_store: Path) -> None:
    result = runner.invoke(
        main,
        ["query", "can-i-answer", "--param", "variable=job-vacancies", "--store", str(built_store)],
    )
    assert result.exit_code == 0
    assert "Beta Vacancy Survey" in result.output
    assert "(3 rows)" in result.output


def test_bad_parameter_exits_2_with_allowed_values(runner: CliRunner, built_store: Path) -> None:
    result = runner.invoke(
        main,
        ["query", "coverage-matrix", "--param", "access=secret", "--store", str(built_store)],
    )
    assert result.exit_code == 2
    assert "allowed: any, public, restricted, non-public" in result.output
    malformed = runner.invoke(
        main, ["query", "coverage-matrix", "--param", "access", "--store", str(built_store)]
    )
    assert malformed.exit_code == 2 and "NAME=VALUE" in malformed.output


def test_unknown_question_exits_2_listing_them(runner: CliRunner, built_store: Path) -> None:
    result = runner.invoke(main, ["query", "coverage-matrixx", "--store", str(built_store)])
    assert result.exit_code == 2
    assert "no named question 'coverage-matrixx'" in result.output
    assert "coverage-matrix" in result.output


def test_sparql_text_and_rq_files_still_work(
    runner: CliRunner, built_store: Path, tmp_path: Path
) -> None:
    text = runner.invoke(
        main,
        [
            "query",
            "SELECT (COUNT(?s) AS ?n) WHERE { ?s a <http://www.w3.org/ns/dcat#Dataset> }",
            "--store",
            str(built_store),
            "--format",
            "csv",
        ],
    )
    assert text.exit_code == 0 and text.output.splitlines() == ["n", "4"]
    plain = tmp_path / "plain.rq"
    plain.write_text("SELECT ?g WHERE { ?g a <https://w3id.org/lmickg/ns#Gap> } ORDER BY ?g")
    result = runner.invoke(main, ["query", str(plain), "--store", str(built_store)])
    assert result.exit_code == 0 and "(2 rows)" in result.output
    refused = runner.invoke(
        main, ["query", str(plain), "--param", "x=1", "--store", str(built_store)]
    )
    assert refused.exit_code == 2 and "only to named questions" in refused.output
    headed = tmp_path / "headed.rq"
    headed.write_text(
        "#+ title: Gaps\n#+ title@fr: Lacunes\n#+ description: D\n#+ description@fr: D\n"
        "#+ param: kind | Kind | Type\n#+   type: iri\n#+   default: gap\n"
        "#+   value: gap = lmic:Gap\n#+   value: report = lmic:Report\n"
        "SELECT ?thing ?kind WHERE { ?thing a ?kind } ORDER BY ?thing\n"
    )
    reports = runner.invoke(
        main,
        [
            "query",
            str(headed),
            "--param",
            "kind=report",
            "--store",
            str(built_store),
            "--format",
            "csv",
        ],
    )
    assert reports.exit_code == 0, reports.output
    assert len(reports.output.splitlines()) == 1 + 3


def test_lineage_text_json_graphml(
    runner: CliRunner, built_store: Path, client: FlaskClient
) -> None:
    text = runner.invoke(main, ["lineage", "local-job-vacancies", "--store", str(built_store)])
    assert text.exit_code == 0
    lines = text.output.splitlines()
    assert lines[0] == "Local job vacancies by occupation"
    assert any(
        "2011-03" in line and "partly closed" in line and "Vacancy questions" in line
        for line in lines
    )
    as_json = runner.invoke(
        main,
        [
            "lineage",
            f"{ID}gap/local-job-vacancies",
            "--format",
            "json",
            "--store",
            str(built_store),
        ],
    )
    assert (
        json.loads(as_json.output) == client.get("/en/lineage/local-job-vacancies.json").get_json()
    )
    as_graphml = runner.invoke(
        main,
        ["lineage", "gap/local-job-vacancies", "--format", "graphml", "--store", str(built_store)],
    )
    graph = nx.read_graphml(io.BytesIO(as_graphml.output.encode()))
    assert graph.has_edge(f"{ID}report/audit-2014", f"{ID}gap/local-job-vacancies")


def test_lineage_overview_and_unknown_gap(runner: CliRunner, built_store: Path) -> None:
    overview = runner.invoke(
        main, ["lineage", "--as-of", "2026-12-03", "--store", str(built_store)]
    )
    assert overview.exit_code == 0
    assert "Longest-open gaps:" in overview.output
    assert "12.9 y  Labour market data for Indigenous peoples on reserve (open)" in overview.output
    unknown = runner.invoke(main, ["lineage", "nothing", "--store", str(built_store)])
    assert unknown.exit_code == 2
    assert "gaps: local-job-vacancies, on-reserve-data" in unknown.output
