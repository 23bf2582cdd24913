"""Catalog records: when each data source's description appeared, changed and disappeared.

A harvester needs, per data source, the time its *description* last changed (not the data's
release date, which is the source's own ``dct:modified``) and a signal when it was removed.
The store only knows the present, so every build derives a *record table* (the "records"
deriver) from the previous build's table and the new store:

- each data source (``dcat:Dataset``, ``dcat:DatasetSeries``, ``dcat:DataService``) gets a
  digest of its description and of its distributions' descriptions, blank nodes replaced by
  digests of their own content so the digest does not depend on parser-assigned labels;
- a new source is *created* at the build's stamp; a changed digest makes it *updated* at the
  build's stamp; a source that is gone becomes a *tombstone* stamped with the time of its
  deletion, remembering its last titles so it can still be described;
- tombstones older than the retention period are purged; the table remembers the newest purged
  deletion so an incremental harvest asking about older changes can be told it is too late.

Stamps are integer microseconds since the epoch and strictly increase from build to build (a
build's stamp is at least the previous one plus one), which is what lets keyset paging over
``(modified, topic)`` neither skip nor repeat records while the catalog changes
(:class:`RecordFeed`, :mod:`lmickg.paging`).

A full build reads every description from the catalog files (:func:`file_descriptions`); an
incremental one reads from the store only the sources the changed files touch and carries the
rest over. Each build also keeps every live source's DCAT-AP view (:class:`Descriptions`,
``records.sqlite``) so servers build export pages without asking the store for them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from . import config
from .catalog import CatalogFile, parse_file
from .dcatap import RANGE_CLASSES, TypingCache, closure, dcat_ap_view, descriptions
from .derived import DeriveContext
from .entities import parse_entity_iri
from .namespaces import DCAT, DCT, ID, RDF
from .store import OxigraphStore, StoreRoot, bound, solutions

__all__ = [
    "DATA_SOURCE_CLASSES",
    "Descriptions",
    "Record",
    "RecordFeed",
    "RecordFilter",
    "RecordTable",
    "derive_records",
    "file_descriptions",
    "format_stamp",
    "parse_stamp",
    "record_iri",
    "topic_of_record",
]

#: The classes whose instances get a catalog record (the catalog's "data sources").
DATA_SOURCE_CLASSES = (DCAT.Dataset, DCAT.DatasetSeries, DCAT.DataService)
TABLE_FILE = "records.tsv"
META_FILE = "records.json"
DESCRIPTIONS_FILE = "records.sqlite"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_US = 86_400 * 1_000_000
#: Blank nodes nest at most this deep under a data source (coverage -> period -> ...).
_MAX_DEPTH = 4
_RECORD_PREFIX = "record/"
_ID = str(ID)
_RECORDS = _ID + _RECORD_PREFIX


@lru_cache(maxsize=4096)
def format_stamp(stamp: int) -> str:
    """A stamp as an ``xsd:dateTime`` lexical form in UTC, e.g. ``2026-12-03T17:00:00.123456Z``."""
    moment = _EPOCH + timedelta(microseconds=stamp)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> int:
    """Parse an ISO 8601 date or date-time (UTC when no offset is given) into a stamp.

    Raises ValueError naming the accepted forms.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"not a date or date-time: {text!r}; use e.g. 2026-12-01 or 2026-12-01T08:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _now_stamp() -> int:
    delta = datetime.now(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def record_iri(topic: str) -> URIRef:
    """The IRI of the catalog record about ``topic``: ``…/id/record/<kind>/<key>``."""
    if parse_entity_iri(topic) is not None:
        return URIRef(_RECORDS + topic[len(_ID) :])
    # A data source minted outside /id/ (a harvested record, say) still needs a stable name.
    return ID[f"{_RECORD_PREFIX}x/{hashlib.sha256(topic.encode()).hexdigest()[:24]}"]


def topic_of_record(record: str) -> str | None:
    """The data source a record IRI from :func:`record_iri` is about (None for other IRIs)."""
    ref = parse_entity_iri(record)
    if ref is None or ref.kind != _RECORD_PREFIX.rstrip("/") or ref.key.startswith("x/"):
        return None
    kind, _, key = ref.key.partition("/")
    return str(ID[f"{kind}/{key}"]) if kind and key else None


@dataclass(frozen=True, slots=True)
class Record:
    """One row of the record table. ``deleted`` is set for tombstones."""

    topic: str
    digest: str
    kind: str
    created: int
    modified: int
    deleted: int | None = None

    @property
    def live(self) -> bool:
        return self.deleted is None

    @property
    def key(self) -> tuple[int, str]:
        """The keyset-paging key: records are listed by modification time, then topic."""
        return (self.modified, self.topic)


@dataclass
class RecordTable:
    """Every data source's record, live or tombstone, and the stamps that order them."""

    records: dict[str, Record] = field(default_factory=dict)
    #: The stamp of the build that wrote this table (the newest stamp in it, or later).
    stamp: int = 0
    #: The newest deletion stamp whose tombstone was purged (None: nothing purged yet).
    purged_until: int | None = None
    retention_days: float = 90.0
    #: The last titles and descriptions of deleted sources: ``{topic: {"title": [[v, lang]]}}``.
    tombstones: dict[str, dict[str, list[list[str]]]] = field(default_factory=dict)

    def save(self, directory: Path) -> None:
        """Write the table into a build directory."""
        with open(directory / TABLE_FILE, "w", encoding="utf-8") as out:
            for r in sorted(self.records.values(), key=lambda r: r.key):
                deleted = "" if r.deleted is None else str(r.deleted)
                out.write(
                    f"{r.topic}\t{r.digest}\t{r.kind}\t{r.created}\t{r.modified}\t{deleted}\n"
                )
        meta = {
            "version": 1,
            "stamp": self.stamp,
            "purged_until": self.purged_until,
            "retention_days": self.retention_days,
            "tombstones": self.tombstones,
        }
        (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path) -> RecordTable:
        """Read the table a build wrote; FileNotFoundError if that build has none."""
        meta = json.loads((directory / META_FILE).read_text())
        records: dict[str, Record] = {}
        with open(directory / TABLE_FILE, encoding="utf-8") as rows:
            for line in rows:
                topic, digest, kind, created, modified, deleted = line.rstrip("\n").split("\t")
                records[topic] = Record(
                    topic,
                    digest,
                    kind,
                    int(created),
                    int(modified),
                    int(deleted) if deleted else None,
                )
        return cls(
            records,
            int(meta["stamp"]),
            meta.get("purged_until"),
            float(meta.get("retention_days", 90.0)),
            dict(meta.get("tombstones", {})),
        )

    @classmethod
    def load_or_empty(cls, directory: Path | None) -> RecordTable:
        """The table of a build, or an empty one when there is no build or it has no table."""
        if directory is None:
            return cls()
        try:
            return cls.load(directory)
        except (OSError, ValueError, KeyError):
            return cls()


# ---------------------------------------------------------------------------------------------
# Descriptions: their digests, and the per-build file that keeps them for serving
# ---------------------------------------------------------------------------------------------


def description_digest(topic: str, triples: Iterable[ox.Triple]) -> str:
    """A digest of a data source's description and its distributions', label-independent.

    Each blank node is replaced by a digest of its own content, so re-parsing a file (which
    renames blank nodes) leaves the digest unchanged.
    """
    by_subject: dict[object, list[ox.Triple]] = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, []).append(triple)
    memo: dict[object, str] = {}

    def lines(node: object, depth: int) -> list[str]:
        out: set[str] = set()
        for triple in by_subject.get(node, ()):
            obj = triple.object
            if isinstance(obj, ox.BlankNode):
                if obj not in memo:
                    memo[obj] = _digest(lines(obj, depth + 1)) if depth < _MAX_DEPTH else "deep"
                text = "_:" + memo[obj]
            else:
                text = str(obj)
            out.add(f"{triple.predicate} {text}")
        return sorted(out)

    root = ox.NamedNode(topic)
    found = lines(root, 0)
    distribution = ox.NamedNode(str(DCAT.distribution))
    linked = sorted(
        {
            t.object
            for t in by_subject.get(root, ())
            if t.predicate == distribution and isinstance(t.object, ox.NamedNode)
        },
        key=str,
    )
    for node in linked:
        found.extend(f"{node} {line}" for line in lines(node, 0))
    return _digest(found)


