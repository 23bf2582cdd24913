"""The whole-catalog DCAT export: the catalog, a catalog record per data source, Hydra paging.

A page of ``/catalog`` is one graph:

- the ``dcat:Catalog`` as curated in ``catalog_ttl/catalog.ttl``, with what only the build
  knows added: ``dct:modified`` (the newest record change) and, unless curated,
  ``dct:issued`` (the oldest record);
- for each record on the page, a ``dcat:CatalogRecord`` (its own ``dct:issued``,
  ``dct:modified`` and ADMS change type: Created, Updated or Deleted) whose
  ``foaf:primaryTopic`` is the data source, described in the page's profile (DCAT-AP, or the
  native ``lmic:`` description); the catalog lists live sources with ``dcat:dataset`` (or
  ``dcat:service``);
- a tombstone for a deleted source: the record with change type Deleted and ``dct:modified`` =
  the deletion time; its topic keeps only its class and last titles, and the catalog no longer
  lists it with ``dcat:dataset``;
- the Hydra collection (``hydra:totalItems``) and the page as a ``hydra:PartialCollectionView``
  with ``hydra:first``/``previous``/``next``/``last`` as IRIs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import URIRef

from .dcatap import (
    CATALOG_PROPERTIES,
    dcat_ap_view,
    describe_many,
    descriptions,
    restrict,
    typing_triples,
)
from .namespaces import (
    ADMS,
    CATALOG,
    CHANGETYPE,
    DCAT,
    DCATAP,
    DCT,
    FOAF,
    HYDRA,
    RDF,
    XSD,
)
from .paging import Page, PageToken
from .records import Record, RecordFeed, RecordTable, format_stamp, record_iri
from .store import Store

__all__ = [
    "Document",
    "catalog_header",
    "catalog_page",
    "change_type",
    "export_all",
    "record_document",
    "record_triples",
    "topic_document",
    "topic_triples",
]


_DATETIME = ox.NamedNode(str(XSD.dateTime))
_COUNT = ox.NamedNode(str(XSD.nonNegativeInteger))


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def _t(s: str, p: str, o: str | ox.Literal) -> ox.Triple:
    """A triple of IRIs (given as strings) or, as object, a literal."""
    obj = o if isinstance(o, ox.Literal) else ox.NamedNode(o)
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), obj)


# Terms every record repeats, made once (rdflib namespace lookups cost more than the triples).
_TYPE, _RECORD, _TOPIC = _n(RDF.type), _n(DCAT.CatalogRecord), _n(FOAF.primaryTopic)
_ISSUED, _MODIFIED, _STATUS = _n(DCT.issued), _n(DCT.modified), _n(ADMS.status)
_CONFORMS, _DCAT_AP = _n(DCT.conformsTo), _n(DCATAP[""])
_CHANGES = {k: _n(CHANGETYPE[k]) for k in ("Created", "Updated", "Deleted")}


def _when(stamp: int) -> ox.Literal:
    return ox.Literal(format_stamp(stamp), datatype=_DATETIME)


def change_type(record: Record) -> URIRef:
    """The ADMS change type of a record's latest revision."""
    if not record.live:
        return CHANGETYPE.Deleted
    return CHANGETYPE.Created if record.modified == record.created else CHANGETYPE.Updated


def record_triples(record: Record, *, dcat_ap: bool) -> list[ox.Triple]:
    """The ``dcat:CatalogRecord`` of one data source (without the source's description)."""
    rec = _n(record_iri(record.topic))
    out = [
        ox.Triple(rec, _TYPE, _RECORD),
        ox.Triple(rec, _TOPIC, ox.NamedNode(record.topic)),
        ox.Triple(rec, _ISSUED, _when(record.created)),
        ox.Triple(rec, _MODIFIED, _when(record.modified)),
        ox.Triple(rec, _STATUS, _CHANGES[change_type(record).rsplit("/", 1)[-1]]),
    ]
    if dcat_ap:
        out.append(ox.Triple(rec, _CONFORMS, _DCAT_AP))
    return out


def _tombstone(record: Record, table: RecordTable) -> list[ox.Triple]:
    topic = record.topic
    words = table.tombstones.get(record.topic, {})
    out = [_t(topic, RDF.type, record.kind)]
    titles = [ox.Literal(v, language=lang or None) for v, lang in words.get("title", [])]
    descriptions = [
        ox.Literal(v, language=lang or None) for v, lang in words.get("description", [])
    ]
    # DCAT-AP requires both on any dcat:Dataset; the IRI is all that is left if the previous
    # build could not be read when the source disappeared.
    fallback = [ox.Literal(record.topic)]
    out.extend(_t(topic, DCT.title, t) for t in titles or fallback)
    out.extend(_t(topic, DCT.description, d) for d in descriptions or titles or fallback)
    return out


@dataclass
class Document:
    """An export document: triples made here, plus stored descriptions as N-Triples text.

    Stored descriptions stay text: N-Triples pages append them as they are, and so do Turtle
    pages (N-Triples is a subset of Turtle), which spares parsing and re-serializing thousands
    of triples per page. Other formats parse them (:func:`lmickg.profiles.serialize_document`).
    """

    triples: list[ox.Triple] = field(default_factory=list)
    stored: bytes = b""

    def all_triples(self) -> list[ox.Triple]:
        """Every triple of the document."""
        if not self.stored:
            return list(self.triples)
        return [*self.triples, *ox.parse(self.stored, format=ox.RdfFormat.N_TRIPLES)]


