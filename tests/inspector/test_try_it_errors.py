"""Try it (issue 17): dynamic params required, the route follows a typed path, and a
failed handler's error shown beside Next.js's empty 500."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator

import pytest

from notebook_routes import App, Server
from notebook_routes._inspector.try_panel import CUSTOM
from notebook_routes._inspector.widget import Inspector


def user(request, context):
    return {"id": context.params["id"]}


def me():
    return {"id": "me"}


def broken():
    values = {}
    return values["missing"]


def text(markup: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", "", markup))


@pytest.fixture
def panel() -> Iterator[object]:
    app = App()
    app.add("/api/users/[id]", {"GET": user})
    app.add("/api/users/me", {"GET": me})
    app.add("/broken", {"GET": broken})
    server = Server(app).start()
    inspector = Inspector(app, server=server)
    try:
        yield inspector.try_panel
    finally:
        inspector.close()
        server.stop()


def test_an_empty_param_is_refused_before_sending(panel):
    panel.route.value = "/api/users/[id]"
    assert panel.path.value == "/api/users/[id]"
    panel.send_button.click()
    shown = text(panel.result.value)
    assert shown.startswith("Fill in id first: /api/users/[id] needs a value for each [param]")
    assert "200" not in shown
    panel._fields["id"].value = "7"
    panel.send_button.click()
    assert '"id": "7"' in text(panel.result.value)


def test_the_route_dropdown_follows_the_typed_path(panel):
    panel.path.value = "/api/users/42"
    assert panel.route.value == "/api/users/[id]"
    panel.path.value = "/api/users/me"
    assert panel.route.value == "/api/users/me"  # a static segment wins, as in routing
    panel.path.value = "/nowhere"
    assert panel.route.value == CUSTOM
    panel.path.value = "/api/users/[id]"
    panel.send_button.click()
    assert text(panel.result.value).startswith("Fill in id first")


def test_a_failed_handler_shows_its_error_and_trimmed_traceback(panel):
    panel.path.value = "/broken"
    panel.send_button.click()
    shown = text(panel.result.value)
    assert "500 Internal Server Error" in shown
    assert "(empty)" in shown  # the body, as Next.js sends it
    assert "KeyError: 'missing'" in shown
    assert 'return values["missing"]' in shown and "in broken" in shown
    assert "_handlers.py" not in shown and "asyncio" not in shown
