"""Every vocabulary term the code uses, in one place.

Project terms are a closed ``DefinedNamespace`` so a typo fails at import time, and
``tests/test_namespaces.py`` checks that each of them is defined in ``ontology/lmic.ttl``.
Entity IRIs are minted with :func:`entity_iri` so the ``/id/{kind}/{key}`` pattern lives here only.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT as _DCAT2
from rdflib.namespace import (
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    VOID,
    XSD,
    DefinedNamespace,
)

__all__ = [
    "ACCESS",
    "ADMS",
    "BASE_IRI",
    "CATALOG",
    "CHANGETYPE",
    "DCAT",
    "DCATAP",
    "DCT",
    "DQV",
    "ENTAILMENT",
    "EULANG",
    "FOAF",
    "FORMATS",
    "FREQ",
    "FTYPE",
    "GRAPH_BASE",
    "HYDRA",
    "ID",
    "IOP",
    "LICENCETYPE",
    "LMIC",
    "LMIC_ONTOLOGY",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SD",
    "SDO",
    "SH",
    "SKOS",
    "VOID",
    "XKOS",
    "XSD",
    "entity_iri",
]

#: The canonical base of every IRI the catalog mints. Stored data always uses it; a server
#: running elsewhere answers ``{BASE_IRI}PATH`` at ``/PATH`` (see webapp), so IRIs never change.
BASE_IRI = "https://w3id.org/lmickg/"
LMIC_ONTOLOGY = URIRef(BASE_IRI + "ns")
ID = Namespace(BASE_IRI + "id/")
#: Named graphs: one per catalog file (``graph/{catalog dir name}/{relative path}``).
GRAPH_BASE = BASE_IRI + "graph/"
#: The dcat:Catalog this site publishes (described in ``catalog_ttl/catalog.ttl``); answered at
#: ``/catalog`` like every ``{BASE_IRI}PATH``.
CATALOG = URIRef(BASE_IRI + "catalog")

DCT = DCTERMS


class DCAT(_DCAT2):
    """DCAT 3: rdflib's DCAT (version 2) plus the terms DCAT 3 added."""

    DatasetSeries: URIRef
    inSeries: URIRef
    seriesMember: URIRef
    first: URIRef
    last: URIRef
    prev: URIRef
    version: URIRef
    hasVersion: URIRef
    hasCurrentVersion: URIRef
    previousVersion: URIRef


DQV = Namespace("http://www.w3.org/ns/dqv#")
XKOS = Namespace("http://rdf-vocabulary.ddialliance.org/xkos#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
IOP = Namespace("https://w3id.org/iadopt/ont/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
#: Unique URIs for file formats (W3C), used by SPARQL service descriptions.
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")
FREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")
ACCESS = Namespace("http://publications.europa.eu/resource/authority/access-right/")
FTYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EULANG = Namespace("http://publications.europa.eu/resource/authority/language/")
#: DCAT-AP's own namespace; its IRI also names the DCAT-AP profile (dct:conformsTo, profiles).
DCATAP = Namespace("http://data.europa.eu/r5r/")
#: ADMS change types for catalog records (DCAT-AP adms:status): Created, Updated, Deleted.
CHANGETYPE = Namespace("http://purl.org/adms/changetype/")
LICENCETYPE = Namespace("http://purl.org/adms/licencetype/")


class LMIC(DefinedNamespace):
    """The lmickg ontology (``ontology/lmic.ttl``)."""

    _NS = Namespace(BASE_IRI + "ns#")
    _fail = True

    # Classes
    Variable: URIRef
    VariableCoverage: URIRef
    PopulationGroup: URIRef
    GeographicLevel: URIRef
    Report: URIRef
    Recommendation: URIRef
    Gap: URIRef
    GapAssessment: URIRef
    InformationNeed: URIRef
    Initiative: URIRef
    Project: URIRef
    PlanOutput: URIRef

    # Data sources
    variable: URIRef
    qualifiedVariable: URIRef
    breakdown: URIRef
    unitOfMeasure: URIRef
    geographicGranularity: URIRef
    populationGroup: URIRef
    excludedPopulationGroup: URIRef
    targetPopulation: URIRef
    usesClassification: URIRef

    # Reports, recommendations, gaps, assessments, needs, plans
    identifiedIn: URIRef
    recommendedIn: URIRef
    addresses: URIRef
    recommendedTo: URIRef
    concernsVariable: URIRef
    concernsGeographicLevel: URIRef
    concernsPopulationGroup: URIRef
    concernsFrequency: URIRef
    concernsBreakdown: URIRef
    priorityArea: URIRef
    assesses: URIRef
    status: URIRef
    addressedBy: URIRef
    strategicGoal: URIRef
    answers: URIRef
    timeline: URIRef
    statedRecommendationCount: URIRef
    periodInDays: URIRef


#: Prefixes offered to SPARQL users, serializers and the query UI.
PREFIXES: dict[str, str] = {
    "lmic": str(LMIC._NS),
    "id": str(ID),
    "dcat": str(DCAT),
    "dct": str(DCT),
    "skos": str(SKOS),
    "xkos": str(XKOS),
    "prov": str(PROV),
    "dqv": str(DQV),
    "foaf": str(FOAF),
    "org": str(ORG),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "sh": str(SH),
    "void": str(VOID),
    "schema": str(SDO),
    "hydra": str(HYDRA),
    "adms": str(ADMS),
    "freq": str(FREQ),
    "access": str(ACCESS),
    "ftype": str(FTYPE),
    "eulang": str(EULANG),
    "dcatap": str(DCATAP),
    "changetype": str(CHANGETYPE),
}


def entity_iri(kind: str, key: str) -> URIRef:
    """Mint the stable IRI of an entity, e.g. ``entity_iri("source", "lfs")``."""
    if not kind or not key or "/" in kind:
        raise ValueError(f"bad entity kind/key: {kind!r}/{key!r}")
    return ID[f"{kind}/{key}"]