def _digest(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


def data_sources(native: ox.Store) -> dict[str, str]:
    """Every data source in the store and its class (the first data-source class it has)."""
    found: dict[str, str] = {}
    for cls in DATA_SOURCE_CLASSES:
        rows = solutions(
            native, f"SELECT DISTINCT ?s WHERE {{ ?s a <{cls}> FILTER(isIRI(?s)) }}", union=True
        )
        for row in rows:
            found.setdefault(bound(row, "s").value, str(cls))
    return found


#: Common text of N-Triples descriptions, primed into zlib so each small record compresses well.
#: Fixed (not derived from the code's prefixes): files written by earlier builds must still read.
_ZDICT = (
    b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#"
    b"<http://purl.org/dc/terms/title> <http://purl.org/dc/terms/description> "
    b"<http://purl.org/dc/terms/<http://www.w3.org/ns/prov#<http://www.w3.org/ns/dqv#"
    b"<http://publications.europa.eu/resource/authority/<http://www.w3.org/2004/02/skos/core#"
    b"<http://www.w3.org/2001/XMLSchema#<https://w3id.org/lmickg/ns#<https://w3id.org/lmickg/id/"
)


class Descriptions:
    """The DCAT-AP view of every live data source (with its distributions) as of one build.

    Written by the "records" deriver, which reads every changed description anyway to digest
    it, and read by servers: a page of the export then costs one indexed read of a local file
    instead of thousands of term lookups in the store. Each row is compressed N-Triples of
    :func:`lmickg.dcatap.dcat_ap_view`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS description "
        "(topic TEXT PRIMARY KEY, body BLOB NOT NULL, refs TEXT NOT NULL) WITHOUT ROWID"
    )

    def _connect(self, *, write: bool) -> sqlite3.Connection:
        if write:
            connection = sqlite3.connect(self.path)
            connection.execute(self._SCHEMA)
            return connection
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def usable(self) -> bool:
        """Whether the file exists and has this version's layout (else it is rewritten)."""
        if not self.path.exists():
            return False
        with closing(self._connect(write=False)) as connection:
            columns = {row[1] for row in connection.execute("PRAGMA table_info(description)")}
        return columns == {"topic", "body", "refs"}

    def write(self, found: dict[str, list[ox.Triple]], gone: Iterable[str]) -> None:
        """Store ``found`` descriptions and forget the ``gone`` topics, in one transaction."""
        ranges = _range_predicates()
        rows = []
        for topic, triples in found.items():
            packer = zlib.compressobj(6, zdict=_ZDICT)
            text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            # What the description points to through a property with a DCAT-AP range: all a
            # page needs to type its references, without walking every triple again.
            refs = sorted(
                {
                    f"{t.predicate.value} {t.object.value}"
                    for t in triples
                    if t.predicate in ranges and isinstance(t.object, ox.NamedNode)
                }
            )
            rows.append((topic, packer.compress(text) + packer.flush(), "\n".join(refs)))
        with closing(self._connect(write=True)) as connection, connection:
            connection.executemany(
                "INSERT OR REPLACE INTO description (topic, body, refs) VALUES (?, ?, ?)", rows
            )
            connection.executemany("DELETE FROM description WHERE topic = ?", [(t,) for t in gone])

    def read(self, topics: Iterable[str]) -> dict[str, list[ox.Triple]]:
        """The stored descriptions of ``topics`` (topics without one are left out)."""
        return {
            topic: list(ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
            for topic, text, _refs in self._rows(topics)
        }

    def read_text(self, topics: Iterable[str]) -> tuple[bytes, list[ox.Triple], set[str]]:
        """The stored descriptions of ``topics`` as one N-Triples text; their references with
        a DCAT-AP range as ``(_:ref, property, IRI)`` triples, one per distinct pair (what a
        page needs to type them); and the topics found."""
        texts: list[bytes] = []
        pairs: set[str] = set()
        found: set[str] = set()
        for topic, text, refs in self._rows(topics):
            texts.append(text)
            found.add(topic)
            pairs.update(refs.split("\n") if refs else ())
        anchor = ox.BlankNode("ref")
        references = []
        for pair in sorted(pairs):
            predicate, _, obj = pair.partition(" ")
            references.append(ox.Triple(anchor, ox.NamedNode(predicate), ox.NamedNode(obj)))
        return b"".join(texts), references, found

    def _rows(self, topics: Iterable[str]) -> Iterator[tuple[str, bytes, str]]:
        wanted = list(dict.fromkeys(topics))
        if not wanted or not self.path.exists():
            return
        with closing(self._connect(write=False)) as connection:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT topic, body, refs FROM description WHERE topic IN ({marks})", chunk
                )
                for topic, body, refs in rows:
                    unpacker = zlib.decompressobj(zdict=_ZDICT)
                    yield topic, unpacker.decompress(body) + unpacker.flush(), refs


@cache
def _range_predicates() -> frozenset[ox.NamedNode]:
    return frozenset(ox.NamedNode(str(p)) for p in RANGE_CLASSES)


def file_descriptions(
    files: Sequence[CatalogFile],
) -> tuple[dict[str, str], dict[str, list[ox.Triple]]]:
    """Every data source's class and description, read from the catalog files themselves.

    A full build reads descriptions this way: parsing is several times faster than asking
    the new on-disk store for the same triples. A first pass finds the data sources, their
    distributions and which files state something about each; a second pass groups each file's
    triples by subject and takes each source's description from the files that state it, so a
    description spread over several files is still whole (and the same as the store's).
    """
    rdf_type = ox.NamedNode(str(RDF.type))
    distribution = ox.NamedNode(str(DCAT.distribution))
    priority = {ox.NamedNode(str(c)): rank for rank, c in enumerate(DATA_SOURCE_CLASSES)}
    classes: dict[str, int] = {}
    linked: dict[str, set[str]] = {}
    where: dict[str, set[int]] = {}
    for index, file in enumerate(files):
        for triple in parse_file(file):
            subject = triple.subject
            if not isinstance(subject, ox.NamedNode):
                continue
            where.setdefault(subject.value, set()).add(index)
            if triple.predicate == rdf_type and triple.object in priority:
                rank = priority[triple.object]  # type: ignore[index]
                classes[subject.value] = min(rank, classes.get(subject.value, rank))
            elif triple.predicate == distribution and isinstance(triple.object, ox.NamedNode):
                linked.setdefault(subject.value, set()).add(triple.object.value)
    kinds = {topic: str(DATA_SOURCE_CLASSES[rank]) for topic, rank in classes.items()}
    files_of = {
        topic: set().union(*(where.get(i, set()) for i in {topic, *linked.get(topic, ())}))
        for topic in kinds
    }
    alone: dict[int, list[str]] = {}
    spread: dict[int, list[str]] = {}
    for topic, indexes in files_of.items():
        for index in indexes:
            (alone if len(indexes) == 1 else spread).setdefault(index, []).append(topic)
    found: dict[str, list[ox.Triple]] = {}
    parts: dict[str, dict[ox.Triple, None]] = {}
    for index in sorted(set(alone) | set(spread)):
        by_subject: dict[object, dict[ox.Triple, None]] = {}
        for triple in parse_file(files[index]):
            by_subject.setdefault(triple.subject, {})[triple] = None
        for topic in alone.get(index, ()):
            found[topic] = closure(ox.NamedNode(topic), by_subject, distributions=True)
        for topic in spread.get(index, ()):
            part = parts.setdefault(topic, {})
            part.update(
                dict.fromkeys(closure(ox.NamedNode(topic), by_subject, distributions=False))
            )
            for other in sorted(linked.get(topic, ())):
                node = ox.NamedNode(other)
                part.update(dict.fromkeys(closure(node, by_subject, distributions=False, depth=1)))
    found.update({topic: list(part) for topic, part in parts.items()})
    return kinds, found


def _words(triples: Iterable[ox.Triple], topic: str) -> dict[str, list[list[str]]]:
    node = ox.NamedNode(topic)
    words: dict[str, list[list[str]]] = {}
    for name, predicate in (("title", DCT.title), ("description", DCT.description)):
        values = {
            (t.object.value, t.object.language or "")
            for t in triples
            if t.subject == node
            and t.predicate.value == str(predicate)
            and isinstance(t.object, ox.Literal)
        }
        words[name] = [list(v) for v in sorted(values)]
    return words


def _subjects_in(store: ox.Store, graphs: Iterable[str]) -> set[str]:
    subjects: set[str] = set()
    ordered = sorted(graphs)
    for start in range(0, len(ordered), 400):
        values = " ".join(f"<{g}>" for g in ordered[start : start + 400])
        rows = solutions(
            store,
            f"SELECT DISTINCT ?s WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
            "FILTER(isIRI(?s)) }",
        )
        subjects.update(bound(row, "s").value for row in rows)
    return subjects


def _owners(store: ox.Store, distributions: set[str]) -> set[str]:
    owners: set[str] = set()
    ordered = sorted(distributions)
    for start in range(0, len(ordered), 400):
        values = " ".join(f"<{d}>" for d in ordered[start : start + 400])
        rows = solutions(
            store,
            f"SELECT DISTINCT ?t WHERE {{ VALUES ?d {{ {values} }} ?t <{DCAT.distribution}> ?d }}",
            union=True,
        )
        owners.update(bound(row, "t").value for row in rows)
    return owners


def _touched(new: ox.Store, old: ox.Store | None, graphs: set[str], topics: set[str]) -> set[str]:
    """The data sources whose description may differ because ``graphs`` changed."""
    touched: set[str] = set()
    for store in (new, old):
        if store is None:
            continue
        subjects = _subjects_in(store, graphs)
        touched |= subjects & topics
        touched |= _owners(store, subjects - topics) & topics
    return touched


# ---------------------------------------------------------------------------------------------
# The deriver
# ---------------------------------------------------------------------------------------------


def update_table(
    previous: RecordTable,
    current: dict[str, tuple[str, str]],
    *,
    now: int,
    retention_days: float,
    last_words: dict[str, dict[str, list[list[str]]]] | None = None,
) -> tuple[RecordTable, dict[str, int]]:
    """The next table, given the previous one and ``{topic: (digest, kind)}`` of this build.

    ``last_words`` holds the titles of sources that disappeared, read from the previous build.
    """
    stamp = max(now, previous.stamp + 1)
    records: dict[str, Record] = {}
    tombstones = dict(previous.tombstones)
    counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0, "purged": 0}
    for topic, (digest, kind) in current.items():
        old = previous.records.get(topic)
        if old is None or not old.live:
            records[topic] = Record(topic, digest, kind, stamp, stamp)
            tombstones.pop(topic, None)
            counts["created"] += 1
        elif old.digest != digest or old.kind != kind:
            records[topic] = replace(old, digest=digest, kind=kind, modified=stamp)
            counts["updated"] += 1
        else:
            records[topic] = old
            counts["unchanged"] += 1
    horizon = stamp - int(retention_days * _DAY_US)
    purged_until = previous.purged_until
    for topic, old in previous.records.items():
        if topic in current:
            continue
        if old.live:
            records[topic] = replace(old, modified=stamp, deleted=stamp)
            tombstones[topic] = (last_words or {}).get(topic, {})
            counts["deleted"] += 1
        elif old.modified >= horizon:
            records[topic] = old
        else:
            tombstones.pop(topic, None)
            purged_until = max(purged_until or 0, old.modified)
            counts["purged"] += 1
    table = RecordTable(records, stamp, purged_until, retention_days, tombstones)
    return table, counts


