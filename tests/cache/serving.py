"""Real `notebook-routes serve` processes on one Redis, and the app folder they serve.

Every render of a route appends one line to a file (``RENDER_LOG``), written with
``O_APPEND`` by whichever process ran the handler, so a test counts handler runs across
processes. The data a route shows is read from a file the test rewrites.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from notebook_routes._client import ClientResponse, send

COMMON = """\
import os, time
from pathlib import Path
from notebook_routes import Response, revalidate_path, revalidate_tag

def rendered(name):
    line = f"{name} {os.getpid()} {time.time()}\\n".encode()
    fd = os.open(os.environ["RENDER_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)

def value():
    return Path(os.environ["VALUE_FILE"]).read_text()
"""

ROUTES = {
    # ISR: shows the data file; tagged by nothing but its path.
    "data": COMMON
    + """
revalidate = 3600
def GET():
    rendered("data")
    return Response.json({"value": value(), "pid": os.getpid(), "at": time.time()})
""",
    # Invalidates /data from an async handler (queued, recorded before the answer).
    "revalidate": COMMON
    + """
async def POST(request):
    revalidate_path("/data")
    return Response.json({"revalidated": "/data", "pid": os.getpid()})
""",
    # The same from a plain def handler (recorded at once, on its worker thread).
    "revalidate-sync": COMMON
    + """
def POST(request):
    revalidate_path("/data")
    return Response.json({"revalidated": "/data", "pid": os.getpid()})
""",
    # A slow ISR render with any slug: cold requests pile up on it.
    "cold/[slug]": COMMON
    + """
revalidate = 3600
dynamic_params = True
async def GET(request, context):
    import asyncio
    rendered("cold")
    await asyncio.sleep(0.3)
    return Response.json({"slug": context.params["slug"], "pid": os.getpid()})
""",
    # Prerendered at start-up: its body says which process rendered it, and when.
    "boot": COMMON
    + """
dynamic = "force-static"
def GET():
    rendered("boot")
    return Response.json({"pid": os.getpid(), "at": time.time()})
""",
    # Dynamic: never cached, answered by whichever process gets it.
    "pid": COMMON
    + """
dynamic = "force-dynamic"
def GET():
    return Response.json({"pid": os.getpid()})
""",
}


def write_app(root: Path) -> Path:
    for path, source in ROUTES.items():
        folder = root / "app" / path
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "route.py").write_text(source)
    return root / "app"


class Served:
    def __init__(self, url: str, process: subprocess.Popen[str]) -> None:
        self.url = url
        self.process = process

    def get(self, path: str, **kwargs: object) -> ClientResponse:
        return send(self.url, "GET", path, timeout=30, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str) -> ClientResponse:
        return send(self.url, "POST", path, timeout=30)


@contextmanager
def serving(app: Path, env: dict[str, str], *args: str, port: int = 0) -> Iterator[Served]:
    """``notebook-routes serve APP --port PORT ARGS...``, stopped (all workers) on exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "notebook_routes", "serve", str(app), "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its workers too are stopped by the group signal below
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if found := re.search(r"serving .* at (http://\S+)", line):
                url = found.group(1)
                if port:  # every worker prints it; the port is shared
                    url = re.sub(r":\d+$", f":{port}", url)
                break
        else:
            raise AssertionError("serve did not start:\n" + "".join(lines))
        # Keep reading its output, or a chatty server blocks on a full pipe.
        threading.Thread(target=lines.extend, args=(process.stdout,), daemon=True).start()
        yield Served(url, process)
    finally:
        try:
            os.killpg(process.pid, 15)
        except ProcessLookupError:
            pass
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(5)


def renders(log: Path, name: str) -> list[str]:
    if not log.exists():
        return []
    return [line for line in log.read_text().splitlines() if line.split()[0] == name]


def concurrently(calls: list, workers: int = 50) -> list:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda call: call(), calls))
