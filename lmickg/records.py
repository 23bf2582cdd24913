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
"""

from __future__ import annotations

import hashlib
import json
import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from . import config
from .derived import DeriveContext
from .entities import parse_entity_iri
from .namespaces import DCAT, DCT, ID
from .store import OxigraphStore, StoreRoot, bound, solutions

__all__ = [
    "DATA_SOURCE_CLASSES",
    "Record",
    "RecordFeed",
    "RecordFilter",
    "RecordTable",
    "derive_records",
    "format_stamp",
    "parse_stamp",
    "record_iri",
    "topic_of_record",
]

#: The classes whose instances get a catalog record (the catalog's "data sources").
DATA_SOURCE_CLASSES = (DCAT.Dataset, DCAT.DatasetSeries, DCAT.DataService)
TABLE_FILE = "records.tsv"
META_FILE = "records.json"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_US = 86_400 * 1_000_000
#: Blank nodes nest at most this deep under a data source (coverage -> period -> ...).
_MAX_DEPTH = 4
_RECORD_PREFIX = "record/"


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
    ref = parse_entity_iri(topic)
    if ref is not None:
        return ID[f"{_RECORD_PREFIX}{ref.kind}/{ref.key}"]
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
# Digests of descriptions
# ---------------------------------------------------------------------------------------------


def _lines(native: ox.Store, node: ox.NamedNode | ox.BlankNode, depth: int) -> list[str]:
    out: set[str] = set()
    for quad in native.quads_for_pattern(node, None, None, None):
        obj = quad.object
        if isinstance(obj, ox.BlankNode):
            text = "_:" + (
                _digest(_lines(native, obj, depth + 1)) if depth < _MAX_DEPTH else "deep"
            )
        else:
            text = str(obj)
        out.add(f"{quad.predicate} {text}")
    return sorted(out)


def _digest(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


def description_digest(native: ox.Store, topic: str) -> str:
    """A digest of a data source's description and its distributions', label-independent."""
    node = ox.NamedNode(topic)
    lines = _lines(native, node, 0)
    distribution = ox.NamedNode(str(DCAT.distribution))
    for quad in sorted(
        native.quads_for_pattern(node, distribution, None, None), key=lambda q: str(q.object)
    ):
        if isinstance(quad.object, ox.NamedNode):
            lines.extend(f"{quad.object} {line}" for line in _lines(native, quad.object, 0))
    return _digest(lines)


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


def _last_words(native: ox.Store, topic: str) -> dict[str, list[list[str]]]:
    words: dict[str, list[list[str]]] = {}
    for name, predicate in (("title", DCT.title), ("description", DCT.description)):
        values = {
            (q.object.value, q.object.language or "")
            for q in native.quads_for_pattern(
                ox.NamedNode(topic), ox.NamedNode(str(predicate)), None, None
            )
            if isinstance(q.object, ox.Literal)
        }
        words[name] = [list(v) for v in sorted(values)]
    return words


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
    """The "records" deriver: carry the record table forward and stamp what changed."""
    previous = RecordTable.load_or_empty(context.previous_dir)
    native = context.store.native
    classes = data_sources(native)
    current = {topic: (description_digest(native, topic), kind) for topic, kind in classes.items()}
    gone = [t for t, r in previous.records.items() if r.live and t not in current]
    words: dict[str, dict[str, list[list[str]]]] = {}
    if gone and context.previous_dir is not None:
        old_path = context.previous_dir / StoreRoot.OXIGRAPH
        if old_path.exists():
            old = OxigraphStore(old_path, read_only=True)
            words = {topic: _last_words(old.native, topic) for topic in gone}
            del old
    table, counts = update_table(
        previous,
        current,
        now=_now_stamp(),
        retention_days=config.tombstone_retention_days(),
        last_words=words,
    )
    table.save(context.build_dir)
    live = sum(1 for r in table.records.values() if r.live)
    return {"records": live, "tombstones": len(table.records) - live, **counts}


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
    """The record table in ``(modified, topic)`` order, with counting and keyset scans."""

    def __init__(self, table: RecordTable) -> None:
        self.table = table
        self.entries: list[Record] = sorted(table.records.values(), key=lambda r: r.key)
        self.keys: list[tuple[int, str]] = [r.key for r in self.entries]
        self._live = [r.modified for r in self.entries if r.live]
        self._dead = [r.modified for r in self.entries if not r.live]

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

    def previous_key(self, record: Record) -> tuple[int, str] | None:
        """The key just before ``record`` in the whole feed (None if it is the first)."""
        index = bisect_left(self.keys, record.key)
        return self.keys[index - 1] if index > 0 else None


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


def table_path_exists(build_dir: Path) -> bool:
    """Whether a build directory holds a record table."""
    return os.path.exists(build_dir / TABLE_FILE)
