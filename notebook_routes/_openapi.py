"""An OpenAPI 3.1 description of an `App`, from its route table and from its traffic.

>>> from notebook_routes import App
>>> app = App()
>>> def GET(request, context):
...     '''One item.
...
...     Looked up by its slug.'''
...     return {"slug": context.params["slug"]}
>>> _ = app.add("/(shop)/items/[slug]", {"GET": GET})
>>> doc = openapi(app)
>>> list(doc["paths"])
['/items/{slug}']
>>> sorted(doc["paths"]["/items/{slug}"])
['get', 'head', 'options', 'parameters']
>>> doc["paths"]["/items/{slug}"]["get"]["summary"]
'One item.'

Route groups are dropped, ``[name]`` becomes ``{name}``, a catch-all ``[...x]`` is one
``{x}`` documented as several segments and an optional catch-all ``[[...x]]`` adds the
bare path too. Every method the route exports is an operation, plus the automatic HEAD
and OPTIONS. Type hints describe the JSON body and the query (`Body`, `Query`) and the
answer (the return annotation); the request log adds the statuses, content types and a
redacted example of what was actually answered (``traffic=False`` leaves them out).
"""

from __future__ import annotations

import http
import inspect
import json
import re
import typing
from collections import ChainMap, Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from notebook_routes._schema import is_model, query_parameters, schema_of

if TYPE_CHECKING:
    from notebook_routes._app import App, Route
    from notebook_routes._log import LogEntry

OPENAPI_VERSION = "3.1.0"
_DESCRIPTION = "Route handlers served by notebook-routes, with Next.js App Router semantics."
_LEARNT = (
    " Responses and examples marked x-notebook-routes-seen were learnt from the request log"
    " (example bodies redacted)."
)
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
REDACTED = "<redacted>"
# Keys whose values never go into an example, whatever they hold.
_SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|auth|cookie|session|api[-_]?key|credential|private|signature",
    re.I,
)
# Values that look like credentials or personal data, wherever they appear.
_SECRET_TEXT = re.compile(
    r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"  # a JWT
    r"|\b(?:Bearer|Basic)\s+[\w.~+/=-]+"  # an Authorization value
    r"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"  # an email address
    r"|\b[A-Za-z0-9_-]{32,}\b"  # a long opaque token
)


@dataclass(frozen=True)
class Body:
    """Type-hint metadata: the JSON body a handler reads.

    ``async def POST(request: Annotated[NextRequest, Body(NewItem)]): ...`` documents a
    JSON request body shaped like ``NewItem`` (a TypedDict, dataclass or pydantic model).
    """

    model: Any
    content_type: str = "application/json"


@dataclass(frozen=True)
class Query:
    """Type-hint metadata: the query parameters a handler reads.

    ``def GET(request: Annotated[NextRequest, Query(Search)]): ...`` documents each field
    of ``Search`` as a query parameter (required unless it has a default or the TypedDict
    is ``total=False``).
    """

    model: Any


