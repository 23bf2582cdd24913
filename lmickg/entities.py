"""Entities of the catalog: what an IRI is, and its description as RDF.

The description of an entity is its *concise bounded description*: every triple with the entity
as subject, followed through blank nodes (periods of time, variable coverages, quality
measurements), from whichever file states it. The web pages, dereferenceable IRIs and exports
all start from this one description, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef

from .namespaces import ID
from .store import Store

__all__ = ["EntityRef", "describe", "parse_entity_iri"]

# Blank nodes nest at most three deep in the catalog's shapes (source -> coverage -> period).


@dataclass(frozen=True)
class EntityRef:
    """An entity IRI split into its kind and key: ``…/id/source/lfs`` is ("source", "lfs")."""

    kind: str
    key: str

    @property
    def iri(self) -> URIRef:
        return ID[f"{self.kind}/{self.key}"]


def parse_entity_iri(iri: str) -> EntityRef | None:
    """Split an entity IRI minted under ``/id/``; None for other IRIs."""
    base = str(ID)
    if not iri.startswith(base):
        return None
    kind, _, key = iri[len(base) :].partition("/")
    if not kind or not key:
        return None
    return EntityRef(kind, key)


def describe(store: Store, iri: str) -> Graph:
    """The concise bounded description of ``iri`` (empty if the store says nothing about it)."""
    # One query, nested OPTIONALs instead of a property path, so blank nodes keep their identity
    # across levels and the whole description comes back in one round trip.
    query = """
    CONSTRUCT {
        ?s ?p ?o . ?o ?p1 ?o1 . ?o1 ?p2 ?o2 . ?o2 ?p3 ?o3 .
    } WHERE {
        ?s ?p ?o .
        OPTIONAL { FILTER(isBlank(?o)) ?o ?p1 ?o1 .
            OPTIONAL { FILTER(isBlank(?o1)) ?o1 ?p2 ?o2 .
                OPTIONAL { FILTER(isBlank(?o2)) ?o2 ?p3 ?o3 . } } }
    }
    """
    return store.construct(query, {"s": URIRef(iri)})
