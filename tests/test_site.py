"""The web front end (webapp.site) through the Flask test client: every page kind and its JSON
twin in both languages, search behaviour, language switching, errors and escaping."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lmickg.build import build
from lmickg.store import OxigraphStore
from webapp import create_app

HERE = Path(__file__).resolve().parent
EXTRA = HERE / "data" / "web-extra"

#: One page per entity kind in the fixture catalog, with a word its English page must show.
ENTITIES = [
    ("source/alpha-survey", "Alpha Labour Survey"),
    ("source/epsilon-postings", "Epsilon Postings API"),
    ("variable/job-vacancies", "Job vacancies"),
    ("geo/35", "Ontario"),
    ("geo/3510", "Ottawa"),
    ("group/indigenous-on-reserve", "Indigenous peoples living on reserve"),
    ("org/statcan", "Statistics Canada"),
    ("report/audit-2014", "Audit of statistical data"),
    ("recommendation/panel-2009-local-vacancies", "Collect job vacancies"),
    ("gap/local-job-vacancies", "Local job vacancies by occupation"),
    ("assessment/local-job-vacancies-2011", "partially closed"),
    ("need/local-vacancies-for-job-seekers", "Job vacancies by economic region"),
    ("initiative/vacancy-questions-2011", "Vacancy questions"),
    ("project/collect-1", "Assess progress in closing gaps"),
    ("output/collect-1-1", "Report on progress in closing gaps"),
    ("distribution/alpha-table", "Alpha table by province"),
    ("reference/fixture-notes", "Test fixture notes"),
    ("geo-level/economic-region", "Economic region"),
    ("theme/labour-supply", "Labour supply"),
    ("plan/priority/local-granular", "local, granular"),
]
PAGES = ["/{lang}/", "/{lang}/search", "/{lang}/search?q=emploi&frequency=MONTHLY"] + [
    f"/{{lang}}/{path}" for path, _ in ENTITIES
]


def json_url(url: str) -> str:
    path, _, query = url.partition("?")
    path = path + "index.json" if path.endswith("/") else path + ".json"
    return f"{path}?{query}" if query else path


def html_lang(body: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', body)
    assert match, "no <html lang>"
    return match.group(1)


# -- every page, both languages, both representations -------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_and_its_json_twin(client: FlaskClient, page: str, lang: str) -> None:
    url = page.format(lang=lang)
    html = client.get(url)
    assert html.status_code == 200, url
    assert html.mimetype == "text/html"
    body = html.get_data(as_text=True)
    assert html_lang(body) == lang
    assert 'class="skip-link" href="#main"' in body
    twin = client.get(json_url(url))
    assert twin.status_code == 200 and twin.mimetype == "application/json"
    assert isinstance(twin.get_json(), dict)
    negotiated = client.get(url, headers={"Accept": "application/json"})
    assert negotiated.mimetype == "application/json"
    assert negotiated.get_json() == twin.get_json()
    assert "Accept" in html.headers.get("Vary", "")


def test_every_entity_of_the_build_has_a_page(
    client: FlaskClient, fixture_store: OxigraphStore
) -> None:
    from lmickg.entities import parse_entity_iri

    rows = fixture_store.select(
        "SELECT DISTINCT ?s WHERE { ?s ?p ?o . "
        "FILTER(isIRI(?s) && STRSTARTS(STR(?s), 'https://w3id.org/lmickg/id/')) }"
    )
    refs = [parse_entity_iri(str(row["s"])) for row in rows]
    assert len(refs) > 100
    failures = []
    for ref in refs:
        assert ref is not None
        for lang in ("en", "fr"):
            response = client.get(f"/{lang}/{ref.kind}/{ref.key}")
            if response.status_code != 200:
                failures.append((ref.kind, ref.key, lang, response.status_code))
    assert failures == []


@pytest.mark.parametrize(("path", "text"), ENTITIES)
def test_entity_pages_show_their_entity(client: FlaskClient, path: str, text: str) -> None:
    body = client.get(f"/en/{path}").get_data(as_text=True)
    assert text in body
    assert f'href="/id/{path}.ttl"' in body
    data = client.get(f"/en/{path}.json").get_json()
    assert data["iri"] == f"https://w3id.org/lmickg/id/{path}"
    assert data["rdf"]["turtle"].strip()


@pytest.mark.parametrize(("path", "text"), ENTITIES[:6])
def test_raw_rdf_links_resolve(client: FlaskClient, path: str, text: str) -> None:
    turtle = client.get(f"/id/{path}.ttl")
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    page = client.get(f"/id/{path}", headers={"Accept": "text/html"})
    assert page.status_code == 303 and urlsplit(page.headers["Location"]).path == f"/en/{path}"


def test_french_labels_in_french_pages(client: FlaskClient) -> None:
    body = client.get("/fr/source/alpha-survey").get_data(as_text=True)
    assert "Enquête Alpha sur l&#39;emploi au Québec" in body
    assert "Statistique Canada" in body
    assert "Détails" in body  # UI string from the French message catalog
    assert "Skip to main content" not in body and "Passer au contenu principal" in body


def test_missing_french_is_marked_with_its_language(client: FlaskClient) -> None:
    body = client.get("/fr/gap/local-job-vacancies").get_data(as_text=True)
    # The gap's description exists only in English.
    assert (
        '<span lang="en" class="fallback">No job vacancy data below the province level.</span>'
        in body
    )
    data = client.get("/fr/gap/local-job-vacancies.json").get_json()
    assert data["description_lang"] == "en" and data["title_lang"] == "fr"


def test_gap_page_includes_the_lineage_template_with_its_context(built_store: Path) -> None:
    from jinja2 import ChoiceLoader, DictLoader

    app = create_app({"STORE_ROOT": str(built_store), "TESTING": True})
    # Stands in for the gap-analysis engineer's template.
    fake = DictLoader({"analysis/_gap_lineage.html": "<p id=lineage>{{ gap_iri }} {{ lang }}</p>"})
    app.jinja_loader = ChoiceLoader([fake, app.jinja_loader])  # type: ignore[list-item]
    body = app.test_client().get("/fr/gap/on-reserve-data").get_data(as_text=True)
    assert "<p id=lineage>https://w3id.org/lmickg/id/gap/on-reserve-data fr</p>" in body


@pytest.mark.parametrize(("lang", "heading"), [("en", "Lineage of this gap"), ("fr", "Filiation")])
def test_gap_page_shows_its_lineage_diagram_and_list(
    client: FlaskClient, lang: str, heading: str
) -> None:
    page = client.get(f"/{lang}/gap/on-reserve-data").get_data(as_text=True)
    assert heading in page
    # The server-side SVG timeline and the same events as an ordered list.
    assert "<svg" in page and "<ol" in page
    assert f'href="/{lang}/report/' in page


def test_favicon_is_served(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


# -- home and navigation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "target"), [("fr-CA,fr;q=0.9,en;q=0.5", "/fr/"), ("en-CA", "/en/"), ("de", "/en/")]
)
def test_root_redirects_by_accept_language(client: FlaskClient, accept: str, target: str) -> None:
    response = client.get("/", headers={"Accept-Language": accept})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == target
    assert "Accept-Language" in response.headers["Vary"]


def test_home_says_what_the_catalog_holds(client: FlaskClient) -> None:
    data = client.get("/en/index.json").get_json()
    assert {h["scope"]: h["count"] for h in data["holdings"]} == {
        "sources": 5,
        "variables": 6,
        "gaps": 2,
        "recommendations": 1,
        "reports": 3,
    }
    assert {v["value"]: v["count"] for v in data["gap_status"]} == {"open": 1, "closed": 1}
    body = client.get("/en/").get_data(as_text=True)
    for link in ('href="/en/search"', 'href="/en/questions"', 'href="/sparql"', 'href="/catalog"'):
        assert link in body


def test_language_switch_keeps_the_page_and_the_query(client: FlaskClient) -> None:
    body = client.get("/en/search?q=emploi&frequency=MONTHLY&page=1").get_data(as_text=True)
    match = re.search(r'<a class="lang-switch" href="([^"]+)"', body)
    assert match
    switched = match.group(1).replace("&amp;", "&")
    assert switched == "/fr/search?q=emploi&frequency=MONTHLY&page=1"
    entity = client.get("/fr/geo/35").get_data(as_text=True)
    assert 'class="lang-switch" href="/en/geo/35"' in entity


def test_layout_on_a_language_neutral_page_switches_with_lang_parameter(
    client: FlaskClient,
) -> None:
    body = client.get("/sparql?lang=fr", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert html_lang(body) == "fr"
    assert 'class="lang-switch" href="/sparql?lang=en"' in body
    assert 'href="/fr/search"' in body  # the navigation follows the page language


# -- search through HTTP --------------------------------------------------------------------------


def test_search_json_shape(client: FlaskClient) -> None:
    data = client.get("/en/search.json?q=vacancy").get_json()
    assert data["total"] == 2
    assert [r["iri"].rsplit("/", 1)[-1] for r in data["results"]] == [
        "beta-vacancies",
        "epsilon-postings",
    ]
    assert data["results"][0]["href"] == "/en/source/beta-vacancies"
    for name, values in data["facets"].items():
        for value in values:
            assert {"value", "label", "count", "selected"} <= set(value), name
    assert data["query"] == {
        "q": "vacancy",
        "scope": "sources",
        "filters": {},
        "sort": "relevance",
        "page": 1,
        "size": 20,
    }


def test_facet_links_toggle_and_counts_update(client: FlaskClient) -> None:
    data = client.get("/en/search.json").get_json()
    weekly = next(v for v in data["facets"]["frequency"] if v["value"] == "WEEKLY")
    narrowed = client.get(weekly["href"]).get_data(as_text=True)
    assert "1 result" in narrowed and "Epsilon Postings API" in narrowed
    narrowed_json = client.get(json_url(weekly["href"])).get_json()
    assert narrowed_json["facets"]["publisher"] == [
        {
            "value": "lmic",
            "label": "Labour Market Information Council",
            "label_lang": "en",
            "count": 1,
            "selected": False,
            "iri": "https://w3id.org/lmickg/id/org/lmic",
            "parent": None,
            "depth": 0,
            "href": "/en/search?publisher=lmic&frequency=WEEKLY",
        }
    ]
    # Each selected value is removable, and removing it restores the full list.
    (active,) = narrowed_json["active"]
    assert active["remove"] == "/en/search"
    assert client.get(json_url(active["remove"])).get_json()["total"] == 5


def test_zero_results_suggest_what_to_remove(client: FlaskClient) -> None:
    data = client.get("/en/search.json?q=vacancy&frequency=ANNUAL&group=women").get_json()
    assert data["total"] == 0
    suggestions = {(s["remove"], s.get("facet")): s["total"] for s in data["suggestions"]}
    assert suggestions == {("filter", "frequency"): 0, ("filter", "group"): 0, ("text", None): 0}
    data = client.get("/en/search.json?q=vacancy&frequency=ANNUAL").get_json()
    assert data["suggestions"][0] == {
        "remove": "filter",
        "facet": "frequency",
        "facet_label": "Frequency",
        "value": "ANNUAL",
        "label": "annual",
        "label_lang": "en",
        "total": 2,
        "href": "/en/search?q=vacancy",
    }
    body = client.get("/en/search?q=vacancy&frequency=ANNUAL").get_data(as_text=True)
    assert "Try removing a filter" in body and 'href="/en/search?q=vacancy"' in body


def test_pagination_links(client: FlaskClient) -> None:
    data = client.get("/en/search.json?size=2&page=2").get_json()
    pages = data["pagination"]
    assert (pages["page"], pages["pages"]) == (2, 3)
    assert pages["prev"] == "/en/search?size=2" and pages["next"] == "/en/search?size=2&page=3"
    assert len(data["results"]) == 2


def test_sort_and_scope_in_the_url(client: FlaskClient) -> None:
    data = client.get("/fr/search.json?scope=reports&sort=newest").get_json()
    assert [r["date"] for r in data["results"]] == ["2018-07", "2014", "2009-05-20"]
    scopes = {s["value"]: s for s in data["scopes"]}
    assert scopes["reports"]["selected"] and scopes["gaps"]["href"] == "/fr/search?scope=gaps"
    assert data["facets"]["creator"][0]["label"] in {
        "Bureau du vérificateur général du Canada",
        "Conseil de l'information sur le marché du travail",
        "Forum des ministres du marché du travail",
    }


def test_search_csv_export(client: FlaskClient) -> None:
    import csv
    import io

    response = client.get("/fr/search.csv?q=emploi&sort=title&page=9&size=1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["X-Total-Count"] == "3"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["iri"].rsplit("/", 1)[-1] for r in rows] == [
        "epsilon-postings",
        "alpha-survey",
        "delta-payroll",
    ]
    alpha = rows[1]
    assert alpha["title"] == "Enquête Alpha sur l'emploi au Québec"
    assert alpha["page"].endswith("/fr/source/alpha-survey")
    assert alpha["frequency"] == "mensuel" and alpha["variable"] == "Emploi | Taux de chômage"
    assert client.get("/en/search.csv?frequency=SOMETIMES").status_code == 400
    page = client.get("/en/search?q=emploi").get_data(as_text=True)
    assert 'href="/en/search.csv?q=emploi"' in page


@pytest.mark.parametrize(
    ("text", "cell"), [("=cmd()", "'=cmd()"), ("@x", "'@x"), ("Plain", "Plain")]
)
def test_csv_cells_never_start_a_formula(text: str, cell: str) -> None:
    from webapp.site.search_page import _cell

    assert _cell(text) == cell


def test_search_works_without_javascript(client: FlaskClient) -> None:
    body = client.get("/en/search?q=emploi").get_data(as_text=True)
    assert '<form class="search-form" role="search" action="" method="get">' in body
    assert "<script" not in body  # nothing on the search page needs a script


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "english", "french"),
    [
        (
            "/{lang}/search?publisher=nobody",
            400,
            "is not a value of publisher",
            "n'est pas une valeur de publisher",
        ),
        ("/{lang}/search?colour=red", 400, "Unknown parameter", "Paramètre inconnu"),
        ("/{lang}/search?page=abc", 400, "must be a whole number", "doit être un nombre entier"),
        ("/{lang}/search?page=99", 404, "There is no page 99", "Il n'y a pas de page 99"),
        ("/{lang}/search?size=100000", 400, "must be a whole number", "doit être un nombre entier"),
        ("/{lang}/search?q=" + "x" * 600, 400, "too long", "trop long"),
        (
            "/{lang}/search?scope=everything",
            400,
            "not something the catalog searches",
            "ne cherche pas",
        ),
        (
            "/{lang}/source/does-not-exist",
            404,
            "The catalog has no entity",
            "Le catalogue ne contient aucune",
        ),
        ("/{lang}/nothing", 404, "There is no page at", "Il n'y a aucune page"),
        (
            "/{lang}/source/%3Cscript%3E",
            404,
            "The catalog has no entity",
            "Le catalogue ne contient aucune",
        ),
    ],
)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_bad_input_gets_a_clear_4xx_in_the_page_language(
    client: FlaskClient, url: str, status: int, english: str, french: str, lang: str
) -> None:
    target = url.format(lang=lang)
    response = client.get(target)
    assert response.status_code == status, target
    body = response.get_data(as_text=True)
    assert (english if lang == "en" else french.replace("'", "&#39;")) in body
    assert html_lang(body) == lang
    twin = client.get(target, headers={"Accept": "application/json"})
    assert twin.status_code == status and twin.mimetype == "application/json"
    error = twin.get_json()["error"]
    assert error["status"] == status and (english if lang == "en" else french) in error["message"]


def test_unknown_value_error_lists_the_allowed_values(client: FlaskClient) -> None:
    error = client.get("/en/search.json?frequency=SOMETIMES").get_json()["error"]
    assert error["parameter"] == "frequency" and error["value"] == "SOMETIMES"
    assert error["allowed"] == ["WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL"]


def test_unknown_machine_path_answers_json(client: FlaskClient) -> None:
    response = client.get("/no-such-endpoint", headers={"Accept": "*/*"})
    assert response.status_code == 404 and response.mimetype == "application/json"
    browser = client.get("/no-such-endpoint", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.status_code == 404 and browser.mimetype == "text/html"


def test_no_catalog_is_503_with_what_to_do(tmp_path: Path) -> None:
    client = create_app({"STORE_ROOT": str(tmp_path), "TESTING": True}).test_client()
    response = client.get("/fr/search")
    assert response.status_code == 503
    assert "Lancez « lmickg build »" in response.get_data(as_text=True)
    assert client.get("/en/search.json").get_json()["error"]["status"] == 503


def test_wrong_method_is_405_not_500(client: FlaskClient) -> None:
    response = client.post("/en/search")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/en/source/alpha-survey")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_source_pages_embed_schema_org_json_ld(client: FlaskClient) -> None:
    body = client.get("/fr/source/alpha-survey").get_data(as_text=True)
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert match
    data = json.loads(match.group(1))
    assert data["@type"] == "Dataset" and data["name"] == "Enquête Alpha sur l'emploi au Québec"
    assert "<script" not in client.get("/fr/gap/local-job-vacancies").get_data(as_text=True)


# -- catalog text is escaped everywhere ------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """The fixture catalog plus one record whose text tries to inject markup."""
    root = tmp_path_factory.mktemp("hostile-store")
    build([HERE / "data" / "catalog", EXTRA, HERE.parent / "ontology"], root, workers=1)
    yield create_app({"STORE_ROOT": str(root), "TESTING": True}).test_client()


@pytest.mark.parametrize(
    "url",
    [
        "/en/search?q=zeta",
        "/fr/search?q=zeta",
        "/en/source/hostile",
        "/fr/source/hostile",
        "/en/org/statcan",
    ],
)
def test_catalog_text_is_escaped(hostile_client: FlaskClient, url: str) -> None:
    response = hostile_client.get(url)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "<img src=x" not in body and "<b>" not in body
    if "search" in url or "source" in url:
        assert "&lt;script&gt;alert(" in body
    # Only the JSON-LD data block may be a script element, and it cannot be closed early.
    scripts = re.findall(r"<script[^>]*>", body)
    assert all(s == '<script type="application/ld+json">' for s in scripts)
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S):
        assert "<" not in block
        assert "alert('x')" in json.loads(block)["name"]


def test_nested_blank_nodes_in_coverages_render(hostile_client: FlaskClient) -> None:
    for url in ("/en/variable/employment", "/fr/source/hostile", "/en/source/hostile.json"):
        assert hostile_client.get(url).status_code == 200, url


def test_hostile_json_is_plain_text(hostile_client: FlaskClient) -> None:
    data = hostile_client.get("/en/search.json?q=zeta").get_json()
    assert data["results"][0]["title"] == "Zeta <script>alert('x')</script> survey"


def test_query_echo_is_escaped(client: FlaskClient) -> None:
    body = client.get('/en/search?q="><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body


def test_query_string_survives_round_trip(client: FlaskClient) -> None:
    data = client.get("/en/search.json?q=l%27emploi+%C3%A0+Qu%C3%A9bec&geo=35&geo=24").get_json()
    assert data["query"]["q"] == "l'emploi à Québec"
    assert data["query"]["filters"] == {"geo": ["35", "24"]}
    html_link = data["links"]["html"]
    assert parse_qs(urlsplit(html_link).query) == {"q": ["l'emploi à Québec"], "geo": ["35", "24"]}


def test_label_helper_for_other_templates(app: Flask) -> None:
    with app.test_request_context("/fr/search"):
        app.preprocess_request()
        helpers = {}
        for processor in app.template_context_processors[None]:
            helpers.update(processor())
        label = helpers["label"]
        assert str(label({"en": "Women", "fr": "Femmes"})) == "Femmes"
        assert str(label({"en": "Only <English>"})) == (
            '<span lang="en" class="fallback">Only &lt;English&gt;</span>'
        )
        assert helpers["localized"]({"en": "Only English"}) == {
            "text": "Only English",
            "lang": "en",
        }
        assert helpers["lang"] == "fr" and helpers["switch_url"] == "/en/search"
