"""The IPython magics: ``%%route``, ``%%page``, ``%route_remove``, ``%request``, ``%routes``.

A cell that cannot be registered raises `UsageError` itself (IPython prints its message
without a traceback) and leaves the route table exactly as it was.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import html
import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import (
    MagicHelpFormatter,
    argument,
    kwds,
    magic_arguments,
    parse_argstring,
)
from IPython.display import display

from notebook_routes import _runtime as runtime
from notebook_routes._cell_source import (
    METHODS_HELP,
    PAGE_PATH_HELP,
    PATH_HELP,
    ROUTE_HELP,
    ROUTE_HELP_END,
    LineError,
    MagicLine,
    body_warnings,
    page_markup,
    route_line,
)
from notebook_routes._cells import CellError, body_handler, module_namespace
from notebook_routes._extras import MissingExtra, require
from notebook_routes._route import Route
from notebook_routes._summary import describe, sample_note, sample_path
from notebook_routes._tracebacks import name_cell, set_cell_namer
from notebook_routes.routing import RouteError


def _line_for(route: Route) -> dict[str, str]:
    """The success line, as text and as HTML with a link that can be followed.

    A dynamic route links to a sample path (``/items/a``), labelled as a sample.
    """
    srv = runtime.server()
    text = describe(route, srv.url)
    plain = describe(route)
    path, values = sample_path(route)
    href = html.escape(srv.public_url(path), quote=True)
    link = f'<a href="{href}" target="_blank">{html.escape(srv.url + path)}</a>'
    if values:
        link += f"&nbsp;&nbsp;{html.escape(sample_note(values))}"
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
                widgets = require("ipywidgets", extra="notebook", feature="the prerender bar")
                bar = widgets.IntProgress(min=0, max=state["total"], description="prerender")
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


class _CellMagicHelp(MagicHelpFormatter):
    """`%%route?` as written: ``%%`` before the name, no reST ``::`` before the usage."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: Any = None) -> None:
        argparse.RawDescriptionHelpFormatter.add_usage(self, usage, actions, groups, "")

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "".join(indent + line for line in text.splitlines(keepends=True))


@magics_class
class RouteMagics(Magics):
    """Define Next.js-style route handlers in notebook cells."""

    shell: InteractiveShell  # never None here: IPython hands itself over when it loads them

    def _cell_number(self) -> int:
        # The number the front end shows for this cell. IPython 9 counts the cell before
        # running it, so shell.execution_count is one ahead; the running cell's result knows.
        result = getattr(self.shell.displayhook, "exec_result", None)
        count = getattr(result, "execution_count", None)
        return count if isinstance(count, int) else self.shell.execution_count

    def _origin(self) -> str:
        return f"In [{self._cell_number()}]"

    def _filename(self, cell: str) -> str:
        number = self._cell_number()
        filename = self.shell.compile.cache(cell, number)
        # Tracebacks name the cell as the front end does; line 1 is the %%route line.
        name_cell(filename, f"In [{number}]", first_line=2)
        return filename

    @magic_arguments()
    @kwds(
        description=ROUTE_HELP,
        epilog=ROUTE_HELP_END,
        formatter_class=_CellMagicHelp,
        usage="%%%%route [METHOD ...] PATH",  # argparse %-formats the usage: %%%% -> %%
    )
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
        if magic.form == "body":
            for warning in body_warnings(ast.parse(cell), magic.methods, magic.path):
                print(f"warning: {warning}")

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

    @cell_magic
    def proxy(self, line: str, cell: str) -> None:
        """Define the proxy (Next.js's proxy.ts): ``def proxy(request)`` and
        ``config = {"matcher": [...]}``; it runs before every request it matches.
        Running the cell again replaces it; ``%proxy_remove`` removes it."""
        if line.strip():
            raise UsageError("%%proxy takes no arguments: the cell defines proxy() and config.")
        try:
            namespace = module_namespace(
                cell, notebook=self.shell.user_ns, filename=self._filename(cell)
            )
            proxy = runtime.default_app().set_proxy(namespace, origin=self._origin())
        except (RouteError, CellError, TypeError) as exc:
            raise UsageError(str(exc)) from None
        runtime.server()  # a proxy is for requests: serve them
        print(f"proxy  {proxy.matcher_text}")

    @line_magic
    def proxy_remove(self, line: str) -> None:
        """Remove the proxy defined by a ``%%proxy`` cell."""
        try:
            runtime.default_app().remove_proxy()
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
        print("removed the proxy")

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

        try:
            shown = inspector()
        except MissingExtra as exc:
            raise UsageError(str(exc)) from None
        display(shown)


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
    numbers = getattr(ipython.compile, "_filename_map", {})  # IPython >= 8: file -> cell

    def cell_name(filename: str) -> str | None:
        number = numbers.get(filename)
        return f"In [{number}]" if number is not None else None

    set_cell_namer(cell_name)  # a helper defined in a plain cell is named as that cell


def unload(ipython: Any) -> None:
    set_cell_namer(None)
    runtime.stop()
