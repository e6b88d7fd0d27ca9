"""`Inspector`: the panels in tabs, over one `InspectorState` kept live by a `LiveFeed`.

In a notebook::

    %routes                                  # or: notebook_routes.inspector()

For an `App` of your own (and its `Server`, for links and Try it)::

    ins = Inspector(app, server=srv)
    ins                                      # tabs: Routes, Conflicts, Requests, Cache, Try it

Created in a kernel, it captures the kernel's loop and updates itself a few times a
second while requests arrive. Elsewhere call `refresh()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from notebook_routes._client import send
from notebook_routes._inspector.cache_panel import CachePanel
from notebook_routes._inspector.conflicts_panel import ConflictsPanel
from notebook_routes._inspector.format import MUTED, esc
from notebook_routes._inspector.live import LiveFeed, Loop, kernel_loop
from notebook_routes._inspector.requests_panel import PAGE_SIZE, RequestsPanel
from notebook_routes._inspector.routes_panel import RoutesPanel
from notebook_routes._inspector.snapshot import headline, snapshot_html, snapshot_text
from notebook_routes._inspector.state import CacheRow, InspectorState, RouteRow
from notebook_routes._inspector.try_panel import TryPanel

if TYPE_CHECKING:
    from notebook_routes._app import App
    from notebook_routes._server import Server

TITLES = ("Routes", "Conflicts", "Requests", "Cache", "Try it")


class Inspector(widgets.VBox):
    """An ipywidgets view of an `App`: routes, conflicts, requests, cache, and Try it."""

    def __init__(
        self,
        app: App,
        *,
        server: Server | Callable[[], Server | None] | None = None,
        page_size: int = PAGE_SIZE,
        loop: Loop | None = None,
        **kwargs: Any,
    ) -> None:
        self.app = app
        self._server = server
        self.state = InspectorState(app)
        self.output = widgets.Output(layout={"max_height": "200px", "overflow": "auto"})
        capture = self.output.capture()
        self.header = widgets.HTML()
        self.routes_panel = RoutesPanel(
            self.state,
            link=self._link,
            remove=capture(self._remove),
            try_route=capture(self._try),
            capture=capture,
        )
        self.conflicts_panel = ConflictsPanel(self.state)
        self.cache_panel = CachePanel(
            self.state,
            revalidate=self._revalidate,
            purge=self._purge,
            purge_tag=self._purge_tag,
            capture=capture,
        )
        self.feed = LiveFeed(
            self.state, loop if loop is not None else kernel_loop(), on_error=self._show_error
        )
        self.requests_panel = RequestsPanel(
            self.state,
            page_size=page_size,
            capture=capture,
            server=self.server,
            post=self.feed.post,
            threaded=self.feed.loop is not None,
        )
        self.try_panel = TryPanel(
            self.state,
            server=self.server,
            post=self.feed.post,
            threaded=self.feed.loop is not None,
            capture=capture,
        )
        self.tabs = widgets.Tab(
            children=[
                self.routes_panel.widget,
                self.conflicts_panel.widget,
                self.requests_panel.widget,
                self.cache_panel.widget,
                self.try_panel.widget,
            ],
            titles=TITLES,
        )
        super().__init__([self.header, self.tabs, self.output], **kwargs)
        self.add_class("notebook-routes-inspector")
        self.state.observe(self._draw_header, names=("routes", "conflicts", "requests", "cache"))
        self.tabs.observe(capture(self._tab_changed), names="selected_index")
        self._tab_changed()
        self.feed.start()
        self._draw_header()

    # -- public ---------------------------------------------------------------------------

    def server(self) -> Server | None:
        source = self._server
        if source is None or hasattr(source, "public_url"):
            return source  # type: ignore[return-value]
        return source()  # type: ignore[operator]

    def refresh(self) -> frozenset[str]:
        """Redraw from the app now (a kernel does this by itself while requests arrive)."""
        return self.state.refresh(poll=True)

    def close(self) -> None:
        """Stop following the app and close every widget of the inspector."""
        self.feed.stop()
        for panel in (
            self.routes_panel,
            self.conflicts_panel,
            self.requests_panel,
            self.cache_panel,
            self.try_panel,
        ):
            panel.close()
        for w in (self.header, self.tabs, self.output):
            w.close()
        super().close()

    @property
    def closed(self) -> bool:
        return self.comm is None

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        # Routes and hits are polled once a second: read them now so the snapshot agrees
        # with the requests it lists (display runs on the kernel's main thread).
        self.state.refresh(poll=True)
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        # A front end without the widget (nbconvert, GitHub, a terminal) shows these.
        bundle["text/plain"] = snapshot_text(self.state)
        bundle["text/html"] = snapshot_html(self.state, link=self._link)
        return bundle

    def __repr__(self) -> str:
        return f"Inspector(app={self.app!r})"

    # -- actions (buttons) ----------------------------------------------------------------

    def _link(self, row: RouteRow) -> str | None:
        if row.params:
            return None  # a pattern with [params] is not a URL; Try it fills them in
        srv = self.server()
        return srv.public_url(row.url_path) if srv is not None else None

    def _remove(self, row: RouteRow) -> None:
        try:
            self.app.remove(row.pattern, kind=row.kind)  # type: ignore[arg-type]
        except KeyError:
            print(f"{row.pattern} was already removed")
        self.refresh()

    def _try(self, row: RouteRow) -> None:
        self.try_panel.choose(row)
        self.tabs.selected_index = TITLES.index("Try it")

    def _revalidate(self, row: CacheRow) -> str:
        if row.kind != "route":
            return self._purge(row)
        self.app.revalidate_path(row.key)
        srv = self.server()
        if srv is None:
            return f"revalidated {row.key}: the next request renders it"

        def visit() -> None:  # render it now, off the kernel's thread
            try:
                send(srv.url, "GET", row.key, token=srv.token)
            except OSError:
                pass  # the server went away; the entry stays dropped, as revalidate_path does

        threading.Thread(target=visit, name="notebook-routes-revalidate", daemon=True).start()
        return f"revalidated {row.key}: rendering it again"

    def _purge(self, row: CacheRow) -> str:
        dropped = self.app.cache.delete(row.key)
        self.refresh()
        return f"purged {row.key}" if dropped else f"{row.key} was already gone"

    def _purge_tag(self, tag: str) -> str:
        keys = self.app.update_tag(tag)  # a purge drops them at once (no deprecation warning)
        self.refresh()
        if not keys:
            return f"nothing is tagged {tag!r}"
        return f"purged {len(keys)} entr{'y' if len(keys) == 1 else 'ies'} tagged {tag!r}"

    # -- drawing --------------------------------------------------------------------------

    def _draw_header(self, _changed: object = None) -> None:
        srv = self.server()
        where = f" · <code>{esc(srv.url)}</code>" if srv is not None else ""
        if srv is not None:  # through public_url: behind jupyter-server-proxy on Binder too
            docs = esc(srv.public_url("/_notebook_routes/docs"))
            where += f' · <a href="{docs}" target="_blank" rel="noopener">API docs</a>'
        live = "" if self.feed.loop is not None else " · not live: call .refresh()"
        self.header.value = (
            f'<span style="color:{MUTED}">{esc(headline(self.state))}{where}{live}</span>'
        )

    def _tab_changed(self, _change: object = None) -> None:
        panels = (self.routes_panel, self.conflicts_panel, self.requests_panel, self.cache_panel)
        for index, panel in enumerate(panels):
            panel.show(self.tabs.selected_index == index)

    def _show_error(self, text: str) -> None:
        self.output.append_stderr(text)


__all__ = ["Inspector", "TITLES"]
