"""`export_tests`: requests made while exploring, written as a pytest regression suite.

The file needs only pytest and the standard library. Each chosen log entry becomes a
case: the same request, and the status, key headers and body that came back then. The
suite runs against ``NOTEBOOK_ROUTES_URL`` if it is set, else it starts
``notebook-routes serve APP_DIR`` itself (``APP_DIR`` from ``export_tests(app_dir=...)``
or the ``NOTEBOOK_ROUTES_APP`` variable), as `notebook-routes export` writes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notebook_routes._log import LogEntry
from notebook_routes._replay import resent_headers, target

if TYPE_CHECKING:
    from notebook_routes._app import App

# Headers a client acts on and that do not vary between runs (not Date, not x-nextjs-cache).
KEY_HEADERS = ("content-type", "location", "allow")

_TEMPLATE = '''"""Regression tests replayed from notebook-routes' request log ({count} requests).

Run against a server you started:  NOTEBOOK_ROUTES_URL=http://127.0.0.1:3000 pytest {name}
or let the suite start `notebook-routes serve` of an exported app folder:
    NOTEBOOK_ROUTES_APP=app/ pytest {name}
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

APP_DIR = os.environ.get("NOTEBOOK_ROUTES_APP", {app_dir!r})
CASES = json.loads(r"""
{cases}
""")


@pytest.fixture(scope="module")
def base_url():
    given = os.environ.get("NOTEBOOK_ROUTES_URL")
    if given:
        yield given.rstrip("/")
        return
    if not APP_DIR:
        pytest.fail("set NOTEBOOK_ROUTES_URL, or NOTEBOOK_ROUTES_APP to an exported app/ folder")
    process = subprocess.Popen(
        [sys.executable, "-m", "notebook_routes", "serve", APP_DIR, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={{**os.environ, "PYTHONUNBUFFERED": "1"}},
    )
    try:
        seen = []
        for line in process.stdout:
            seen.append(line)
            found = re.search(r"serving .* at (http://\\S+)", line)
            if found:
                yield found.group(1)
                break
        else:
            pytest.fail("notebook-routes serve did not start:\\n" + "".join(seen))
    finally:
        process.terminate()
        process.wait(10)


def send(base_url, case):
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        body = case["body"].encode() if case["body"] is not None else None
        connection.putrequest(case["method"], case["target"], skip_accept_encoding=True)
        for name, value in case["headers"]:
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        return answer.status, answer, answer.read()
    finally:
        connection.close()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_answer_is_unchanged(base_url, case):
    status, answer, content = send(base_url, case)
    expected = case["expect"]
    assert status == expected["status"]
    for name, value in expected["headers"].items():
        assert answer.getheader(name) == value, name
    if "json" in expected:
        assert json.loads(content) == expected["json"]
    elif "text" in expected:
        assert content.decode("utf-8", errors="replace") == expected["text"]
'''


def _case(index: int, entry: LogEntry) -> dict[str, Any]:
    headers = [(n, v) for n, v in resent_headers(entry) if n.lower() != "authorization"]
    body = None
    if entry.request_body is not None:
        body = entry.request_body.decode("utf-8", errors="replace")
    kept = {n.lower(): v for n, v in entry.response_headers if n.lower() in KEY_HEADERS}
    expect: dict[str, Any] = {"status": entry.status, "headers": kept}
    if entry.response_body is not None and not entry.body_truncated and entry.method != "HEAD":
        kind = kept.get("content-type", "")
        if "json" in kind:
            try:
                expect["json"] = json.loads(entry.response_body)
            except ValueError:
                pass
        if "json" not in expect:
            try:
                expect["text"] = entry.response_body.decode("utf-8")
            except UnicodeDecodeError:
                pass  # binary: status and headers only
    return {
        "id": f"{index:02d}-{entry.method}-{target(entry)}",
        "method": entry.method,
        "target": target(entry),
        "headers": headers,
        "body": body,
        "expect": expect,
    }


def export_tests(
    path: str | Path,
    entries: Iterable[LogEntry] | None = None,
    *,
    app: App | None = None,
    app_dir: str | Path | None = None,
) -> Path:
    """Write a pytest file replaying `entries` (default: every request of the log).

    Requests that reached no route or failed with a 5xx are left out unless you pass
    them yourself. `app_dir` is the exported app folder the suite serves by default.
    """
    if entries is None:
        if app is None:
            from notebook_routes._runtime import default_app

            app = default_app()
        entries = [e for e in app.log if e.route is not None and e.status < 500]
    chosen = list(entries)
    if not chosen:
        raise ValueError("no requests to export: send some first, or pass entries=[...]")
    out = Path(path)
    cases = json.dumps([_case(i, e) for i, e in enumerate(chosen, 1)], indent=1)
    text = _TEMPLATE.format(
        count=len(chosen),
        name=out.name,
        app_dir=str(app_dir) if app_dir is not None else "",
        cases=cases,
    )
    out.write_text(text, encoding="utf-8")
    return out
