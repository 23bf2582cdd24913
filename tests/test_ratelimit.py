"""lmickg.ratelimit: per-client budgets (GCRA), shared between processes through SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmickg.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(None, per_minute=60, burst=3, clock=clock)
    assert [limiter.admit("a") for _ in range(3)] == [None, None, None]
    wait = limiter.admit("a")
    assert wait == pytest.approx(1.0)
    assert limiter.admit("b") is None  # budgets are per client
    clock.now += 1.0
    assert limiter.admit("a") is None
    assert limiter.admit("a") is not None


def test_charged_query_time_delays_the_next_request() -> None:
    clock = Clock()
    limiter = RateLimiter(None, per_minute=60, burst=5, clock=clock)
    assert limiter.admit("a") is None
    limiter.charge("a", 30)  # a 30-second query
    wait = limiter.admit("a")
    assert wait is not None and wait == pytest.approx(31 - 5 + 1, abs=0.01)
    clock.now += wait
    assert limiter.admit("a") is None


def test_processes_share_one_budget(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "rate.sqlite"
    first = RateLimiter(path, per_minute=60, burst=2, clock=clock)
    second = RateLimiter(path, per_minute=60, burst=2, clock=clock)
    assert first.admit("a") is None
    assert second.admit("a") is None
    assert first.admit("a") is not None
    assert second.admit("a") is not None


def test_rejects_a_meaningless_rate() -> None:
    with pytest.raises(ValueError, match="per_minute"):
        RateLimiter(None, per_minute=0, burst=1)
