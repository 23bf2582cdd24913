"""The ``lmickg`` command line: each command is a thin call into the core."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from rdflib import Graph

from . import config
from .build import BuildError, build, validate_paths
from .catalog import CatalogSyntaxError
from .dcatap import validate as validate_dcat_ap
from .export import export_all
from .records import RecordFeed
from .store import QueryError, Store, StoreRoot
from .validation import ValidationReport, short_name

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
#: The WSGI application `lmickg serve` runs.
WSGI_APP = "webapp:create_app()"


def _print_report(report: ValidationReport, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    elif fmt == "turtle":
        click.echo(report.to_turtle())
    else:
        click.echo(report.to_text())


@click.group()
@click.version_option(package_name="lmickg")
def main() -> None:
    """lmickg: a knowledge-graph catalog of Canadian labour market information."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "turtle"]),
    default="text",
    show_default=True,
    help="How to print the results.",
)
@click.option("--workers", type=int, default=None, help="Validation processes (default: CPUs).")
def validate(paths: tuple[Path, ...], fmt: str, workers: int | None) -> None:
    """SHACL-validate catalog files (default: $LMICKG_CATALOG or catalog_ttl/ and ontology/).

    Exit status: 0 no violation, 1 violations, 2 unreadable input.
    """
    targets = list(paths) or config.catalog_paths()
    try:
        report = validate_paths(targets, workers=workers or config.workers())
    except CatalogSyntaxError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNREADABLE)
    except (FileNotFoundError, ValueError, BuildError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNREADABLE)
    _print_report(report, fmt)
    sys.exit(EXIT_OK if report.conforms else EXIT_INVALID)


@main.command(name="build")
@click.option(
    "--catalog",
    "catalogs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Catalog directory or file (repeatable; default $LMICKG_CATALOG or catalog_ttl/ ontology/).",
)
@click.option(
    "--store",
    "store",
    type=click.Path(path_type=Path),
    default=None,
    help="Store root (default $LMICKG_STORE or var/store).",
)
@click.option("--full", is_flag=True, help="Rebuild and re-validate everything.")
@click.option("--workers", type=int, default=None, help="Validation processes (default: CPUs).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "turtle"]),
    default="text",
    show_default=True,
    help="How to print validation results.",
)
def build_command(
    catalogs: tuple[Path, ...], store: Path | None, full: bool, workers: int | None, fmt: str
) -> None:
    """Parse, load, validate and index the catalog, then switch the server to it.

    A failed build leaves the previous build serving. Exit status: 0 built, 1 violations,
    2 unreadable input.
    """
    targets = list(catalogs) or config.catalog_paths()
    root = store or config.store_root()
    try:
        result = build(
            targets,
            root,
            workers=workers or config.workers(),
            incremental=not full,
            log=lambda message: click.echo(message, err=True),
        )
    except CatalogSyntaxError as error:
        click.echo(f"error: {error}", err=True)
        click.echo(
            "build failed: nothing was loaded; the previous build is still serving", err=True
        )
        sys.exit(EXIT_UNREADABLE)
    except BuildError as error:
        if error.report is not None:
            _print_report(error.report, fmt)
            click.echo(f"build failed: {error}", err=True)
            sys.exit(EXIT_INVALID)
        click.echo(f"build failed: {error}", err=True)
        sys.exit(EXIT_UNREADABLE)
    except (FileNotFoundError, ValueError) as error:
        click.echo(f"build failed: {error}", err=True)
        sys.exit(EXIT_UNREADABLE)
    if result.report.warnings and fmt != "text":
        _print_report(result.report, fmt)
    click.echo(result.summary())


def _render_table(variables: list[str], rows: list[dict[str, str]]) -> str:
    widths = {v: max([len(v), *(len(r.get(v, "")) for r in rows)]) for v in variables}
    header = "  ".join(v.ljust(widths[v]) for v in variables)
    rule = "  ".join("-" * widths[v] for v in variables)
    body = ["  ".join(r.get(v, "").ljust(widths[v]) for v in variables) for r in rows]
    return "\n".join([header, rule, *body, f"({len(rows)} row{'s' if len(rows) != 1 else ''})"])


