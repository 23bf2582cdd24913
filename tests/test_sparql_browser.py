"""The query UI in real headless Chromium: Yasgui under the page's CSP, the truncation notice,
the plain form without JavaScript, and an accessibility scan of the page's own markup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .live_server import LiveServer, start_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = {
    "executable_path": "/usr/bin/chromium",
    "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
}
MAX_ROWS = 3


@pytest.fixture(scope="module")
def server(built_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        built_store,
        tmp_path_factory.mktemp("browser-server"),
        {"SPARQL_MAX_ROWS": str(MAX_ROWS), "SPARQL_WORKERS": "1", "SPARQL_RATE_PER_MINUTE": "0"},
        workers=1,
    )
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(**CHROMIUM)
        yield chromium
        chromium.close()


def test_yasgui_runs_a_query_and_shows_the_truncation_notice(
    server: LiveServer, browser: object
) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            # The site's favicon is not this page's concern.
            if message.type == "error" and not message.location["url"].endswith("/favicon.ico")
            else None
        ),
    )
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(server.url + "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror", state="visible")
    assert page.locator("#sparql-form").is_hidden()  # Yasgui replaced the plain form
    # The catalog's prefixes are declared for the default query.
    assert "PREFIX dcat: <http://www.w3.org/ns/dcat#>" in page.evaluate(
        "document.querySelector('.CodeMirror').CodeMirror.getValue()"
    )
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr td", timeout=20_000)
    table = page.inner_text(".yasr")
    assert "Alpha Labour Survey" in table
    notice = page.locator("#sparql-truncated-live")
    notice.wait_for(state="visible")
    assert f"first {MAX_ROWS} rows" in notice.inner_text()
    assert problems == []  # no CSP violation, no script error
    assert all(url.startswith(server.url) for url in requests)  # nothing from a CDN
    page.close()


def test_plain_form_without_javascript(server: LiveServer, browser: object) -> None:
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(server.url + "/sparql?lang=fr")
    form = page.locator("#sparql-form")
    assert form.is_visible()
    page.fill("#sparql-query", "SELECT ?s WHERE { ?s a dcat:Dataset } ORDER BY ?s")
    page.click("#sparql-form button[type=submit]")
    page.wait_for_selector(".sparql-table")
    assert page.locator(".sparql-table tbody tr").count() == MAX_ROWS
    assert page.locator("#sparql-truncated").is_visible()
    assert "Tronqué" in page.inner_text("#sparql-truncated")
    # Editing the query and running it again works from the results page.
    page.fill("#sparql-query", "ASK { ?s a dcat:Dataset }")
    page.click("#sparql-form button[type=submit]")
    assert "oui (true)" in page.inner_text(".sparql-boolean")
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/sparql?lang=en",
        "/sparql?lang=fr&query=SELECT%20*%20WHERE%20%7B%3Fs%20a%20dcat%3ADataset%7D",
        "/sparql?query=SELECT%20*%20WHERE%20%7B",
    ],
)
def test_accessibility_of_the_page_markup(server: LiveServer, browser: object, path: str) -> None:
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    # Scan the server-rendered page (Yasgui's own widgets are a third-party component).
    page.route("**/yasgui.min.js", lambda route: route.abort())
    page.goto(server.url + path)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {exclude: [['#yasgui']]})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
    )
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert serious == []
    context.close()
