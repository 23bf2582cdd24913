"""A real gunicorn server on loopback for tests that need HTTP (clients, browsers)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LiveServer", "start_server"]


@dataclass
class LiveServer:
    """A running gunicorn serving ``webapp:create_app()``; stop it with :meth:`stop`."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def endpoint(self) -> str:
        return self.url + "/sparql"

    def descendants(self) -> set[int]:
        """Process ids below the gunicorn master (workers, fork servers, query workers)."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parents[int(entry.name)] = int(fields[1])
        found: set[int] = set()
        frontier = {self.process.pid}
        while frontier:
            children = {pid for pid, parent in parents.items() if parent in frontier}
            frontier = children - found
            found |= children
        return found

    def stop(self) -> None:
        """Stop the server and wait for it (and its workers) to exit."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(
    store_root: Path, log_dir: Path, settings: dict[str, str], *, workers: int = 2
) -> LiveServer:
    """Start gunicorn (threaded workers) on a free loopback port; ``settings`` are LMICKG_*."""
    port = _free_port()
    env = dict(os.environ, LMICKG_STORE=str(store_root), LMICKG_STORE_ROOT=str(store_root))
    env.update({f"LMICKG_{name}": value for name, value in settings.items()})
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = log_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(gunicorn),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "webapp:create_app()",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("gunicorn did not start:\n" + log.read_text())
        time.sleep(0.2)
