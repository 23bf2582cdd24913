"""Content negotiation by profile and format for entity IRIs and the catalog export.

A *profile* is a view of a resource (W3C "Content Negotiation by Profile"): clients ask for one
with an ``Accept-Profile`` header (``<uri>;q=…``) or a ``_profile`` query parameter (token or
URI) and the server names the one it served in ``Content-Profile``.

=========  ====================================  =============================================
token      URI                                   what
=========  ====================================  =============================================
lmic       https://w3id.org/lmickg/ns            the entity's own description (``describe``)
dcat-ap    http://data.europa.eu/r5r/            DCAT-AP 3 (data sources, distributions,
                                                 catalog records and the catalog)
schema     https://schema.org/                   schema.org ``Dataset`` JSON-LD (data sources)
=========  ====================================  =============================================

Formats: Turtle, N-Triples, JSON-LD and RDF/XML, by ``Accept`` or extension.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef

from .dcatap import construct, dcat_ap_triples, iri_ref
from .export import Document
from .namespaces import DCAT, DCATAP, LMIC_ONTOLOGY, OWL, PREFIXES, RDF, SDO
from .records import DATA_SOURCE_CLASSES
from .store import Store, rdf_format, to_oxigraph

__all__ = [
    "DCAT_AP",
    "EXTENSIONS",
    "JSON_LD",
    "LMIC",
    "PROFILES",
    "SCHEMA_ORG",
    "Profile",
    "ProfileError",
    "choose_profile",
    "entity_profiles",
    "graph_document",
    "graph_triples",
    "ontology_graph",
    "render_entity",
    "schema_org_available",
    "serialize",
    "serialize_document",
    "types_of",
]

TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
JSON_LD = "application/ld+json"
RDF_XML = "application/rdf+xml"
#: File extensions of the RDF formats, in the order they are offered.
EXTENSIONS: dict[str, str] = {"ttl": TURTLE, "nt": N_TRIPLES, "jsonld": JSON_LD, "rdf": RDF_XML}


@dataclass(frozen=True)
class Profile:
    """A named view of a resource; ``formats`` are the media types it can be served in."""

    token: str
    uri: str
    label: str
    formats: tuple[str, ...] = tuple(EXTENSIONS.values())


LMIC = Profile("lmic", str(LMIC_ONTOLOGY), "lmickg native description (lmic: ontology)")
DCAT_AP = Profile("dcat-ap", str(DCATAP), "DCAT-AP 3.0.1")
#: schema.org markup is JSON-LD with schema.org's own context; it is served as such only.
SCHEMA_ORG = Profile("schema", str(SDO), "schema.org Dataset", (JSON_LD,))
PROFILES: dict[str, Profile] = {p.token: p for p in (LMIC, DCAT_AP, SCHEMA_ORG)}


class ProfileError(ValueError):
    """A profile request that cannot be met: ``status`` 400 (unknown) or 406 (not offered)."""

    def __init__(self, status: int, message: str, allowed: Sequence[Profile]) -> None:
        super().__init__(message)
        self.status = status
        self.allowed = list(allowed)


def _lookup(name: str) -> Profile | None:
    name = name.strip().strip("<>").strip()
    if name in PROFILES:
        return PROFILES[name]
    for profile in PROFILES.values():
        if name in (profile.uri, profile.uri.rstrip("/#")):
            return profile
    return None


def _parse_accept_profile(header: str) -> list[tuple[str, float]]:
    wanted: list[tuple[str, float]] = []
    for part in header.split(","):
        item, *params = part.split(";")
        if not item.strip():
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        wanted.append((item.strip(), quality))
    return wanted


def _names(profiles: Iterable[Profile]) -> str:
    return ", ".join(f"{p.token} (<{p.uri}>)" for p in profiles)


def choose_profile(
    query_param: str | None,
    accept_profile: str | None,
    available: Sequence[Profile],
    default: Profile,
) -> Profile:
    """The profile to serve: ``_profile`` wins over ``Accept-Profile``; else ``default``.

    An unknown ``_profile`` is a 400 and one this resource does not offer a 406. The header is
    a preference, as in W3C Content Negotiation by Profile: when no profile it lists is offered,
    the default is served and ``Content-Profile`` says so.
    """
    if query_param is not None:
        profile = _lookup(query_param)
        if profile is None:
            raise ProfileError(
                400,
                f"unknown profile {query_param!r}; profiles: {_names(PROFILES.values())}",
                available,
            )
        if profile not in available:
            raise ProfileError(
                406,
                f"profile {profile.token!r} is not offered for this resource; "
                f"offered: {_names(available)}",
                available,
            )
        return profile
    if not accept_profile:
        return default
    ranked = sorted(_parse_accept_profile(accept_profile), key=lambda wq: -wq[1])
    for name, quality in ranked:
        if quality <= 0:
            continue
        if name == "*":
            return default
        profile = _lookup(name)
        if profile is not None and profile in available:
            return profile
    return default


def schema_org_available() -> bool:
    """Whether :mod:`lmickg.schemaorg` (``dataset_jsonld``) is installed in this tree."""
    return _schema_org() is not None


def _schema_org() -> Callable[[Store, str], dict[str, Any]] | None:
    # The schema.org mapping belongs to the web front end's work (lmickg/schemaorg.py); the
    # profile appears as soon as that module does.
    try:
        module = importlib.import_module(".schemaorg", __package__)
    except ImportError:
        return None
    function = getattr(module, "dataset_jsonld", None)
    return function if callable(function) else None


def entity_profiles(types: Iterable[str]) -> list[Profile]:
    """The profiles offered for an entity with these ``rdf:type`` IRIs (native first)."""
    kinds = set(types)
    offered = [LMIC]
    is_source = bool(kinds & {str(c) for c in DATA_SOURCE_CLASSES})
    if is_source or str(DCAT.Distribution) in kinds:
        offered.append(DCAT_AP)
    if is_source and schema_org_available():
        offered.append(SCHEMA_ORG)
    return offered


def graph_triples(graph: Graph) -> list[ox.Triple]:
    """An rdflib graph as pyoxigraph triples."""
    return [
        ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))  # type: ignore[arg-type]
        for s, p, o in graph
    ]


def render_entity(
    store: Store, iri: str, description: Graph, profile: Profile, media_type: str
) -> bytes:
    """An entity in ``profile`` and ``media_type``; ``description`` is its native description."""
    if profile is SCHEMA_ORG:
        function = _schema_org()
        if function is None:
            raise ProfileError(406, "the schema.org profile is not available", [LMIC])
        return json.dumps(function(store, iri), ensure_ascii=False, indent=1).encode()
    if profile is DCAT_AP:
        return serialize(dcat_ap_triples(store, [iri]), media_type)
    return serialize(graph_triples(description), media_type)


#: Prefixes for serializations: the catalog's, minus ``id:`` (entity keys have slashes, which
#: Turtle would have to escape in every prefixed name).
SERIALIZATION_PREFIXES = {k: v for k, v in PREFIXES.items() if k != "id"}


def serialize_document(document: Document, media_type: str) -> bytes:
    """Serialize an export document; stored N-Triples are appended as they are where the format
    allows it (N-Triples, and Turtle, of which N-Triples is a subset)."""
    if media_type == N_TRIPLES and document.stored:
        return serialize(document.triples, media_type) + document.stored
    if media_type == TURTLE and document.stored:
        return serialize(document.triples, media_type) + b"\n" + document.stored
    return serialize(document.all_triples(), media_type)


def serialize(triples: Iterable[ox.Triple], media_type: str) -> bytes:
    """Serialize triples once each, with the catalog's prefixes (ValueError: unknown type)."""
    # Grouped by subject (in order of first appearance) so Turtle states each subject once.
    by_subject: dict[object, dict[ox.Triple, None]] = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, {})[triple] = None
    grouped = [t for group in by_subject.values() for t in group]
    return bytes(
        ox.serialize(grouped, format=rdf_format(media_type), prefixes=SERIALIZATION_PREFIXES) or b""
    )


def types_of(description: Graph, iri: str) -> list[str]:
    """The ``rdf:type`` IRIs a description gives ``iri``."""
    return [str(t) for t in description.objects(URIRef(iri), RDF.type)]


def graph_document(store: Store, graph: str) -> list[ox.Triple]:
    """Every triple of the named graph ``graph`` (one catalog file), empty if there is none."""
    return construct(
        store, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {iri_ref(graph)} {{ ?s ?p ?o }} }}"
    )


def ontology_graph(store: Store) -> str | None:
    """The named graph that declares the lmic: ontology (``ontology/lmic.ttl``), if loaded."""
    rows = store.select(
        f"SELECT ?g WHERE {{ GRAPH ?g {{ {iri_ref(str(LMIC_ONTOLOGY))} a <{OWL.Ontology}> }} }}"
    )
    return str(rows.rows[0]["g"]) if rows.rows else None
