"""The inspector: routes, conflicts, requests, cache and a request builder, live in a notebook.

``%routes`` displays it and ``notebook_routes.inspector()`` returns it. `state` holds
plain data; one module per panel draws it; `widget.Inspector` puts the tabs together.
Importing this package imports no widgets: `ipywidgets` loads with the first inspector.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from notebook_routes._extras import require
from notebook_routes._inspector.state import InspectorState

if TYPE_CHECKING:
    from notebook_routes._inspector.widget import Inspector

_shared: Inspector | None = None


def _widgets(feature: str) -> None:
    require("ipywidgets", extra="notebook", feature=feature)


def inspector() -> Inspector:
    """The inspector of the default app (one live instance, shown again on each call)."""
    global _shared
    _widgets("the inspector (%routes, inspector())")
    from notebook_routes._inspector.live import kernel_loop
    from notebook_routes._inspector.widget import Inspector
    from notebook_routes._runtime import default_app, running_server

    shared = _shared
    if (
        shared is None
        or shared.closed
        or shared.app is not default_app()
        or (shared.feed.loop is None and kernel_loop() is not None)
    ):
        shared = _shared = Inspector(default_app(), server=running_server)
    else:
        shared.refresh()
    return shared


def __getattr__(name: str) -> Any:
    if name == "Inspector":  # imported on demand: it pulls in ipywidgets
        _widgets("the Inspector")
        from notebook_routes._inspector.widget import Inspector

        return Inspector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Inspector", "InspectorState", "inspector"]
