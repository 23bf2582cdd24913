"""schema.org Dataset JSON-LD for data sources (lmickg.schemaorg)."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SDO

from lmickg.namespaces import ID
from lmickg.schemaorg import dataset_jsonld
from lmickg.store import OxigraphStore, from_oxigraph

ALPHA = str(ID["source/alpha-survey"])


def test_alpha_in_english(fixture_store: OxigraphStore) -> None:
    data = dataset_jsonld(fixture_store, ALPHA, "en")
    assert data["@type"] == "Dataset"
    assert data["name"] == "Alpha Labour Survey"
    assert data["description"] == "Monthly household survey of employment and unemployment."
    assert data["url"] == data["@id"] == ALPHA
    assert data["identifier"] == ["9001", ALPHA]
    assert data["publisher"] == {
        "@type": "Organization",
        "@id": str(ID["org/statcan"]),
        "name": "Statistics Canada",
    }
    assert data["creator"] == [data["publisher"]]
    assert data["spatialCoverage"] == [
        {"@type": "Place", "@id": str(ID["geo/CA"]), "name": "Canada"}
    ]
    assert data["temporalCoverage"] == "1976/.."
    assert {v["name"] for v in data["variableMeasured"]} == {"Employment", "Unemployment rate"}
    assert data["distribution"] == [
        {
            "@type": "DataDownload",
            "@id": str(ID["distribution/alpha-table"]),
            "name": "Alpha table by province",
            "contentUrl": "https://example.org/alpha/table",
            "encodingFormat": "text/csv",
            "identifier": ["99-10-0001-01"],
        }
    ]
    assert data["inLanguage"] == ["en", "fr"]
    assert "employment" in data["keywords"] and "emploi" not in data["keywords"]
    assert data["dateModified"] == "2026-11-06"
    assert data["sameAs"] == ["https://example.org/alpha"]
    assert "license" not in data  # none recorded: nothing is guessed


def test_french_texts_fall_back_to_english(fixture_store: OxigraphStore) -> None:
    data = dataset_jsonld(fixture_store, str(ID["source/gamma-outcomes"]), "fr")
    assert data["name"] == "Plateforme Gamma des résultats"
    assert data["description"] == "Annual linked records on graduates' earnings."  # English only
    assert data["distribution"][0]["contentUrl"] == "https://example.org/gamma/rdc"
    assert "encodingFormat" not in data["distribution"][0]


def test_without_language_every_text_is_tagged(fixture_store: OxigraphStore) -> None:
    data = dataset_jsonld(fixture_store, ALPHA)
    assert {"@value": "Alpha Labour Survey", "@language": "en"} in data["name"]
    assert {"@value": "Enquête Alpha sur l'emploi au Québec", "@language": "fr"} in data["name"]


def test_is_json_ld_that_parses_to_schema_org(fixture_store: OxigraphStore) -> None:
    data = dataset_jsonld(fixture_store, ALPHA)
    # Offline: the remote schema.org context is replaced by its vocabulary mapping.
    data["@context"] = {"@vocab": str(SDO)}
    graph = Graph()
    for t in ox.parse(json.dumps(data).encode(), format=ox.RdfFormat.JSON_LD):
        graph.add((from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object)))
    subject = URIRef(ALPHA)
    assert (subject, SDO.name, Literal("Alpha Labour Survey", lang="en")) in graph
    assert (subject, SDO.temporalCoverage, Literal("1976/..")) in graph
    assert len(list(graph.objects(subject, SDO.variableMeasured))) == 2


@pytest.mark.parametrize(
    "iri", [str(ID["source/nothing-here"]), str(ID["gap/local-job-vacancies"])]
)
def test_unknown_or_other_entities(fixture_store: OxigraphStore, iri: str) -> None:
    data = dataset_jsonld(fixture_store, iri)
    if iri.endswith("nothing-here"):
        assert data == {}
    else:
        assert data["name"]  # it still describes whatever it is asked about
