"""The answer for a path no route matches: Next.js's built-in not-found page.

A small self-contained HTML page (no scripts, no external resources) with Next.js's title
and heading, sent as ``text/html; charset=utf-8`` with status 404.

>>> response = not_found_page()
>>> response.status, response.headers.get("content-type")
(404, 'text/html; charset=utf-8')
>>> b"<title>404: This page could not be found.</title>" in response.body
True
"""

from __future__ import annotations

from notebook_routes.web._response import Response

__all__ = ["NOT_FOUND_HTML", "NOT_FOUND_TITLE", "not_found_page"]

NOT_FOUND_TITLE = "404: This page could not be found."

# The markup and inline styles of Next.js's default not-found page, minus its scripts.
NOT_FOUND_HTML = (
    "<!DOCTYPE html>"
    '<html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    f"<title>{NOT_FOUND_TITLE}</title>"
    "<style>body{color:#000;background:#fff;margin:0}"
    ".next-error-h1{border-right:1px solid rgba(0,0,0,.3)}"
    "@media (prefers-color-scheme:dark){body{color:#fff;background:#000}"
    ".next-error-h1{border-right:1px solid rgba(255,255,255,.3)}}</style>"
    "</head><body>"
    '<div style="font-family:system-ui,&quot;Segoe UI&quot;,Roboto,Helvetica,Arial,sans-serif,'
    "&quot;Apple Color Emoji&quot;,&quot;Segoe UI Emoji&quot;;height:100vh;text-align:center;"
    'display:flex;flex-direction:column;align-items:center;justify-content:center">'
    '<div><h1 class="next-error-h1" style="display:inline-block;margin:0 20px 0 0;'
    'padding:0 23px 0 0;font-size:24px;font-weight:500;vertical-align:top;line-height:49px">'
    "404</h1>"
    '<div style="display:inline-block"><h2 style="font-size:14px;font-weight:400;'
    'line-height:49px;margin:0">This page could not be found.</h2></div></div></div>'
    "</body></html>"
)
_BODY = NOT_FOUND_HTML.encode("utf-8")
_HEADERS = (("Content-Type", "text/html; charset=utf-8"),)


def not_found_page() -> Response:
    """A fresh 404 response carrying the not-found page."""
    return Response(_BODY, status=404, headers=_HEADERS)
