"""The atomic build: what it loads, when it refuses to switch, and incremental rebuilds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lmickg.build import BuildError, build, validate_paths
from lmickg.catalog import CatalogSyntaxError, discover, parse_file
from lmickg.serving import ServedCatalog
from lmickg.store import StoreRoot

from .conftest import FIXTURE_CATALOG, ONTOLOGY

GAP_FILE = "gaps/local-job-vacancies.ttl"


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A writable copy of the fixture catalog."""
    target = tmp_path / "catalog"
    shutil.copytree(FIXTURE_CATALOG, target)
    return target


def _count(root: Path, query: str) -> int:
    rows = StoreRoot(root).open_current().select(query)
    return int(rows.rows[0]["n"])  # type: ignore[call-overload]


def test_build_loads_one_named_graph_per_file(catalog: Path, tmp_path: Path) -> None:
    root = tmp_path / "store"
    result = build([catalog, ONTOLOGY], root, workers=1)
    store = StoreRoot(root).open_current()
    graphs = store.graphs()
    assert "https://w3id.org/lmickg/graph/catalog/sources/alpha-survey.ttl" in graphs
    assert "https://w3id.org/lmickg/graph/ontology/lmic.ttl" in graphs
    assert len(graphs) == result.files
    # Every triple of a source file is in that file's graph, and nowhere else.
    in_graph = store.select(
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/lmickg/graph/catalog/"
        "sources/beta-vacancies.ttl> { ?s ?p ?o } }"
    )
    source = next(f for f in discover([catalog]) if f.display.endswith("beta-vacancies.ttl"))
    assert int(in_graph.rows[0]["n"]) == sum(1 for _ in parse_file(source))  # type: ignore[call-overload]
    assert store.triple_count() == result.triples
    assert result.entities["dcat:Dataset"] == 4
    assert result.entities["lmic:Gap"] == 2
    assert not result.report.violations
    assert "time per phase" in result.summary()


def test_summary_counts_entities_and_phases(built_store: Path) -> None:
    manifest = StoreRoot(built_store).current_dir()
    assert manifest is not None and (manifest / "manifest.json").exists()


