"""/_notebook_routes/docs in Debian's Chromium: Swagger UI renders the app's operations from
assets the server itself serves, and "Try it out" reaches the route. No request leaves
loopback (the test fails on any other host the page asks for)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from notebook_routes import App, Server
from tests.browser.test_inspector_browser import CHROMIUM, CHROMIUM_FLAGS, SCREENSHOTS

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not found at /usr/bin/chromium"),
]


def hello(request):
    """Say hello.

    The greeting names whoever asks (?name=).
    """
    name = request.next_url.search_params.get("name") or "world"
    return {"message": f"Hello {name}"}


@pytest.fixture
def served() -> Iterator[Server]:
    app = App()
    app.add("/api/hello", {"GET": hello})
    server = Server(app).start()
    try:
        yield server
    finally:
        server.stop()


def test_the_docs_page_renders_and_tries_a_route(served: Server) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    asked: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda request: asked.append(request.url))
        try:
            page.goto(served.url + "/_notebook_routes/docs")
            operation = page.locator("#operations-default-getApiHello")
            expect(operation).to_be_visible(timeout=30_000)
            expect(operation).to_contain_text("Say hello.")
            operation.locator(".opblock-summary").click()
            page.get_by_role("button", name="Try it out").click()
            page.get_by_role("button", name="Execute").click()
            body = page.locator(".live-responses-table .response-col_description pre").first
            expect(body).to_contain_text("Hello world", timeout=30_000)
            page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))
        finally:
            browser.close()
    hosts = {urlsplit(url).hostname for url in asked if url.startswith("http")}
    assert hosts == {"127.0.0.1"}, asked
    assert any(url.endswith("/_notebook_routes/assets/swagger-ui-bundle.js") for url in asked)
    assert served.app.log and list(served.app.log)[-1].path == "/api/hello"  # Try it out
