"""The lmickg command line through click's CliRunner: exit codes, output formats, messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import SH

from lmickg.catalog import discover
from lmickg.cli import main

from .conftest import FIXTURE_CATALOG, ONTOLOGY


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(FIXTURE_CATALOG, target)
    return target


def test_validate_conforming_catalog_exits_0(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", str(FIXTURE_CATALOG), str(ONTOLOGY)])
    assert result.exit_code == 0, result.output
    assert "0 violation(s), 9 warning(s)" in result.output
    # Results are grouped under the file that describes the focus node.
    assert "sources/gamma-outcomes.ttl\n  Warning: " in result.output


def test_validate_violation_exits_1_and_names_file_focus_path(
    runner: CliRunner, catalog: Path
) -> None:
    source = catalog / "sources" / "beta-vacancies.ttl"
    source.write_text(source.read_text().replace("freq:QUARTERLY ;", "freq:SOMETIMES ;", 1))
    result = runner.invoke(main, ["validate", str(catalog), str(ONTOLOGY)])
    assert result.exit_code == 1
    assert "sources/beta-vacancies.ttl" in result.output
    assert (
        "Violation: https://w3id.org/lmickg/id/source/beta-vacancies dct:accrualPeriodicity"
        in result.output
    )
    assert "EU frequency vocabulary" in result.output


def test_validate_json_and_turtle_formats(runner: CliRunner, catalog: Path) -> None:
    report = json.loads(
        runner.invoke(main, ["validate", str(catalog), str(ONTOLOGY), "--format", "json"]).output
    )
    assert report["conforms"] is True and report["warnings"] == 9
    [warning] = report["files"][next(f for f in report["files"] if f.endswith("common.ttl"))]
    assert warning["severity"] == "Warning" and warning["path"] == "skos:definition"

    turtle = runner.invoke(main, ["validate", str(catalog), str(ONTOLOGY), "--format", "turtle"])
    graph = Graph().parse(data=turtle.output, format="turtle")
    assert len(list(graph.subjects(SH.resultSeverity, SH.Warning))) == 9


def test_syntax_error_exits_2_with_file_and_line(runner: CliRunner, catalog: Path) -> None:
    gap = catalog / "gaps" / "on-reserve-data.ttl"
    lines = gap.read_text().splitlines()
    lines[44] = "gap:broken lmic:status ."  # an object is missing
    gap.write_text("\n".join(lines) + "\n")
    result = runner.invoke(main, ["validate", str(catalog), str(ONTOLOGY)])
    assert result.exit_code == 2
    assert "gaps/on-reserve-data.ttl:45" in result.output


def test_missing_path_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no such catalog file or directory" in result.output


def test_build_prints_summary_and_query_reads_it(runner: CliRunner, tmp_path: Path) -> None:
    store = tmp_path / "store"
    built = runner.invoke(
        main,
        [
            "build",
            "--catalog",
            str(FIXTURE_CATALOG),
            "--catalog",
            str(ONTOLOGY),
            "--store",
            str(store),
            "--workers",
            "1",
        ],
    )
    assert built.exit_code == 0, built.output
    files = len(discover([FIXTURE_CATALOG, ONTOLOGY]))
    assert f"files: {files}" in built.output and "lmic:Gap" in built.output
    assert "validate" in built.output and "peak RSS" in built.output

    query = "SELECT ?s WHERE { ?s a lmic:Gap } ORDER BY ?s"
    table = runner.invoke(main, ["query", query, "--store", str(store)])
    assert table.exit_code == 0
    assert "id/gap/local-job-vacancies" in table.output and "(2 rows)" in table.output

    as_json = json.loads(
        runner.invoke(main, ["query", query, "--store", str(store), "--format", "json"]).output
    )
    assert [b["s"]["value"] for b in as_json["results"]["bindings"]] == [
        "https://w3id.org/lmickg/id/gap/local-job-vacancies",
        "https://w3id.org/lmickg/id/gap/on-reserve-data",
    ]
    as_csv = runner.invoke(main, ["query", query, "--store", str(store), "--format", "csv"]).output
    assert as_csv.splitlines()[0] == "s" and len(as_csv.splitlines()) == 3

    ask = runner.invoke(main, ["query", "ASK { ?s a lmic:Report }", "--store", str(store)])
    assert ask.output.strip() == "true"

    bad = runner.invoke(main, ["query", "SELECT WHERE {", "--store", str(store)])
    assert bad.exit_code == 1 and "invalid query" in bad.output


def test_failed_build_keeps_previous_and_says_why(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    args = [
        "build",
        "--catalog",
        str(catalog),
        "--catalog",
        str(ONTOLOGY),
        "--store",
        str(store),
        "--workers",
        "1",
    ]
    assert runner.invoke(main, args).exit_code == 0
    current = (store / "current").readlink()
    source = catalog / "sources" / "alpha-survey.ttl"
    source.write_text(
        source.read_text().replace('"Alpha Labour Survey"@en', '"Alpha Labour Survey"@de')
    )
    failed = runner.invoke(main, args)
    assert failed.exit_code == 1
    assert "sources/alpha-survey.ttl" in failed.output
    assert "previous build is still serving" in failed.output
    assert (store / "current").readlink() == current


def test_query_without_build_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["query", "ASK {}", "--store", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert "lmickg build" in result.output


def test_environment_sets_defaults(runner: CliRunner, tmp_path: Path) -> None:
    env = {"LMICKG_CATALOG": f"{FIXTURE_CATALOG}:{ONTOLOGY}", "LMICKG_STORE": str(tmp_path / "s")}
    result = runner.invoke(main, ["build", "--workers", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "current").is_symlink()
