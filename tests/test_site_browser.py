"""The web front end in real headless Chromium (Playwright): searching, facets, the language
switch, a data-source page, keyboard access, and an axe-core scan of the main pages."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from webapp import create_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def base_url(built_store: Path) -> Iterator[str]:
    """The app on a real loopback HTTP server (port chosen by the OS)."""
    app = create_app({"STORE_ROOT": str(built_store)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-CA")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_messages = []  # type: ignore[attr-defined]
    page.on("console", lambda message: page.console_messages.append(message.text))
    yield page
    context.close()


def result_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("ol.hits h3 a").all_inner_texts()]


def test_search_facet_remove_switch_language_open_source(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/en/")
    page.get_by_label("Search the catalog").fill("emploi")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/en/search?q=emploi")
    assert sorted(result_titles(page)) == [
        "Alpha Labour Survey",
        "Delta Payroll Statistics",
        "Epsilon Postings API",
    ]

    # A facet click narrows the results; the URL holds the state.
    facets = page.locator("aside.facets")
    facets.get_by_role("link", name="monthly").click()
    page.wait_for_url("**frequency=MONTHLY**")
    assert sorted(result_titles(page)) == ["Alpha Labour Survey", "Delta Payroll Statistics"]
    assert page.get_by_role("heading", name="2 results").is_visible()

    # The active filter is removable.
    page.locator(".active-filters").get_by_role("link", name="Frequency: monthly").click()
    page.wait_for_url(f"{base_url}/en/search?q=emploi")
    assert len(result_titles(page)) == 3

    # The language switch keeps the search.
    page.get_by_role("link", name="Français").click()
    page.wait_for_url(f"{base_url}/fr/search?q=emploi")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="3 résultats").is_visible()
    assert "Enquête Alpha sur l'emploi au Québec" in result_titles(page)

    # Open a data-source page from the results.
    page.get_by_role("link", name="Enquête Alpha sur l'emploi au Québec").click()
    page.wait_for_url(f"{base_url}/fr/source/alpha-survey")
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Enquête Alpha sur l'emploi au Québec"
    )
    data = json.loads(page.locator('script[type="application/ld+json"]').inner_text())
    assert data["@type"] == "Dataset" and data["publisher"]["name"] == "Statistique Canada"
    # The JSON-LD block is data: the Content-Security-Policy has nothing to refuse.
    assert not [m for m in page.console_messages if "Content Security Policy" in m]


def test_keyboard_skip_link_and_focus(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/en/search")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # The search box is reachable by keyboard and typing + Enter searches.
    page.get_by_label("Search text").focus()
    page.keyboard.type("quebec")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=quebec**")
    assert result_titles(page) == ["Alpha Labour Survey"]
    # Focus is visible: the focused link gets an outline.
    page.locator("ol.hits h3 a").first.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_geography_facet_tree_opens_regions(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/en/search")
    tree = page.locator(
        "section.facet", has=page.get_by_role("heading", name="Geographic coverage")
    )
    tree.locator("summary", has_text="Regions of Ontario").click()
    tree.get_by_role("link", name="Ottawa").click()
    page.wait_for_url("**geo=3510**")
    assert sorted(result_titles(page)) == [
        "Alpha Labour Survey",
        "Beta Vacancy Survey",
        "Epsilon Postings API",
    ]


AXE_PAGES = [
    "/en/",
    "/fr/",
    "/en/search?q=emploi&frequency=MONTHLY",
    "/fr/search?scope=gaps",
    "/en/search?q=nothingmatches&access=PUBLIC",
    "/en/source/alpha-survey",
    "/fr/source/beta-vacancies",
    "/en/variable/job-vacancies",
    "/fr/geo/35",
    "/en/gap/local-job-vacancies",
    "/fr/report/audit-2014",
    "/en/org/statcan",
    "/en/source/no-such-source",
    "/fr/search?publisher=nobody",
]


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)")
def test_axe_finds_no_serious_or_critical_violation(page: Any, base_url: str) -> None:
    script = AXE.read_text()
    problems = {}
    for path in AXE_PAGES:
        page.goto(base_url + path)
        # Evaluated through the DevTools protocol: the page's CSP rightly refuses inline scripts.
        page.evaluate(script)
        result = page.evaluate(
            "axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
        )
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            problems[path] = serious
        assert result["passes"], f"axe ran no checks on {path}"
    assert problems == {}