@main.command()
@click.argument("query")
@click.option(
    "--store",
    "store",
    type=click.Path(path_type=Path),
    default=None,
    help="Store root (default $LMICKG_STORE or var/store).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Results format (json is the W3C SPARQL results format).",
)
def query(query: str, store: Path | None, fmt: str) -> None:
    """Run a SPARQL query (text or a .rq file) against the built catalog."""
    text = Path(query).read_text() if query.endswith(".rq") and Path(query).exists() else query
    root = StoreRoot(store or config.store_root())
    try:
        db = root.open_current()
    except FileNotFoundError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNREADABLE)
    try:
        if fmt == "json":
            sys.stdout.buffer.write(db.serialize_query(text, "application/sparql-results+json"))
            sys.stdout.write("\n")
        elif fmt == "csv":
            sys.stdout.buffer.write(db.serialize_query(text, "text/csv"))
        else:
            click.echo(_table_for(db, text))
    except QueryError as error:
        click.echo(f"error: invalid query: {error}", err=True)
        sys.exit(EXIT_INVALID)
    except ValueError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_INVALID)


@main.command()
@click.option(
    "--store",
    "store",
    type=click.Path(path_type=Path),
    default=None,
    help="Store root (default $LMICKG_STORE or var/store).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Worker processes (each loads the search index once per build).",
)
@click.option("--timeout", type=click.IntRange(5, 3600), default=60, show_default=True)
def serve(store: Path | None, host: str, port: int, workers: int, timeout: int) -> None:
    """Serve the web catalog under gunicorn (a production WSGI server)."""
    root = store or config.store_root()
    if StoreRoot(root).current_id() is None:
        click.echo(f"error: no catalog built in {root}; run `lmickg build` first", err=True)
        sys.exit(EXIT_UNREADABLE)
    # The app is named, not imported: the core never imports the web package. Workers read
    # the store root from the environment (create_app maps LMICKG_STORE_ROOT to STORE_ROOT).
    os.environ["LMICKG_STORE_ROOT"] = str(Path(root).resolve())
    from gunicorn.app.base import BaseApplication
    from gunicorn.util import import_app

    class Server(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "timeout": timeout,
                "accesslog": "-",
                # Threads share one worker's memory-mapped search index.
                "worker_class": "gthread",
                "threads": 4,
                # One control socket per user home would make two servers on a machine clash.
                "control_socket_disable": True,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> object:
            return import_app(WSGI_APP)

    click.echo(f"serving {root} on http://{host}:{port}/ with {workers} worker(s)", err=True)
    Server().run()


def _table_for(db: Store, text: str) -> str:
    result = db.query(text)
    if isinstance(result, bool):
        return "true" if result else "false"
    if isinstance(result, Graph):
        return result.serialize(format="turtle")
    rows = [{k: short_name(v) for k, v in row.items()} for row in result.rows]
    return _render_table(result.variables, rows)


@main.command(name="dcat-ap-report")
@click.option(
    "--store",
    "store",
    type=click.Path(path_type=Path),
    default=None,
    help="Store root (default $LMICKG_STORE or var/store).",
)
@click.option(
    "--shapes",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="DCAT-AP 3.0.1 shapes directory (default $LMICKG_DCAT_AP_SHAPES or the tests' copy).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the report.",
)
@click.option("--details", is_flag=True, help="List every result, not only the counts.")
def dcat_ap_report(store: Path | None, shapes: Path | None, fmt: str, details: bool) -> None:
    """Check the whole catalog export against the official DCAT-AP 3.0.1 shapes.

    Counts violations (shapes.ttl, range.ttl) and recommended-property warnings
    (shapes_recommended.ttl). Exit status: 0 conformant, 1 violations, 2 nothing to check.
    """
    root = StoreRoot(store or config.store_root())
    try:
        db = root.open_current()
        build_dir = root.current_dir()
        assert build_dir is not None
        feed = RecordFeed.load(build_dir)
        report = validate_dcat_ap(export_all(db, feed), shapes or config.dcat_ap_shapes())
    except FileNotFoundError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNREADABLE)
    summary = report.summary()
    if fmt == "json":
        if details:
            summary["results"] = {
                "violations": [list(r) for r in report.violations],
                "warnings": [list(r) for r in report.warnings],
            }
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        records = sum(1 for r in feed.entries if r.live)
        click.echo(f"DCAT-AP 3.0.1 check of the export of {records} catalog record(s)")
        for label, key in (
            ("violations", "violations_by_property"),
            ("warnings", "warnings_by_property"),
        ):
            click.echo(f"  {label}: {summary[label]}")
            for path, count in summary[key].items():  # type: ignore[attr-defined]
                click.echo(f"    {count:>6}  {path}")
        if details:
            for severity, rows in (("Violation", report.violations), ("Warning", report.warnings)):
                for cls, path, message in rows:
                    click.echo(f"  {severity}: {cls} {path}: {message}")
    sys.exit(EXIT_OK if report.conforms else EXIT_INVALID)
