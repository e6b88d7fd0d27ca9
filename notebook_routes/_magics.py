"""The IPython magics: ``%%route``, ``%%page``, ``%route_remove``, ``%request``, ``%routes``.

A cell that cannot be registered raises `UsageError` itself (IPython prints its message
without a traceback) and leaves the route table exactly as it was.
"""

from __future__ import annotations

import concurrent.futures
import html
import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from notebook_routes import _runtime as runtime
from notebook_routes._route import Route
from notebook_routes._cell_source import (
    METHODS_HELP,
    PAGE_PATH_HELP,
    PATH_HELP,
    LineError,
    MagicLine,
    page_markup,
    route_line,
)
from notebook_routes._cells import CellError, body_handler, module_namespace
from notebook_routes._summary import describe
from notebook_routes.routing import RouteError


def _line_for(route: Route) -> dict[str, str]:
    """The success line, as text and as HTML with a link where one can be followed."""
    srv = runtime.server()
    text = describe(route, srv.url)
    plain = describe(route)
    if route.pattern.is_dynamic:
        link = html.escape(srv.url + route.pattern.url_path)
    else:
        href = html.escape(srv.public_url(route.pattern.url_path), quote=True)
        link = (
            f'<a href="{href}" target="_blank">{html.escape(srv.url + route.pattern.url_path)}</a>'
        )
    return {"text/plain": text, "text/html": f"<code>{html.escape(plain)}</code>&nbsp;&nbsp;{link}"}


PROGRESS_FROM = 10  # prerenders of at least this many param sets show a progress bar


def _register(path: str, namespace: dict[str, Any], *, origin: str) -> Route:
    """Add (and prerender) a route on the server's loop, the notebook's ``next build``.

    The kernel's thread waits for the result; a long prerender shows a progress bar,
    updated from this thread only (widgets belong to the kernel's loop).
    """
    srv = runtime.server()
    state = {"done": 0, "total": 0}

    def progress(done: int, total: int) -> None:  # on the server thread: plain data only
        state["done"], state["total"] = done, total

    future = srv.submit(
        runtime.default_app().add_prerendered(path, namespace, origin=origin, progress=progress)
    )
    bar = None
    while True:
        try:
            return future.result(timeout=0.1)
        except concurrent.futures.TimeoutError:
            if bar is None and state["total"] >= PROGRESS_FROM:
                from ipywidgets import IntProgress

                bar = IntProgress(min=0, max=state["total"], description="prerender")
                display(bar)
            if bar is not None:
                bar.value = state["done"]
        finally:
            if bar is not None and future.done():
                bar.value = bar.max
                bar.bar_style = "success" if future.exception() is None else "danger"


def _report(route: Route) -> None:
    display(_line_for(route), raw=True)
    app = runtime.default_app()
    for conflict in app.conflicts:
        if route.source in conflict.routes:
            label = "conflict" if conflict.level == "error" else "note"
            print(f"{label}: {conflict.message}")


@magics_class
class RouteMagics(Magics):
    """Define Next.js-style route handlers in notebook cells."""

    def _cell_number(self) -> int:
        # The number the front end shows for this cell. IPython 9 counts the cell before
        # running it, so shell.execution_count is one ahead; the running cell's result knows.
        result = getattr(self.shell.displayhook, "exec_result", None)
        count = getattr(result, "execution_count", None)
        return count if isinstance(count, int) else self.shell.execution_count

    def _origin(self) -> str:
        return f"In [{self._cell_number()}]"

    def _filename(self, cell: str) -> str:
        return self.shell.compile.cache(cell, self._cell_number())

    @magic_arguments()
    @argument("methods", nargs="*", metavar="METHOD", help=METHODS_HELP)
    @argument("path", metavar="PATH", help=PATH_HELP)
    @cell_magic
    def route(self, line: str, cell: str) -> None:
        """Define a route handler: ``%%route GET /items/[slug]``, then the handler's body."""
        args = parse_argstring(self.route, line)  # argparse's own errors: `%%route --x`
        try:
            magic = route_line(args.methods, args.path, line=line)
            route = _register(magic.path, self._namespace(magic, cell), origin=self._origin())
        except (LineError, RouteError, CellError, TypeError) as exc:
            raise UsageError(str(exc)) from None
        _report(route)

    def _namespace(self, magic: MagicLine, cell: str) -> dict[str, Any]:
        """The route's namespace: a module-form cell's own, or the handlers a body adds."""
        notebook = self.shell.user_ns
        filename = self._filename(cell)
        if magic.form == "module":
            return module_namespace(cell, notebook=notebook, filename=filename)
        handler = body_handler(
            cell, name="_".join(magic.methods), notebook=notebook, filename=filename
        )
        # Cells for one PATH with different methods add up, as route.py functions do.
        existing = runtime.default_app().get(magic.path)
        namespace = dict(existing.namespace) if existing and existing.kind == "route" else {}
        namespace.update({method: handler for method in magic.methods})
        return namespace

    @magic_arguments()
    @argument("path", help=PAGE_PATH_HELP)
    @cell_magic
    def page(self, line: str, cell: str) -> None:
        """Define a page (HTML, GET only): ``%%page /about`` then the HTML."""
        args = parse_argstring(self.page, line)
        markup = page_markup(cell)

        async def GET() -> str:
            return markup

        try:
            route = runtime.default_app().add(
                args.path, {"GET": GET}, kind="page", origin=self._origin()
            )
        except (RouteError, TypeError) as exc:
            raise UsageError(str(exc)) from None
        _report(route)

    @magic_arguments()
    @argument("path", help="the path as written in its cell, such as /items/[slug]")
    @line_magic
    def route_remove(self, line: str) -> None:
        """Delete a route: ``%route_remove /items/[slug]``."""
        args = parse_argstring(self.route_remove, line)
        try:
            runtime.remove(args.path)
        except (KeyError, RouteError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            raise UsageError(str(message)) from None
        print(f"removed {args.path}")

    @magic_arguments()
    @argument("method", help="GET, POST, ...")
    @argument("path", help="the request path, such as /api/hello?x=1")
    @argument(
        "-H", "--header", action="append", default=[], help="a header, 'Name: value' (repeatable)"
    )
    @argument("-d", "--data", default=None, help="the request body")
    @line_magic
    def request(self, line: str) -> Any:
        """Send a request to the server and show the answer: ``%request GET /api/hello``."""
        args = parse_argstring(self.request, line)
        headers = []
        for header in args.header:
            name, sep, value = _unquote(header).partition(":")
            if not sep or not name.strip():
                raise UsageError(f"-H takes 'Name: value', not {header!r}")
            headers.append((name.strip(), value.strip()))
        body = _unquote(args.data) if args.data is not None else None
        try:
            return runtime.request(args.method, args.path, headers=headers, body=body)
        except (TypeError, ValueError) as exc:
            raise UsageError(str(exc)) from None

    @line_magic
    def routes(self, line: str) -> None:
        """Show the inspector: Routes, Conflicts, Requests, Cache and Try it, updated live."""
        from notebook_routes._inspector import inspector

        display(inspector())


def _unquote(data: str) -> str:
    """magic_arguments splits like a non-POSIX shell and keeps quotes: drop one matching pair."""
    if len(data) >= 2 and data[0] == data[-1] and data[0] in "'\"":
        try:
            return shlex.split(data)[0]
        except ValueError:
            return data
    return data


def load(ipython: Any) -> None:
    runtime.configure_from_env()  # NOTEBOOK_ROUTES_CACHE: share a cache with a `serve`
    ipython.register_magics(RouteMagics)


def unload(ipython: Any) -> None:
    runtime.stop()