def openapi(
    app: App,
    *,
    traffic: bool = True,
    title: str = "notebook-routes API",
    version: str = "0.1.0",
    server_url: str | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `app`, as a dict (`notebook_routes.openapi()` defaults it).

    `traffic` adds what the request log saw; `server_url` fills ``servers`` (the running
    server's URL when `app` is the notebook's).
    """
    entries = list(app.log) if traffic else []
    seen = _traffic_by_route(entries)
    paths: dict[str, Any] = {}
    operation_ids: set[str] = set()
    for route in app.routes:
        for path, params in _openapi_paths(route):
            if path in paths:
                continue  # two routes, one URL: a conflict the document cannot show twice
            item: dict[str, Any] = {}
            if params:
                item["parameters"] = params
            for method in _methods(route):
                operation = _operation(app, route, method, seen.get((route.source, method), []))
                operation["operationId"] = _operation_id(method, path, operation_ids)
                item[method.lower()] = operation
            paths[path] = item
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": _DESCRIPTION + (_LEARNT if traffic else ""),
        },
        "paths": paths,
    }
    if server_url:
        server = {"url": server_url}
        if server_url == "..":  # the document served by the app itself
            server["description"] = "this server (the folder above /_notebook_routes/)"
        doc["servers"] = [server]
    return doc


def openapi_json(app: App, **options: Any) -> str:
    """`openapi` as indented JSON text."""
    return json.dumps(openapi(app, **options), indent=2, ensure_ascii=False) + "\n"


# -- paths ---------------------------------------------------------------------------------


def _openapi_paths(route: Route) -> list[tuple[str, list[dict[str, Any]]]]:
    """The OpenAPI path(s) of a route and their path parameters.

    An optional catch-all gives two paths: the bare one (no parameter) first.
    """
    from urllib.parse import unquote

    parts: list[str] = []
    params: list[dict[str, Any]] = []
    optional = False
    for segment in route.pattern.segments:
        if segment.kind == "static":
            parts.append(unquote(segment.name))
            continue
        parts.append("{" + segment.name + "}")
        param: dict[str, Any] = {
            "name": segment.name,
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
        }
        if segment.kind == "dynamic":
            param["description"] = f"The [{segment.name}] segment: params['{segment.name}']."
        else:
            optional = segment.kind == "optional_catch_all"
            param["description"] = (
                f"One or more path segments joined by '/', e.g. 'a/b': params['{segment.name}']"
                f" is their list (['a', 'b']). {segment.folder} is a "
                + (
                    "optional catch-all; the path without it is listed too."
                    if optional
                    else "catch-all."
                )
            )
            param["x-notebook-routes-segments"] = "one-or-more"
        params.append(param)
    full = "/" + "/".join(parts)
    if not optional:
        return [(full, params)]
    bare = "/" + "/".join(parts[:-1])
    return [(bare, params[:-1]), (full, params)]


def _methods(route: Route) -> list[str]:
    methods = list(route.methods)
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    if "OPTIONS" not in methods:
        methods.append("OPTIONS")
    return methods


def _operation_id(method: str, path: str, taken: set[str]) -> str:
    """``getItemsSlug`` for GET /items/{slug}; a number is added if it is taken."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", path) if w]
    base = method.lower() + "".join(w[:1].upper() + w[1:] for w in words) or method.lower()
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    taken.add(candidate)
    return candidate


# -- operations ----------------------------------------------------------------------------


def _operation(app: App, route: Route, method: str, entries: list[LogEntry]) -> dict[str, Any]:
    handler = route.handlers.get(method)
    operation: dict[str, Any] = {}
    hints: _Hints | None = None
    if handler is not None:
        doc = inspect.getdoc(handler.fn)
        if doc:
            summary, _, rest = doc.partition("\n")
            operation["summary"] = summary.strip()
            if rest.strip():
                operation["description"] = rest.strip()
        hints = _handler_hints(handler.fn, route, method)
    elif method == "HEAD":
        operation["summary"] = "GET's status and headers, without a body (automatic HEAD)."
    else:
        operation["summary"] = f"The methods this route answers, in Allow: {route.allow}"
        operation["description"] = "Automatic OPTIONS: 204 with the Allow header."

    notes = []
    if method in ("GET", "HEAD") and route.kind == "route" and route.rendering != "dynamic":
        cache = _cache_behaviour(route)
        operation["x-notebook-routes-cache"] = cache
        notes.append(cache["description"])
    if route.kind == "page":
        operation["x-notebook-routes-kind"] = "page"
    conflicts = app.conflicts_for(route.source)
    if conflicts:
        operation["x-notebook-routes-conflict"] = conflicts[0].message
        notes.append(f"In conflict ({conflicts[0].level}): {conflicts[0].message}")
    if notes:
        text = "\n\n".join(notes)
        operation["description"] = (
            f"{operation['description']}\n\n{text}" if "description" in operation else text
        )

    queries = hints.query if hints else None
    if queries is not None:
        operation["parameters"] = query_parameters(queries)
    elif entries:
        learnt = _query_names(entries)
        if learnt:
            operation["parameters"] = [
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "x-notebook-routes-seen": count,
                }
                for name, count in learnt
            ]

    body = _request_body(hints, entries)
    if body is not None:
        operation["requestBody"] = body
    operation["responses"] = _responses(route, method, hints, entries)
    return operation


