"""Finding catalog files, naming their graphs, and parse errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmickg.catalog import CatalogSyntaxError, discover, parse_file

from .conftest import FIXTURE_CATALOG, ONTOLOGY


def test_discover_names_graphs_by_directory_and_path() -> None:
    files = discover([FIXTURE_CATALOG, ONTOLOGY])
    graphs = {f.graph for f in files}
    assert "https://w3id.org/lmickg/graph/catalog/sources/alpha-survey.ttl" in graphs
    assert "https://w3id.org/lmickg/graph/ontology/vocab/gap-status.ttl" in graphs
    shapes = [f for f in files if f.is_shapes]
    assert shapes and all("/shapes/" in f.display for f in shapes)
    assert files == sorted(files)


def test_single_file_and_duplicate_graph_names(tmp_path: Path) -> None:
    one = discover([FIXTURE_CATALOG / "common.ttl"])
    assert [f.graph for f in one] == ["https://w3id.org/lmickg/graph/catalog/common.ttl"]
    other = tmp_path / "catalog"
    other.mkdir()
    (other / "common.ttl").write_text("")
    with pytest.raises(ValueError, match="would share graph"):
        discover([FIXTURE_CATALOG, other])


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('@prefix ex: <http://example.org/> .\nex:a ex:b "open .\n', 2),
        ("@prefix ex: <http://example.org/> .\n\n\nex:a undeclared:b ex:c .\n", 4),
        ("<http://example.org/a> <http://example.org/b> .\n", 1),
    ],
)
def test_syntax_errors_name_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "bad.ttl"
    path.write_text(text)
    [file] = discover([path])
    with pytest.raises(CatalogSyntaxError) as error:
        list(parse_file(file))
    assert error.value.line == line
    assert str(error.value).startswith(f"{file.display}:{line}")


def test_blank_nodes_are_renamed_per_parse(tmp_path: Path) -> None:
    path = tmp_path / "b.ttl"
    path.write_text("_:x <http://example.org/p> 1 .\n")
    [file] = discover([path])
    first, second = next(parse_file(file)), next(parse_file(file))
    assert first.subject != second.subject
