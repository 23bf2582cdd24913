"""lmickg.sparql: query forms, the federation check, negotiation, row caps and datasets."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from lmickg import sparql
from lmickg.namespaces import GRAPH_BASE
from lmickg.sparql import (
    CSV,
    JSON_RESULTS,
    JSONLD,
    RDFXML,
    TSV,
    TURTLE,
    XML_RESULTS,
    Negotiation,
    NotAcceptable,
    QueryRequest,
    QuerySyntaxError,
    ServiceRefused,
    SparqlError,
    UpdateRefused,
    classify,
    declared_limit,
    execute,
    has_dataset_clause,
    negotiate,
    refuse_federation,
)
from lmickg.store import OxigraphStore

SOURCES = "SELECT ?s WHERE { ?s a dcat:Dataset } ORDER BY ?s"
ALPHA_GRAPH = GRAPH_BASE + "catalog/sources/alpha-survey.ttl"


def _request(query: str, results: str | None = JSON_RESULTS, graph: str | None = TURTLE, **kw):
    return QueryRequest(query, Negotiation(results, graph), **kw)


def _bindings(body: bytes) -> list[dict]:
    return json.loads(body)["results"]["bindings"]


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * { ?s ?p ?o }", "select"),
        ("  prefix ex: <http://e/>\nBASE <http://b/>\n# note\nselect * {}", "select"),
        ("ASK {}", "ask"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "construct"),
        ("DESCRIBE <http://e/x>", "describe"),
        ("INSERT DATA { <a> <b> <c> }", "update"),
        ("PREFIX ex: <http://e/> DELETE WHERE { ?s ex:p ?o }", "update"),
        ("LOAD <http://example.org/data.ttl>", "update"),
        ("clear all", "update"),
        ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "update"),
        ("# SELECT in a comment only\nDROP ALL", "update"),
        ("hello", None),
        ("", None),
    ],
)
def test_classify(text: str, form: str | None) -> None:
    assert classify(text) == form


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("SELECT * { ?s ?p ?o } LIMIT 10", 10),
        ("SELECT * { ?s ?p ?o } limit 10 OFFSET 5", 10),
        ("SELECT * { ?s ?p ?o } OFFSET 5 LIMIT 7\n# done\n", 7),
        ("SELECT * { ?s ?p ?o } ORDER BY ?s", None),
        ("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 5 } }", None),
        ("SELECT * { ?s ?p ?o } # LIMIT 5", None),
        ('SELECT * { ?s ?p "} LIMIT 5" }', None),
        ('SELECT * { ?s ?p """\n} LIMIT 5""" }', None),
        ("SELECT * { ?s ?p ?o } VALUES ?s { <http://e/a> }", None),
    ],
)
def test_declared_limit(text: str, limit: int | None) -> None:
    assert declared_limit(text) == limit


def test_dataset_clause_found_only_as_a_keyword() -> None:
    assert has_dataset_clause("SELECT * FROM <http://g> { ?s ?p ?o }")
    assert has_dataset_clause("SELECT * FROM NAMED <http://g> { GRAPH ?g { ?s ?p ?o } }")
    assert not has_dataset_clause('SELECT * { ?s ?p "FROM" } # FROM <x>')
    assert not has_dataset_clause("SELECT ?from { ?from ex:from ?o }")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
        "select * where { service <http://evil.example/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://evil.example/> { ?s ?p ?o } }",
        "SELECT * WHERE { VALUES ?u { <http://evil.example/> } SERVICE ?u { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <http://e/> { ?s ?q ?r } } }",
        "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://e/> { ?s ?q ?r } } }",
        "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <http://e/> { ?s ?q ?r } } }",
        "SELECT * WHERE { { SELECT ?s { SERVICE <http://e/> { ?s ?p ?o } } } }",
        "ASK { { ?s ?p ?o } UNION { SERVICE <http://e/> { ?s ?p ?o } } }",
        "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://e/> { ?s ?p ?o } }",
        # Codepoint escapes spell the keyword only after expansion.
        "SELECT * WHERE { \\u0053ERVICE <http://e/> { ?s ?p ?o } }",
    ],
)
def test_federation_refused(text: str) -> None:
    with pytest.raises(SparqlError):
        refuse_federation(text)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s ?p ?o } # a SERVICE <http://e/> { } in a comment",
        'SELECT * WHERE { ?s ?p "SERVICE <http://e/> { ?s ?p ?o }" }',
        "SELECT * WHERE { ?s a <http://example.org/service> }",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?x WHERE { ?x a dcat:DataService }",
        "SELECT ?service WHERE { ?service ?p ?o }",
        "SELECT ?s WHERE { ?s schema:serviceType ?t }",
        "SELECT ?s WHERE { ?s ?p ?o }",
    ],
)
def test_federation_check_ignores_the_word_elsewhere(text: str) -> None:
    refuse_federation(text)


#: pyoxigraph reads each "\u0022" as a quote inside a string, so it sees a SERVICE clause between
#: two strings; a parser that expands escapes first sees one long string instead.
ESCAPED_QUOTES = (
    'SELECT * WHERE { ?s ?p "\\u0022" . SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } '
    '?s ?p "\\u0022" . }'
)


def test_escape_differential_is_refused_by_each_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from rdflib.plugins.sparql.parser import parseQuery

    assert ox.Store().query(ESCAPED_QUOTES) is not None  # valid for the engine
    assert not sparql._contains_service(parseQuery(ESCAPED_QUOTES))  # rdflib as it comes: blind
    with pytest.raises(ServiceRefused):
        refuse_federation(ESCAPED_QUOTES)
    # The lexer alone finds the keyword...
    assert sparql._service_keyword(ESCAPED_QUOTES)
    # ...and so does the algebra alone, given the text as the engine reads it.
    monkeypatch.setattr(sparql, "_service_keyword", lambda text: False)
    with pytest.raises(ServiceRefused, match="SERVICE clause found"):
        refuse_federation(ESCAPED_QUOTES)


def test_federation_check_reports_syntax_errors_as_such() -> None:
    with pytest.raises(QuerySyntaxError, match="error at"):
        refuse_federation("SELECT * WHERE { ?s ?p ?o . } } # no SERVICE")


def _accept(header: str):
    return parse_accept_header(header, MIMEAccept).best_match


@pytest.mark.parametrize(
    ("accept", "formats", "expected"),
    [
        (None, [], Negotiation(JSON_RESULTS, TURTLE)),
        ("*/*", [], Negotiation(JSON_RESULTS, TURTLE)),
        ("text/csv;q=0.9, application/sparql-results+xml", [], Negotiation(XML_RESULTS, None)),
        (
            "application/sparql-results+json;q=0.1, application/sparql-results+xml",
            [],
            Negotiation(XML_RESULTS, None),
        ),
        # An alias stays what the client asked for; the body is written in its format.
        ("application/json", [], Negotiation("application/json", "application/json")),
        ("application/rdf+xml, text/tab-separated-values;q=0.8", [], Negotiation(TSV, RDFXML)),
        ("image/png", [], Negotiation(None, None)),
        ("text/html,application/xhtml+xml,*/*;q=0.8", [], Negotiation("text/html", "text/html")),
        # SPARQLWrapper: format/output/results repeat the wanted format, sometimes twice.
        ("text/tab-separated-values", ["tsv", "text/tab-separated-values"], Negotiation(TSV, None)),
        ("application/sparql-results+json", ["json"], Negotiation(JSON_RESULTS, JSONLD)),
        ("*/*", ["csv"], Negotiation(CSV, TURTLE)),
        ("text/turtle", ["turtle"], Negotiation(None, TURTLE)),
        ("*/*", ["unknown-format"], Negotiation(JSON_RESULTS, TURTLE)),
    ],
)
def test_negotiate(accept: str | None, formats: list[str], expected: Negotiation) -> None:
    assert negotiate(_accept(accept) if accept else None, formats) == expected


# -- execute -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tricky() -> ox.Store:
    """Values that stress result formats: tabs, line breaks, quotes, braces, languages, types."""
    store = ox.Store()
    graph = ox.NamedNode("http://example.org/graph")
    p = ox.NamedNode("http://example.org/p")
    values = [
        ox.Literal("tab\there"),
        ox.Literal('line\nbreak\r\nand "quotes" and },{"x" and \\ backslash'),
        ox.Literal("Québec", language="fr"),
        ox.Literal("1.50", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
        ox.Literal("2026-01-31", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
        ox.BlankNode("b1"),
        ox.NamedNode("http://example.org/o?x=1&y=%3C2%3E#frag"),
        ox.Literal(""),
        ox.Literal("emoji 🍁 and NUL-free text"),
    ]
    for i, value in enumerate(values):
        subject = ox.NamedNode(f"http://example.org/s{i:02d}")
        store.add(ox.Quad(subject, p, value, graph))
    return store


def test_capped_path_matches_the_engines_own_serialization(tricky: ox.Store) -> None:
    query = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s"
    direct = execute(tricky, _request(query + " LIMIT 100", max_rows=100))
    capped = execute(tricky, _request(query, max_rows=100))
    assert direct.rows is None and capped.rows == 9  # the direct path does not count
    assert not direct.truncated and not capped.truncated
    assert _bindings(capped.body) == _bindings(direct.body)
    assert len(_bindings(capped.body)) == 9


@pytest.mark.parametrize("media", [JSON_RESULTS, XML_RESULTS, CSV, TSV])
def test_select_truncated_at_the_row_cap(fixture_store: OxigraphStore, media: str) -> None:
    outcome = execute(fixture_store.native, _request(SOURCES, media, max_rows=2))
    assert outcome.truncated and outcome.rows == 2
    assert outcome.media_type == media
    parsed = _rows(outcome.body, media)
    assert parsed == [
        "https://w3id.org/lmickg/id/source/alpha-survey",
        "https://w3id.org/lmickg/id/source/beta-vacancies",
    ]


def _rows(body: bytes, media: str) -> list[str]:
    if media == CSV:
        return [row["s"] for row in csv.DictReader(io.StringIO(body.decode()))]
    fmt = {
        JSON_RESULTS: ox.QueryResultsFormat.JSON,
        XML_RESULTS: ox.QueryResultsFormat.XML,
        TSV: ox.QueryResultsFormat.TSV,
    }[media]
    solutions = ox.parse_query_results(body, fmt)
    assert isinstance(solutions, ox.QuerySolutions)
    return [s["s"].value for s in solutions]


def test_exactly_the_cap_is_not_truncated(fixture_store: OxigraphStore) -> None:
    outcome = execute(fixture_store.native, _request(SOURCES, max_rows=4))
    assert not outcome.truncated and outcome.rows == 4


def test_a_limit_within_the_cap_is_answered_directly(fixture_store: OxigraphStore) -> None:
    outcome = execute(fixture_store.native, _request(SOURCES + " LIMIT 3", max_rows=3))
    assert not outcome.truncated
    assert len(_bindings(outcome.body)) == 3


def test_a_limit_above_the_cap_is_capped(fixture_store: OxigraphStore) -> None:
    outcome = execute(fixture_store.native, _request(SOURCES + " LIMIT 50", max_rows=3))
    assert outcome.truncated and len(_bindings(outcome.body)) == 3


def test_a_limit_hidden_in_a_comment_does_not_lift_the_cap(fixture_store: OxigraphStore) -> None:
    # The lexer reads `<COUNT(*)+1)#>` as an IRI and sees `LIMIT 1` at the end; the parser
    # reads `<` as less-than and the rest of the line as a comment. The cap must still hold.
    query = (
        "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s "
        "HAVING(COUNT(*)<COUNT(*)+1)#> LIMIT 1\n"
    )
    assert declared_limit(query) == 1
    outcome = execute(fixture_store.native, _request(query, max_rows=5))
    assert outcome.truncated and len(_bindings(outcome.body)) == 5


def test_byte_cap_truncates(fixture_store: OxigraphStore) -> None:
    outcome = execute(fixture_store.native, _request(SOURCES, max_rows=100, max_bytes=200))
    assert outcome.truncated
    assert 0 < len(_bindings(outcome.body)) < 4


def test_select_without_variables(fixture_store: OxigraphStore) -> None:
    outcome = execute(fixture_store.native, _request("SELECT * {}"))
    assert _bindings(outcome.body) == [{}]


def test_construct_capped_in_triples(fixture_store: OxigraphStore) -> None:
    query = "CONSTRUCT { ?s a dcat:Dataset } WHERE { ?s a dcat:Dataset }"
    outcome = execute(fixture_store.native, _request(query, max_rows=3))
    assert outcome.form == "graph" and outcome.media_type == TURTLE
    assert outcome.truncated and outcome.rows == 3
    triples = list(ox.parse(outcome.body, format=ox.RdfFormat.TURTLE))
    assert len(triples) == 3


def test_construct_resolves_relative_iris_against_the_endpoint(
    fixture_store: OxigraphStore,
) -> None:
    outcome = execute(
        fixture_store.native,
        _request("CONSTRUCT { <s> <p> 1 } WHERE {}", base_iri="http://localhost/sparql"),
    )
    triples = list(ox.parse(outcome.body, format=ox.RdfFormat.TURTLE))
    assert triples[0].subject == ox.NamedNode("http://localhost/s")


def test_ask_has_no_csv_form(fixture_store: OxigraphStore) -> None:
    with pytest.raises(NotAcceptable) as raised:
        execute(fixture_store.native, _request("ASK {}", CSV))
    assert raised.value.details["offers"] == [JSON_RESULTS, XML_RESULTS]


def test_construct_needs_an_rdf_type(fixture_store: OxigraphStore) -> None:
    with pytest.raises(NotAcceptable):
        execute(fixture_store.native, _request("CONSTRUCT WHERE { ?s ?p ?o }", graph=None))


def test_from_clause_is_honoured(fixture_store: OxigraphStore) -> None:
    query = f"SELECT ?s FROM <{ALPHA_GRAPH}> WHERE {{ ?s a dcat:Dataset }}"
    outcome = execute(fixture_store.native, _request(query))
    assert [b["s"]["value"] for b in _bindings(outcome.body)] == [
        "https://w3id.org/lmickg/id/source/alpha-survey"
    ]


def test_protocol_dataset_replaces_the_union(fixture_store: OxigraphStore) -> None:
    only_alpha = execute(fixture_store.native, _request(SOURCES, default_graphs=(ALPHA_GRAPH,)))
    assert len(_bindings(only_alpha.body)) == 1
    named_only = execute(
        fixture_store.native, _request(SOURCES, default_graphs=(), named_graphs=(ALPHA_GRAPH,))
    )
    assert _bindings(named_only.body) == []
    in_graph = execute(
        fixture_store.native,
        _request(
            "SELECT ?g WHERE { GRAPH ?g { ?s a dcat:Dataset } }",
            default_graphs=(),
            named_graphs=(ALPHA_GRAPH,),
        ),
    )
    assert [b["g"]["value"] for b in _bindings(in_graph.body)] == [ALPHA_GRAPH]


def test_bad_graph_iri_is_a_client_error(fixture_store: OxigraphStore) -> None:
    with pytest.raises(QuerySyntaxError, match="graph IRI"):
        execute(fixture_store.native, _request(SOURCES, default_graphs=("not an iri",)))


def test_update_and_syntax_errors(fixture_store: OxigraphStore) -> None:
    with pytest.raises(UpdateRefused, match="read-only"):
        execute(fixture_store.native, _request("INSERT DATA { <http://a> <http://b> 1 }"))
    with pytest.raises(QuerySyntaxError, match="error at 1:"):
        execute(fixture_store.native, _request("SELECT * WHERE { ?s ?p"))
    with pytest.raises(ServiceRefused):
        execute(fixture_store.native, _request("SELECT * { SERVICE <http://e/> { ?s ?p ?o } }"))


def test_errors_survive_pickling() -> None:
    import pickle

    error = NotAcceptable("no", form="ask", offers=[JSON_RESULTS])
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, NotAcceptable)
    assert copy.details == {"form": "ask", "offers": [JSON_RESULTS]}
    assert sparql.error_from("timeout", "late").code == "timeout"
