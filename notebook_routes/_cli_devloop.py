"""The developer-loop commands: ``notebook-routes openapi DIR`` and ``notebook-routes dev DIR``.

Kept apart from `_cli` so the loop's commands grow without touching ``serve``/``run``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def _openapi_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    describe = commands.add_parser(
        "openapi",
        help="write the OpenAPI 3.1 description of an app/ folder",
        description="Load every DIR/**/route.py and print (or write) its OpenAPI 3.1 document.",
    )
    describe.add_argument("folder", metavar="DIR", help="the app/ folder")
    describe.add_argument("--out", metavar="FILE", default=None, help="write here, not stdout")
    describe.add_argument("--title", default="notebook-routes API", help="info.title")
    describe.add_argument("--server-url", default=None, help="servers[0].url, e.g. the deploy URL")
    dev = commands.add_parser(
        "dev",
        help="serve an app/ folder and reload route.py files as they change",
        description=(
            "Serve DIR like `serve`, and watch it: a changed, added or removed route.py is "
            "swapped in place; a file that fails to load leaves the old route serving."
        ),
    )
    dev.add_argument("folder", metavar="DIR", help="the app/ folder")
    dev.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    dev.add_argument("--port", type=int, default=3000, help="port (default 3000; 0 = any free)")
    dev.add_argument("--token", default=None, help="bearer token required from clients")


def _openapi(args: argparse.Namespace) -> int:
    from notebook_routes._loader import load_app_folder
    from notebook_routes._openapi import openapi_json

    try:
        app, problems = load_app_folder(args.folder)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"error: {problem} (left out of the document)", file=sys.stderr)
    text = openapi_json(app, traffic=False, title=args.title, server_url=args.server_url)
    if args.out is None:
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out} ({len(app.routes)} routes)", file=sys.stderr)
    return 0


def _dev(args: argparse.Namespace) -> int:
    from notebook_routes._dev import dev

    return dev(args.folder, host=args.host, port=args.port, token=args.token)


DEVLOOP_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "openapi": _openapi,
    "dev": _dev,
}
