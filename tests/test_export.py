"""The /catalog export, harvested the way another portal would: rdflib and plain HTTP only.

The harvester in this module uses no lmickg code: it fetches a page, parses it with rdflib,
collects the catalog records (a record whose adms:status is the ADMS change type "Deleted" is a
tombstone) and follows hydra:next until there is none.
"""

from __future__ import annotations

import json
import shutil
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD
from werkzeug.serving import make_server

from lmickg.build import build
from lmickg.store import StoreRoot
from webapp import create_app

from .conftest import CATALOG_DESCRIPTION, FIXTURE_CATALOG, LINKED_DATA_EXTRA, ONTOLOGY

DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
CHANGE = Namespace("http://purl.org/adms/changetype/")
LMIC = Namespace("https://w3id.org/lmickg/ns#")
CATALOG = URIRef("https://w3id.org/lmickg/catalog")
SOURCE = "https://w3id.org/lmickg/id/source/"
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}
ZETA = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://w3id.org/lmickg/id/source/zeta-test> a dcat:Dataset ;
    dct:title "Zeta test source"@en , "Source d'essai Zêta"@fr ;
    dct:description "A source added while a harvest runs (test fixture)."@en ;
    dct:publisher <https://w3id.org/lmickg/id/org/statcan> ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> .
