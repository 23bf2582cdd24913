"""The catalog as files: finding the Turtle files, naming their graphs, parsing them.

Curated content lives in Turtle files under one or more catalog directories (by default
``catalog_ttl/`` and ``ontology/``). Each file becomes one named graph, so every triple can be
traced back to the file it came from. Files under a directory called ``shapes`` are SHACL
shapes: they drive validation and are loaded into the store, but are not validated as data.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .namespaces import GRAPH_BASE

__all__ = [
    "CatalogFile",
    "CatalogSyntaxError",
    "discover",
    "parse_file",
]

RDF_SUFFIXES = (".ttl",)
SHAPES_DIR = "shapes"


class CatalogSyntaxError(ValueError):
    """A catalog file that is not valid Turtle, with the file and line the parser stopped at."""

    def __init__(self, file: str, line: int | None, column: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        where = f"{file}:{line}" if line else file
        if line and column:
            where += f":{column}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, order=True)
class CatalogFile:
    """One Turtle file of the catalog and the named graph it is loaded into."""

    display: str  # path as shown to people: relative to the working directory when possible
    path: Path
    graph: str
    is_shapes: bool

    def sha256(self) -> str:
        """The content hash, used to find what changed since the previous build."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(paths: Iterable[str | Path]) -> list[CatalogFile]:
    """Find the catalog files under ``paths`` (directories are searched recursively).

    Raises FileNotFoundError for a path that does not exist, and ValueError when two files would
    share a graph IRI (two catalog directories with the same name).
    """
    cwd = Path.cwd().resolve()
    found: dict[str, CatalogFile] = {}
    for given in paths:
        root = Path(given)
        if not root.exists():
            raise FileNotFoundError(f"no such catalog file or directory: {given}")
        # Resolve the root once; files below it are joined, not resolved one by one (100,000s).
        base = (root.parent if root.is_file() else root).resolve()
        relatives = [root.name] if root.is_file() else sorted(_walk(base))
        try:
            shown = base.relative_to(cwd)
        except ValueError:
            shown = base
        shown_prefix = f"{shown}{os.sep}" if str(shown) != "." else ""
        for relative in relatives:
            # Plain string operations: pathlib costs ~100 us per file, too much at 100,000 files.
            parts = relative.split(os.sep)[:-1]
            is_shapes = SHAPES_DIR in parts or (root.is_file() and base.name == SHAPES_DIR)
            graph = f"{GRAPH_BASE}{base.name}/{'/'.join(relative.split(os.sep))}"
            entry = CatalogFile(f"{shown_prefix}{relative}", base / relative, graph, is_shapes)
            other = found.get(graph)
            if other is not None and other.path != entry.path:
                raise ValueError(
                    f"{other.display} and {entry.display} would share graph {graph}; "
                    "catalog directories need distinct names"
                )
            found[graph] = entry
    return sorted(found.values())


def _walk(base: Path) -> Iterator[str]:
    """Relative paths of the RDF files below ``base`` (os.walk: much cheaper than Path.rglob)."""
    for directory, subdirectories, names in os.walk(base):
        subdirectories.sort()
        prefix = os.path.relpath(directory, base)
        for name in names:
            if name.endswith(RDF_SUFFIXES):
                yield name if prefix == "." else os.path.join(prefix, name)


def parse_file(file: CatalogFile) -> Iterator[ox.Triple]:
    """Parse one Turtle file; blank nodes are renamed so files never share one by accident.

    Raises CatalogSyntaxError naming the file and line on the first syntax error.
    """
    try:
        yield from ox.parse(
            path=str(file.path), format=ox.RdfFormat.TURTLE, rename_blank_nodes=True
        )
    except SyntaxError as error:
        line = error.lineno
        column = error.offset
        message = str(error.args[0]) if error.args else str(error)
        raise CatalogSyntaxError(file.display, line, column, message) from None
    except UnicodeDecodeError as error:
        raise CatalogSyntaxError(file.display, None, None, f"not UTF-8: {error}") from None
    except OSError as error:
        raise CatalogSyntaxError(file.display, None, None, f"unreadable: {error}") from None
