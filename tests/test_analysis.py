"""The gap-analysis web area (webapp/analysis): named questions, coverage heatmaps, lineage pages,
their JSON/CSV twins, bad input in the page language, and the gap-lineage partial."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import networkx as nx
import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from lmickg.lineage import gap_lineage_json, load_lineage
from lmickg.store import StoreRoot
from webapp import create_app

ID = "https://w3id.org/lmickg/id/"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def analysis_app(analysis_built_store: Path) -> Flask:
    return create_app({"STORE_ROOT": str(analysis_built_store), "TESTING": True})


@pytest.fixture
def web(analysis_app: Flask) -> FlaskClient:
    return analysis_app.test_client()


def html(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


# ---------------------------------------------------------------------------------------------
# Questions
# ---------------------------------------------------------------------------------------------


def test_question_list_in_both_languages(client: FlaskClient) -> None:
    english = client.get("/en/questions")
    french = client.get("/fr/questions")
    assert english.status_code == french.status_code == 200
    assert "Coverage matrix: variables by geographic level" in html(english)
    assert "Matrice de couverture : variables par niveau géographique" in html(french)
    assert 'lang="fr"' in html(french)
    listed = client.get("/fr/questions.json").get_json()
    assert [q["name"] for q in listed["questions"]][:3] == [
        "coverage-matrix",
        "groups-by-level",
        "unmet-needs",
    ]
    assert listed["questions"][0]["url"] == "/fr/questions/coverage-matrix"


def test_question_page_has_form_and_labelled_results(client: FlaskClient) -> None:
    page = html(
        client.get("/en/questions/can-i-answer?variable=job-vacancies&level=economic-region")
    )
    assert '<select id="param-variable" name="variable">' in page
    assert '<option value="job-vacancies" selected>Job vacancies</option>' in page
    assert '<option value="economic-region" selected>Economic region</option>' in page
    assert '<a href="/en/source/beta-vacancies">Beta Vacancy Survey</a>' in page
    assert '<a href="/en/source/epsilon-postings">Epsilon Postings API</a>' in page
    assert "2 rows" in page
    assert (
        'href="/en/questions/can-i-answer.csv?variable=job-vacancies&amp;level=economic-region'
        in page
    )


def test_french_question_page(client: FlaskClient) -> None:
    page = html(client.get("/fr/questions/stale-sources?asOf=2026-12-03"))
    assert "Sources périmées ou en retard" in page
    assert "Télécharger le CSV" in page
    assert "Jours de retard" in page
    assert '<a href="/fr/source/delta-payroll">Statistiques Delta sur la paie</a>' in page
    assert "3 lignes" in page


def test_json_twin_by_suffix_and_by_accept(client: FlaskClient) -> None:
    by_suffix = client.get("/en/questions/coverage-matrix.json?frequency=weekly")
    by_accept = client.get(
        "/en/questions/coverage-matrix?frequency=weekly", headers={"Accept": "application/json"}
    )
    assert by_suffix.status_code == by_accept.status_code == 200
    assert by_accept.content_type == "application/json"
    assert by_suffix.get_json() == by_accept.get_json()
    body = by_suffix.get_json()
    assert body["params"] == {"frequency": "weekly", "access": "any"}
    assert body["labels"][ID + "variable/job-vacancies"] == "Job vacancies"
    weekly = [r for r in body["rows"] if r["sources"]]
    assert {r["variable"] for r in weekly} == {ID + "variable/job-vacancies"}


def test_csv_and_json_give_the_same_rows(client: FlaskClient) -> None:
    for name, query in [
        ("documented-gaps", ""),
        ("coverage-matrix", "?access=restricted"),
        ("stale-sources", "?asOf=2026-12-03"),
    ]:
        body = client.get(f"/en/questions/{name}.json{query}").get_json()
        response = client.get(f"/en/questions/{name}.csv{query}")
        assert response.content_type == "text/csv; charset=utf-8"
        table = list(csv.reader(io.StringIO(html(response))))
        assert table[0] == body["columns"]
        assert table[1:] == [
            ["" if row[c] is None else str(row[c]) for c in body["columns"]] for row in body["rows"]
        ]


def test_query_text_is_served(client: FlaskClient) -> None:
    response = client.get("/en/questions/coverage-matrix.rq")
    assert response.content_type.startswith("application/sparql-query")
    assert "#+ title: Coverage matrix" in html(response)
    assert "SELECT ?variable ?level ?sources ?frequency ?access" in html(response)


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


def test_unknown_question_is_404_listing_the_questions(client: FlaskClient) -> None:
    page = client.get("/fr/questions/meaning-of-life")
    assert page.status_code == 404
    assert "Aucune question ne s'appelle « meaning-of-life »" in unescape(html(page))
    assert 'href="/fr/questions/coverage-matrix"' in html(page)
    body = client.get("/en/questions/meaning-of-life.json")
    assert body.status_code == 404
    assert "stale-sources" in body.get_json()["available"]


@pytest.mark.parametrize(
    ("url", "param", "allowed"),
    [
        ("/fr/questions/coverage-matrix?frequency=sometimes", "frequency", "monthly"),
        ("/en/questions/coverage-matrix?colour=red", "colour", "frequency"),
        ("/en/questions/stalled-recommendations?since=1700", "since", "1900 to 2100"),
        ("/en/questions/can-i-answer?variable=%22%7D%20DROP%20ALL", "variable", "any"),
        ("/fr/coverage?frequency=fortnightly", "frequency", "weekly"),
        ("/en/coverage?page_size=3", "page_size", "frequency"),
    ],
)
def test_bad_parameters_are_400_with_the_allowed_values(
    client: FlaskClient, url: str, param: str, allowed: str
) -> None:
    page = client.get(url)
    assert page.status_code == 400
    assert allowed in html(page)
    if url.startswith("/fr/"):
        assert "n'est pas permise" in unescape(html(page))
    body = client.get(url, headers={"Accept": "application/json"})
    assert body.status_code == 400
    assert body.get_json()["param"] == param
    assert any(allowed in a for a in body.get_json()["allowed"])


def test_machine_formats_get_json_errors(client: FlaskClient) -> None:
    response = client.get("/en/questions/coverage-matrix.csv?access=secret")
    assert response.status_code == 400
    assert response.get_json()["allowed"] == ["any", "public", "restricted", "non-public"]


def test_only_english_and_french(client: FlaskClient) -> None:
    assert client.get("/de/questions").status_code == 404
    assert client.get("/de/coverage").status_code == 404


# ---------------------------------------------------------------------------------------------
# Coverage heatmaps
# ---------------------------------------------------------------------------------------------


def test_coverage_heatmaps_link_to_sources_and_gaps(web: FlaskClient) -> None:
    page = html(web.get("/en/coverage"))
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    # A zero cell with a documented gap links to the gap; other cells to the sources.
    assert 'href="/en/gap/small-area-wages"' in page
    assert (
        'href="/en/questions/can-i-answer?variable=job-vacancies&amp;level=economic-region'
        "&amp;frequency=any&amp;access=any" in page
    )
    assert 'href="/en/gap/on-reserve-data"' in page
    body = web.get("/en/coverage.json").get_json()
    rows = [r["label"] for r in body["matrix"]["rows"]]
    wages = body["matrix"]["cells"][rows.index("Offered hourly wage")]
    levels = [c["label"] for c in body["matrix"]["columns"]]
    assert wages[levels.index("Economic region")]["count"] == 1
    assert wages[levels.index("Census subdivision")] == {
        "count": 0,
        "href": "/en/gap/small-area-wages",
    }
    followed = web.get(body["matrix"]["cells"][rows.index("Job vacancies")][0]["href"])
    assert followed.status_code == 200
    assert "Beta Vacancy Survey" in html(followed)


def test_coverage_filters_and_french(web: FlaskClient) -> None:
    page = html(web.get("/fr/coverage?frequency=weekly&access=restricted&variable=employment"))
    assert "Variables par niveau géographique" in page
    assert '<option value="weekly" selected>hebdomadaire</option>' in page
    body = web.get("/fr/coverage.json?frequency=weekly&access=restricted").get_json()
    assert body["params"]["frequency"] == "weekly"
    total = sum(c["count"] for row in body["matrix"]["cells"] for c in row)
    assert total == 4  # Epsilon: job vacancies, weekly, restricted, ER and above


# ---------------------------------------------------------------------------------------------
# Lineage
# ---------------------------------------------------------------------------------------------


def test_lineage_overview(web: FlaskClient) -> None:
    page = html(web.get("/en/lineage"))
    assert "Longest-open gaps" in page
    assert (
        '<a href="/en/lineage/long-term-graduate-outcomes">Long-term graduate outcomes</a>' in page
    )
    body = web.get("/fr/lineage.json").get_json()
    assert [r["report"].rsplit("/", 1)[1] for r in body["reports"]] == ["panel-2009", "audit-2014"]
    assert (
        body["labels"][ID + "gap/small-area-wages"] == "Salaires offerts pour les petites régions"
    )
    graph = nx.read_graphml(io.BytesIO(web.get("/en/lineage.graphml").data))
    assert graph.nodes[ID + "gap/small-area-wages"]["kind"] == "gap"


def test_gap_lineage_page_json_graphml_svg(web: FlaskClient, analysis_built_store: Path) -> None:
    page = html(web.get("/en/lineage/local-job-vacancies"))
    assert '<section class="gap-lineage"' in page
    assert "<svg" in page and "Lineage of this gap" in page
    assert '<time datetime="2011-03">2011-03</time>' in page
    assert '<a href="/en/initiative/vacancy-questions-2011">' in page
    body = web.get("/en/lineage/local-job-vacancies.json").get_json()
    build_dir = StoreRoot(analysis_built_store).current_dir()
    assert build_dir is not None
    lineage = load_lineage(build_dir)
    assert lineage is not None
    assert body == gap_lineage_json(lineage, ID + "gap/local-job-vacancies", "en")
    svg = web.get("/fr/lineage/local-job-vacancies.svg")
    assert svg.content_type == "image/svg+xml"
    assert "relevée pour la première fois" in html(svg)
    ET.fromstring(svg.data)
    graphml = web.get("/en/lineage/local-job-vacancies.graphml")
    assert nx.read_graphml(io.BytesIO(graphml.data)).has_node(ID + "source/beta-vacancies")
    missing = web.get("/fr/lineage/nothing")
    assert missing.status_code == 404
    assert "Le catalogue ne contient aucune lacune « nothing »" in html(missing)
    assert "small-area-wages" in web.get("/en/lineage/nothing.json").get_json()["available"]


def test_pages_keep_the_strict_security_policy(web: FlaskClient) -> None:
    response = web.get("/en/coverage")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert " style=" not in html(response)
    assert "<script" not in html(response)


# ---------------------------------------------------------------------------------------------
# The partial the web front end's gap page includes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["gap_iri", "entity_iri"])
def test_gap_lineage_partial_renders_where_included(analysis_app: Flask, variable: str) -> None:
    template = '<main>{% include "analysis/_gap_lineage.html" ignore missing %}</main>'
    with analysis_app.test_request_context("/fr/gap/small-area-wages"):
        out = render_template_string(template, lang="fr", **{variable: ID + "gap/small-area-wages"})
    assert "Filiation de cette lacune" in out
    assert "rouverte" in out
    assert (
        '<a href="/fr/lineage/local-job-vacancies">Postes vacants locaux par profession</a>' in out
    )
    assert 'href="/fr/lineage/small-area-wages.graphml"' in out


def test_gap_lineage_partial_is_empty_for_other_entities(analysis_app: Flask) -> None:
    template = '<main>{% include "analysis/_gap_lineage.html" ignore missing %}</main>'
    with analysis_app.test_request_context("/en/source/alpha-survey"):
        out = render_template_string(template, lang="en", entity_iri=ID + "source/alpha-survey")
    assert out == "<main></main>"


def test_every_ui_string_has_a_french_translation() -> None:
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    import webapp

    base = Path(webapp.__file__).resolve().parent
    found: set[str] = set()
    for directory, method in (
        (base / "analysis", "python"),
        (base / "templates" / "analysis", "jinja2"),
    ):
        pattern = "**.py" if method == "python" else "**.html"
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(directory), [(pattern, method)]
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    po = base / "analysis" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = sorted(m for m in found if not (catalog.get(m) and catalog.get(m).string))
    assert len(found) > 40
    assert untranslated == []
