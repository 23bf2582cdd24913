"""Keyset paging of the catalog's records, with opaque signed page tokens.

A page is "the next N records after key K" in ``(modified, topic)`` order, never "skip M": a
record added or deleted while a harvester pages through the catalog gets a stamp newer than
everything the harvester has seen, so it turns up at the end of the listing (a new record, or
a tombstone for a deleted one) and nothing before the cursor moves. See
:class:`lmickg.records.RecordFilter` for which records a listing holds.

The token carries the cursor, the filter (``since``, ``as_of``), the page size and when it was
issued, and is signed with HMAC-SHA256 so a client can neither forge a cursor nor change the
filter; tokens expire (a day by default) so a stale one is refused instead of answered from a
catalog that has purged the tombstones it relied on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from .records import Record, RecordFeed, RecordFilter

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Page",
    "PageToken",
    "PageTokenError",
    "decode_token",
    "encode_token",
    "load_or_create_secret",
    "plan_page",
]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
#: Tokens older than this are refused (seconds); a full harvest takes minutes.
DEFAULT_TOKEN_TTL = 24 * 3600
_MAX_TOKEN_CHARS = 4096
_VERSION = 1


class PageTokenError(ValueError):
    """A page token that cannot be used; ``reason`` is "malformed", "forged" or "expired"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PageToken:
    """Where a page starts and what the listing holds."""

    #: The key the page starts after (or, when ``backward``, ends before); None: the start.
    cursor: tuple[int, str] | None
    since: int | None
    as_of: int
    size: int
    #: Unix time the token was issued, for expiry.
    issued: int
    backward: bool = False

    @property
    def filter(self) -> RecordFilter:
        return RecordFilter(self.since, self.as_of)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()[:16]


def encode_token(token: PageToken, secret: bytes) -> str:
    """The opaque, URL-safe text of a token, signed with ``secret``."""
    body = {
        "v": _VERSION,
        "c": list(token.cursor) if token.cursor is not None else None,
        "b": int(token.backward),
        "s": token.since,
        "a": token.as_of,
        "n": token.size,
        "t": token.issued,
    }
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def decode_token(
    text: str, secret: bytes, *, now: float, ttl: float = DEFAULT_TOKEN_TTL
) -> PageToken:
    """Check and read a token; PageTokenError says why it cannot be used."""
    if len(text) > _MAX_TOKEN_CHARS or text.count(".") != 1:
        raise PageTokenError("malformed", "the page token is not one this server issued")
    body_text, mac_text = text.split(".")
    try:
        payload = _unb64(body_text)
        mac = _unb64(mac_text)
    except (ValueError, TypeError):
        raise PageTokenError("malformed", "the page token is not one this server issued") from None
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise PageTokenError("forged", "the page token's signature does not match")
    try:
        body = json.loads(payload)
        if body["v"] != _VERSION:
            raise ValueError("version")
        cursor = body["c"]
        token = PageToken(
            cursor=(int(cursor[0]), str(cursor[1])) if cursor is not None else None,
            since=int(body["s"]) if body["s"] is not None else None,
            as_of=int(body["a"]),
            size=int(body["n"]),
            issued=int(body["t"]),
            backward=bool(body["b"]),
        )
    except (ValueError, KeyError, TypeError, IndexError):
        raise PageTokenError("malformed", "the page token is not one this server issued") from None
    if now - token.issued > ttl:
        raise PageTokenError(
            "expired",
            "the page token has expired",
        )
    return token


def load_or_create_secret(path: Path) -> bytes:
    """The signing secret kept at ``path``, created (readable by the owner only) if missing.

    Every server process reading the same store root shares it, so a token issued by one
    worker is accepted by another.
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        out.write(secret)
    return secret


@dataclass
class Page:
    """One page of the listing and the tokens of its neighbours (None where there is none)."""

    records: list[Record]
    total: int
    first: PageToken
    next: PageToken | None
    previous: PageToken | None
    last: PageToken


def plan_page(feed: RecordFeed, token: PageToken, *, issued: int) -> Page:
    """The records of the page ``token`` points to, and the tokens linking to its neighbours."""
    flt = token.filter
    size = token.size

    def at(cursor: tuple[int, str] | None, *, backward: bool = False) -> PageToken:
        return PageToken(cursor, token.since, token.as_of, size, issued, backward)

    first = at(None)
    if token.backward and token.cursor is not None:
        records = feed.before(token.cursor, size, flt)
        if len(records) < size:
            # Less than a page before the cursor: that is the first page, served as such.
            records = feed.after(None, size, flt)
    else:
        records = feed.after(token.cursor, size, flt)
    at_start = not records or not feed.before(records[0].key, 1, flt)
    more = bool(records) and bool(feed.after(records[-1].key, 1, flt))
    total = feed.count(flt)
    tail_size = total % size or size
    tail = feed.tail(tail_size, flt) if total > size else []
    if tail:
        before_tail = feed.before(tail[0].key, 1, flt)
        last = at(before_tail[0].key) if before_tail else first
    else:
        last = first
    return Page(
        records=records,
        total=total,
        first=first,
        next=at(records[-1].key) if more else None,
        previous=None if at_start else at(records[0].key, backward=True),
        last=last,
    )
