"""The atomic catalog build: parse, load, validate, derive indexes, then switch.

A build never touches the catalog being served. It writes a new build directory under the
store root, and only when every phase succeeded does it switch the ``current`` pointer to it
(:meth:`lmickg.store.StoreRoot.switch`). A syntax error, a SHACL violation or a crash leaves the
previous build serving, and the error says why (file and line, or file, focus node and shape).

When a previous build exists and the shapes did not change, the build is *incremental*: the
previous store is copied with hard links, only changed files are reloaded, and only the files
whose validity can have changed are re-validated (the changed ones, files that describe the
same subjects, and files pointing at subjects whose types changed). Everything else keeps
its previous validation results.

Derived artifacts (search index, record history, precomputed analyses) are built by the
functions listed in :func:`lmickg.derived.derivers`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .catalog import CatalogFile, CatalogSyntaxError, discover, parse_file
from .derived import DeriveContext, run_derivers
from .namespaces import BASE_IRI
from .store import OxigraphStore, StoreRoot, bound, solutions
from .timing import PhaseClock
from .validation import (
    StoreContext,
    ValidationReport,
    load_shapes,
    report_from_json,
    validate_files,
)

__all__ = [
    "BuildError",
    "BuildResult",
    "build",
    "load_files",
    "validate_paths",
]

MANIFEST = "manifest.json"
VALIDATION = "validation.json"
#: Above this share of changed files a full build is as cheap as an incremental one.
INCREMENTAL_MAX_SHARE = 0.25


class BuildError(Exception):
    """A build that did not switch; ``report`` holds validation results when that was why."""

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class BuildResult:
    """What a build did: counts, validation results and time per phase."""

    build_id: str
    build_dir: Path
    files: int
    triples: int
    entities: dict[str, int]
    report: ValidationReport
    clock: PhaseClock
    incremental: bool
    changed_files: list[str] = field(default_factory=list)
    derived: dict[str, dict[str, object]] = field(default_factory=dict)

    def summary(self) -> str:
        """The human-readable build summary the CLI prints."""
        mode = "incremental" if self.incremental else "full"
        lines = [
            f"build {self.build_id} ({mode}) is now serving from {self.build_dir}",
            f"  files: {self.files}   triples: {self.triples:,}",
        ]
        if self.incremental:
            changed = ", ".join(self.changed_files[:5]) or "none"
            more = f" and {len(self.changed_files) - 5} more" if len(self.changed_files) > 5 else ""
            lines.append(f"  changed files: {len(self.changed_files)} ({changed}{more})")
        lines.append(
            f"  validation: {len(self.report.violations)} violation(s), "
            f"{len(self.report.warnings)} warning(s)"
        )
        lines.append("  entities per class:")
        for name, count in sorted(self.entities.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {count:>9,}  {name}")
        lines.append("  time per phase:")
        for phase in self.clock.phases:
            lines.append(
                f"    {phase.name:<10} {phase.seconds:8.2f} s   peak RSS {phase.peak_rss_mb:8.1f} MiB"
            )
        lines.append(f"    {'total':<10} {self.clock.total():8.2f} s")
        return "\n".join(lines)


def _new_build_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _read_manifest(build_dir: Path | None) -> dict[str, Any] | None:
    if build_dir is None:
        return None
    try:
        return dict(json.loads((build_dir / MANIFEST).read_text()))
    except (OSError, ValueError):
        return None


def load_files(files: Sequence[CatalogFile], store: OxigraphStore) -> dict[str, int]:
    """Bulk-load every file into its own named graph; return triples per graph.

    Raises CatalogSyntaxError on the first unparsable file; the store is then incomplete and
    must be thrown away (builds always load into a fresh directory).
    """
    counts: dict[str, int] = {}

    def quads() -> Iterator[ox.Quad]:
        for file in files:
            graph = ox.NamedNode(file.graph)
            n = 0
            for triple in parse_file(file):
                n += 1
                yield ox.Quad(triple.subject, triple.predicate, triple.object, graph)
            counts[file.graph] = n

    store.bulk_add(quads())
    store.flush()
    return counts


def _entity_counts(store: OxigraphStore) -> dict[str, int]:
    rows = store.select(
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class"
    )
    counts: dict[str, int] = {}
    for row in rows:
        counts[_qname(str(row["class"]))] = int(row["n"])  # type: ignore[call-overload]
    return counts


def _qname(iri: str) -> str:
    from .namespaces import PREFIXES

    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best = namespace
            name = f"{prefix}:{iri[len(namespace) :]}"
    return name if best else iri


def _shapes_signature(files: Sequence[CatalogFile], hashes: dict[str, str]) -> str:
    return ",".join(hashes[f.graph] for f in files if f.is_shapes)


def _subjects_of(store: ox.Store, graphs: set[str]) -> set[str]:
    subjects: set[str] = set()
    for graph in graphs:
        rows = solutions(
            store,
            f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}",
        )
        subjects.update(bound(row, "s").value for row in rows)
    return subjects


def _types_of(store: ox.Store, subjects: set[str]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {s: set() for s in subjects}
    ordered = sorted(subjects)
    for start in range(0, len(ordered), 400):
        values = " ".join(f"<{s}>" for s in ordered[start : start + 400])
        rows = solutions(
            store, f"SELECT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s a ?t }}", union=True
        )
        for row in rows:
            found[bound(row, "s").value].add(bound(row, "t").value)
    return {s: frozenset(t) for s, t in found.items()}


def _graphs_mentioning(store: ox.Store, iris: set[str], *, as_subject: bool) -> set[str]:
    graphs: set[str] = set()
    ordered = sorted(iris)
    pattern = "?x ?p ?o" if as_subject else "?s ?p ?x"
    for start in range(0, len(ordered), 400):
        values = " ".join(f"<{s}>" for s in ordered[start : start + 400])
        rows = solutions(
            store,
            f"SELECT DISTINCT ?g WHERE {{ VALUES ?x {{ {values} }} GRAPH ?g {{ {pattern} }} }}",
        )
        graphs.update(bound(row, "g").value for row in rows)
    return graphs


def build(
    paths: Sequence[str | Path],
    store_root: str | Path,
    *,
    workers: int | None = None,
    incremental: bool = True,
    keep: int = 3,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the catalog in ``paths`` into a new build under ``store_root`` and switch to it.

    Raises CatalogSyntaxError (file:line) or BuildError (validation violations, no files);
    in both cases the previous build keeps serving.
    """
    say = log or (lambda _message: None)
    root = StoreRoot(store_root)
    clock = PhaseClock()
    build_id = _new_build_id()
    build_dir: Path | None = None
    try:
        with clock.phase("discover"):
            files = discover(paths)
            if not any(not f.is_shapes for f in files):
                raise BuildError(f"no Turtle files found in {', '.join(map(str, paths))}")
            hashes = {f.graph: f.sha256() for f in files}
            previous_dir = root.current_dir()
            previous = _read_manifest(previous_dir) if incremental else None
            old_files: dict[str, dict[str, Any]] = previous.get("files", {}) if previous else {}
            old_hash = {str(v["graph"]): str(v["sha256"]) for v in old_files.values()}
            changed = {g for g, h in hashes.items() if old_hash.get(g) != h}
            removed = set(old_hash) - set(hashes)
            use_incremental = (
                previous is not None
                and previous.get("shapes") == _shapes_signature(files, hashes)
                and (len(changed) + len(removed)) <= INCREMENTAL_MAX_SHARE * max(len(files), 1)
            )
            build_dir = root.new_build_dir(build_id)
        store_dir = build_dir / StoreRoot.OXIGRAPH
        shapes_files = [f for f in files if f.is_shapes]

        if use_incremental:
            assert previous_dir is not None and previous is not None
            say(f"incremental build: {len(changed)} changed, {len(removed)} removed file(s)")
            with clock.phase("parse"):
                # Parse changed files first, so a syntax error stops the build before any copy.
                by_graph = {f.graph: f for f in files}
                parsed = {g: list(parse_file(by_graph[g])) for g in sorted(changed)}
            with clock.phase("load"):
                old_store = OxigraphStore(previous_dir / StoreRoot.OXIGRAPH, read_only=True)
                old_store.backup(store_dir)
                store = OxigraphStore(store_dir)
                native = store.native
                for gone_graph in removed:
                    native.remove_graph(ox.NamedNode(gone_graph))
                for graph, triples in parsed.items():
                    graph_node = ox.NamedNode(graph)
                    native.remove_graph(graph_node)
                    native.extend(
                        ox.Quad(t.subject, t.predicate, t.object, graph_node) for t in triples
                    )
                store.flush()
                counts = {str(v["graph"]): int(v["triples"]) for v in old_files.values()}
                for gone_graph in removed:
                    counts.pop(gone_graph, None)
                counts.update({g: len(t) for g, t in parsed.items()})
            with clock.phase("validate"):
                touched = changed | removed
                old_subjects = _subjects_of(old_store.native, touched & set(old_hash))
                new_subjects = _subjects_of(native, changed)
                subjects = old_subjects | new_subjects
                old_types = _types_of(old_store.native, subjects)
                new_types = _types_of(native, subjects)
                retyped = {s for s in subjects if old_types.get(s) != new_types.get(s)}
                affected = set(changed)
                affected |= _graphs_mentioning(native, subjects, as_subject=True)
                if retyped:
                    affected |= _graphs_mentioning(native, retyped, as_subject=False)
                affected -= removed
                del old_store
                shapes = load_shapes(shapes_files)
                to_check = [f for f in files if f.graph in affected and not f.is_shapes]
                fresh = validate_files(
                    to_check, shapes, StoreContext(store=native), triple_counts=counts, workers=1
                )
                previous_report = report_from_json(
                    json.loads((previous_dir / VALIDATION).read_text())
                )
                gone = {f.display for f in to_check} | {
                    str(k) for k, v in old_files.items() if str(v["graph"]) in removed
                }
                kept = [r for r in previous_report.results if r.file not in gone]
                data_files = sum(1 for f in files if not f.is_shapes)
                report = ValidationReport(kept + fresh.results, data_files)
                say(f"re-validated {len(to_check)} file(s)")
            changed_graphs: set[str] | None = changed | removed
        else:
            with clock.phase("parse+load"):
                store = OxigraphStore(store_dir)
                counts = load_files(files, store)
            with clock.phase("validate"):
                shapes = load_shapes(shapes_files)
                report = validate_files(
                    files,
                    shapes,
                    StoreContext(store_dir),
                    triple_counts=counts,
                    workers=workers,
                )
            changed_graphs = None

        if not report.conforms:
            raise BuildError(
                f"validation failed: {len(report.violations)} violation(s); "
                "the previous build is still serving",
                report,
            )

        derived: dict[str, dict[str, object]] = {}
        with clock.phase("index"):
            context = DeriveContext(store, build_dir, previous_dir, list(files), changed_graphs)
            derived = run_derivers(context, workers or os.cpu_count() or 1)
            entities = _entity_counts(store)
            store.flush()

        manifest = {
            "build_id": build_id,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "base_iri": BASE_IRI,
            "catalog": [str(p) for p in paths],
            "incremental": use_incremental,
            "shapes": _shapes_signature(files, hashes),
            "files": {
                f.display: {
                    "graph": f.graph,
                    "sha256": hashes[f.graph],
                    "triples": counts.get(f.graph, 0),
                }
                for f in files
            },
            "triples": sum(counts.values()),
            "entities": entities,
            "validation": report.summary(),
            "derived": derived,
            "phases": clock.seconds(),
        }
        (build_dir / VALIDATION).write_text(json.dumps(report.to_json(), ensure_ascii=False))
        (build_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        del store
        root.switch(build_id)
        root.prune(keep)
        by_graph_display = {f.graph: f.display for f in files}
        changed_display = sorted(by_graph_display.get(g, g) for g in (changed_graphs or set()))
        return BuildResult(
            build_id=build_id,
            build_dir=build_dir,
            files=len(files),
            triples=sum(counts.values()),
            entities=entities,
            report=report,
            clock=clock,
            incremental=use_incremental,
            changed_files=changed_display,
            derived=derived,
        )
    except BaseException:
        if build_dir is not None:
            shutil.rmtree(build_dir, ignore_errors=True)
        raise


def validate_paths(
    paths: Sequence[str | Path], *, workers: int | None = None, scratch: Path | None = None
) -> ValidationReport:
    """Validate catalog files without building: load them into a scratch store, then check.

    Raises CatalogSyntaxError on unreadable input (nothing else happens then).
    """
    import tempfile

    files = discover(paths)
    with tempfile.TemporaryDirectory(prefix="lmickg-validate-", dir=scratch) as tmp:
        store = OxigraphStore(Path(tmp) / "store")
        counts = load_files(files, store)
        shapes = load_shapes(f for f in files if f.is_shapes)
        if not len(shapes):
            raise BuildError("no SHACL shapes found: include the ontology directory (with shapes/)")
        # Workers open their own read-only handle on the scratch store (see StoreContext).
        return validate_files(
            files, shapes, StoreContext(Path(tmp) / "store"), triple_counts=counts, workers=workers
        )


def entity_counter(store: OxigraphStore) -> Counter[str]:
    """Entities per class in a built store (for summaries and VoID)."""
    return Counter(_entity_counts(store))


__all__ += ["CatalogSyntaxError", "entity_counter"]
