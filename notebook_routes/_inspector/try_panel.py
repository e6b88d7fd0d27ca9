"""The Try it tab: build a request (method, path with its params, headers, body), send it
over real HTTP, and show what came back.

The request runs on a thread of its own, so a slow handler does not freeze the notebook;
the answer is drawn on the kernel's loop like every other update.

>>> fill_path("/items/[slug]", {"slug": "a b"})
'/items/a%20b'
>>> fill_path("/blog/[...slug]", {"slug": "2024/hello"})
'/blog/2024/hello'
>>> fill_path("/docs/[[...slug]]", {}), fill_path("/items/[slug]", {})
('/docs', '/items/[slug]')
>>> parse_headers("Accept: application/json\\nX-Trace:  1 ")
[('Accept', 'application/json'), ('X-Trace', '1')]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import ipywidgets as widgets

from notebook_routes._client import ClientResponse, send
from notebook_routes._inspector.format import ERROR_RED, MUTED, esc, headers_table, pre, status_html
from notebook_routes._inspector.state import InspectorState, RouteRow
from notebook_routes._route import METHODS
from notebook_routes._runtime import explain

if TYPE_CHECKING:
    from notebook_routes._server import Server

CUSTOM = ""  # the route choice for a path typed by hand
MAX_BODY_SHOWN = 200_000


def fill_path(url_path: str, values: Mapping[str, str]) -> str:
    """The URL path of a pattern with `values` filled in; an empty value keeps ``[name]``."""
    parts: list[str] = []
    for segment in url_path.strip("/").split("/"):
        if not (segment.startswith("[") and segment.endswith("]")):
            if segment:
                parts.append(segment)
            continue
        optional = segment.startswith("[[")
        name = segment.strip("[]").removeprefix("...")
        value = values.get(name, "").strip("/")
        if not value:
            if not optional:
                parts.append(segment)
            continue
        if segment.strip("[]").startswith("..."):
            parts.extend(quote(v, safe="") for v in value.split("/"))
        else:
            parts.append(quote(value, safe=""))
    return "/" + "/".join(parts)


def parse_headers(text: str) -> list[tuple[str, str]]:
    """``Name: value`` lines; raises ValueError naming a line without a colon."""
    pairs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"header line {line.strip()!r} is not 'Name: value'")
        pairs.append((name.strip(), value.strip()))
    return pairs


def response_html(response: ClientResponse) -> str:
    body = response.pretty_body()
    if len(body) > MAX_BODY_SHOWN:
        body = body[:MAX_BODY_SHOWN] + f"\n… ({len(response.content)} bytes in all)"
    why = ""
    if response.error:
        why = (
            f'<div class="nr-try-error"><b>Error</b> <span style="color:{MUTED}">(from the '
            f"server's log: Next.js sends this 500 with an empty body)</span>"
            f"{pre(response.error + chr(10) + (response.traceback or ''), colour=ERROR_RED)}"
            f"</div>"
        )
    return (
        f'<div class="nr-try-response">{status_html(response.status)} {esc(response.reason)}'
        f" · {response.elapsed_ms:.1f} ms · <code>{esc(response.method)} {esc(response.url)}"
        f"</code><br><b>Headers</b>{headers_table(response.headers.raw_items())}"
        f"<b>Body</b>{pre(body) if body else f'<div style=color:{MUTED}>(empty)</div>'}"
        f"{why}</div>"
    )


def unfilled_params(path: str) -> list[str]:
    """The parameters still written as ``[name]`` in a path (`fill_path` leaves an empty
    field that way): sent as they are, they would reach the route as a literal value.

    >>> unfilled_params("/users/[id]/posts/[...slug]?q=[x]"), unfilled_params("/users/1")
    (['id', 'slug'], [])
    """
    return [
        word.strip("[]").removeprefix("...")
        for word in path.partition("?")[0].split("/")
        if len(word) > 2 and word.startswith("[") and word.endswith("]")
    ]


def route_for(path: str, rows: Sequence[RouteRow]) -> RouteRow | None:
    """The route a typed path belongs to: the pattern it fills in, a static one first.

    >>> rows = [RouteRow("/u/[id]", "route", ("GET",), "dynamic", "", None, None, 0, 0, None,
    ...                  "/u/[id]", ("id",)),
    ...         RouteRow("/u/me", "route", ("GET",), "dynamic", "", None, None, 0, 0, None,
    ...                  "/u/me", ())]
    >>> route_for("/u/7", rows).pattern, route_for("/u/me?x=1", rows).pattern
    ('/u/[id]', '/u/me')
    >>> route_for("/v", rows) is None
    True
    """
    words = [w for w in path.partition("?")[0].strip("/").split("/") if w]
    best: tuple[int, RouteRow] | None = None
    for row in rows:
        rank = _fills(row.url_path, words)
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, row)
    return best[1] if best else None


def _fills(url_path: str, words: list[str]) -> int | None:
    """How generally `url_path` matches `words` (0 = static only), or None."""
    segments = [s for s in url_path.strip("/").split("/") if s]
    rank = 0
    for index, segment in enumerate(segments):
        if segment.startswith("[[..."):
            return rank + 3
        if segment.startswith("[..."):
            return rank + 2 if len(words) > index else None
        if index >= len(words):
            return None
        if segment.startswith("["):
            rank += 1
        elif segment != words[index]:
            return None
    return rank if len(words) == len(segments) else None


def error_html(message: str) -> str:
    return f'<div style="color:{ERROR_RED}">{esc(message)}</div>'


class TryPanel:
    def __init__(
        self,
        state: InspectorState,
        *,
        server: Callable[[], Server | None],
        post: Callable[[Callable[[], Any]], None],
        threaded: bool = True,
        capture: Callable[[Any], Any] = lambda f: f,
    ) -> None:
        self.state = state
        self.server = server
        self.post = post
        self.threaded = threaded  # without a loop to hand the answer to, wait for it here
        self.route = widgets.Dropdown(description="route", options=self._route_options())
        self.method = widgets.Dropdown(
            description="method", options=list(METHODS), layout={"width": "200px"}
        )
        self.params = widgets.VBox()
        self.path = widgets.Text(value="/", description="path", layout={"width": "520px"})
        self.path.add_class("nr-try-path")
        self.headers = widgets.Textarea(
            description="headers",
            placeholder="Name: value, one per line",
            layout={"width": "520px", "height": "60px"},
        )
        self.body = widgets.Textarea(
            description="body", placeholder="request body", layout={"width": "520px"}
        )
        self.send_button = widgets.Button(description="Send", button_style="primary")
        self.send_button.add_class("nr-send")
        self.result = widgets.HTML()
        self.result.add_class("nr-try-result")
        self.route.observe(capture(self._route_chosen), names="value")
        self.path.observe(capture(self._path_typed), names="value")
        self.send_button.on_click(capture(lambda _b: self.send()))
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.route, self.method]),
                self.params,
                self.path,
                self.headers,
                self.body,
                self.send_button,
                self.result,
            ]
        )
        self.widget.add_class("nr-try")
        self._fields: dict[str, widgets.Text] = {}
        self._filling = False  # the path is being written from the param fields
        self._following = False  # the route is being chosen from a typed path
        self._capture = capture
        state.observe(self._routes_changed, names=("routes",))

    def _route_options(self) -> list[tuple[str, str]]:
        return [("(type a path)", CUSTOM), *[(r.pattern, r.pattern) for r in self.state.routes]]

    def _routes_changed(self, _changed: object = None) -> None:
        options = self._route_options()
        if options != list(self.route.options):
            current = self.route.value
            self.route.options = options
            self.route.value = current if current in [v for _, v in options] else CUSTOM

    def choose(self, row: RouteRow) -> None:
        """Prepare a request for `row`'s route (what the Routes tab's *try* button does)."""
        self._routes_changed()
        self.route.value = row.pattern
        self._route_chosen()

    def _row(self) -> RouteRow | None:
        return next((r for r in self.state.routes if r.pattern == self.route.value), None)

    def _route_chosen(self, _change: object = None) -> None:
        if self._following:  # the path was typed: keep it, only the fields go
            for field in self._fields.values():
                field.close()
            self._fields = {}
            self.params.children = ()
            return
        row = self._row()
        for field in self._fields.values():
            field.close()
        self._fields = {}
        if row is None:
            self.params.children = ()
            return
        if row.methods:
            self.method.value = row.methods[0]
        for name in row.params:
            catch_all = f"[...{name}]" in row.url_path
            field = widgets.Text(
                description=name,
                placeholder="a/b/c" if catch_all else "value",
                continuous_update=True,
            )
            field.observe(self._capture(self._fill), names="value")
            self._fields[name] = field
        self.params.children = tuple(self._fields.values())
        self._fill()

    def _fill(self, _change: object = None) -> None:
        row = self._row()
        if row is not None:
            values = {name: field.value for name, field in self._fields.items()}
            self._filling = True
            try:
                self.path.value = fill_path(row.url_path, values)
            finally:
                self._filling = False

    def _path_typed(self, _change: object = None) -> None:
        """A path typed by hand selects the route it belongs to (or "type a path")."""
        if self._filling:
            return
        row = route_for(self.path.value, self.state.routes)
        chosen = row.pattern if row is not None else CUSTOM
        if chosen != self.route.value:
            self._following = True
            try:
                self.route.value = chosen
            finally:
                self._following = False

    def send(self) -> None:
        """Send the request on a thread; the answer is drawn on the kernel's loop."""
        srv = self.server()
        if srv is None:
            self.result.value = error_html("No server is running for this app: start one first.")
            return
        path = self.path.value.strip() or "/"
        if not path.startswith("/"):
            path = "/" + path
        row = self._row()
        missing = unfilled_params(path) if row is not None and row.params else []
        if row is not None and missing:
            self.result.value = error_html(
                f"Fill in {', '.join(missing)} first: {row.pattern} needs a value for each "
                f"[param], or the path goes out as {path} and the handler gets the brackets."
            )
            return
        try:
            headers = parse_headers(self.headers.value)
        except ValueError as exc:
            self.result.value = error_html(str(exc))
            return
        method, body = self.method.value, self.body.value or None
        self.send_button.disabled = True
        self.result.value = (
            f'<span style="color:{MUTED}">sending {esc(method)} {esc(path)} …</span>'
        )

        def work() -> None:
            try:
                since = time.time()
                response = send(srv.url, method, path, headers=headers, body=body, token=srv.token)
                explain(response, srv.app, method, path, since=since)
                shown = response_html(response)
            except Exception as exc:  # the server may be gone: say so in the panel
                shown = error_html(f"{method} {path} failed: {type(exc).__name__}: {exc}")
            self.post(lambda: self._show(shown))

        if self.threaded:
            threading.Thread(target=work, name="notebook-routes-try-it", daemon=True).start()
        else:
            work()

    def _show(self, shown: str) -> None:
        self.result.value = shown
        self.send_button.disabled = False

    def close(self) -> None:
        self.state.unobserve(self._routes_changed)
        for field in self._fields.values():
            field.close()
        for w in (
            self.route,
            self.method,
            self.params,
            self.path,
            self.headers,
            self.body,
            self.send_button,
            self.result,
            self.widget,
        ):
            w.close()


__all__ = [
    "TryPanel",
    "fill_path",
    "parse_headers",
    "response_html",
    "route_for",
    "unfilled_params",
]
