"""One app for the tests of issue 15: a proxy.py and route.py files, as text.

The same sources are written as a folder for `notebook-routes serve` and typed into a
kernel as ``%%proxy`` and module-form ``%%route`` cells, so both are tested alike.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from notebook_routes._client import ClientResponse, send
from tests.kernel import Kernel

PROXY = """
from notebook_routes import Headers, NextResponse, Response, after

EVENTS = []


def proxy(request):
    path = request.next_url.pathname
    origin = request.next_url.origin
    if path == "/api/secret":
        return Response.json({"blocked": True}, status=403)
    if path.startswith("/r/"):
        return NextResponse.rewrite(f"{origin}/api/echo/{path[3:]}{request.next_url.search}")
    if path == "/old":
        return NextResponse.redirect(f"{origin}/api/hello")
    if path == "/moved":
        return NextResponse.redirect(f"{origin}/api/hello", 308)
    if path == "/boom":
        raise RuntimeError("the proxy failed")
    if path == "/api/cookie":
        response = NextResponse.next()
        response.cookies.set("pc", "v1")
        return response
    if path == "/api/forward":
        forwarded = Headers(request.headers)
        forwarded.set("x-forwarded-by", "proxy")
        return NextResponse.next(request={"headers": forwarded}, headers={"x-proxy": "yes"})
    if path == "/api/seen-url":
        return Response.json({"url": request.url})
    if path == "/api/after-in-proxy":
        after(lambda: EVENTS.append("proxy"))
    return NextResponse.next(headers={"x-proxy": "yes"})


config = {
    "matcher": [
        "/api/:path*",
        "/r/:slug",
        "/old",
        "/moved",
        "/boom",
        {"source": "/gated", "has": [{"type": "header", "key": "x-key", "value": "o+k"}]},
    ]
}
"""

ROUTES = {
    "/api/hello": 'def GET():\n    return {"message": "Hello World"}\n',
    "/api/secret": 'def GET():\n    return "secret"\n\ndef POST():\n    return "secret"\n',
    "/api/echo/[slug]": (
        "async def GET(request, context):\n"
        "    url = request.next_url\n"
        "    params = await context.params\n"
        '    return {"url": request.url, "pathname": url.pathname, "search": url.search,\n'
        '            "slug": params["slug"]}\n'
    ),
    "/api/forward": (
        "def GET(request):\n"
        "    return {name: request.headers.get(name)\n"
        '            for name in ("x-forwarded-by", "x-proxy", "x-client")}\n'
    ),
    "/api/cookie": (
        "def GET(request):\n"
        '    return {"cookies()": cookies().get("pc") is not None,\n'
        '            "request.cookies": request.cookies.get("pc") is not None}\n'
    ),
    "/gated": 'def GET(request):\n    return {"proxy": request.headers.get("x-proxy")}\n',
    "/api/after-in-proxy": 'def GET():\n    return "ok"\n',
    # Item 0: revalidation, cached() and fetch() inside handlers act on the serving app.
    "/data": (
        "COUNT = [0]\n"
        "dynamic = 'force-static'\n"
        "def GET():\n"
        "    COUNT[0] += 1\n"
        '    return {"n": COUNT[0]}\n'
    ),
    "/api/counter": ('COUNT = [0]\ndef GET():\n    COUNT[0] += 1\n    return {"n": COUNT[0]}\n'),
    "/api/tagged": (
        "CALLS = [0]\n"
        "@cached(tags=['calls'])\n"
        "def computed():\n"
        "    CALLS[0] += 1\n"
        "    return CALLS[0]\n"
        "def GET():\n"
        '    return {"n": computed()}\n'
    ),
    "/api/fetched": (
        "async def GET(request):\n"
        "    answer = await fetch(request.next_url.origin + '/api/counter',\n"
        "                         next={'revalidate': 60, 'tags': ['counter']})\n"
        "    return await answer.json()\n"
    ),
    "/api/revalidate": (
        "async def POST(request):\n"
        "    body = await request.json()\n"
        "    if 'path' in body:\n"
        "        revalidate_path(body['path'])\n"
        "    else:\n"
        "        revalidate_tag(body['tag'])\n"
        '    return {"revalidated": True}\n'
    ),
}

PRELUDE = (
    "from notebook_routes import Headers, NextResponse, Response, after, cached, cookies, "
    "fetch, revalidate_path, revalidate_tag\n\n"
)


class Client:
    def __init__(self, url: str) -> None:
        self.url = url

    def request(self, method: str, path: str, **kwargs: object) -> ClientResponse:
        return send(self.url, method, path, **kwargs)  # type: ignore[arg-type]


def write_folder(root: Path) -> Path:
    (root / "proxy.py").write_text(PROXY)
    for path, source in ROUTES.items():
        folder = root.joinpath(*path.strip("/").split("/"))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "route.py").write_text(PRELUDE + source)
    return root


class Served(Client):
    """`notebook-routes serve` of a folder, in a process of its own."""

    def __init__(self, folder: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "notebook_routes", "serve", str(folder), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.startup: list[str] = []
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.startup.append(line)
            if found := re.search(r"serving .* at (http://\S+)", line):
                super().__init__(found.group(1))
                return
        raise AssertionError("serve did not start:\n" + "".join(self.startup))

    def terminate(self) -> int:
        """SIGTERM, as a process manager stops it; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def served(folder: Path) -> Iterator[Served]:
    server = Served(write_folder(folder))
    try:
        yield server
    finally:
        server.close()


def load_cells(kernel: Kernel) -> None:
    kernel.ok("%load_ext notebook_routes")
    kernel.ok(f"%%proxy\n{PROXY}")
    for path, source in ROUTES.items():
        kernel.ok(f"%%route {path}\n{source}")
