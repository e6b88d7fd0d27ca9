"""The developer loop's public functions, gathered for ``notebook_routes/__init__.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from notebook_routes._har import export_har
from notebook_routes._openapi import openapi as document
from notebook_routes._replay import replay
from notebook_routes._testgen import export_tests

if TYPE_CHECKING:
    from notebook_routes._app import App


def openapi(
    app: App | None = None, *, server_url: str | None = None, **options: Any
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `app`, by default the notebook's routes.

    For the notebook's app, ``servers`` names the running server. Options: ``traffic``
    (add what the request log saw; default True), ``title``, ``version``.
    """
    if app is None:
        from notebook_routes._runtime import default_app, running_server

        app = default_app()
        if server_url is None and (srv := running_server()) is not None:
            server_url = srv.url
    return document(app, server_url=server_url, **options)


__all__ = ["export_har", "export_tests", "openapi", "replay"]
