"""Issue 17 in a real kernel: a failing handler says why where the user looks, links that
paste, port 3000, `%%route?`, hits since the last definition and in total."""

from __future__ import annotations

import os
import socket

import pytest

from tests.kernel import Kernel

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def kernel():
    env = {k: v for k, v in os.environ.items() if k != "NOTEBOOK_ROUTES_PORT"}
    k = Kernel(env=env)
    k.ok("%load_ext notebook_routes")
    yield k
    k.shutdown()


def test_request_magic_shows_the_handler_error_named_by_cell(kernel):
    cell = kernel.ok("%%route GET /boom\nx = 1\nreturn x / 0")
    number = kernel.value(
        "__import__('notebook_routes').routes_table().set_index('pattern').loc['/boom', 'cell']"
    )
    out = kernel.ok("%request GET /boom")
    assert "500 Internal Server Error" in out.text
    assert "ZeroDivisionError: division by zero" in out.text
    # line 3 of the cell as the editor numbers it (line 1 is the %%route line)
    assert f"{number}, line 3, in GET" in out.text
    assert "return x / 0" in out.text
    assert "ipykernel_" not in out.text and "_handlers.py" not in out.text
    assert "division by zero" in out.html
    assert cell.error is None


def test_request_function_has_error_and_traceback_attributes(kernel):
    kernel.ok("%%route GET /none\nx = 1")
    got = kernel.value(
        "(lambda r: (r.status, r.content, r.error, r.traceback))"
        "(__import__('notebook_routes').request('GET', '/none'))"
    )
    status, content, error, trace = got
    assert (status, content) == (500, b"")  # the wire stays as Next.js sends it
    assert error.startswith("No response is returned from route handler '/none'")
    ok = kernel.value("__import__('notebook_routes').request('GET', '/boom').error")
    assert ok == "ZeroDivisionError: division by zero"
    fine = kernel.ok("%%route GET /fine\nreturn 'ok'")
    assert fine.error is None
    assert kernel.value("__import__('notebook_routes').request('GET', '/fine').error") is None


def test_outside_clients_get_an_empty_500_body(kernel):
    got = kernel.http("GET", "/boom")
    assert (got.status, got.content, got.headers.get("content-length")) == (500, b"", "0")


def test_requests_log_traceback_is_trimmed_too(kernel):
    trace = kernel.value(
        "[e.traceback for e in __import__('notebook_routes').default_app().log"
        " if e.path == '/boom'][-1]"
    )
    assert trace.startswith("Traceback (most recent call last):\n  In [")
    assert "site-packages" not in trace and "asyncio" not in trace


def test_body_cell_that_never_returns_warns(kernel):
    out = kernel.ok("%%route GET /quiet\nresult = {'a': 1}")
    assert "warning: This cell never returns a value, so every GET answers 500" in out.stdout
    assert "return Response.json(" in out.stdout


def test_body_cell_that_defines_a_handler_warns(kernel):
    out = kernel.ok("%%route GET /inner\nasync def GET(request):\n    return Response('x')")
    assert "warning: The cell defines GET() inside a body-form cell" in out.stdout
    assert "%%route /inner" in out.stdout


def test_a_body_that_redirects_or_returns_does_not_warn(kernel):
    assert "warning" not in kernel.ok("%%route GET /old\nredirect('/new')").stdout
    assert "warning" not in kernel.ok("%%route GET /ret\nreturn 'x'").stdout


def test_dynamic_links_can_be_pasted(kernel):
    out = kernel.ok("%%route GET /users/[id]/posts/[slug]\nreturn Response.json(params)")
    line = f"{kernel.url}/users/1/posts/b  (sample: id=1 slug=b)"
    assert "GET HEAD OPTIONS /users/[id]/posts/[slug]  ƒ dynamic" in out.text
    assert line in out.text
    assert f'href="{kernel.url}/users/1/posts/b"' in out.html
    got = kernel.http("GET", "/users/1/posts/b")  # the printed link answers
    assert got.json() == {"id": "1", "slug": "b"}


def test_route_help_documents_both_forms(kernel):
    text = kernel.help("%%route?")
    assert "::" not in text
    assert "\n%%route [METHOD ...] PATH\n" in text
    for part in (
        "Body form",
        'return Response.json({"slug": params["slug"]})',
        "Module form",
        "async def GET(request, context):",
        "request (a NextRequest",
        "params (the",
        "%request GET /items/a",
        "%routes",
        "notebooks/01-quickstart.ipynb",
    ):
        assert part in text, part


def test_hits_since_the_last_definition_and_in_total(kernel):
    kernel.ok("%%route GET /count\nreturn 'one'")
    for _ in range(3):
        kernel.http("GET", "/count")
    kernel.ok("%%route GET /count\nreturn 'two'")
    kernel.http("GET", "/count")
    row = kernel.value(
        "__import__('notebook_routes').routes_table().set_index('pattern')"
        ".loc['/count', ['hits', 'total_hits']].tolist()"
    )
    assert row == [1, 4]


def test_missing_extras_name_the_install_command(kernel):
    out = kernel.run("import sys; sys.modules['ipywidgets'] = None\n%routes")
    assert "the inspector (%routes, inspector()) needs ipywidgets" in out.stderr
    assert "pip install 'notebook-routes[notebook]'" in out.stderr
    assert "ModuleNotFoundError" not in out.stderr
    out = kernel.run(
        "sys.modules['pandas'] = None\nimport notebook_routes\nnotebook_routes.routes_table()"
    )
    assert "routes_table() needs pandas, which is not installed: pip install " in out.stderr
    kernel.ok("del sys.modules['pandas'], sys.modules['ipywidgets']")


@pytest.mark.slow
def test_port_3000_first_then_the_next_free_one_saying_so():
    env = {k: v for k, v in os.environ.items() if k != "NOTEBOOK_ROUTES_PORT"}
    taken = []
    # Hold 3000 (or find who holds it) so the kernel must move on, as `next dev` does.
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 3000))
        holder.listen()
        taken.append(holder)
    except OSError:
        holder.close()  # already in use by someone else: the same case
    first, second = Kernel(env=env), Kernel(env=env)
    try:
        out = first.ok("import notebook_routes as nr; srv = nr.start(); print(srv.port)")
        port = int(out.stdout.split()[-1])
        assert port > 3000 and port < 3100
        assert f"port 3000 is in use, using {port}" in out.stdout
        out2 = second.ok("import notebook_routes as nr; print(nr.start().port)")
        assert int(out2.stdout.split()[-1]) not in (3000, port)  # two kernels, two servers
        explicit = socket.socket()
        explicit.bind(("127.0.0.1", 0))
        free = explicit.getsockname()[1]
        explicit.close()
        out3 = first.ok(f"nr.stop(); print(nr.start(port={free}).port)")
        assert out3.stdout.split()[-1] == str(free)  # an explicit port wins
    finally:
        first.shutdown()
        second.shutdown()
        for s in taken:
            s.close()
