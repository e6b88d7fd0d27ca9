"""``notebook-routes dev DIR``: `serve`, plus reloading ``route.py`` files as they change.

    $ notebook-routes dev app/ --port 3000
    notebook-routes dev: serving app/ at http://127.0.0.1:3000 (watching for changes)
    reloaded /items/[slug] (app/items/[slug]/route.py)
    error: app/blog/route.py: SyntaxError: ... (the old /blog keeps serving)

A changed or added file is registered with the same atomic swap as a re-run ``%%route``
cell (`App.add_prerendered`, on the server's own loop): requests in flight finish on the
handler they started with, the next ones meet the new one. A removed file removes its
route. A file that fails to load is reported and the route it had keeps serving.
Conflicts are printed when they appear and when they go. The server, and so the port,
is the same from start to end.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from notebook_routes._app import App
from notebook_routes._loader import (
    ROUTE_FILE,
    _is_private,
    _load_module,
    load_app_folder,
    route_path,
)
from notebook_routes._server import Server
from notebook_routes._summary import describe
from notebook_routes.routing import RouteError

_module_numbers = itertools.count(1_000_000)  # reloaded modules never reuse a loader name


class Watcher:
    """The reload logic of `dev`, one batch of changed files at a time."""

    def __init__(self, folder: Path, app: App, server: Server, out: TextIO, err: TextIO) -> None:
        self.folder = folder
        self.app = app
        self.server = server
        self.out = out
        self.err = err
        self.loaded: dict[Path, str] = {
            Path(route.origin).resolve(): route.source for route in app.routes if route.origin
        }
        self.conflicts = self._conflict_lines()

    def apply(self, paths: set[Path]) -> None:
        """Reload, add or remove the route of each changed ``route.py``, then report conflicts.

        `paths` may name folders too: a folder made with its files at once can be seen
        before its files are, and a removed folder takes its routes with it.
        """
        files: set[Path] = set()
        for path in paths:
            if path.is_dir():
                files.update(path.rglob(ROUTE_FILE))
            elif path.name == ROUTE_FILE:
                files.add(path)
            elif not path.exists():
                files.update(f for f in self.loaded if path in f.parents)
        for file in sorted(files):
            if file.name != ROUTE_FILE or _is_private(self.folder, file):
                continue
            if file.exists():
                self._load(file)
            elif file in self.loaded:
                self._remove(file)
        self._report_conflicts()

    def _load(self, file: Path) -> None:
        path = route_path(self.folder, file)
        old = self.loaded.get(file)
        keeps = f" (the old {old} keeps serving)" if old else ""
        try:
            namespace = _load_module(file, next(_module_numbers))
        except Exception as exc:
            self._say(self.err, f"error: {file}: {type(exc).__name__}: {exc}{keeps}")
            return
        adding = self.app.add_prerendered(path, namespace, origin=str(file))
        try:
            route = self.server.submit(adding).result()
        except (RouteError, TypeError) as exc:
            self._say(self.err, f"error: {file}: {exc}{keeps}")
            return
        if old is not None and old != route.source:  # cannot happen for one file; be safe
            self.app.remove(old)
        self.loaded[file] = route.source
        verb = "reloaded" if old else "added"
        self._say(self.out, f"{verb} {route.source} ({file})")
        if not old:
            self._say(self.out, describe(route, self.server.url))

    def _remove(self, file: Path) -> None:
        source = self.loaded.pop(file)

        async def remove() -> None:
            self.app.remove(source)

        try:
            self.server.submit(remove()).result()
        except KeyError:
            return
        self._say(self.out, f"removed {source} ({file})")

    def _conflict_lines(self) -> set[str]:
        return {f"{c.level}: {c.message}" for c in self.app.conflicts}

    def _report_conflicts(self) -> None:
        now = self._conflict_lines()
        for line in sorted(now - self.conflicts):
            self._say(self.err, f"conflict {line}")
        for line in sorted(self.conflicts - now):
            self._say(self.out, f"resolved {line}")
        self.conflicts = now

    @staticmethod
    def _say(stream: TextIO, line: str) -> None:
        print(line, file=stream, flush=True)


def _changed_since(root: Path, since: float, watcher: Watcher) -> set[Path]:
    """Route files edited, and loaded ones removed, while the watch was being set up."""
    changed = {f for f in root.rglob(ROUTE_FILE) if f.stat().st_mtime >= since}
    return changed | {f for f in watcher.loaded if not f.exists()}


def dev(
    folder: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    token: str | None = None,
    stop: threading.Event | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Serve `folder` and reload its route files until interrupted (or `stop` is set)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        import watchfiles
    except ImportError:
        print(
            "error: notebook-routes dev needs watchfiles: pip install 'notebook-routes[dev]'",
            file=err,
        )
        return 2
    root = Path(folder).resolve()
    loaded_at = time.time()
    try:
        app, problems = load_app_folder(root)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=err)
        return 2
    for problem in problems:
        print(f"error: {problem}", file=err, flush=True)
    server = Server(app, host=host, port=port, token=token).start()
    watcher = Watcher(root, app, server, out, err)
    for line in sorted(watcher.conflicts):
        print(f"conflict {line}", file=err, flush=True)
    if server.token_generated:
        print(f"clients must send 'Authorization: Bearer {server.token}'", file=out, flush=True)
    for route in app.routes:
        print(describe(route, server.url), file=out, flush=True)
    stop = stop or threading.Event()
    watching = False
    try:
        # yield_on_timeout: the first (empty) batch says the watch is set up, so the
        # "serving" line promises that every later edit is seen.
        for changes in watchfiles.watch(
            root, stop_event=stop, raise_interrupt=False, yield_on_timeout=True, rust_timeout=500
        ):
            paths = {Path(path) for _change, path in changes}
            if not watching:
                watching = True
                paths |= _changed_since(root, loaded_at, watcher)
                print(
                    f"notebook-routes dev: serving {folder} at {server.url} (watching for changes)",
                    file=out,
                    flush=True,
                )
            if paths:
                watcher.apply(paths)
    finally:
        server.stop()
    return 0
