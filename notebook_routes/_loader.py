"""Load an ``app/`` folder of ``route.py`` files into an `App`, as ``next build`` reads ``app/``.

Folders are the URL, route groups and all: ``app/(shop)/items/[slug]/route.py`` is the
route ``/(shop)/items/[slug]``. Private folders (a leading ``_``) are not routable and are
skipped, as in Next.js. A ``proxy.py`` at the root of the folder is the app's proxy
(Next.js's ``proxy.ts``). A file that cannot be registered is reported with its path and
the rest are served.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from notebook_routes._app import App
from notebook_routes._proxy import PROXY_FILE
from notebook_routes.routing import RouteError

ROUTE_FILE = "route.py"


@dataclass(frozen=True)
class LoadProblem:
    """A route file that was not registered, and why (one paragraph)."""

    file: Path
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


def route_path(folder: Path, file: Path) -> str:
    """The PATH a ``route.py`` under ``folder`` serves: its folder, written as a URL.

    >>> route_path(Path("app"), Path("app/(shop)/items/[slug]/route.py"))
    '/(shop)/items/[slug]'
    >>> route_path(Path("app"), Path("app/route.py"))
    '/'
    """
    parts = file.parent.relative_to(folder).parts
    return "/" + "/".join(parts)


def _is_private(folder: Path, file: Path) -> bool:
    return any(part.startswith("_") for part in file.parent.relative_to(folder).parts)


def _load_module(file: Path, index: int) -> dict[str, object]:
    name = f"notebook_routes_app_{index}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return {k: v for k, v in vars(module).items() if not k.startswith("__")}


def _describe(exc: Exception) -> str:
    if isinstance(exc, RouteError):
        return str(exc)
    last = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__}: {exc} (line {last.lineno} of {last.filename})"


def load_app_folder(
    folder: str | Path, app: App | None = None, *, prerender: bool = True
) -> tuple[App, list[LoadProblem]]:
    """Register every ``route.py`` below `folder`; returns the app and what could not be loaded.

    With `prerender` (the default), static routes are rendered now, as ``next build``
    does; that runs an event loop, so call it where none is running.
    """
    return asyncio.run(load_app_folder_async(folder, app, prerender=prerender))


async def load_app_folder_async(
    folder: str | Path, app: App | None = None, *, prerender: bool = True
) -> tuple[App, list[LoadProblem]]:
    """`load_app_folder` on a running loop (an ASGI server's lifespan start-up)."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder; give the path of an app/ folder")
    app = app if app is not None else App()
    problems: list[LoadProblem] = []
    proxy_file = root / PROXY_FILE
    if proxy_file.is_file():
        try:
            app.set_proxy(_load_module(proxy_file, -1), origin=str(proxy_file))
        except Exception as exc:
            problems.append(LoadProblem(proxy_file, _describe(exc)))
    # Shallow routes first, then by path: the order a reader of the tree expects.
    files = sorted(root.rglob(ROUTE_FILE), key=lambda f: (len(f.parts), f))
    for index, file in enumerate(files):
        if _is_private(root, file):
            continue
        try:
            namespace = _load_module(file, index)
        except Exception as exc:
            problems.append(LoadProblem(file, _describe(exc)))
            continue
        try:
            if prerender:
                await app.add_prerendered(route_path(root, file), namespace, origin=str(file))
            else:
                app.add(route_path(root, file), namespace, origin=str(file))
        except (RouteError, TypeError) as exc:
            problems.append(LoadProblem(file, str(exc)))
    return app, problems


def report_problems(app: App, problems: list[LoadProblem], out: TextIO | None = None) -> bool:
    """Print what did not load and every conflict, naming the files; True if any is an error.

    What ``serve`` prints at start-up, and every ASGI worker at its lifespan start-up.
    """
    out = out if out is not None else sys.stderr
    for problem in problems:
        print(f"error: {problem}", file=out)
    origins = {route.source: route.origin for route in app.routes}
    for conflict in app.conflicts:
        files = ", ".join(str(origins.get(source)) for source in conflict.routes)
        print(f"{conflict.level}: {conflict.message} ({files})", file=out)
    return bool(problems) or any(c.level == "error" for c in app.conflicts)
