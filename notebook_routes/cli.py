"""The command line: ``notebook-routes serve app/`` (also ``python -m notebook_routes``)."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from notebook_routes.loader import load_app_folder
from notebook_routes.server import Server
from notebook_routes.summary import describe


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notebook-routes",
        description="Next.js App Router route handlers, in Python.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve an app/ folder of route.py files",
        description="Serve every DIR/**/route.py with Next.js route-handler semantics.",
    )
    serve.add_argument("folder", metavar="DIR", help="the app/ folder")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=3000, help="port (default 3000; 0 = any free)")
    serve.add_argument("--token", default=None, help="bearer token required from clients")
    serve.add_argument(
        "--workers", type=int, default=1, help="processes sharing the port (default 1)"
    )
    serve.add_argument(
        "--strict",
        action="store_true",
        help="refuse to start if any route file fails to load or any route conflicts",
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    app, problems = load_app_folder(args.folder)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    origins = {route.source: route.origin for route in app.routes}
    for conflict in app.conflicts:
        files = ", ".join(str(origins.get(source)) for source in conflict.routes)
        print(f"{conflict.level}: {conflict.message} ({files})", file=sys.stderr)
    has_errors = problems or any(c.level == "error" for c in app.conflicts)
    if args.strict and has_errors:
        print("notebook-routes: not starting (--strict)", file=sys.stderr)
        return 1
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    sockets = None
    if args.workers > 1:
        from tornado.netutil import bind_sockets
        from tornado.process import fork_processes

        # Bind once, then fork: the kernel spreads connections over the processes.
        sockets = bind_sockets(args.port, args.host)
        fork_processes(args.workers)
    server = Server(app, host=args.host, port=args.port, token=args.token, sockets=sockets)
    server.start()
    if server.token_generated:
        print(f"clients must send 'Authorization: Bearer {server.token}'", flush=True)
    for route in app.routes:
        print(describe(route, server.url), flush=True)
    print(f"notebook-routes serving {args.folder} at {server.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    raise AssertionError(args.command)  # argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