def derive_records(context: DeriveContext) -> dict[str, object]:
    """The "records" deriver: carry the record table forward and stamp what changed.

    A full build reads every data source's description; an incremental one reads only those
    the changed files touch (in the new store or the previous one) and carries the rest over.
    """
    started = time.perf_counter()
    previous_dir = context.previous_dir
    previous = RecordTable.load_or_empty(previous_dir)
    native = context.store.native
    target = Descriptions(context.build_dir / DESCRIPTIONS_FILE)
    old_descriptions = Descriptions(previous_dir / DESCRIPTIONS_FILE) if previous_dir else None
    old_store = None
    if previous_dir is not None and (previous_dir / StoreRoot.OXIGRAPH).exists():
        old_store = OxigraphStore(previous_dir / StoreRoot.OXIGRAPH, read_only=True)
    carry = (
        context.changed_graphs is not None
        and old_descriptions is not None
        and old_descriptions.usable()
        and bool(previous.records)
    )
    if carry:
        assert old_descriptions is not None and context.changed_graphs is not None
        kinds = data_sources(native)
        shutil.copyfile(old_descriptions.path, target.path)
        known = {t for t, r in previous.records.items() if r.live}
        touched = _touched(
            native,
            old_store.native if old_store is not None else None,
            context.changed_graphs,
            set(kinds) | set(previous.records),
        )
        to_read = {t for t in kinds if t in touched or t not in known}
        found = descriptions(context.store, to_read, distributions=True)
    else:
        kinds, found = file_descriptions(context.files)
    current: dict[str, tuple[str, str]] = {}
    for topic, kind in kinds.items():
        if topic in found:
            current[topic] = (description_digest(topic, found[topic]), kind)
        else:
            current[topic] = (previous.records[topic].digest, kind)
    gone = [t for t, r in previous.records.items() if r.live and t not in kinds]
    last: dict[str, list[ox.Triple]] = old_descriptions.read(gone) if old_descriptions else {}
    if old_store is not None:
        missing = [t for t in gone if t not in last]
        last.update(descriptions(old_store, missing) if missing else {})
    del old_store
    target.write({t: dcat_ap_view(t, triples) for t, triples in found.items()}, gone)
    table, counts = update_table(
        previous,
        current,
        now=_now_stamp(),
        retention_days=config.tombstone_retention_days(),
        last_words={t: _words(triples, t) for t, triples in last.items()},
    )
    table.save(context.build_dir)
    live = sum(1 for r in table.records.values() if r.live)
    return {
        "records": live,
        "tombstones": len(table.records) - live,
        **counts,
        "read": len(found),
        "seconds": round(time.perf_counter() - started, 3),
    }