def test_syntax_error_names_file_and_line_and_keeps_previous_build(
    catalog: Path, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    first = build([catalog, ONTOLOGY], root, workers=1)
    broken = catalog / "sources" / "alpha-survey.ttl"
    lines = broken.read_text().splitlines()
    lines[45] = lines[45] + ' "unterminated'
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(CatalogSyntaxError) as error:
        build([catalog, ONTOLOGY], root, workers=1)
    assert error.value.file.endswith("sources/alpha-survey.ttl")
    assert error.value.line is not None and error.value.line >= 46
    assert StoreRoot(root).current_id() == first.build_id
    assert len(list((root / "builds").iterdir())) == 1  # the failed build left nothing behind
    assert _count(root, "SELECT (COUNT(?s) AS ?n) WHERE { ?s a dcat:Dataset }") == 4


def test_violation_keeps_previous_build_serving(catalog: Path, tmp_path: Path) -> None:
    root = tmp_path / "store"
    first = build([catalog, ONTOLOGY], root, workers=1)
    served = ServedCatalog(root)
    assert served.snapshot().build_id == first.build_id
    # A gap that cites no report breaks "a gap cites at least one report".
    gap = catalog / "gaps" / "on-reserve-data.ttl"
    gap.write_text(gap.read_text().replace("lmic:identifiedIn report:audit-2014 ;", ""))
    with pytest.raises(BuildError) as error:
        build([catalog, ONTOLOGY], root, workers=1)
    report = error.value.report
    assert report is not None
    [violation] = report.violations
    assert violation.file is not None and violation.file.endswith("gaps/on-reserve-data.ttl")
    assert violation.focus == "https://w3id.org/lmickg/id/gap/on-reserve-data"
    assert violation.path == "lmic:identifiedIn"
    assert StoreRoot(root).current_id() == first.build_id
    assert served.snapshot().build_id == first.build_id


def test_incremental_build_reloads_only_changed_files(catalog: Path, tmp_path: Path) -> None:
    root = tmp_path / "store"
    build([catalog, ONTOLOGY], root, workers=1)
    source = catalog / "sources" / "delta-payroll.ttl"
    source.write_text(source.read_text().replace("Delta Payroll Statistics", "Delta Payroll Data"))
    second = build([catalog, ONTOLOGY], root, workers=1)
    assert second.incremental
    assert len(second.changed_files) == 1
    assert second.changed_files[0].endswith("sources/delta-payroll.ttl")
    titles = (
        StoreRoot(root)
        .open_current()
        .select(
            "SELECT ?t WHERE { <https://w3id.org/lmickg/id/source/delta-payroll> dct:title ?t "
            "FILTER(lang(?t) = 'en') }"
        )
    )
    assert [str(r["t"]) for r in titles] == ["Delta Payroll Data"]
    # Warnings of untouched files are carried over from the previous build.
    assert len(second.report.warnings) == 9


def test_incremental_build_revalidates_files_pointing_at_a_removed_entity(
    catalog: Path, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    first = build([catalog, ONTOLOGY], root, workers=1)
    # Remove the 2014 audit: both gaps still cite it, so their files must be re-validated.
    reports = catalog / "reports" / "reports.ttl"
    text = reports.read_text()
    start = text.index("report:audit-2014 a lmic:Report")
    end = text.index("report:lmic-operational-plan-2018")
    reports.write_text(text[:start] + text[end:])
    with pytest.raises(BuildError) as error:
        build([catalog, ONTOLOGY], root, workers=1)
    report = error.value.report
    assert report is not None
    files = {v.file.rsplit("/", 1)[-1] for v in report.violations if v.file}
    assert {"local-job-vacancies.ttl", "on-reserve-data.ttl"} <= files
    assert StoreRoot(root).current_id() == first.build_id


def test_incremental_and_full_builds_agree(catalog: Path, tmp_path: Path) -> None:
    root = tmp_path / "store"
    build([catalog, ONTOLOGY], root, workers=1)
    source = catalog / "sources" / "gamma-outcomes.ttl"
    source.write_text(
        source.read_text().replace(
            'dct:description "Annual linked records on graduates\' earnings."@en ;',
            'dct:description "Annual linked records on graduates\' earnings."@en , '
            '"Dossiers liés annuels sur la rémunération des diplômés."@fr ;',
        )
    )
    incremental = build([catalog, ONTOLOGY], root, workers=1)
    full = build([catalog, ONTOLOGY], tmp_path / "other", workers=1, incremental=False)
    assert incremental.incremental and not full.incremental
    assert sorted(incremental.report.results, key=lambda r: r.sort_key()) == sorted(
        full.report.results, key=lambda r: r.sort_key()
    )
    assert incremental.triples == full.triples


def test_removed_file_drops_its_graph(catalog: Path, tmp_path: Path) -> None:
    root = tmp_path / "store"
    build([catalog, ONTOLOGY], root, workers=1)
    (catalog / "sources" / "delta-payroll.ttl").unlink()
    result = build([catalog, ONTOLOGY], root, workers=1)
    assert result.incremental
    assert _count(root, "SELECT (COUNT(?s) AS ?n) WHERE { ?s a dcat:Dataset }") == 3
    graphs = StoreRoot(root).open_current().graphs()
    assert not any(g.endswith("sources/delta-payroll.ttl") for g in graphs)


def test_shape_change_forces_full_revalidation(catalog: Path, tmp_path: Path) -> None:
    root = tmp_path / "store"
    shapes_copy = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, shapes_copy)
    build([catalog, shapes_copy], root, workers=1)
    extra = shapes_copy / "shapes" / "extra.ttl"
    extra.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
        "<https://example.org/shape> a sh:NodeShape ; sh:targetClass dcat:Dataset ;\n"
        "  sh:property [ sh:path dcat:contactPoint ; sh:minCount 1 ] .\n"
    )
    with pytest.raises(BuildError) as error:
        build([catalog, shapes_copy], root, workers=1)
    assert error.value.report is not None
    assert len(error.value.report.violations) == 4  # every dcat:Dataset (not the data service)


def test_build_without_data_files_fails(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BuildError, match="no Turtle files"):
        build([empty], tmp_path / "store")


