"""Compare two answers to one request and name the cause of each difference.

An answer is reduced to what a client relies on: status, the headers left after dropping
volatile and Next.js-internal ones, and the body (after Content-Encoding). What differs is
a list of aspects; rules then explain aspects by a cause, each with a verdict:

- ``bug``: notebook-routes answers differently from Next.js and should not;
- ``documented``: a deviation the README and SPEC.md state on purpose;
- ``next-internal``: Next.js machinery a route handler server has no reason to copy;
- ``unexplained``: no rule matched; the signature groups them so a new cause stands out.

    >>> from _wire import Answer
    >>> a = Answer(status=200, headers=[("date", "x"), ("content-type", "text/plain")])
    >>> b = Answer(status=200, headers=[("date", "y"), ("content-type", "text/plain")])
    >>> differences(a, b)
    []
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from _requests import Request
from _wire import Answer

# Hop-by-hop, framing and volatile headers, and Next.js's own markers.
IGNORED = {
    "date",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "x-powered-by",
}
NEXT_VARY = {
    "rsc",
    "next-router-state-tree",
    "next-router-prefetch",
    "next-router-segment-prefetch",
    "next-url",
}
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}


@dataclass
class Aspect:
    kind: str  # "status", "header", "body", "answer", "followup", "framing", "version"
    name: str
    next: object
    ours: object

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: next={_short(self.next)} ours={_short(self.ours)}"


@dataclass
class Cause:
    name: str
    verdict: str  # bug | known-bug | documented | next-internal | harmless | unexplained


def headers(answer: Answer) -> dict[str, str]:
    """Relevant headers, normalised (several values joined as a client would see them)."""
    out: dict[str, str] = {}
    for name, value in answer.headers:
        if name in IGNORED or name.startswith("x-nextjs-"):
            continue
        if name == "etag":
            value = "<etag>"
        if name == "vary":
            tokens = [t.strip() for t in value.split(",")]
            value = ", ".join(t for t in tokens if t and t.lower() not in NEXT_VARY)
            if not value:
                continue
        if name == "set-cookie":
            out[name] = out[name] + " | " + value if name in out else value
        else:
            out[name] = out[name] + ", " + value if name in out else value
    return out


def differences(nxt: Answer, ours: Answer) -> list[Aspect]:
    found: list[Aspect] = []
    if (nxt.status is None) != (ours.status is None):
        found.append(Aspect("answer", "status line", _answered(nxt), _answered(ours)))
        return found
    if nxt.status != ours.status:
        found.append(Aspect("status", "", nxt.status, ours.status))
    if nxt.version != ours.version:
        found.append(Aspect("version", "", nxt.version, ours.version))
    a, b = headers(nxt), headers(ours)
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            found.append(Aspect("header", name, a.get(name), b.get(name)))
    if nxt.body != ours.body:
        found.append(Aspect("body", _body_kind(nxt.body, ours.body), nxt.body, ours.body))
    if nxt.followup != ours.followup:
        found.append(Aspect("followup", "pipelined GET /api/hello", nxt.followup, ours.followup))
    bad_n = [p for p in nxt.problems if not p.startswith("connection still open")]
    bad_o = [p for p in ours.problems if not p.startswith("connection still open")]
    if bool(bad_n) != bool(bad_o) or _hung(nxt) != _hung(ours):
        found.append(Aspect("framing", "", nxt.problems, ours.problems))
    return found


def _hung(answer: Answer) -> bool:
    return any(p.startswith("connection still open") for p in answer.problems)


def _answered(answer: Answer) -> str:
    if answer.status is not None:
        return f"{answer.status}"
    return "no answer (" + "; ".join(answer.problems) + ")"


def _body_kind(a: bytes, b: bytes) -> str:
    try:
        if json.loads(a) == json.loads(b):
            return "json-same-value"
    except ValueError:
        pass
    return ""


def _short(value: object, limit: int = 90) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- causes ---------------------------------------------------------------------------


def explain(req: Request, nxt: Answer, ours: Answer, aspects: list[Aspect]) -> list[Cause]:
    """Causes for the aspects of one request; each aspect is explained at most once."""
    causes: list[Cause] = []
    left = list(aspects)
    tags = set(req.tags)

    def take(name: str, verdict: str, *picked: Aspect) -> None:
        for aspect in picked:
            if aspect in left:
                left.remove(aspect)
        if Cause(name, verdict) not in causes:
            causes.append(Cause(name, verdict))

    def find(kind: str, name: str | None = None) -> Aspect | None:
        for aspect in left:
            if aspect.kind == kind and (name is None or aspect.name == name):
                return aspect
        return None

    status = find("status")
    answer = find("answer")
    method_upper = req.method.upper()

    location = str(nxt.get("location") or "")
    head_size = len(req.raw.split(b"\r\n\r\n", 1)[0])

    # Whole-answer causes, from the most specific request feature down.
    if nxt.status in (307, 308) and "_rsc" in location and "header:next-internal" in tags:
        take(
            "RSC/router request header: Next.js redirects to ?_rsc (React Server Components)",
            "next-internal",
            *left,
        )
    if left and req.target.startswith("/_next/"):
        take("/_next/ paths: Next.js's own asset namespace", "next-internal", *left)
    if left and nxt.status == 431 and head_size > 16 * 1024 and ours.status != 431:
        take(
            "request head over 16 KiB: Node.js answers 431, ours accepts up to 64 KiB "
            "(undocumented deviation: document or lower the limit)",
            "bug",
            *left,
        )
    if (
        left
        and nxt.status == 400 == ours.status
        and ("host:missing" in tags or {"target:raw-utf8", "target:raw-latin1"} & tags)
    ):
        take(
            "400 with a one-line reason (raw non-ASCII target, HTTP/1.1 without Host): "
            "Node.js sends no body",
            "documented",
            *left,
        )
    if left and "host:missing" in tags and "version:1.0" not in tags and nxt.status == 400:
        take(
            "HTTP/1.1 request without Host: Node.js 400 (RFC 9112 3.2 MUST), ours answers",
            "bug",
            *left,
        )
    if (
        left
        and {"host:odd", "host:duplicate"} & tags
        and ours.status == 400
        and (nxt.status != 400 or nxt.followup != ours.followup)
    ):
        take(
            "odd Host value (comma list, non-ASCII, duplicate): ours 400, Next.js answers",
            "bug",
            *left,
        )
    if answer and ours.status is None and nxt.status == 500:
        take(
            "ours: no answer where Next.js answers 500 (non-Latin-1 response header value)",
            "known-bug",
            *left,
        )
    elif answer:
        take(
            f"no answer on one side: next={_answered(nxt)} ours={_answered(ours)}",
            "unexplained",
            *left,
        )
    if left and {"target:raw-utf8", "target:raw-latin1"} & tags and nxt.status == 400:
        take("raw non-ASCII bytes in the request target: Next.js 400", "known-bug", *left)
    if left and req.method != method_upper and method_upper in KNOWN_METHODS:
        if nxt.status == 400 and ours.status == 405:
            take(
                "lower/mixed-case method: Next.js 400 (bad token), ours 405 + Allow",
                "documented",
                *left,
            )
        else:
            take("lower/mixed-case method runs the upper-case handler", "known-bug", *left)
    if (
        left
        and method_upper not in KNOWN_METHODS
        and nxt.status == 400
        and ours.status in (404, 405, 308)
    ):
        take(
            "unknown method token: Next.js 400 (Node's parser), ours 405 + Allow "
            "(404 where no route matches)",
            "documented",
            *left,
        )
    if left and method_upper not in KNOWN_METHODS and nxt.status == 500 and ours.status == 405:
        take(
            "TRACE and other Node-known methods no route exports: Next.js 500, ours 405 + Allow",
            "documented",
            *left,
        )
    if left and "path:pct-static" in tags:
        take("percent-encoded static segment changes the match", "known-bug", *left)
    if status is None and nxt.status == 405 == ours.status:
        allow = find("header", "allow")
        if allow and allow.next is None:
            take("405 carries Allow (Next.js sends none)", "documented", allow)
    dots = {"path:dot-segment", "seg:dot", "seg:pct-dots"} & tags or "/%2e" in req.target.lower()
    if left and dots and ours.status == 308 and nxt.status != 308:
        take(
            "dot segments (/./, /x/.., %2E%2E): Next.js resolves them in place, ours 308s",
            "bug",
            *left,
        )
    if (
        left
        and {"seg:pct-malformed", "seg:pct-invalid-utf8"} & tags
        and nxt.status in (400, 500)
        and ours.status not in (400, 500)
    ):
        take(
            "malformed percent-encoding in a dynamic segment (100%, %zz, %FF): Next.js 500, "
            "ours runs or 404s the route",
            "bug",
            *left,
        )
    if left and "target:absolute-form" in tags and ours.status == 400:
        take(
            "absolute-form target (GET http://host/path): ours 400 (RFC 9112 3.2.2: accept "
            "it), Next.js 308s to the same URL",
            "bug",
            *left,
        )
    if left and "target:asterisk" in tags:
        take("asterisk-form target with GET: Next.js 500, ours 400 and closes", "harmless", *left)
    if nxt.status == 308 == ours.status:
        body = find("body")
        if body:
            take(
                "308 redirect body",
                "documented",
                body,
                *(a for a in left if a.kind == "header" and a.name == "content-type"),
            )
        moved = find("header", "location")
        if moved:
            take(
                "308 Location: Next.js re-serialises the target (empty query dropped, <> "
                "percent-encoded, #fragment kept), ours copies it",
                "bug",
                moved,
            )
        refresh = find("header", "refresh")
        if refresh and moved and ours.get("refresh") == f"0;url={ours.get('location')}":
            take(
                "308 Location: Next.js re-serialises the target (empty query dropped, <> "
                "percent-encoded, #fragment kept), ours copies it",
                "bug",
                refresh,
            )
        elif refresh:
            take(
                "308 Refresh: 0;url=... header (Next.js; not in the documented deviations)",
                "bug",
                refresh,
            )
    if nxt.status == 404 == ours.status:
        body, ctype = find("body"), find("header", "content-type")
        extra = [a for a in left if a.kind == "header" and a.name in ("cache-control", "etag")]
        if body or ctype:
            take(
                "404 page differs (Next.js's HTML not-found page)",
                "known-bug",
                *(a for a in (body, ctype) if a),
                *extra,
            )
    encoding = find("header", "content-encoding")
    vary = find("header", "vary")
    if encoding and encoding.next in ("gzip", "deflate") and encoding.ours is None:
        take(
            "no gzip compression (Next.js compress: true)",
            "known-bug",
            encoding,
            *([vary] if vary and "accept-encoding" in str(vary.next).lower() else []),
        )
    elif vary and "accept-encoding" in str(vary.next).lower() and vary.ours is None:
        take(
            "no Vary: Accept-Encoding (Next.js's compression adds it to every answer)",
            "known-bug",
            vary,
        )
    ctype = find("header", "content-type")
    if (
        ctype
        and ctype.next == "text/plain;charset=UTF-8"
        and ctype.ours == ("text/plain; charset=utf-8")
    ):
        take(
            "Response(str) content type: Next.js sends text/plain;charset=UTF-8 (Fetch), "
            "ours text/plain; charset=utf-8",
            "bug",
            ctype,
        )
    body = find("body")
    if body and req.route == "/api/url" and nxt.status == 200 == ours.status:
        for cause in _url_body(nxt.body, ours.body):
            take(*cause, body)
    if body and req.route == "/api/headers/copy" and nxt.status == 200 == ours.status:
        for cause in _headers_body(nxt.body, ours.body):
            take(*cause, body)
    for aspect in [a for a in left if a.kind == "header"]:
        if _mojibake(aspect.next, aspect.ours):
            take(
                "obs-text (Latin-1 byte) request header value echoed in a response header: "
                "Next.js sends it UTF-8 encoded, ours sends the byte back",
                "bug",
                aspect,
            )
    body = find("body")
    if body and body.name == "json-same-value" or body and {"json:bigint", "json:float"} & tags:
        take(
            "JSON numbers: JavaScript doubles (1.0 -> 1, big ints rounded), Python keeps them",
            "harmless",
            body,
        )
    if (
        body
        and req.route == "/api/search"
        and nxt.status == 200 == ours.status
        and ("??" in req.target)
    ):
        take(
            "search_params of '??query=x': URLSearchParams reads the key '?query', ours 'query'",
            "bug",
            body,
        )
    if nxt.status == 200 and ours.status == 500 and "json:lone-surrogate" in tags:
        take(
            "Response.json of a lone surrogate (\\ud800 from request.json()): ours 500, "
            "JSON.stringify escapes it",
            "bug",
            *left,
        )
    if nxt.status == 200 and ours.status == 500 and b"e400" in req.raw:
        take(
            "request.json() reads 1e400 as inf, Response.json then fails (500); "
            "JavaScript writes null",
            "bug",
            *left,
        )
    if nxt.status == 200 and ours.status == 500 and "multipart:file" in tags:
        take(
            "Response.json of a form file part: JavaScript writes {}, Python raises (500)",
            "harmless",
            *left,
        )
    cookie = find("header", "set-cookie")
    if cookie and sorted(str(cookie.next).split(" | ")) == sorted(str(cookie.ours).split(" | ")):
        take(
            "Set-Cookie order when cookies() deletes a cookie the request carries: Next.js "
            "sends the delete first",
            "bug",
            cookie,
        )
    if status and nxt.status == 500 and ours.status == 400 and req.route == "/api/form":
        take(
            "400 for a body form_data() cannot parse (Next.js 500; undocumented deviation)",
            "bug",
            *left,
        )
    if (
        status
        and nxt.status == 500
        and ours.status == 400
        and req.route in ("/items", "/api/chat")
        and _json_unparseable(req)
    ):
        take("400 for a body json() cannot parse (Next.js 500)", "documented", *left)
    charset_tags = {
        "ctype:charset",
        "text:bom",
        "json:bom",
        "text:invalid-utf8",
        "text:latin1-bytes",
        "json:latin1-bytes",
        "form:raw-latin1",
    }
    if (
        left
        and charset_tags & tags
        and req.route in ("/items", "/api/chat", "/api/webhook", "/api/form")
    ):
        take("request body decoding (charset parameter, BOM, bad UTF-8)", "known-bug", *left)
    if left and nxt.status == 409 and nxt.body == b"Server Action unavailable.":
        take(
            "POST with a form content type on a page path: Next.js 409 'Server Action "
            "unavailable.'",
            "next-internal",
            *left,
        )
    if left and "next-action" in req.raw.lower().split(b"\r\n\r\n")[0].decode("latin-1"):
        if status or find("body"):
            take("Next-Action header: Next.js server-action handling", "next-internal", *left)
    if left:
        take(_signature(req, nxt, ours, left), "unexplained", *left)
    return causes


def _mojibake(nxt: object, ours: object) -> bool:
    if not isinstance(nxt, str) or not isinstance(ours, str) or ours.isascii():
        return False
    try:
        return ours.encode("latin-1").decode("latin-1").encode("utf-8").decode("latin-1") == nxt
    except UnicodeError:
        return False


def _url_body(nxt: bytes, ours: bytes) -> list[tuple[str, str]]:
    try:
        a, b = json.loads(nxt), json.loads(ours)
    except ValueError:
        return []
    causes = []
    origin_a, _, rest_a = a["url"].partition("://")[2].partition("/")
    origin_b, _, rest_b = b["url"].partition("://")[2].partition("/")
    if origin_a != origin_b:
        causes.append(
            (
                "request.url origin: Next.js uses its own hostname:port "
                "(localhost:<port>), ours the Host header",
                "next-internal",
            )
        )
    if a["search"] != b["search"] or rest_a != rest_b:
        causes.append(
            (
                "next_url.search / request.url: Next.js re-serialises the query "
                "(URLSearchParams: %20 -> +, ?? -> ?%3F), ours keeps it raw",
                "bug",
            )
        )
    if a["pathname"] != b["pathname"]:
        causes.append(("next_url.pathname differs", "unexplained"))
    return causes


def _headers_body(nxt: bytes, ours: bytes) -> list[tuple[str, str]]:
    try:
        a, b = json.loads(nxt), json.loads(ours)
    except ValueError:
        return []
    causes = []
    forwarded = {k for k in a if k.startswith("x-forwarded-")} - set(b)
    internal = {
        k
        for k in b
        if k.startswith(("x-nextjs-", "x-middleware-", "next-router-"))
        or k in ("rsc", "next-action", "purpose")
    } - set(a)
    if internal:
        causes.append(
            (
                "Next.js strips its own request headers (x-nextjs-*, rsc, next-router-*, "
                "x-middleware-*) from request.headers",
                "next-internal",
            )
        )
        b = {k: v for k, v in b.items() if k not in internal}
    if forwarded:
        causes.append(
            (
                "next start adds x-forwarded-for/-host/-port/-proto to request.headers",
                "next-internal",
            )
        )
        a = {k: v for k, v in a.items() if k not in forwarded}
    if a == b and list(a) != list(b):
        causes.append(
            ("Headers iteration order: Fetch sorts names, ours keeps arrival order", "bug")
        )
    elif a != b:
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        causes.append((f"request.headers copy differs in {', '.join(keys[:4])}", "unexplained"))
    return causes


def _json_unparseable(req: Request) -> bool:
    body = req.raw.split(b"\r\n\r\n", 1)[1]
    if "body:chunked" in req.tags:
        return True  # decoded elsewhere; the tag list says what it was
    try:
        json.loads(body.decode("utf-8"), parse_constant=_reject)
    except ValueError:
        return True
    return False


def _reject(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _signature(req: Request, nxt: Answer, ours: Answer, left: list[Aspect]) -> str:
    parts = [f"{req.route}"]
    status = next((a for a in left if a.kind == "status"), None)
    if status:
        parts.append(f"status {status.next} vs {status.ours}")
    else:
        parts.append(f"both {nxt.status}")
    for aspect in left:
        if aspect.kind == "header":
            parts.append(f"header {aspect.name}")
        elif aspect.kind in ("body", "followup", "framing", "version"):
            parts.append(f"{aspect.kind}{' ' + aspect.name if aspect.name else ''}")
    return " | ".join(parts)