def _cache_behaviour(route: Route) -> dict[str, Any]:
    if route.rendering == "isr":
        period = route.config.revalidate
        return {
            "rendering": "isr",
            "revalidate": period,
            "description": f"Cached (ISR): served from the cache and re-rendered in the "
            f"background at most every {period} s (x-nextjs-cache: HIT, STALE).",
        }
    return {
        "rendering": "static",
        "revalidate": False,
        "description": "Cached (static): rendered once, as at build time, and served from "
        "the cache until revalidated (x-nextjs-cache: HIT).",
    }


@dataclass
class _Hints:
    body: Body | None = None
    query: Any = None
    returns: Any = None


def _handler_hints(fn: Any, route: Route, method: str) -> _Hints:
    """The `Body`, `Query` and return hints of a handler; a bare model class in the
    request's ``Annotated`` metadata is the body (the query for GET)."""
    hints = _resolved_hints(fn, route.namespace)
    found = _Hints(returns=hints.get("return"))
    try:
        first = next(iter(inspect.signature(fn).parameters), None)
    except (TypeError, ValueError):
        first = None
    hint = hints.get(first) if first else None
    if typing.get_origin(hint) is typing.Annotated:
        for meta in typing.get_args(hint)[1:]:
            if isinstance(meta, Body):
                found.body = meta
            elif isinstance(meta, Query):
                found.query = meta.model
            elif is_model(meta):
                if method in ("GET", "HEAD"):
                    found.query = meta
                else:
                    found.body = Body(meta)
    return found


def _resolved_hints(fn: Any, namespace: Any) -> dict[str, Any]:
    """A function's annotations, evaluated one by one (``from __future__ import annotations``
    makes them strings); one that cannot be evaluated is left out, not fatal."""
    raw = dict(getattr(fn, "__annotations__", None) or {})
    # The function's own globals, not a copy: a %%route cell's globals find the notebook's
    # names through __missing__ (Annotated, the TypedDict of a cell above), which a copy
    # loses and eval's globals ignore; a mapping given as eval's locals is asked by key.
    local = ChainMap(dict(namespace), getattr(fn, "__globals__", None) or {})
    hints = {}
    for name, hint in raw.items():
        if isinstance(hint, str):
            try:
                hint = eval(hint, {}, local)  # noqa: S307 - the user's own annotation text
            except Exception:
                continue
        hints[name] = hint
    return hints


def _request_body(hints: _Hints | None, entries: list[LogEntry]) -> dict[str, Any] | None:
    if hints is not None and hints.body is not None:
        content = {"schema": schema_of(hints.body.model)}
        example = _example_of(
            [e.request_body for e in entries if e.request_body], hints.body.content_type
        )
        if example is not None:
            content["example"] = example
        return {"required": True, "content": {hints.body.content_type: content}}
    with_body = [e for e in entries if e.request_body]
    if not with_body:
        return None
    by_type: dict[str, list[bytes]] = {}
    for entry in with_body:
        kind = _media_type(_header(entry.request_headers, "content-type"))
        by_type.setdefault(kind, []).append(entry.request_body or b"")
    content = {}
    for kind, bodies in by_type.items():
        media: dict[str, Any] = {"x-notebook-routes-seen": len(bodies)}
        example = _example_of(bodies, kind)
        if example is not None:
            media["example"] = example
        content[kind] = media
    return {"content": content}


