"""``serve DIR --server uvicorn|granian|hypercorn``: the folder on an ASGI server, N workers.

Each worker process builds its app with `notebook_routes.asgi.create_app`, which reads
the folder, token, Host names and cache from the environment set here; the workers share
the port (the server's own process model). Blocks until the server stops (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import importlib
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from notebook_routes.asgi import DIR_ENV, STRICT_ENV, TOKEN_ENV

FACTORY = "notebook_routes.asgi:create_app"
ASGI_SERVERS = ("uvicorn", "granian", "hypercorn")
READY_TIMEOUT_S = 60.0


class MissingExtra(RuntimeError):
    """An optional server is not installed; the message names the extra that installs it."""


def require_extra(module: str, extra: str) -> ModuleType:
    """Import `module`, or raise `MissingExtra` naming ``notebook-routes[extra]``.

    >>> require_extra("no_such_server_module", "nothing")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    notebook_routes._servers.MissingExtra: no_such_server_module is not installed: ...
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{module} is not installed: pip install 'notebook-routes[{extra}]'"
        ) from None


def free_port(host: str) -> int:
    """A port free on `host` now (servers that bind by themselves need a number)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def run_asgi_server(
    name: str,
    folder: str | Path,
    *,
    host: str,
    port: int,
    workers: int,
    token: str | None,
    allowed_hosts: Sequence[str] | None,
    strict: bool,
    on_ready: Callable[[str], None],
) -> None:
    """Serve `folder` on the ASGI server `name` until it stops; `on_ready(url)` once it answers."""
    server = require_extra(name, name)
    os.environ[DIR_ENV] = str(Path(folder).resolve())
    if token is not None:
        os.environ[TOKEN_ENV] = token
    if allowed_hosts:
        os.environ["NOTEBOOK_ROUTES_ALLOWED_HOSTS"] = ",".join(allowed_hosts)
    if strict:
        os.environ[STRICT_ENV] = "1"
    if port == 0:
        port = free_port(host)
    shown = f"[{host}]" if ":" in host else host
    threading.Thread(
        target=_when_listening,
        args=(host, port, lambda: on_ready(f"http://{shown}:{port}")),
        name="notebook-routes-ready",
        daemon=True,
    ).start()
    if name == "uvicorn":
        server.run(
            FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            server_header=False,
            lifespan="on",
        )
    elif name == "granian":
        from granian.constants import Interfaces

        server.Granian(
            FACTORY,
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            factory=True,
            log_level="warning",
        ).serve()
    elif name == "hypercorn":
        from hypercorn.config import Config
        from hypercorn.run import run

        config = Config()
        config.application_path = f"{FACTORY}()"
        config.bind = [f"{shown}:{port}"]
        config.workers = workers
        config.loglevel = "WARNING"
        run(config)
    else:
        raise ValueError(f"unknown ASGI server {name!r}: use one of {', '.join(ASGI_SERVERS)}")


def _when_listening(host: str, port: int, ready: Callable[[], None]) -> None:
    """Call `ready` once a connection to the server succeeds."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                ready()
                return
        except OSError:
            time.sleep(0.05)
