"""The pages every server of an `App` answers itself, under ``/_notebook_routes/``.

``_notebook_routes`` is a private folder in App Router terms, so no route can sit there:

- ``/_notebook_routes/openapi.json``: the app's OpenAPI 3.1 document (`openapi`);
- ``/_notebook_routes/docs``: Swagger UI over that document, its assets served from the
  installed ``swagger-ui-py`` package (nothing is fetched from the internet).

Every URL in the page is relative, so it works behind jupyter-server-proxy as it does
locally. These answers are not written to the request log: they are not the app's traffic.

>>> from notebook_routes import App, NextRequest
>>> answer(App(), NextRequest("GET", "http://localhost/_notebook_routes/openapi.json")).status
200
>>> answer(App(), NextRequest("GET", "http://localhost/items")) is None
True
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notebook_routes._openapi import openapi
from notebook_routes.web._response import Response

if TYPE_CHECKING:
    from notebook_routes._app import App

PREFIX = "/_notebook_routes/"
OPENAPI_PATH = PREFIX + "openapi.json"
DOCS_PATH = PREFIX + "docs"
ASSETS = {  # file of swagger_ui/static -> content type
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
MISSING_UI = (
    "<!doctype html><meta charset=utf-8><title>API docs</title>"
    "<p>The interactive API page needs Swagger UI: <code>pip install "
    "'notebook-routes[docs]'</code> (the <code>swagger-ui-py</code> package), then reload."
    '<p>The description itself: <a href="openapi.json">openapi.json</a>.'
)

DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>API docs · notebook-routes</title>
  <link rel="icon" href="assets/favicon-32x32.png">
  <link rel="stylesheet" href="assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="assets/swagger-ui-bundle.js"></script>
  <script>
    // validatorUrl: null, or Swagger UI would send the document to validator.swagger.io.
    window.ui = SwaggerUIBundle({
      url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null,
    });
  </script>
</body>
</html>
"""


def answer(app: App, request: Any) -> Response | None:
    """The answer to a ``/_notebook_routes/...`` request, or None for any other path."""
    path = request.next_url.pathname
    if not path.startswith(PREFIX) and path != PREFIX[:-1]:
        return None
    if request.method not in ("GET", "HEAD"):
        return Response(status=405, headers={"Allow": "GET, HEAD"})
    try:
        response = _page(app, path)
    except Exception as exc:  # a route whose hints we could not read must not stop the server
        return Response(
            f"notebook-routes could not build {path}: {type(exc).__name__}: {exc}", status=500
        )
    if request.method == "HEAD":
        response.body = None
    return response


def _page(app: App, path: str) -> Response:
    if path == OPENAPI_PATH:
        # ".." is the app's root relative to this document, behind a proxy prefix too.
        doc = openapi(app, server_url="..")
        body = json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")
        response = _ok(body, "application/json", "no-store")
    elif path in (DOCS_PATH, DOCS_PATH + "/"):
        if path.endswith("/"):  # relative URLs in the page need the form without "/"
            return Response(status=308, headers={"Location": "../docs"})
        html = DOCS_HTML if _static_folder() is not None else MISSING_UI
        response = _ok(html.encode("utf-8"), "text/html; charset=utf-8", "no-store")
    elif path.startswith(PREFIX + "assets/") and path[len(PREFIX) + 7 :] in ASSETS:
        name = path[len(PREFIX) + 7 :]
        folder = _static_folder()
        if folder is None:
            return Response("Swagger UI is not installed: pip install swagger-ui-py", status=404)
        data = (folder / name).read_bytes()
        response = _ok(data, ASSETS[name], "public, max-age=86400")
    else:
        return Response(
            f"404: {path} is not a notebook-routes page; try {DOCS_PATH} or {OPENAPI_PATH}.",
            status=404,
        )
    return response


def _ok(body: bytes, content_type: str, cache_control: str) -> Response:
    return Response(
        body,
        headers={
            "Content-Type": content_type,
            "Content-Length": str(len(body)),
            "Cache-Control": cache_control,
        },
    )


@lru_cache(maxsize=1)
def _static_folder() -> Path | None:
    """swagger_ui/static of the installed swagger-ui-py, found without importing it."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None
