"""The ``lmickg`` command line: each command is a thin call into the core."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import date, datetime
from pathlib import Path

import click
from rdflib import Graph, URIRef

from . import config
from .build import BuildError, build, validate_paths
from .catalog import CatalogSyntaxError
from .coverage import load_analysis
from .dcatap import validate as validate_dcat_ap
from .export import export_all
from .labels import labels_in
from .lineage import (
    EVENT_LABELS,
    STATUS_LABELS,
    LineageGraph,
    build_lineage,
    gap_lineage_json,
    graphml,
    load_lineage,
    overview_json,
    words,
)
from .namespaces import ID
from .queries import (
    QUERIES_DIR,
    NamedQuery,
    ParamError,
    UnknownQueryError,
    answer,
    load_named_queries,
    parse_query_file,
    result_csv,
    result_json,
)
from .records import RecordFeed
from .store import QueryError, Store, StoreRoot
from .validation import ValidationReport, short_name

__all__ = ["main"]

#: The store root option every command that reads or writes a build shares.
store_option = click.option(
    "--store",
    "store",
    type=click.Path(path_type=Path),
    default=None,
    help="Store root (default $LMICKG_STORE or var/store).",
)

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
@store_option
@click.option("--full", is_flag=True, help="Rebuild and re-validate everything.")
@click.option(
    "--workers", type=int, default=None, help="Validation and deriver processes (default: CPUs)."
)
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


def _named_lines(lang: str) -> list[str]:
    lines = []
    for named in load_named_queries().values():
        params = ", ".join(f"{p.name}={p.default}" for p in named.params)
        lines.append(f"{named.name:<26} {named.title.get(lang, named.title['en'])}")
        if params:
            lines.append(f"{'':<26} --param {params.replace(', ', ' --param ')}")
    return lines


def _resolve_query(query: str) -> NamedQuery | str:
    """A named question, a named-question file, or SPARQL text."""
    names = load_named_queries()
    if query in names:
        return names[query]
    path = Path(query)
    if query.endswith(".rq") and path.exists():
        text = path.read_text(encoding="utf-8")
        return parse_query_file(path) if text.lstrip().startswith("#+") else text
    if re.fullmatch(r"[a-z][a-z0-9-]*", query):
        raise click.UsageError(str(UnknownQueryError(query, names)))
    return query


@main.command()
@click.argument("query", required=False)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter of a named question (repeatable).",
)
@click.option("--list", "list_only", is_flag=True, help="List the named questions and exit.")
@click.option(
    "--lang",
    type=click.Choice(["en", "fr"]),
    default="en",
    show_default=True,
    help="Language of titles and labels (named questions).",
)
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Results format (for SPARQL text, json is the W3C SPARQL results format; for a named "
    "question, the same JSON as the web page's .json).",
)
def query(
    query: str | None,
    params: tuple[str, ...],
    list_only: bool,
    lang: str,
    store: Path | None,
    fmt: str,
) -> None:
    """Run a named question (NAME --param key=value), a .rq file or SPARQL text.

    Exit status: 0 answered, 1 invalid SPARQL, 2 bad usage (unknown question or parameter,
    or no catalog built).
    """
    if list_only:
        click.echo("\n".join(_named_lines(lang)))
        return
    if not query:
        raise click.UsageError("give a named question, a .rq file or SPARQL text (or --list)")
    resolved = _resolve_query(query)
    given: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--param")
        given[name.strip()] = value
    root = StoreRoot(store or config.store_root())
    try:
        db = root.open_current()
    except FileNotFoundError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNREADABLE)
    if isinstance(resolved, NamedQuery):
        try:
            bindings = resolved.bind(given, db)
        except ParamError as error:
            raise click.BadParameter(str(error), param_hint="--param") from None
        build_dir = root.current_dir()
        analysis = (
            load_analysis(build_dir)
            if build_dir is not None
            and resolved.path is not None
            and resolved.path.parent == QUERIES_DIR
            else None
        )
        result = answer(db, resolved, bindings, analysis)
        if fmt == "csv":
            sys.stdout.write(result_csv(result))
        elif fmt == "json":
            iris = {str(v) for row in result.rows for v in row.values() if isinstance(v, URIRef)}
            labels = analysis.labels(iris, lang, db) if analysis else labels_in(db, iris, lang)
            body = result_json(resolved, bindings, result, lang, labels)
            click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            iris = {str(v) for row in result.rows for v in row.values() if isinstance(v, URIRef)}
            labels = analysis.labels(iris, lang, db) if analysis else labels_in(db, iris, lang)
            rows = [
                {k: labels.get(str(v), short_name(v)) for k, v in row.items()}
                for row in result.rows
            ]
            click.echo(_render_table(result.columns, rows))
        return
    if given:
        raise click.BadParameter("parameters apply only to named questions", param_hint="--param")
    text = resolved
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


def _gap_iri(text: str) -> str:
    if text.startswith(("http://", "https://")):
        return text
    key = text.removeprefix("gap/")
    return str(ID[f"gap/{key}"])


def _lineage_text(lineage: LineageGraph, gap: str, lang: str) -> str:
    found = lineage.gap(gap)
    lines = [
        lineage.label(gap, lang),
        f"  {gap}",
        f"  status: {words(STATUS_LABELS, found.status, lang)}"
        + (f" ({found.closed_on})" if found.closed_on else ""),
        "",
    ]
    width = max((len(words(EVENT_LABELS, e.kind, lang)) for e in found.events), default=0)
    for event in found.events:
        what = words(EVENT_LABELS, event.kind, lang)
        line = (
            f"  {event.date_text or '?':<11} {what:<{width}}  {lineage.label(event.subject, lang)}"
        )
        if event.addressed_by:
            line += " ← " + ", ".join(lineage.label(a, lang) for a in event.addressed_by)
        lines.append(line)
    if found.still_concerns:
        lines.append("")
        for name, values in found.still_concerns.items():
            lines.append(
                f"  still concerns {name}: " + ", ".join(lineage.label(v, lang) for v in values)
            )
    if found.related:
        lines.append("")
        lines.append(
            "  related: " + ", ".join(lineage.label(r["gap"], lang) for r in found.related)
        )
    return "\n".join(lines)


def _overview_text(lineage: LineageGraph, lang: str, as_of: date | None) -> str:
    overview = lineage.overview(as_of)
    lines = [f"Lineage of the catalog's gaps as of {overview.as_of}", "", "Reports:"]
    for report in overview.reports:
        lines.append(
            f"  {report['date'] or '?':<11} {lineage.label(report['report'], lang)}: "
            f"{report['gaps']} gap(s), {len(report['still_open'])} not closed"
        )
    lines += ["", "Longest-open gaps:"]
    for gap in overview.longest_open:
        lines.append(
            f"  {gap['since']:<11} {gap['years_open']:>5} y  {lineage.label(gap['gap'], lang)}"
            f" ({words(STATUS_LABELS, gap['status'], lang)})"
        )
    lines += ["", "Recommendations by gaps closed:"]
    for rec in overview.recommendations:
        lines.append(
            f"  {rec['closed']:>3}/{rec['gaps']:<3} {lineage.label(rec['recommendation'], lang)}"
        )
    return "\n".join(lines)


@main.command()
@click.argument("gap", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "graphml"]),
    default="text",
    show_default=True,
    help="text for people; json as on the web (.json); graphml for graph tools.",
)
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Reference date for the catalog overview (default: today).",
)
@store_option
def lineage(
    gap: str | None, fmt: str, lang: str, as_of: datetime | None, store: Path | None
) -> None:
    """The lineage of a gap (IRI, gap/KEY or KEY), or of the whole catalog without GAP.

    Exit status: 0 shown, 2 unknown gap or no catalog built.
    """
    root = StoreRoot(store or config.store_root())
    build_dir = root.current_dir()
    try:
        db = root.open_current()
    except FileNotFoundError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_UNREADABLE)
    graph = (load_lineage(build_dir) if build_dir is not None else None) or build_lineage(db)
    day = as_of.date() if as_of else None
    if gap is None:
        if fmt == "graphml":
            click.echo(graphml(graph.graph))
        elif fmt == "json":
            click.echo(json.dumps(overview_json(graph.overview(day)), ensure_ascii=False, indent=2))
        else:
            click.echo(_overview_text(graph, lang, day))
        return
    iri = _gap_iri(gap)
    if iri not in graph.gaps():
        known = ", ".join(g.rsplit("/", 1)[1] for g in graph.gaps())
        click.echo(f"error: no gap {gap!r} in the catalog; gaps: {known}", err=True)
        sys.exit(EXIT_UNREADABLE)
    if fmt == "graphml":
        click.echo(graphml(graph.subgraph(iri)))
    elif fmt == "json":
        click.echo(json.dumps(gap_lineage_json(graph, iri, lang), ensure_ascii=False, indent=2))
    else:
        click.echo(_lineage_text(graph, iri, lang))


@main.command()
@store_option
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
@store_option
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
