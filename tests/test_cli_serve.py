"""`lmickg serve`: the web catalog under gunicorn, reached over real HTTP on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from lmickg.cli import main

LMICKG = Path(sys.executable).with_name("lmickg")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def test_serve_answers_over_http(built_store: Path, tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [str(LMICKG), "serve", "--store", str(built_store), "--port", str(port), "--workers", "1"],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,  # the store comes from --store, not from the working directory
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _type, body = get(f"{base}/health")
                if status == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        assert json.loads(body)["status"] == "ok"
        status, content_type, body = get(f"{base}/en/search.json?q=quebec")
        assert (status, content_type) == (200, "application/json")
        assert [r["href"] for r in json.loads(body)["results"]] == ["/en/source/alpha-survey"]
        status, content_type, body = get(f"{base}/fr/source/alpha-survey")
        assert (status, content_type) == (200, "text/html")
        assert "Enquête Alpha" in body.decode()
        status, _type, _body = get(f"{base}/en/search?page=zero")
        assert status == 400
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def test_serve_without_a_build_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--store", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert "run `lmickg build` first" in result.output
