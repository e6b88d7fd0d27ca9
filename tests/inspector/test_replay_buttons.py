"""The Requests tab's *replay* and *curl* buttons, clicked on a real server's log.

Outside a kernel the replay runs at once (in a kernel it runs on a thread and is drawn on
the kernel's loop, as Try it is).
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator

import pytest

from notebook_routes import App, Server
from notebook_routes._client import send
from notebook_routes._inspector.widget import TITLES, Inspector
from notebook_routes.web import Response

HITS = {"n": 0}


def counter():
    HITS["n"] += 1
    return {"n": HITS["n"]}


async def create(request):
    item = await request.json()
    dry = request.next_url.search_params.get("dry")
    return Response.json({"created": item["name"], "dry": dry}, status=201)


@pytest.fixture
def served() -> Iterator[tuple[Server, Inspector]]:
    HITS["n"] = 0
    app = App()
    app.add("/counter", {"GET": counter})
    app.add("/items", {"POST": create})
    server = Server(app).start()
    inspector = Inspector(app, server=server)
    inspector.tabs.selected_index = TITLES.index("Requests")
    try:
        yield server, inspector
    finally:
        inspector.close()
        server.stop()


def text(markup: str) -> str:
    """What a person reads in `markup`: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def shown_details(inspector: Inspector) -> list[str]:
    return [
        s.detail.value
        for s in inspector.requests_panel.table.visible_segments()
        if s.detail.layout.display != "none"
    ]


def test_every_row_has_a_replay_and_a_curl_button(served):
    server, inspector = served
    for _ in range(3):
        send(server.url, "GET", "/counter")
    inspector.refresh()
    table = inspector.requests_panel.table
    for name in ("replay", "curl"):
        shown = [b for s in table.visible_segments() for b in s.columns[name].children]
        assert len(shown) == 3
        assert {b.description for b in shown} == {name}


def test_replay_shows_the_new_answer_beside_the_logged_one(served):
    server, inspector = served
    first = send(server.url, "GET", "/counter")
    assert first.json() == {"n": 1}
    inspector.refresh()
    table = inspector.requests_panel.table
    table.action_buttons["replay"][0].click()
    [detail] = shown_details(inspector)
    replay = text(detail.split('class="nr-replay"', 1)[1])
    assert replay.startswith("> Replay same status, body changed then: 200")
    then, now = replay.split(" now: ")
    assert "content-type application/json" in then.lower() and '{"n":1}' in then
    assert "content-type application/json" in now.lower() and '{ "n": 2 }' in now
    assert table.buttons[0].description == "▾"  # the row opened to show it
    # the replayed request is in the log like any other
    inspector.refresh()
    assert len(inspector.state.requests) == 2
    assert HITS["n"] == 2


def test_replay_of_an_unchanged_answer_says_so(served):
    server, inspector = served
    send(server.url, "POST", "/items?dry=1", json={"name": "pen"})
    inspector.refresh()
    inspector.requests_panel.table.action_buttons["replay"][0].click()
    [detail] = shown_details(inspector)
    replay = text(detail.split('class="nr-replay"', 1)[1])
    assert "same status, same body then: 201" in replay
    assert replay.count('"created": "pen"') + replay.count('"created":"pen"') == 2


def test_curl_shows_the_command_in_a_read_only_textarea(served):
    server, inspector = served
    send(server.url, "POST", "/items?dry=1", json={"name": "pen"})
    inspector.refresh()
    inspector.requests_panel.table.action_buttons["curl"][0].click()
    [detail] = shown_details(inspector)
    [box] = re.findall(r"<textarea readonly[^>]*>(.*?)</textarea>", detail, re.S)
    host = server.url.removeprefix("http://")
    assert htmllib.unescape(box) == (
        f"curl -X POST 'http://{host}/items?dry=1' -H 'Content-Type: application/json' "
        """--data-binary '{"name":"pen"}'"""
    )


def test_a_button_acts_on_the_row_it_stands_beside_now(served):
    server, inspector = served
    send(server.url, "GET", "/counter")
    inspector.refresh()
    send(server.url, "POST", "/items", json={"name": "cup"})
    inspector.refresh()  # the GET moved down to the second row
    inspector.requests_panel.table.action_buttons["curl"][1].click()
    [detail] = shown_details(inspector)
    [box] = re.findall(r"<textarea readonly[^>]*>(.*?)</textarea>", detail, re.S)
    assert htmllib.unescape(box) == f"curl {server.url}/counter"


def test_replay_without_a_server_says_to_start_one():
    app = App()
    app.add("/counter", {"GET": counter})
    server = Server(app).start()
    send(server.url, "GET", "/counter")
    server.stop()
    inspector = Inspector(app)
    try:
        inspector.tabs.selected_index = TITLES.index("Requests")
        inspector.refresh()
        inspector.requests_panel.table.action_buttons["replay"][0].click()
        [detail] = shown_details(inspector)
        assert "No server is running for this app: start one first." in text(detail)
    finally:
        inspector.close()
