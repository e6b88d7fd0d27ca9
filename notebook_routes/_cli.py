"""The command line: ``notebook-routes serve|run|export`` (also ``python -m notebook_routes``)."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
from collections.abc import Sequence

from notebook_routes._app import App, check_origin
from notebook_routes._cli_devloop import DEVLOOP_COMMANDS, _openapi_commands
from notebook_routes._loader import load_app_folder, report_problems
from notebook_routes._server import DEFAULT_WORKERS, Server, is_loopback, origin_of
from notebook_routes._summary import describe
from notebook_routes.cache._handler import ENV_VAR, cache_url_from_env


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
        "--public-origin",
        default=None,
        metavar="URL",
        help="origin that static and ISR answers are rendered with, such as "
        "https://notes.example (default: the bound address)",
    )
    serve.add_argument(
        "--workers", type=int, default=1, help="processes sharing the port (default 1)"
    )
    serve.add_argument(
        "--server",
        choices=("tornado", "uvicorn", "granian", "hypercorn"),
        default="tornado",
        help=(
            "the HTTP server: tornado (default, built in), or an ASGI server from its extra, "
            "e.g. pip install 'notebook-routes[uvicorn]'"
        ),
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"threads per process for plain def handlers (default {DEFAULT_WORKERS})",
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        default=None,
        metavar="NAME",
        help="on a loopback bind, also answer this Host name (repeatable; '*' for any)",
    )
    _cache_arguments(serve)
    serve.add_argument(
        "--no-compress",
        dest="compress",
        action="store_false",
        help="never gzip answers (Next.js's `compress: false`; default: gzip when accepted)",
    )
    serve.add_argument(
        "--debug",
        action="store_true",
        help="put a failed handler's error and traceback in its 500 body (loopback hosts only)",
    )
    serve.add_argument(
        "--strict",
        action="store_true",
        help="refuse to start if any route file fails to load or any route conflicts",
    )
    run = commands.add_parser(
        "run",
        help="run a notebook in a kernel, headless, and serve its routes",
        description=(
            "Run every code cell of NOTEBOOK in a python3 kernel, report the cells that fail, "
            "then serve the notebook's routes until interrupted."
        ),
    )
    run.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file")
    run.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=3000, help="port (default 3000; 0 = any free)")
    _cache_arguments(run, prefix=False)
    run.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds a cell may run before it is interrupted (default 120)",
    )
    export = commands.add_parser(
        "export",
        help="write a notebook's %%%%route cells as an app/ folder of route.py files",
        description=(
            "Write every %%route cell of NOTEBOOK as DIR/<folders>/route.py, with the "
            "notebook globals the routes use carried over, for `notebook-routes serve DIR`."
        ),
    )
    export.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file")
    export.add_argument("--out", required=True, metavar="DIR", help="the folder to write")
    export.add_argument(
        "--force", action="store_true", help="write into DIR even if it is not empty"
    )
    _openapi_commands(commands)
    return parser


def _cache_arguments(parser: argparse.ArgumentParser, *, prefix: bool = True) -> None:
    parser.add_argument(
        "--cache",
        default=None,
        metavar="URL",
        help=f"the cache every process shares, e.g. redis://127.0.0.1:6379/0 (default: "
        f"${ENV_VAR}, else memory:// in each process)",
    )
    if prefix:
        parser.add_argument(
            "--cache-prefix",
            default=None,
            metavar="PREFIX",
            help="key prefix in a shared cache, so several apps can share one Redis "
            "(default notebook-routes:default:)",
        )
        parser.add_argument(
            "--cache-max-memory-size",
            type=int,
            default=None,
            metavar="BYTES",
            help="bytes of cache kept in each process, least recently used evicted "
            "(default 52428800 = 50 MB, as Next.js's cacheMaxMemorySize)",
        )


def _app_for(args: argparse.Namespace) -> App | None:
    """The empty app to load into, with the cache `--cache` or the environment names."""
    url = args.cache or cache_url_from_env()
    try:
        return App(
            cache_handler=url,
            cache_prefix=args.cache_prefix,
            cache_max_memory_size=args.cache_max_memory_size,
            public_origin=args.public_origin,
        )
    except (ValueError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _serve(args: argparse.Namespace) -> int:
    if args.server != "tornado":
        return _serve_asgi(args)
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.threads < 1:
        print("error: --threads must be at least 1", file=sys.stderr)
        return 2
    if args.debug and not is_loopback(args.host):
        print(
            f"error: --debug shows tracebacks to clients, so it needs a loopback --host "
            f"such as 127.0.0.1, not {args.host}",
            file=sys.stderr,
        )
        return 2
    try:
        check_origin(args.public_origin)
    except ValueError as exc:
        print(f"error: --public-origin: {exc}", file=sys.stderr)
        return 2
    app = _app_for(args)
    if app is None:
        return 2
    store = app.cache
    if getattr(store, "shared", False):
        print(f"notebook-routes: cache shared through {store!r}", flush=True)
    from tornado.netutil import bind_sockets

    # Bind before loading: prerenders then see the address the server will have (and with
    # --workers, every process shares these sockets).
    sockets = bind_sockets(args.port, args.host)
    app.served_at = origin_of(args.host, sockets[0].getsockname()[1])
    app, problems = load_app_folder(args.folder, app)
    has_errors = report_problems(app, problems)
    if args.strict and has_errors:
        print("notebook-routes: not starting (--strict)", file=sys.stderr)
        for sock in sockets:
            sock.close()
        return 1
    token = args.token
    if token is None and not is_loopback(args.host):
        # One token for every process (generated before forking), shown once, on stderr:
        # never in a file or a log a notebook might keep.
        token = secrets.token_urlsafe(24)
        print(f"clients must send 'Authorization: Bearer {token}'", file=sys.stderr, flush=True)
    if args.workers > 1:
        from tornado.process import fork_processes

        fork_processes(args.workers)
    server = Server(
        app,
        host=args.host,
        port=args.port,
        token=token,
        sockets=sockets,
        workers=args.threads,
        allowed_hosts=args.allow_host,
        compress=args.compress,
        debug=args.debug,
    )
    server.start()
    if app.proxy is not None:
        print(f"proxy  {app.proxy.matcher_text}  ({app.proxy.origin})", flush=True)
    for route in app.routes:
        print(describe(route, server.url), flush=True)
    print(f"notebook-routes serving {args.folder} at {server.url}", flush=True)
    stopping = threading.Event()
    # SIGTERM stops like Ctrl-C: the server waits for pending after() callbacks first.
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _serve_asgi(args: argparse.Namespace) -> int:
    """``serve --server uvicorn|granian|hypercorn``: each worker loads and prerenders the folder
    itself (`notebook_routes.asgi`); here it is only read, to report problems and routes."""
    from notebook_routes._servers import MissingExtra, require_extra, run_asgi_server

    try:
        require_extra(args.server, args.server)
    except MissingExtra as exc:
        print(f"error: --server {args.server}: {exc}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    app, problems = load_app_folder(args.folder, prerender=False)
    if report_problems(app, problems) and args.strict:
        print("notebook-routes: not starting (--strict)", file=sys.stderr)
        return 1
    token = args.token
    if token is None and not is_loopback(args.host):
        token = secrets.token_urlsafe(24)
        print(f"clients must send 'Authorization: Bearer {token}'", file=sys.stderr, flush=True)

    def ready(url: str) -> None:
        for route in app.routes:
            print(describe(route, url), flush=True)
        workers = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
        print(
            f"notebook-routes serving {args.folder} at {url} ({args.server}, {workers})", flush=True
        )

    # Each worker reads these (notebook_routes.asgi.create_app()).
    if args.cache:
        os.environ["NOTEBOOK_ROUTES_CACHE"] = args.cache
    if not args.compress:
        os.environ["NOTEBOOK_ROUTES_COMPRESS"] = "0"
    run_asgi_server(
        args.server,
        args.folder,
        host=args.host,
        port=args.port,
        workers=args.workers,
        token=token,
        allowed_hosts=args.allow_host,
        strict=args.strict,
        on_ready=ready,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command in DEVLOOP_COMMANDS:
        return DEVLOOP_COMMANDS[args.command](args)
    # Imported here: they need Jupyter (nbformat, jupyter_client), which `serve` does not.
    if args.command == "run":
        from notebook_routes._run import run_notebook

        if args.cache:  # the kernel's %load_ext reads it: its app shares that cache
            os.environ[ENV_VAR] = args.cache
        return run_notebook(args.notebook, host=args.host, port=args.port, timeout=args.timeout)
    if args.command == "export":
        from notebook_routes._export import export_command

        return export_command(args.notebook, args.out, force=args.force)
    raise AssertionError(args.command)  # argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
