"""`%%route` cells in a real kernel, answered over real HTTP; `%request` and `request()` too."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.kernel import Kernel

pytestmark = pytest.mark.timeout(300)


def test_route_cell_answers_at_once(kernel):
    out = kernel.ok('%%route GET /items/[slug]\nreturn Response.json({"slug": params["slug"]})')
    got = kernel.http("GET", "/items/a")
    assert (got.status, got.json()) == (200, {"slug": "a"})
    # issue 17: the link has a sample value, so it can be pasted; the pattern starts the line
    line = f"GET HEAD OPTIONS /items/[slug]  ƒ dynamic  {kernel.url}/items/a  (sample: slug=a)"
    assert line in out.text


def test_success_line_links_routes_without_params(kernel):
    out = kernel.ok("%%route GET /api/linked\nreturn 'x'")
    assert f'<a href="{kernel.url}/api/linked"' in out.html


def test_rerunning_a_cell_changes_the_live_handler_on_the_same_port(kernel):
    kernel.ok("%%route GET /version\nreturn 'one'")
    url = kernel.url
    assert kernel.http("GET", "/version").text == "one"
    kernel.ok("%%route GET /version\nreturn 'two'")
    assert kernel.url == url
    assert kernel.http("GET", "/version").text == "two"


def test_body_form_cells_for_one_path_add_up(kernel):
    kernel.ok("%%route GET /things\nreturn 'listed'")
    kernel.ok("%%route POST PUT /things\nreturn request.method")
    assert kernel.http("GET", "/things").text == "listed"
    assert kernel.http("POST", "/things").text == "POST"
    assert kernel.http("PUT", "/things").text == "PUT"
    assert kernel.http("OPTIONS", "/things").headers.get("allow") == "GET, HEAD, OPTIONS, POST, PUT"


def test_body_form_has_request_context_params_await_and_globals(kernel):
    kernel.ok("GREETING = 'hello'")
    kernel.ok(
        "%%route POST /greet/[name]\n"
        "body = await request.json()\n"
        "awaited = await context.params\n"
        "return {'greeting': GREETING, 'name': params['name'], 'awaited': awaited, 'body': body}"
    )
    got = kernel.http("POST", "/greet/ada", json={"x": 1})
    assert got.json() == {
        "greeting": "hello",
        "name": "ada",
        "awaited": {"name": "ada"},
        "body": {"x": 1},
    }
    kernel.ok("GREETING = 'bonjour'")  # globals are read live, at request time
    assert kernel.http("POST", "/greet/ada", json={}).json()["greeting"] == "bonjour"


def test_catch_all_params_are_lists_and_empty_optional_is_absent(kernel):
    kernel.ok("%%route GET /blog/[...slug]\nreturn params")
    kernel.ok("%%route GET /docs/[[...slug]]\nreturn params")
    assert kernel.http("GET", "/blog/1/2").json() == {"slug": ["1", "2"]}
    assert kernel.http("GET", "/docs").json() == {}


def test_module_form_exports_handlers_and_config(kernel):
    kernel.ok(
        "%%route /shop/[tag]/[item]\n"
        "dynamicParams = True\n"
        "def helper(p):\n"
        "    return dict(p)\n"
        "async def GET(request, context):\n"
        "    return helper(await context.params)\n"
        "def POST(request):\n"
        "    return {'method': request.method}\n"
        "def DELETE():\n"
        "    return Response(status=204)\n"
    )
    assert kernel.http("GET", "/shop/1/2").json() == {"tag": "1", "item": "2"}
    assert kernel.http("POST", "/shop/1/2").json() == {"method": "POST"}
    assert kernel.http("DELETE", "/shop/1/2").status == 204


def test_module_form_replaces_the_whole_route(kernel):
    kernel.ok("%%route GET /swap\nreturn 'get'")
    kernel.ok("%%route POST /swap\nreturn 'post'")
    kernel.ok("%%route /swap\ndef PUT():\n    return 'put only'")
    assert kernel.http("PUT", "/swap").text == "put only"
    assert kernel.http("GET", "/swap").status == 405
    assert kernel.http("POST", "/swap").status == 405


def test_a_bad_path_fails_with_one_paragraph_and_keeps_the_table(kernel):
    before = kernel.value(
        "sorted(r.source for r in __import__('notebook_routes').default_app().routes)"
    )
    out = kernel.run("%%route GET /c/[...rest]/more\nreturn 'x'")
    assert out.error is None  # UsageError: printed without a traceback
    assert (
        'UsageError: Catch-all must be the last part of the URL in route "/c/[...rest]/more".'
        in out.stderr
    )
    assert "Traceback" not in out.stderr
    after = kernel.value(
        "sorted(r.source for r in __import__('notebook_routes').default_app().routes)"
    )
    assert after == before


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%route GRT /x\nreturn 1", "Unknown HTTP method 'GRT'"),
        ("%%route /x\ndefault = 1\ndef GET():\n    return 1", "exports `default`"),
        (
            "%%route /x\ndynamic = 'sometimes'\ndef GET():\n    return 1",
            'Invalid segment config "dynamic"',
        ),
        ("%%route GET /x\nreturn (", "SyntaxError in the cell, line 1"),
        (
            "%%route /x\nraise ValueError('nope')",
            "The cell raised ValueError: nope (line 1 of the cell)",
        ),
        ("%%route GET /_private/x\nreturn 1", "_private"),
    ],
)
def test_cells_that_cannot_be_registered(kernel, cell, message):
    kernel.ok("%%route GET /x\nreturn 'kept'")
    out = kernel.run(cell)
    assert "UsageError: " in out.stderr and message in out.stderr
    assert "Traceback" not in out.stderr
    assert kernel.http("GET", "/x").text == "kept"


def test_a_conflict_is_registered_flagged_and_printed(kernel):
    kernel.ok("%%route GET /(g1)/dup\nreturn '1'")
    out = kernel.ok("%%route GET /(g2)/dup\nreturn '2'")
    assert (
        "conflict: Conflicting routes at /dup: "
        "route at /(g2)/dup/route and route at /(g1)/dup/route" in out.text
    )
    assert kernel.http("GET", "/dup").status == 500
    kernel.ok("%route_remove /(g1)/dup")
    assert kernel.http("GET", "/dup").text == "2"


def test_page_and_route_conflict_as_in_the_seeds(kernel):
    kernel.ok("%%page /x-page\n<h1>Hello, Next.js!</h1>")
    assert kernel.http("GET", "/x-page").text == "<h1>Hello, Next.js!</h1>"
    out = kernel.ok("%%route POST /x-page\nreturn 'route'")
    assert "Conflicting route and page at /x-page" in out.text


def test_remove_from_python_and_magic(kernel):
    kernel.ok("%%route GET /gone\nreturn 1")
    kernel.ok("import notebook_routes\nnotebook_routes.remove('/gone')")
    assert kernel.http("GET", "/gone").status == 404
    out = kernel.run("%route_remove /never-there")
    assert "UsageError" in out.stderr


def test_redefining_mid_request_finishes_on_the_old_handler(kernel):
    kernel.ok("import threading\nGATE = threading.Event()")
    kernel.ok("%%route /mid\ndef GET():\n    GATE.wait(20)\n    return 'old'")
    answers = {}
    waiter = threading.Thread(target=lambda: answers.update(old=kernel.http("GET", "/mid")))
    waiter.start()
    time.sleep(0.3)  # let the request enter the old handler
    kernel.ok("%%route GET /mid\nreturn 'new'")
    assert kernel.http("GET", "/mid").text == "new"
    kernel.ok("GATE.set()")
    waiter.join(20)
    assert answers["old"].text == "old"


def test_server_answers_while_a_cell_is_busy(kernel):
    kernel.ok("%%route GET /ping\nreturn 'pong'")
    url = kernel.url
    busy = kernel.execute("import time\ntime.sleep(5)\nprint('cell done')")
    got = kernel.http("GET", "/ping")  # the busy cell has not finished yet
    assert got.text == "pong"
    assert got.elapsed_ms < 4000, "the request waited for the busy cell"
    assert "cell done" in kernel.collect(busy).stdout
    assert kernel.url == url


def test_request_from_a_plain_cell_and_the_request_magic(kernel):
    kernel.ok(
        "%%route POST /echo\nreturn {'got': await request.text(), 'h': request.headers.get('x-a')}"
    )
    out = kernel.ok(
        "import notebook_routes\n"
        "r = notebook_routes.request('POST', '/echo', body='hi', headers={'X-A': '1'})\n"
        "print(r.status, r.json(), r.elapsed_ms > 0)"
    )
    assert out.stdout.strip() == "200 {'got': 'hi', 'h': '1'} True"
    shown = kernel.ok("%request POST /echo -H 'X-A: 2' -d 'hello there'")
    assert "200 OK" in shown.text
    assert '"got": "hello there"' in shown.text and '"h": "2"' in shown.text
    assert "content-type: application/json" in shown.text.lower()


def test_routes_remember_the_cell_number_the_front_end_shows(kernel):
    msg_id = kernel.execute("%%route GET /numbered\nreturn 1")
    kernel.collect(msg_id)
    while (reply := kernel.client.get_shell_msg(timeout=30))["parent_header"]["msg_id"] != msg_id:
        pass  # replies to earlier cells, which nothing else reads
    shown = reply["content"]["execution_count"]
    cell = kernel.value(
        "__import__('notebook_routes').default_app().match('/numbered').value.origin"
    )
    assert cell == f"In [{shown}]"


def test_route_magic_documents_itself(kernel):
    help_text = " ".join(kernel.help("%%route?").split())
    assert "%route [METHOD ...] PATH" in help_text
    assert "With methods, the cell is the body of an async handler" in help_text


def test_routes_magic_shows_a_table(kernel):
    kernel.ok("%%route GET /listed\nreturn 1")
    out = kernel.ok("%routes")
    assert "/listed" in out.text and "pattern" in out.text


@pytest.mark.slow  # starts its own kernel
def test_unload_frees_the_port_and_two_kernels_have_their_own_servers():
    first, second = Kernel(), Kernel()
    try:
        for k in (first, second):
            k.ok("%load_ext notebook_routes")
            k.ok("%%route GET /who\nimport os\nreturn str(os.getpid())")
        assert first.url != second.url
        assert first.http("GET", "/who").text != second.http("GET", "/who").text
        port = int(first.url.rsplit(":", 1)[1])
        first.ok("%unload_ext notebook_routes")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
    finally:
        first.shutdown()
        second.shutdown()


@pytest.mark.slow  # starts its own kernel
def test_kernel_shutdown_frees_the_port():
    k = Kernel()
    k.ok("%load_ext notebook_routes")
    k.ok("%%route GET /bye\nreturn 'bye'")
    port = int(k.url.rsplit(":", 1)[1])
    k.shutdown()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


@pytest.mark.slow  # starts its own kernel
def test_port_from_the_environment():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    import os

    k = Kernel(env={**os.environ, "NOTEBOOK_ROUTES_PORT": str(port)})
    try:
        k.ok("%load_ext notebook_routes")
        k.ok("%%route GET /p\nreturn 'p'")
        assert k.url == f"http://127.0.0.1:{port}"
    finally:
        k.shutdown()
