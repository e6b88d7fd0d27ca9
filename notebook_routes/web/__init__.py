"""The web objects handlers see: requests, responses, headers, cookies and the scoped helpers.

>>> from notebook_routes.web import NextRequest, Response
>>> Response.json({"ok": True}).headers.get("content-type")
'application/json'
"""

from __future__ import annotations

from notebook_routes.web._after import after
from notebook_routes.web._context import (
    DraftMode,
    NavigationSignal,
    connection,
    cookies,
    draft_mode,
    forbidden,
    headers,
    not_found,
    permanent_redirect,
    redirect,
    unauthorized,
)
from notebook_routes.web._cookies import (
    Cookie,
    MutableRequestCookies,
    RequestCookies,
    ResponseCookies,
    merge_cookie_mutations,
    parse_set_cookie,
    serialize_cookie,
)
from notebook_routes.web._formdata import FormData, UploadedFile
from notebook_routes.web._headers import Headers
from notebook_routes.web._request import (
    BadRequest,
    BodyStream,
    NextRequest,
    NextURL,
    Request,
    SearchParams,
)
from notebook_routes.web._response import NextResponse, NoResponse, Response, coerce_response
from notebook_routes.web._scope import (
    RequestScope,
    current_scope,
    note_dynamic_usage,
    request_scope,
)

__all__ = [
    "BadRequest",
    "BodyStream",
    "Cookie",
    "DraftMode",
    "FormData",
    "Headers",
    "MutableRequestCookies",
    "NavigationSignal",
    "NextRequest",
    "NextResponse",
    "NextURL",
    "NoResponse",
    "Request",
    "RequestCookies",
    "RequestScope",
    "Response",
    "ResponseCookies",
    "SearchParams",
    "UploadedFile",
    "after",
    "coerce_response",
    "connection",
    "cookies",
    "current_scope",
    "draft_mode",
    "forbidden",
    "headers",
    "merge_cookie_mutations",
    "not_found",
    "note_dynamic_usage",
    "parse_set_cookie",
    "permanent_redirect",
    "redirect",
    "request_scope",
    "serialize_cookie",
    "unauthorized",
]