def _responses(
    route: Route, method: str, hints: _Hints | None, entries: list[LogEntry]
) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if hints is not None and hints.returns not in (None, type(None)):
        schema = schema_of(hints.returns)
        if schema:
            responses["200"] = {
                "description": "OK",
                "content": {"application/json": {"schema": schema}},
            }
    if method == "OPTIONS" and method not in route.handlers:
        responses["204"] = {
            "description": "No Content",
            "headers": {"Allow": {"schema": {"type": "string", "const": route.allow}}},
        }
    by_status: dict[int, list[LogEntry]] = {}
    for entry in entries:
        by_status.setdefault(entry.status, []).append(entry)
    for status, seen in sorted(by_status.items()):
        response = responses.setdefault(str(status), {"description": _reason(status)})
        response["x-notebook-routes-seen"] = len(seen)
        by_type: dict[str, list[bytes]] = {}
        for entry in seen:
            kind = _header(entry.response_headers, "content-type")
            if kind is None:
                continue
            by_type.setdefault(_media_type(kind), []).append(entry.response_body or b"")
        content = response.setdefault("content", {}) if by_type else None
        for kind, bodies in by_type.items():
            media = content.setdefault(kind, {}) if content is not None else {}
            example = None if method == "HEAD" else _example_of(bodies, kind)
            if example is not None:
                media["example"] = example
        headers = _documented_headers(seen)
        if headers:
            response.setdefault("headers", {}).update(headers)
    if not responses:
        responses["200"] = {"description": "OK"}
    return responses


def _documented_headers(entries: list[LogEntry]) -> dict[str, Any]:
    """Headers a client acts on, named (values are not documented: they may be private)."""
    names = {
        "location",
        "allow",
        "set-cookie",
        "x-nextjs-cache",
        "cache-control",
        "www-authenticate",
    }
    found: dict[str, Any] = {}
    for entry in entries:
        for name, _ in entry.response_headers:
            key = name.lower()
            if key in names and key != "content-type":
                found.setdefault(name.title(), {"schema": {"type": "string"}})
    return found


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"


# -- traffic -------------------------------------------------------------------------------


def _traffic_by_route(entries: Iterable[LogEntry]) -> dict[tuple[str, str], list[LogEntry]]:
    grouped: dict[tuple[str, str], list[LogEntry]] = {}
    for entry in entries:
        if entry.route is not None:
            grouped.setdefault((entry.route, entry.method), []).append(entry)
    return grouped


def _query_names(entries: list[LogEntry]) -> list[tuple[str, int]]:
    from urllib.parse import parse_qsl

    counts: Counter[str] = Counter()
    for entry in entries:
        names = {name for name, _ in parse_qsl(entry.query.lstrip("?"), keep_blank_values=True)}
        counts.update(names)
    return sorted(counts.items())


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _media_type(value: str | None) -> str:
    if not value:
        return "application/octet-stream"
    return value.split(";", 1)[0].strip().lower() or "application/octet-stream"


def _example_of(bodies: list[bytes], content_type: str) -> Any:
    """A redacted example from the newest body that can be shown, or None."""
    kind = _media_type(content_type)
    for body in reversed(bodies):
        if not body:
            continue
        if kind == "application/json" or kind.endswith("+json"):
            try:
                return redact(json.loads(body))
            except ValueError:
                continue  # truncated or not JSON after all
        if kind.startswith("text/") or kind in (
            "application/xml",
            "application/x-www-form-urlencoded",
        ):
            try:
                return redact(body.decode("utf-8"))
            except UnicodeDecodeError:
                continue
    return None


def redact(value: Any, key: str | None = None) -> Any:
    """`value` with credentials and personal data replaced, for an example body.

    >>> redact({"user": "ann@example.org", "token": "abc", "items": [1, "Bearer x.y"]})
    {'user': '<redacted>', 'token': '<redacted>', 'items': [1, '<redacted>']}
    """
    if key is not None and _SECRET_KEY.search(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _SECRET_TEXT.sub(REDACTED, value)
    return value
