"""lmickg.result_cache: a least-recently-used cache of query answers, bounded in bytes."""

from __future__ import annotations

from lmickg.result_cache import ResultCache
from lmickg.sparql import QueryOutcome


def _outcome(size: int) -> QueryOutcome:
    return QueryOutcome("select", "text/csv", b"x" * size)


def test_least_recently_used_is_evicted_first() -> None:
    cache = ResultCache(300, max_entry_share=0.5)
    cache.put("a", _outcome(100))
    cache.put("b", _outcome(100))
    assert cache.get("a") is not None  # a is now more recent than b
    cache.put("c", _outcome(100))
    cache.put("d", _outcome(100))
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("d") is not None
    assert (cache.hits, cache.misses) == (3, 1)


def test_large_answers_and_disabled_cache() -> None:
    cache = ResultCache(1000)
    cache.put("big", _outcome(300))  # over a quarter of the cache
    assert cache.get("big") is None and len(cache) == 0
    off = ResultCache(0)
    off.put("a", _outcome(1))
    assert off.get("a") is None
