"""schema.org ``Dataset`` JSON-LD for a data source, so that search engines can index it.

Built from the source's description in the store (:func:`lmickg.entities.describe`), mapping
DCAT to schema.org as the W3C DCAT–schema.org alignment does: title → ``name``, publisher →
``publisher``/``creator``, ``dct:spatial`` → ``spatialCoverage``, ``dct:temporal`` →
``temporalCoverage`` (an ISO 8601 interval, ``..`` for an open end), variables →
``variableMeasured``, distributions → ``DataDownload`` with ``contentUrl``/``encodingFormat``.
Only what the catalog states is emitted: nothing is guessed (a licence appears only when one is
recorded).
"""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .entities import describe
from .labels import LANGUAGES, labels_of, pick_label
from .namespaces import DCAT, DCT, LMIC, RDF
from .store import Store

__all__ = ["dataset_jsonld"]

#: IANA media types of the EU file-type concepts the catalog uses.
MEDIA_TYPES = {
    "CSV": "text/csv",
    "JSON": "application/json",
    "XML": "application/xml",
    "HTML": "text/html",
    "PDF": "application/pdf",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ZIP": "application/zip",
}


def _texts(graph: Graph, subject: Node, predicate: URIRef) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for value in graph.objects(subject, predicate):
        if isinstance(value, Literal):
            found.setdefault(value.language or "", []).append(str(value))
    return found


def _text_value(by_lang: dict[str, list[str]], lang: str | None) -> Any:
    """One string in ``lang`` (with fallback), or every value language-tagged when lang is None."""
    if not by_lang:
        return None
    if lang is not None:
        text, _used = pick_label({k: v[0] for k, v in by_lang.items()}, lang)
        return text
    values = [
        {"@value": text, "@language": code} if code else text
        for code in sorted(by_lang)
        for text in by_lang[code]
    ]
    return values[0] if len(values) == 1 else values


def _name(labels: dict[str, str], lang: str | None) -> Any:
    if not labels:
        return None
    return _text_value({k: [v] for k, v in labels.items()}, lang)


def _period(graph: Graph, node: Node) -> str | None:
    start = next(iter(graph.objects(node, DCAT.startDate)), None)
    end = next(iter(graph.objects(node, DCAT.endDate)), None)
    if start is None and end is None:
        return None
    return f"{start if start is not None else '..'}/{end if end is not None else '..'}"


def _iris(graph: Graph, subject: Node, *predicates: URIRef) -> list[str]:
    found: list[str] = []
    for predicate in predicates:
        # Sorted: graph order depends on hashing, and pages must not change between requests.
        for value in sorted(graph.objects(subject, predicate), key=str):
            if isinstance(value, URIRef) and str(value) not in found:
                found.append(str(value))
    return found


def _compact(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v not in (None, [], {})}


