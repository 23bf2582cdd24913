"""Keyset paging and page tokens: no skip, no repeat, while the catalog changes."""

from __future__ import annotations

import random

import pytest

from lmickg.paging import (
    PageToken,
    PageTokenError,
    decode_token,
    encode_token,
    plan_page,
)
from lmickg.records import RecordFeed, RecordTable, update_table

SECRET = b"secret"


def _table(n: int, stamp: int = 1000) -> RecordTable:
    table, _ = update_table(
        RecordTable(stamp=stamp - 1),
        {f"t{i:04d}": (f"d{i}", "k") for i in range(n)},
        now=stamp,
        retention_days=90,
    )
    return table


def _first(feed: RecordFeed, size: int, since: int | None = None) -> PageToken:
    return PageToken(None, since, feed.stamp, size, issued=0)


def _walk(feed: RecordFeed, token: PageToken) -> list[str]:
    seen: list[str] = []
    current: PageToken | None = token
    while current is not None:
        page = plan_page(feed, current, issued=0)
        seen.extend(r.topic for r in page.records)
        current = page.next
    return seen


def test_token_round_trip() -> None:
    token = PageToken((123, "https://w3id.org/lmickg/id/source/é"), 7, 9, 50, 1000, True)
    assert decode_token(encode_token(token, SECRET), SECRET, now=1000) == token


def test_tampered_token_is_refused() -> None:
    text = encode_token(PageToken((1, "a"), None, 9, 100, 1000), SECRET)
    body, mac = text.split(".")
    forged_body = encode_token(PageToken((1, "z"), None, 9, 100, 1000), SECRET).split(".")[0]
    for bad in (f"{forged_body}.{mac}", f"{body}.{mac[:-2]}xx"):
        with pytest.raises(PageTokenError) as error:
            decode_token(bad, SECRET, now=1000)
        assert error.value.reason == "forged"
    with pytest.raises(PageTokenError) as error:
        decode_token(text, b"another server", now=1000)
    assert error.value.reason == "forged"


@pytest.mark.parametrize("text", ["", "abc", "a.b.c", "!!!.???", "x" * 5000])
def test_malformed_token_is_refused(text: str) -> None:
    with pytest.raises(PageTokenError) as error:
        decode_token(text, SECRET, now=0)
    assert error.value.reason in {"malformed", "forged"}


def test_expired_token_is_refused() -> None:
    text = encode_token(PageToken(None, None, 9, 100, issued=1000), SECRET)
    assert decode_token(text, SECRET, now=1000 + 3600, ttl=7200).size == 100
    with pytest.raises(PageTokenError) as error:
        decode_token(text, SECRET, now=1000 + 7201, ttl=7200)
    assert error.value.reason == "expired"


def test_pages_cover_the_catalog_once() -> None:
    feed = RecordFeed(_table(23))
    seen = _walk(feed, _first(feed, 5))
    assert seen == sorted(feed.table.records)


def test_first_last_previous_links() -> None:
    feed = RecordFeed(_table(23))
    first = plan_page(feed, _first(feed, 5), issued=0)
    assert first.total == 23 and first.previous is None and first.next is not None
    last = plan_page(feed, first.last, issued=0)
    assert [r.topic for r in last.records] == [f"t{i:04d}" for i in range(20, 23)]
    assert last.next is None
    assert last.previous is not None
    before_last = plan_page(feed, last.previous, issued=0)
    assert [r.topic for r in before_last.records] == [f"t{i:04d}" for i in range(15, 20)]
    second = plan_page(feed, first.next, issued=0)
    assert second.previous is not None
    back = plan_page(feed, second.previous, issued=0)
    assert [r.topic for r in back.records] == [r.topic for r in first.records]
    assert back.previous is None


def test_small_catalog_is_one_page() -> None:
    feed = RecordFeed(_table(3))
    page = plan_page(feed, _first(feed, 5), issued=0)
    assert len(page.records) == 3 and page.next is None and page.last == page.first


@pytest.mark.parametrize("seed", range(12))
def test_harvest_converges_while_the_catalog_changes(seed: int) -> None:
    """Records are added, edited and deleted between every two pages: the harvest ends with
    exactly the live set of the catalog that served its last page, each version listed once."""
    rng = random.Random(seed)
    table = _table(40)
    feed = RecordFeed(table)
    token: PageToken | None = _first(feed, rng.choice([3, 7, 10]))
    collected: dict[str, str] = {}
    listed: set[tuple[str, str]] = set()
    counter = 0
    served_from = table
    pages = 0
    while token is not None:
        pages += 1
        assert pages < 200, "the harvest does not end"
        served_from = table
        page = plan_page(feed, token, issued=0)
        for record in page.records:
            version = (record.topic, record.digest if record.live else "deleted")
            assert version not in listed, f"{version} listed twice"
            listed.add(version)
            if record.live:
                collected[record.topic] = record.digest
            else:
                collected.pop(record.topic, None)
        token = page.next
        if pages > 8:
            # A catalog that changes faster than it is read is never read to the end.
            continue
        current = {t: (r.digest, r.kind) for t, r in table.records.items() if r.live}
        for topic in rng.sample(sorted(current), k=min(rng.randint(0, 2), len(current))):
            del current[topic]
        for topic in rng.sample(sorted(current), k=min(rng.randint(0, 2), len(current))):
            current[topic] = (f"edit{counter}", "k")
            counter += 1
        for _ in range(rng.randint(0, 3)):
            current[f"n{counter:05d}"] = ("new", "k")
            counter += 1
        table, _ = update_table(table, current, now=table.stamp + 10, retention_days=90)
        feed = RecordFeed(table)
    assert counter > 0
    assert collected == {t: r.digest for t, r in served_from.records.items() if r.live}


def test_modified_since_lists_changes_and_deletions_only() -> None:
    table = _table(10)
    current = {t: (r.digest, r.kind) for t, r in table.records.items()}
    del current["t0003"]
    current["t0005"] = ("edited", "k")
    current["new"] = ("new", "k")
    changed, _ = update_table(table, current, now=table.stamp + 100, retention_days=90)
    feed = RecordFeed(changed)
    token = _first(feed, 100, since=table.stamp + 1)
    page = plan_page(feed, token, issued=0)
    assert {(r.topic, r.live) for r in page.records} == {
        ("t0003", False),
        ("t0005", True),
        ("new", True),
    }
    assert page.total == 3
    # A full listing leaves out deletions that happened before it started.
    full = plan_page(feed, _first(feed, 100), issued=0)
    assert "t0003" not in {r.topic for r in full.records}
    assert full.total == 10