"""

Fetch = Callable[[str], tuple[bytes, str]]
# rdflib's own JSON-LD parser still builds a ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


@dataclass
class Harvest:
    """What the independent harvester saw."""

    pages: int = 0
    live: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    graphs: list[Graph] = field(default_factory=list)

    def result(self) -> set[str]:
        """The data sources a harvester keeps: replay records in order, drop tombstones."""
        kept: set[str] = set()
        for topic, alive in self.events:
            (kept.add if alive else kept.discard)(topic)
        return kept

    events: list[tuple[str, bool]] = field(default_factory=list)


def harvest(fetch: Fetch, start: str, between: Callable[[int], None] | None = None) -> Harvest:
    """Page through a DCAT catalog from ``start`` following hydra:next."""
    seen = Harvest()
    url: str | None = start
    while url is not None:
        body, content_type = fetch(url)
        graph = Graph().parse(data=body, format=RDFLIB_FORMATS[content_type.split(";")[0]])
        seen.graphs.append(graph)
        views = list(graph.subjects(RDF.type, HYDRA.PartialCollectionView))
        assert len(views) == 1
        records = sorted(
            graph.subjects(RDF.type, DCAT.CatalogRecord),
            key=lambda r: (str(graph.value(r, DCTERMS.modified)), str(r)),
        )
        for record in records:
            topic = str(graph.value(record, FOAF.primaryTopic))
            alive = graph.value(record, ADMS.status) != CHANGE.Deleted
            (seen.live if alive else seen.deleted).append(topic)
            seen.events.append((topic, alive))
        following = graph.value(views[0], HYDRA.next)
        assert following is None or isinstance(following, URIRef), "hydra:next must be an IRI"
        if between is not None:
            between(seen.pages)
        seen.pages += 1
        url = str(following) if following is not None else None
        assert seen.pages < 100
    return seen


def client_fetch(client: FlaskClient) -> Fetch:
    def fetch(url: str) -> tuple[bytes, str]:
        response = client.get(url)
        assert response.status_code == 200, response.data
        return response.data, response.headers["Content-Type"]

    return fetch


def store_sources(root: Path) -> set[str]:
    store = StoreRoot(root).open_current()
    rows = store.select(
        "SELECT DISTINCT ?s WHERE { VALUES ?t { dcat:Dataset dcat:DatasetSeries dcat:DataService }"
        " ?s a ?t }"
    )
    return {str(r["s"]) for r in rows}


@pytest.mark.parametrize("extension", ["ttl", "nt", "jsonld", "rdf"])
def test_harvest_collects_every_data_source(
    ld_client: FlaskClient, ld_store: Path, extension: str
) -> None:
    seen = harvest(client_fetch(ld_client), f"http://localhost/catalog.{extension}?page_size=2")
    assert seen.pages == 3
    assert sorted(seen.live) == sorted(store_sources(ld_store))
    assert seen.deleted == []


def test_harvest_over_real_http(ld_app: Flask, ld_store: Path) -> None:
    server = make_server("127.0.0.1", 0, ld_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:

        def fetch(url: str) -> tuple[bytes, str]:
            request = urllib.request.Request(url, headers={"Accept": "text/turtle"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read(), response.headers["Content-Type"]

        start = f"http://127.0.0.1:{server.server_port}/catalog?page_size=2"
        seen = harvest(fetch, start)
    finally:
        server.shutdown()
        thread.join()
    assert sorted(seen.live) == sorted(store_sources(ld_store))
    view = next(seen.graphs[0].subjects(RDF.type, HYDRA.PartialCollectionView))
    # Pages link on from the URL the harvester used, on the host it reached.
    assert str(view) == start


@pytest.fixture
def changing(tmp_path: Path) -> Iterator[tuple[Path, Path, FlaskClient]]:
    """A catalog directory that tests edit, its store root, and a client serving it."""
    catalog = tmp_path / "catalog"
    shutil.copytree(FIXTURE_CATALOG, catalog)
    root = tmp_path / "store"
    rebuild(catalog, root)
    app = create_app({"STORE_ROOT": str(root), "TESTING": True, "PAGE_TOKEN_SECRET": "x"})
    yield catalog, root, app.test_client()


def rebuild(catalog: Path, root: Path) -> None:
    build([catalog, ONTOLOGY, CATALOG_DESCRIPTION, LINKED_DATA_EXTRA], root, workers=1)


def test_harvest_while_records_are_added_and_removed(
    changing: tuple[Path, Path, FlaskClient],
) -> None:
    catalog, root, client = changing

    def between(page: int) -> None:
        if page == 0:
            # alpha was on the first page; gamma was not reached yet; zeta is new.
            (catalog / "sources" / "alpha-survey.ttl").unlink()
            (catalog / "sources" / "gamma-outcomes.ttl").unlink()
            (catalog / "sources" / "zeta-test.ttl").write_text(ZETA)
            rebuild(catalog, root)

    seen = harvest(client_fetch(client), "http://localhost/catalog.ttl?page_size=2", between)
    assert len(seen.live) == len(set(seen.live)), "a record was listed twice"
    assert SOURCE + "alpha-survey" in seen.live
    assert SOURCE + "alpha-survey" in seen.deleted, "the removal was not signalled"
    assert SOURCE + "gamma-outcomes" not in seen.live
    assert SOURCE + "zeta-test" in seen.live
    assert seen.result() == store_sources(root)


def test_record_edited_during_a_harvest_is_listed_again_as_updated(
    changing: tuple[Path, Path, FlaskClient],
) -> None:
    catalog, root, client = changing

    def between(page: int) -> None:
        if page == 0:
            path = catalog / "sources" / "alpha-survey.ttl"
            path.write_text(path.read_text().replace("Alpha Labour Survey", "Alpha Survey"))
            rebuild(catalog, root)

    seen = harvest(client_fetch(client), "http://localhost/catalog.ttl?page_size=2", between)
    assert seen.live.count(SOURCE + "alpha-survey") == 2
    last = seen.graphs[-1]
    record = URIRef("https://w3id.org/lmickg/id/record/source/alpha-survey")
    assert last.value(record, ADMS.status) == CHANGE.Updated
    assert (
        URIRef(SOURCE + "alpha-survey"),
        DCTERMS.title,
        Literal("Alpha Survey", lang="en"),
    ) in last
    assert seen.result() == store_sources(root)


def test_modified_since_lists_only_changes_with_tombstones(
    changing: tuple[Path, Path, FlaskClient],
) -> None:
    catalog, root, client = changing
    first = Graph().parse(data=client.get("/catalog.ttl").data, format="turtle")
    built = first.value(CATALOG, DCTERMS.modified)
    assert built is not None and built.datatype == XSD.dateTime
    (catalog / "sources" / "gamma-outcomes.ttl").unlink()
    (catalog / "sources" / "zeta-test.ttl").write_text(ZETA)
    rebuild(catalog, root)
    # modified_since is inclusive: one microsecond after the first build leaves its records out.
    since = (built.toPython() + timedelta(microseconds=1)).isoformat().replace("+00:00", "Z")
    seen = harvest(client_fetch(client), f"http://localhost/catalog.ttl?modified_since={since}")
    assert seen.live == [SOURCE + "zeta-test"]
    assert seen.deleted == [SOURCE + "gamma-outcomes"]
    tombstone = seen.graphs[0]
    gamma = URIRef(SOURCE + "gamma-outcomes")
    assert (gamma, DCTERMS.title, Literal("Gamma Outcomes Platform", lang="en")) in tombstone
    assert (CATALOG, DCAT.dataset, gamma) not in tombstone
    total = tombstone.value(CATALOG, HYDRA.totalItems)
    assert total is not None and total.toPython() == 2
    # A full harvest started now does not list deletions made before it began.
    full = harvest(client_fetch(client), "http://localhost/catalog.ttl")
    assert full.deleted == [] and set(full.live) == store_sources(root)


def test_modified_since_older_than_the_kept_tombstones_is_gone(
    changing: tuple[Path, Path, FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog, root, client = changing
    (catalog / "sources" / "gamma-outcomes.ttl").unlink()
    rebuild(catalog, root)
    monkeypatch.setenv("LMICKG_TOMBSTONE_DAYS", "0")
    rebuild(catalog, root)
    response = client.get("/catalog.ttl?modified_since=2000-01-01")
    assert response.status_code == 410
    assert "without modified_since" in response.json["error"]


def test_every_format_of_a_page_is_the_same_graph(ld_client: FlaskClient) -> None:
    first = Graph().parse(data=ld_client.get("/catalog.ttl?page_size=2").data, format="turtle")
    following = str(first.value(first.value(CATALOG, HYDRA.view), HYDRA.next))
    token = following.split("page=")[1]
    graphs = {
        extension: Graph().parse(
            data=ld_client.get(f"/catalog.{extension}?page={token}").data,
            format=RDFLIB_FORMATS[media_type],
        )
        for extension, media_type in zip(
            ["ttl", "nt", "jsonld", "rdf"], RDFLIB_FORMATS, strict=True
        )
    }
    # The view's own IRI names the format it was asked in; everything else is the same.
    for extension, graph in graphs.items():
        view = graph.value(CATALOG, HYDRA.view)
        assert view is not None and f"/catalog.{extension}?" in str(view)
        graph.remove((CATALOG, HYDRA.view, None))
        for triple in list(graph.triples((view, None, None))):
            graph.remove(triple)
    assert len(graphs["ttl"]) > 50
    for extension in ("nt", "jsonld", "rdf"):
        assert isomorphic(graphs[extension], graphs["ttl"]), extension


def test_page_links_are_iris_in_rdf_and_http(ld_client: FlaskClient) -> None:
    response = ld_client.get("/catalog.ttl?page_size=2")
    graph = Graph().parse(data=response.data, format="turtle")
    view = graph.value(CATALOG, HYDRA.view)
    assert view == URIRef("http://localhost/catalog.ttl?page_size=2")
    assert (view, RDF.type, HYDRA.PartialCollectionView) in graph
    for link in (HYDRA.first, HYDRA.next, HYDRA.last):
        assert isinstance(graph.value(view, link), URIRef)
    assert graph.value(view, HYDRA.previous) is None
    total = graph.value(CATALOG, HYDRA.totalItems)
    assert total is not None and total.toPython() == 5
    links = response.headers["Link"]
    assert f'<{graph.value(view, HYDRA.next)}>; rel="next"' in links
    assert '<http://localhost/catalog.ttl?page_size=2>; rel="first"' in links
    second = ld_client.get(str(graph.value(view, HYDRA.next)))
    assert 'rel="prev"' in second.headers["Link"]


def test_catalog_describes_itself(ld_client: FlaskClient) -> None:
    graph = Graph().parse(data=ld_client.get("/catalog.ttl").data, format="turtle")
    assert (CATALOG, RDF.type, DCAT.Catalog) in graph
    titles = {t.language for t in graph.objects(CATALOG, DCTERMS.title)}
    descriptions = {t.language for t in graph.objects(CATALOG, DCTERMS.description)}
    assert titles == descriptions == {"en", "fr"}
    publisher = graph.value(CATALOG, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert graph.value(CATALOG, DCTERMS.license) is not None
    assert graph.value(CATALOG, FOAF.homepage) is not None
    assert URIRef("https://w3id.org/lmickg/id/scheme/themes") in set(
        graph.objects(CATALOG, DCAT.themeTaxonomy)
    )
    assert len(set(graph.objects(CATALOG, DCTERMS.language))) == 2
    assert (CATALOG, URIRef("http://rdfs.org/ns/void#sparqlEndpoint"), None) in graph
    assert graph.value(CATALOG, DCTERMS.issued) is not None
    for record in graph.objects(CATALOG, DCAT.record):
        assert graph.value(record, DCTERMS.modified).datatype == XSD.dateTime


def test_native_profile_keeps_lmic_properties(ld_client: FlaskClient) -> None:
    native = ld_client.get("/catalog.ttl?_profile=lmic")
    assert native.headers["Content-Profile"] == "<https://w3id.org/lmickg/ns>"
    graph = Graph().parse(data=native.data, format="turtle")
    alpha = URIRef(SOURCE + "alpha-survey")
    assert graph.value(alpha, LMIC.variable) is not None
    next_page = graph.value(graph.value(CATALOG, HYDRA.view), HYDRA.next)
    assert next_page is None or "_profile=lmic" in str(next_page)
    default = ld_client.get("/catalog.ttl")
    assert default.headers["Content-Profile"] == "<http://data.europa.eu/r5r/>"
    dcat_ap = Graph().parse(data=default.data, format="turtle")
    assert dcat_ap.value(alpha, LMIC.variable) is None
    assert dcat_ap.value(alpha, DCTERMS.title) is not None


def test_catalog_negotiates_formats_and_sends_browsers_to_the_page(ld_client: FlaskClient) -> None:
    for media_type in RDFLIB_FORMATS:
        response = ld_client.get("/catalog", headers={"Accept": media_type})
        assert response.status_code == 200
        assert response.headers["Content-Type"].split(";")[0] == media_type
        assert "Accept" in response.headers["Vary"]
        Graph().parse(data=response.data, format=RDFLIB_FORMATS[media_type])
    browser = ld_client.get(
        "/catalog?page_size=3",
        headers={"Accept": "text/html,*/*;q=0.8", "Accept-Language": "fr-CA,fr;q=0.9"},
    )
    assert browser.status_code == 303
    assert browser.headers["Location"].endswith("/fr/catalog?page_size=3")


def test_unchanged_page_answers_not_modified(ld_client: FlaskClient) -> None:
    first = ld_client.get("/catalog.ttl")
    etag = first.headers["ETag"]
    again = ld_client.get("/catalog.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("url", "status", "names"),
    [
        ("/catalog.csv", 404, "/catalog.ttl"),
        ("/catalog.ttl?page_size=0", 400, "1 to 1000"),
        ("/catalog.ttl?page_size=many", 400, "1 to 1000"),
        ("/catalog.ttl?page_size=100000", 400, "1 to 1000"),
        ("/catalog.ttl?modified_since=yesterday", 400, "2026-12-01"),
        ("/catalog.ttl?page=not-a-token", 400, "first page"),
        ("/catalog.ttl?page=e30.AAAA", 400, "signature"),
        ("/catalog.ttl?_profile=ckan", 400, "dcat-ap"),
        ("/catalog.ttl?_profile=schema", 406, "dcat-ap"),
    ],
)
def test_bad_catalog_requests_say_what_is_allowed(
    ld_client: FlaskClient, url: str, status: int, names: str
) -> None:
    response = ld_client.get(url)
    assert response.status_code == status
    assert response.is_json
    assert names in json.dumps(response.json)


def test_forged_and_expired_page_tokens_are_refused(ld_store: Path) -> None:
    app = create_app(
        {
            "STORE_ROOT": str(ld_store),
            "TESTING": True,
            "PAGE_TOKEN_SECRET": "s",
            "PAGE_TOKEN_TTL": 0,
        }
    )
    client = app.test_client()
    graph = Graph().parse(data=client.get("/catalog.ttl?page_size=2").data, format="turtle")
    following = str(graph.value(graph.value(CATALOG, HYDRA.view), HYDRA.next))
    expired = client.get(following)
    assert expired.status_code == 400 and expired.json["reason"] == "expired"
    other = create_app({"STORE_ROOT": str(ld_store), "TESTING": True, "PAGE_TOKEN_SECRET": "t"})
    forged = other.test_client().get(following)
    assert forged.status_code == 400 and forged.json["reason"] == "forged"


def test_page_token_fixes_its_filter(ld_client: FlaskClient) -> None:
    graph = Graph().parse(data=ld_client.get("/catalog.ttl?page_size=2").data, format="turtle")
    following = str(graph.value(graph.value(CATALOG, HYDRA.view), HYDRA.next))
    assert ld_client.get(following + "&page_size=2").status_code == 200
    conflict = ld_client.get(following + "&page_size=3")
    assert conflict.status_code == 400 and "first page" in conflict.json["error"]


def test_harvest_page_for_people(ld_client: FlaskClient) -> None:
    english = ld_client.get("/en/catalog?page_size=2")
    assert english.status_code == 200
    text = english.data.decode()
    assert "Harvesting the catalog" in text and 'href="/catalog.ttl"' in text
    assert 'rel="next"' in text and "Alpha Labour Survey" in text
    french = ld_client.get("/fr/catalog").data.decode()
    assert "Moissonner le catalogue" in french and "Enquête Alpha" in french
    twin = ld_client.get("/en/catalog.json?page_size=2").json
    assert twin["total"] == 5 and len(twin["records"]) == 2
    assert twin["records"][0]["page"] == "/en/source/alpha-survey"
    assert {f["type"] for f in twin["formats"]} == set(RDFLIB_FORMATS)
    assert ld_client.get("/de/catalog").status_code == 404


@pytest.mark.parametrize(
    ("url", "status", "text"),
    [
        ("/fr/catalog?page_size=0", 400, "page_size doit être un nombre entier de 1 à 1000"),
        ("/fr/catalog?modified_since=hier", 400, "modified_since doit être une date"),
        ("/en/catalog?page=bogus", 400, "This page link is not valid any more"),
    ],
)
def test_harvest_page_says_what_is_wrong_in_its_language(
    ld_client: FlaskClient, url: str, status: int, text: str
) -> None:
    response = ld_client.get(url)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert text in response.data.decode()
