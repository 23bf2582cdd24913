"""Wall-clock time and peak memory per phase, for build summaries and benchmarks."""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["Phase", "PhaseClock"]

_PAGE = resource.getpagesize()


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class Phase:
    """One named phase: seconds, and the peak resident memory seen while it ran."""

    name: str
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    #: Largest resident memory of any worker process that finished so far (forked validators).
    peak_child_rss_mb: float = 0.0


@dataclass
class PhaseClock:
    """Times phases and samples this process's resident memory every ``interval`` seconds."""

    interval: float = 0.05
    phases: list[Phase] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        """Measure the enclosed block as phase ``name``."""
        record = Phase(name)
        peak = [_rss_bytes()]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(self.interval):
                peak[0] = max(peak[0], _rss_bytes())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        try:
            yield record
        finally:
            record.seconds = time.perf_counter() - start
            stop.set()
            sampler.join()
            peak[0] = max(peak[0], _rss_bytes())
            record.peak_rss_mb = peak[0] / 2**20
            record.peak_child_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            self.phases.append(record)

    def seconds(self) -> dict[str, float]:
        """Seconds per phase name."""
        return {p.name: round(p.seconds, 3) for p in self.phases}

    def total(self) -> float:
        """Total seconds over all phases."""
        return sum(p.seconds for p in self.phases)
