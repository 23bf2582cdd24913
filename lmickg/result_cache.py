"""Answers to repeated queries, kept per build in a server process.

A build never changes once it is served, so an answer stays right for as long as its build is
the current one: keys start with the build id, and entries of older builds simply age out of
the least-recently-used order. The cache is bounded in bytes; very large answers are not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from .sparql import QueryOutcome

__all__ = ["ResultCache"]


class ResultCache:
    """A thread-safe LRU of query outcomes, at most ``max_bytes`` of answer bodies."""

    def __init__(self, max_bytes: int, *, max_entry_share: float = 0.25) -> None:
        self.max_bytes = max_bytes
        self.max_entry = int(max_bytes * max_entry_share)
        self._entries: OrderedDict[Hashable, QueryOutcome] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> QueryOutcome | None:
        """The cached outcome for ``key``, or None."""
        with self._lock:
            outcome = self._entries.get(key)
            if outcome is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return outcome

    def put(self, key: Hashable, outcome: QueryOutcome) -> None:
        """Keep ``outcome`` unless it is too large for the cache."""
        size = len(outcome.body)
        if self.max_bytes <= 0 or size > self.max_entry:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old.body)
            self._entries[key] = outcome
            self._size += size
            while self._size > self.max_bytes and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted.body)

    def __len__(self) -> int:
        return len(self._entries)