# ---------------------------------------------------------------------------------------------
# The feed: records in keyset order, for paging
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFilter:
    """Which records a harvest lists.

    With ``since`` (an incremental harvest): every record, live or deleted, modified at or
    after ``since``. Without: every live record, plus tombstones of deletions made after
    ``as_of`` (the catalog state the harvest started from), so a harvest that runs while the
    catalog changes learns what it already collected and must now drop.
    """

    since: int | None
    as_of: int

    def admits(self, record: Record) -> bool:
        """Whether ``record`` belongs to the listing."""
        if self.since is not None:
            return record.modified >= self.since
        return record.live or record.modified > self.as_of


class RecordFeed:
    """The record table in ``(modified, topic)`` order, with counting and keyset scans, and the
    build's stored descriptions (None: read them from the store)."""

    def __init__(self, table: RecordTable, stored: Descriptions | None = None) -> None:
        self.table = table
        self.stored = stored
        #: What the store says about IRIs the export types (see dcatap.typing_triples), per build.
        self.typing: TypingCache = {}
        self.entries: list[Record] = sorted(table.records.values(), key=lambda r: r.key)
        self.keys: list[tuple[int, str]] = [r.key for r in self.entries]
        self._live = [r.modified for r in self.entries if r.live]
        self._dead = [r.modified for r in self.entries if not r.live]
        #: When the oldest record was first listed (the catalog's dct:issued), or None.
        self.first_created = min((r.created for r in self.entries), default=None)

    @classmethod
    def load(cls, build_dir: Path) -> RecordFeed:
        """The feed of a build (FileNotFoundError if the build has no record table)."""
        return cls(RecordTable.load(build_dir), Descriptions(build_dir / DESCRIPTIONS_FILE))

    @property
    def stamp(self) -> int:
        return self.table.stamp

    def count(self, flt: RecordFilter) -> int:
        """How many records the filter admits."""
        if flt.since is not None:
            return (len(self._live) - bisect_left(self._live, flt.since)) + (
                len(self._dead) - bisect_left(self._dead, flt.since)
            )
        return len(self._live) + len(self._dead) - bisect_right(self._dead, flt.as_of)

    def _start(self, flt: RecordFilter) -> int:
        return bisect_left(self.keys, (flt.since, "")) if flt.since is not None else 0

    def after(self, key: tuple[int, str] | None, limit: int, flt: RecordFilter) -> list[Record]:
        """Up to ``limit`` admitted records after ``key`` (from the start when None)."""
        start = self._start(flt)
        if key is not None:
            start = max(start, bisect_right(self.keys, key))
        return list(_take(self._forward(start), flt, limit))

    def before(self, key: tuple[int, str], limit: int, flt: RecordFilter) -> list[Record]:
        """Up to ``limit`` admitted records just before ``key``, in feed order."""
        end = bisect_left(self.keys, key)
        found = list(_take(self._backward(end, self._start(flt)), flt, limit))
        found.reverse()
        return found

    def tail(self, limit: int, flt: RecordFilter) -> list[Record]:
        """The last ``limit`` admitted records, in feed order."""
        found = list(_take(self._backward(len(self.entries), self._start(flt)), flt, limit))
        found.reverse()
        return found

    def _forward(self, start: int) -> Iterator[Record]:
        for index in range(start, len(self.entries)):
            yield self.entries[index]

    def _backward(self, end: int, start: int) -> Iterator[Record]:
        for index in range(end - 1, start - 1, -1):
            yield self.entries[index]


def _take(records: Iterable[Record], flt: RecordFilter, limit: int) -> Iterator[Record]:
    if limit <= 0:
        return
    taken = 0
    for record in records:
        if flt.admits(record):
            yield record
            taken += 1
            if taken >= limit:
                return
