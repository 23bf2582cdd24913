"""The gap-analysis pages in a real headless Chromium: pictures render, heatmap cells are links
that work (also from the keyboard), and axe-core finds no serious accessibility problem."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from webapp import create_app

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def live_server(analysis_built_store: Path) -> Iterator[str]:
    app: Flask = create_app({"STORE_ROOT": str(analysis_built_store)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_heatmap_renders_and_cells_navigate(live_server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_server}/en/coverage")
    box = page.locator("svg").first.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 150
    cell = page.locator('svg a[href*="variable=job-vacancies"][href*="level=economic-region"]')
    assert cell.count() == 1
    cell.click()
    page.wait_for_url("**/questions/can-i-answer?**")
    assert page.locator("table.results tbody tr").count() == 2
    assert "Beta Vacancy Survey" in page.locator("table.results").inner_text()
    page.close()


def test_heatmap_cells_are_reachable_by_keyboard(live_server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_server}/fr/coverage")
    page.locator('svg a[href="/fr/gap/small-area-wages"]').first.focus()
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "/fr/gap/small-area-wages"
    page.close()


@pytest.mark.parametrize(
    "path",
    [
        "/en/coverage",
        "/fr/questions/can-i-answer?variable=job-vacancies",
        "/fr/lineage/local-job-vacancies",
        "/en/lineage",
        "/fr/questions",
    ],
)
def test_no_serious_accessibility_problem(live_server: str, browser: object, path: str) -> None:
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{live_server}{path}")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    context.close()