def dataset_jsonld(
    store: Store, iri: str, lang: str | None = None, *, description: Graph | None = None
) -> dict[str, Any]:
    """schema.org ``Dataset`` JSON-LD for the data source ``iri`` (empty dict if unknown).

    With ``lang`` ("en"/"fr"), texts are plain strings in that language (falling back to the
    other); without it, every text is given in each language as ``{"@value", "@language"}``.
    ``description`` is the source's :func:`describe` graph when the caller already has it.
    """
    subject = URIRef(iri)
    graph = Graph()
    graph += description if description is not None else describe(store, iri)
    if (subject, None, None) not in graph:
        return {}
    distributions = _iris(graph, subject, DCAT.distribution)
    for distribution in distributions:
        graph += describe(store, distribution)
    variables = _iris(graph, subject, LMIC.variable)
    for coverage in graph.objects(subject, LMIC.qualifiedVariable):
        if isinstance(coverage, BNode):
            variables += [v for v in _iris(graph, coverage, LMIC.variable) if v not in variables]
    publishers = _iris(graph, subject, DCT.publisher)
    creators = _iris(graph, subject, DCT.creator) or publishers
    places = _iris(graph, subject, DCT.spatial)
    themes = _iris(graph, subject, DCAT.theme)
    licenses = _iris(graph, subject, DCT.license)
    formats: list[str] = []
    for distribution in distributions:
        formats += _iris(graph, URIRef(distribution), DCT.format)
        licenses += [
            x for x in _iris(graph, URIRef(distribution), DCT.license) if x not in licenses
        ]
    access = _iris(graph, subject, DCT.accessRights)
    labels = labels_of(
        store, [*publishers, *creators, *places, *themes, *variables, *formats, *access]
    )

    def organisation(org: str) -> dict[str, Any]:
        return _compact(
            {"@type": "Organization", "@id": org, "name": _name(labels.get(org, {}), lang)}
        )

    titles = _texts(graph, subject, DCT.title)
    descriptions = _texts(graph, subject, DCT.description)
    identifiers = [str(v) for v in graph.objects(subject, DCT.identifier)]
    keywords: list[Any] = []
    for code, values in sorted(_texts(graph, subject, DCAT.keyword).items()):
        if lang is not None and code and code != lang:
            continue
        keywords += [
            v if lang is not None or not code else {"@value": v, "@language": code} for v in values
        ]
    for theme in themes:
        name = _name(labels.get(theme, {}), lang)
        if name:
            keywords += name if isinstance(name, list) else [name]
    temporal = [p for node in graph.objects(subject, DCT.temporal) if (p := _period(graph, node))]
    languages = sorted({code for code in (*titles, *descriptions) if code in LANGUAGES})
    types = {str(t) for t in graph.objects(subject, RDF.type)}

    def download(distribution: str) -> dict[str, Any]:
        node = URIRef(distribution)
        url = next(iter(_iris(graph, node, DCAT.downloadURL, DCAT.accessURL)), None)
        fmt = next(iter(_iris(graph, node, DCT.format)), None)
        media = [str(m) for m in graph.objects(node, DCAT.mediaType)]
        encoding = media[0].split("/media-types/")[-1] if media else None
        if encoding is None and fmt is not None:
            code = fmt.rsplit("/", 1)[-1]
            encoding = MEDIA_TYPES.get(
                code, pick_label(labels.get(fmt, {}), lang or "en")[0] or None
            )
        return _compact(
            {
                "@type": "DataDownload",
                "@id": distribution,
                "name": _text_value(_texts(graph, node, DCT.title), lang),
                "contentUrl": url,
                "encodingFormat": encoding,
                "identifier": [str(v) for v in graph.objects(node, DCT.identifier)] or None,
                "license": next(iter(_iris(graph, node, DCT.license)), None),
            }
        )

    def variable(v: str) -> dict[str, Any]:
        return _compact(
            {"@type": "PropertyValue", "propertyID": v, "name": _name(labels.get(v, {}), lang)}
        )

    def place(p: str) -> dict[str, Any]:
        return _compact({"@type": "Place", "@id": p, "name": _name(labels.get(p, {}), lang)})

    access_text = [pick_label(labels.get(a, {}), lang or "en")[0] for a in access]
    landing = _iris(graph, subject, DCAT.landingPage)
    return _compact(
        {
            "@context": "https://schema.org/",
            "@type": "Dataset",
            "@id": iri,
            "additionalType": sorted(types) or None,
            "name": _text_value(titles, lang),
            "description": _text_value(descriptions, lang),
            "url": iri,
            "sameAs": landing or None,
            "identifier": [*identifiers, iri],
            "creator": [organisation(o) for o in creators] or None,
            "publisher": organisation(publishers[0]) if publishers else None,
            "license": licenses[0] if len(licenses) == 1 else (licenses or None),
            "spatialCoverage": [place(p) for p in places] or None,
            "temporalCoverage": temporal[0] if len(temporal) == 1 else (temporal or None),
            "variableMeasured": [variable(v) for v in variables] or None,
            "distribution": [download(d) for d in distributions] or None,
            "inLanguage": languages or None,
            "keywords": keywords or None,
            "dateModified": next((str(v) for v in graph.objects(subject, DCT.modified)), None),
            "datePublished": next((str(v) for v in graph.objects(subject, DCT.issued)), None),
            "conditionsOfAccess": [a for a in access_text if a] or None,
        }
    )
