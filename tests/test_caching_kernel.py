"""Caching through a real kernel (SPEC §10): prerender at cell run, ISR in real time, fetch."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.timeout(300)


KERNEL_SETUP = [
    "RUNS = {}\ndef count(name):\n    RUNS[name] = RUNS.get(name, 0) + 1\n    return RUNS[name]"
]


def test_a_static_cell_is_prerendered_when_it_runs(kernel):
    out = kernel.ok(
        "%%route /static\ndynamic = 'force-static'\ndef GET():\n    return f\"render {count('s')}\""
    )
    assert "GET HEAD OPTIONS /static  ○ static" in out.text
    assert kernel.value("RUNS['s']") == 1
    got = kernel.http("GET", "/static")
    assert (got.text, got.headers.get("x-nextjs-cache")) == ("render 1", "HIT")
    assert got.headers.get("cache-control") == "s-maxage=31536000"


def test_isr_in_real_time_hit_stale_then_regenerated(kernel):
    out = kernel.ok("%%route /isr\nrevalidate = 1\ndef GET():\n    return f\"render {count('i')}\"")
    assert "○ ISR 1s" in out.text
    assert kernel.http("GET", "/isr").headers.get("x-nextjs-cache") == "HIT"
    time.sleep(1.2)
    stale = kernel.http("GET", "/isr")
    assert (stale.text, stale.headers.get("x-nextjs-cache")) == ("render 1", "STALE")
    deadline = time.monotonic() + 10
    while kernel.http("GET", "/isr").text != "render 2":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_dynamic_error_refuses_the_cell_verbatim(kernel):
    kernel.ok("%%route GET /api/err\nreturn 'kept'")
    out = kernel.run(
        "%%route /api/err\ndynamic = 'error'\ndef GET():\n    headers()\n    return 'x'"
    )
    assert (
        'UsageError: Route /api/err with `dynamic = "error"` couldn\'t be rendered statically '
        "because it used `headers()`." in out.stderr
    )
    assert kernel.http("GET", "/api/err").text == "kept"


def test_auto_bail_out_is_explained_in_the_cell(kernel):
    out = kernel.ok(
        "%%route /bail\nrevalidate = 60\n"
        "def GET(request):\n    return request.headers.get('x-a') or '-'"
    )
    assert "ƒ dynamic (used `request.headers` while prerendering)" in out.text
    assert kernel.http("GET", "/bail", headers={"X-A": "live"}).text == "live"


def test_many_param_sets_show_a_progress_bar(kernel):
    out = kernel.ok(
        "%%route /many/[n]\n"
        "import time\n"
        "def generate_static_params():\n"
        "    return [{'n': str(i)} for i in range(30)]\n"
        "def GET(request, context):\n"
        "    time.sleep(0.02)\n"
        "    return context.params['n']\n"
    )
    assert any("application/vnd.jupyter.widget-view+json" in d for d in out.data)
    assert "● static" in out.text
    assert kernel.http("GET", "/many/29").headers.get("x-nextjs-cache") == "HIT"


def test_revalidate_path_from_a_cell(kernel):
    kernel.ok(
        "%%route /rp\ndynamic = 'force-static'\ndef GET():\n    return f\"render {count('rp')}\""
    )
    kernel.ok("import notebook_routes\nnotebook_routes.revalidate_path('/rp')")
    got = kernel.http("GET", "/rp")
    assert (got.text, got.headers.get("x-nextjs-cache")) == ("render 2", "MISS")


def test_fetch_from_a_cell_and_from_a_handler_through_the_data_cache(kernel):
    kernel.ok("%%route GET /upstream\nreturn {'n': count('up')}")
    kernel.ok(
        "import notebook_routes\n"
        "from notebook_routes import fetch\n"
        "UP = notebook_routes.server().url + '/upstream'"
    )
    out = kernel.ok(
        "r = await fetch(UP, next={'revalidate': 60, 'tags': ['up']})\n"
        "r2 = await fetch(UP, next={'revalidate': 60, 'tags': ['up']})\n"
        "print(r.status, await r.json(), await r2.json())"
    )
    assert out.stdout.strip() == "200 {'n': 1} {'n': 1}"
    kernel.ok("%%route GET /proxy\nr = await fetch(UP, cache='force-cache')\nreturn await r.json()")
    assert kernel.http("GET", "/proxy").json() == kernel.http("GET", "/proxy").json()
    # One upstream run: the route's fetch is answered from the entry the cell's fetch made.
    assert kernel.value("RUNS['up']") == 1
    kernel.ok("notebook_routes.revalidate_tag('up')")


def test_max_duration_answers_504(kernel):
    kernel.ok(
        "%%route /slow\nimport asyncio\nmax_duration = 0.3\n"
        "async def GET():\n    await asyncio.sleep(20)"
    )
    assert kernel.http("GET", "/slow").status == 504


def test_a_redefined_cached_function_is_a_new_entry(kernel):
    cell = (
        "from notebook_routes import cached\n"
        "@cached(revalidate=3600)\n"
        "def data():\n"
        "    return f\"WORD {count('data')}\""
    )
    kernel.ok(cell.replace("WORD", "first"))
    assert kernel.value("data()") == "first 1"
    kernel.ok(cell.replace("WORD", "first"))  # the same cell run again keeps its entry
    assert kernel.value("data()") == "first 1"
    kernel.ok(cell.replace("WORD", "second"))  # the cell edited: a new entry
    assert kernel.value("data()") == "second 2"


def test_module_form_cells_with_a_helper_of_the_same_name_never_share_its_entry(kernel):
    for name in ("alpha", "beta"):
        kernel.ok(
            f"%%route /helper/{name}\n"
            "@cached(revalidate=3600)\n"
            "def data():\n"
            f"    return '{name} data'\n"
            "def GET():\n"
            "    return data()\n"
        )
    assert kernel.http("GET", "/helper/alpha").text == "alpha data"
    assert kernel.http("GET", "/helper/beta").text == "beta data"
    assert kernel.http("GET", "/helper/alpha").text == "alpha data"


def test_revalidate_tag_profiles_and_update_tag_from_cells(kernel):
    kernel.ok(
        "import notebook_routes\nfrom notebook_routes import cached, revalidate_tag, update_tag\n"
        "@cached(tags=['k'])\ndef kdata():\n    return f\"data {count('k')}\""
    )
    kernel.ok("%%route /tagged\nrevalidate = 3600\ndef GET():\n    return kdata()")

    def get() -> tuple[str, str | None]:
        got = kernel.http("GET", "/tagged")
        return got.text, got.headers.get("x-nextjs-cache")

    assert get() == ("data 1", "HIT")
    out = kernel.ok("for _ in range(3):\n    revalidate_tag('k')")
    warning = (
        '"revalidateTag" without the second argument is now deprecated, add second argument '
        'of "max" or use "updateTag". See more info here: '
        "https://nextjs.org/docs/messages/revalidate-tag-single-arg"
    )
    assert "DeprecationWarning" in out.stderr and out.stderr.count(warning) == 1  # one call site
    assert [get(), get()] == [("data 2", "MISS"), ("data 2", "HIT")]

    out = kernel.ok("revalidate_tag('k', 'max')")
    assert "DeprecationWarning" not in out.text
    assert get() == ("data 2", "STALE")
    deadline = time.monotonic() + 20
    while get() != ("data 3", "HIT"):
        assert time.monotonic() < deadline, "the regeneration never landed"
        time.sleep(0.05)

    kernel.ok("update_tag('k')")  # a plain cell: expired at once
    assert get() == ("data 4", "MISS")

    kernel.ok("%%route /update\ndef POST():\n    update_tag('k')\n    return 'done'")
    refused = kernel.http("POST", "/update")
    assert (refused.status, refused.content) == (500, b"")
    assert "updateTag can only be called from within a Server Action." in kernel.value(
        "notebook_routes.default_app().log.answer_to('POST', '/update', 500, since=0).error"
    )