def topic_document(
    store: Store, records: Iterable[Record], feed: RecordFeed, *, dcat_ap: bool
) -> Document:
    """The descriptions of the records' topics: live ones as the build stored them (from the
    store if it did not), tombstones from what the table remembers."""
    records = list(records)
    live = [r.topic for r in records if r.live]
    document = Document()
    references: list[ox.Triple] = []
    found: set[str] = set()
    # The build stored the DCAT-AP view, with what it references; the native description
    # comes from the store.
    if dcat_ap and feed.stored is not None:
        document.stored, references, found = feed.stored.read_text(live)
    missing = [t for t in live if t not in found]
    if missing:
        described = descriptions(store, missing, distributions=True)
        for topic in missing:
            triples = dcat_ap_view(topic, described[topic]) if dcat_ap else described[topic]
            document.triples.extend(triples)
            references.extend(triples)
    if dcat_ap:
        document.triples.extend(typing_triples(store, references, feed.typing))
    for record in records:
        if not record.live:
            document.triples.extend(_tombstone(record, feed.table))
    return document


def topic_triples(
    store: Store, records: Iterable[Record], feed: RecordFeed, *, dcat_ap: bool
) -> list[ox.Triple]:
    """The descriptions of the records' topics, as triples (see :func:`topic_document`)."""
    return topic_document(store, records, feed, dcat_ap=dcat_ap).all_triples()


_CATALOG, _SERVICE, _DATASET = _n(CATALOG), _n(DCAT.service), _n(DCAT.dataset)
_RECORD_LINK, _MEMBER = _n(DCAT.record), _n(HYDRA.member)
_DATA_SERVICE = str(DCAT.DataService)


def _listing(record: Record) -> ox.Triple:
    predicate = _SERVICE if record.kind == _DATA_SERVICE else _DATASET
    return ox.Triple(_CATALOG, predicate, ox.NamedNode(record.topic))


def record_document(store: Store, record: Record, feed: RecordFeed) -> list[ox.Triple]:
    """A record on its own (``/id/record/...``): the record, its topic, the types they need."""
    out = record_triples(record, dcat_ap=True)
    out.extend(typing_triples(store, out, feed.typing))
    out.extend(topic_triples(store, [record], feed, dcat_ap=True))
    return out


def catalog_header(store: Store, feed: RecordFeed, *, dcat_ap: bool) -> list[ox.Triple]:
    """The catalog's own description, with the dates only the record history knows."""
    described = describe_many(store, [str(CATALOG)])
    out = restrict(described, [str(CATALOG)], CATALOG_PROPERTIES) if dcat_ap else list(described)
    catalog = ox.NamedNode(str(CATALOG))
    stated = {t.predicate.value for t in out if t.subject == catalog}
    out.append(_t(CATALOG, RDF.type, DCAT.Catalog))
    if feed.entries and str(DCT.modified) not in stated:
        out.append(_t(CATALOG, DCT.modified, _when(feed.keys[-1][0])))
    if feed.first_created is not None and str(DCT.issued) not in stated:
        out.append(_t(CATALOG, DCT.issued, _when(feed.first_created)))
    if dcat_ap:
        out.extend(typing_triples(store, out, feed.typing))
    return out


def catalog_page(
    store: Store,
    feed: RecordFeed,
    page: Page,
    *,
    view: str,
    link: Callable[[PageToken], str],
    dcat_ap: bool,
) -> Document:
    """One page of the export: header, records with their topics, Hydra paging links."""
    out = catalog_header(store, feed, dcat_ap=dcat_ap)
    view_iri = view
    out.extend(
        [
            _t(CATALOG, RDF.type, HYDRA.Collection),
            _t(CATALOG, HYDRA.totalItems, ox.Literal(str(page.total), datatype=_COUNT)),
            _t(CATALOG, HYDRA.view, view_iri),
            _t(view_iri, RDF.type, HYDRA.PartialCollectionView),
            _t(view_iri, HYDRA.first, link(page.first)),
            _t(view_iri, HYDRA.last, link(page.last)),
        ]
    )
    if page.next is not None:
        out.append(_t(view_iri, HYDRA.next, link(page.next)))
    if page.previous is not None:
        out.append(_t(view_iri, HYDRA.previous, link(page.previous)))
    records_part: list[ox.Triple] = []
    for record in page.records:
        own = record_triples(record, dcat_ap=dcat_ap)
        rec = own[0].subject
        out.append(ox.Triple(_CATALOG, _RECORD_LINK, rec))
        out.append(ox.Triple(_CATALOG, _MEMBER, rec))
        if record.live:
            out.append(_listing(record))
        records_part.extend(own)
    out.extend(records_part)
    if dcat_ap:
        out.extend(typing_triples(store, records_part, feed.typing))
    topics = topic_document(store, page.records, feed, dcat_ap=dcat_ap)
    return Document([*out, *topics.triples], topics.stored)


def export_all(store: Store, feed: RecordFeed, *, dcat_ap: bool = True) -> list[ox.Triple]:
    """Every live record and its topic in one graph (for validation reports, not for serving)."""
    records = [r for r in feed.entries if r.live]
    out = catalog_header(store, feed, dcat_ap=dcat_ap)
    part: list[ox.Triple] = []
    for record in records:
        out.append(_t(CATALOG, DCAT.record, record_iri(record.topic)))
        out.append(_listing(record))
        part.extend(record_triples(record, dcat_ap=dcat_ap))
    out.extend(part)
    if dcat_ap:
        out.extend(typing_triples(store, part, feed.typing))
    out.extend(topic_triples(store, records, feed, dcat_ap=dcat_ap))
    return out