def test_parallel_validation_matches_serial(tmp_path: Path) -> None:
    from benchmarks.synthetic import generate

    catalog = tmp_path / "synthetic"
    generate(300, catalog, seed=7)
    # Break two sources in different chunks, then validate with 1 and with 2 workers.
    for name in ("s0000003.ttl", "s0000250.ttl"):
        path = next(catalog.rglob(name))
        path.write_text(
            path.read_text().replace("dct:publisher org:", "dct:creator org:", 1), "utf-8"
        )
    serial = validate_paths([catalog, ONTOLOGY], workers=1)
    from lmickg import validation

    old = validation.PARALLEL_MIN_TRIPLES, validation.CHUNK_TRIPLES
    validation.PARALLEL_MIN_TRIPLES, validation.CHUNK_TRIPLES = 1, 2_000
    try:
        parallel = validate_paths([catalog, ONTOLOGY], workers=2)
    finally:
        validation.PARALLEL_MIN_TRIPLES, validation.CHUNK_TRIPLES = old
    assert serial.results == parallel.results
    assert {v.focus.rsplit("/", 1)[-1] for v in serial.violations} >= {"s0000003", "s0000250"}


def _artifacts(build_dir: Path) -> dict[str, bytes]:
    """Every derived file of a build (not the store, manifest or validation report)."""
    skip = {"oxigraph", "manifest.json", "validation.json"}
    return {
        str(path.relative_to(build_dir)): path.read_bytes()
        for path in sorted(build_dir.rglob("*"))
        if path.is_file()
        and path.relative_to(build_dir).parts[0] not in skip
        and path.suffix != ".sqlite"
    }


def _records(build_dir: Path) -> list[list[str]]:
    """The record table without its clock stamps (two builds never share a microsecond)."""
    lines = (build_dir / "records.tsv").read_text().splitlines()
    return [line.split("\t")[:3] for line in lines]


def test_parallel_derivers_write_what_serial_ones_do(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = build([catalog, ONTOLOGY], tmp_path / "serial", workers=1)
    from lmickg import derived

    monkeypatch.setattr(derived, "PARALLEL_TRIPLES", 1)
    parallel = build([catalog, ONTOLOGY], tmp_path / "parallel", workers=2)

    def without_times(summaries: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
        return {n: {k: v for k, v in s.items() if k != "seconds"} for n, s in summaries.items()}

    assert list(parallel.derived) == list(serial.derived)
    assert without_times(parallel.derived) == without_times(serial.derived)
    serial_dir = StoreRoot(tmp_path / "serial").current_dir()
    parallel_dir = StoreRoot(tmp_path / "parallel").current_dir()
    assert serial_dir is not None and parallel_dir is not None
    serial_files = _artifacts(serial_dir)
    assert {"records.json", "records.tsv", "void.json"} <= set(serial_files)
    for stamped in ("records.json", "records.tsv"):
        del serial_files[stamped]
    parallel_files = _artifacts(parallel_dir)
    assert {name: parallel_files[name] for name in serial_files} == serial_files
    assert _records(parallel_dir) == _records(serial_dir) and _records(serial_dir)


def test_a_failing_deriver_worker_is_reported_with_its_traceback(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lmickg import derived
    from lmickg.store import OxigraphStore

    root = StoreRoot(tmp_path / "store")
    build([catalog, ONTOLOGY], root.root, workers=1)
    built = root.current_dir()
    assert built is not None
    files = discover([catalog, ONTOLOGY])
    # The records deriver reads descriptions from the catalog files: one is gone.
    (catalog / GAP_FILE).unlink()
    out = tmp_path / "out"
    out.mkdir()
    store = OxigraphStore(built / StoreRoot.OXIGRAPH)
    context = derived.DeriveContext(store, out, None, files, None)
    monkeypatch.setattr(derived, "PARALLEL_TRIPLES", 1)
    with pytest.raises(derived.DeriverError) as error:
        derived.run_derivers(context, 2)
    message = str(error.value)
    assert message.startswith("deriver 'records' failed (exit 1)")
    assert "local-job-vacancies.ttl" in message, message


def test_a_script_without_a_main_guard_builds_once(tmp_path: Path) -> None:
    """Derivers run in fresh interpreters, so the caller's script is not re-run in them."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "from lmickg import derived\n"
        "from lmickg.build import build\n"
        "derived.PARALLEL_TRIPLES = 1\n"
        "print('script body', flush=True)\n"
        f"result = build([{str(FIXTURE_CATALOG)!r}, {str(ONTOLOGY)!r}], "
        f"{str(tmp_path / 'store')!r}, workers=2)\n"
        "print('built', sorted(result.derived), flush=True)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("script body") == 1
    assert "built ['coverage', 'lineage', 'records', 'search', 'sitemap', 'void']" in done.stdout
