"""A seeded stream of raw HTTP requests built from the routes of an ``app/`` folder.

Every request is bytes, ready for a socket, with the tags that say what is odd about it
(``method:lower``, ``target:raw-utf8``, ``body:json-nan`` ...); the report groups
differences by these tags. The same seed gives the same bytes.

    >>> routes = [Route("/items/[slug]", ("GET",))]
    >>> first = next(generate(routes, seed=1, count=1))
    >>> first.raw == next(generate(routes, seed=1, count=1)).raw
    True
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
_DEF = re.compile(r"^(?:async\s+)?def\s+(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS)\b", re.M)


@dataclass(frozen=True)
class Route:
    pattern: str  # "/items/[slug]"
    methods: tuple[str, ...]  # the methods route.py exports


@dataclass
class Request:
    index: int
    raw: bytes
    method: str
    target: str  # as sent, decoded Latin-1 for display
    route: str  # the pattern it was built from ("-" for a random path)
    tags: list[str] = field(default_factory=list)
    pipeline: bool = False

    @property
    def head(self) -> bool:
        return self.method == "HEAD"


def discover(app_dir: Path) -> list[Route]:
    """The routes of ``app_dir`` the way ``next build`` reads them (groups dropped)."""
    routes = []
    for file in sorted(app_dir.rglob("route.py")):
        parts = [p for p in file.parent.relative_to(app_dir).parts]
        if any(p.startswith("_") for p in parts):
            continue
        url = "/" + "/".join(p for p in parts if not (p.startswith("(") and p.endswith(")")))
        methods = tuple(m for m in METHODS if m in set(_DEF.findall(file.read_text())))
        routes.append(Route(url, methods))
    return routes


# Values a dynamic segment takes, already in target form (percent-encoded or raw) with a tag.
_WORDS = ["a", "1", "hello", "new", "hat", "Z9", "a-b_c.d~e", "x" * 40]
_SEGMENTS: list[tuple[str, str]] = [
    ("%E2%9C%93", "seg:pct-utf8"),
    ("caf%C3%A9", "seg:pct-utf8"),
    ("%F0%9F%98%80", "seg:pct-utf8"),
    ("%FF", "seg:pct-invalid-utf8"),
    ("%C3", "seg:pct-invalid-utf8"),
    ("%zz", "seg:pct-malformed"),
    ("100%", "seg:pct-malformed"),
    ("a%2Fb", "seg:pct-slash"),
    ("%2e%2e", "seg:pct-dots"),
    ("%2E", "seg:pct-dots"),
    ("a%20b", "seg:pct-space"),
    ("a+b", "seg:plus"),
    ("a;b=c", "seg:reserved"),
    ("a,b", "seg:reserved"),
    ("@user:x", "seg:reserved"),
    ("!$&'()*=", "seg:reserved"),
    ("%00", "seg:pct-nul"),
    ("%0A", "seg:pct-ctl"),
    ("a%25b", "seg:pct-percent"),
    ("...", "seg:dots"),
    ("a.", "seg:dots"),
    (".hidden", "seg:dots"),
    ("UPPER", "seg:case"),
]
_RAW_SEGMENTS: list[tuple[bytes, str]] = [
    ("✓".encode(), "target:raw-utf8"),
    ("café".encode(), "target:raw-utf8"),
    (b"caf\xe9", "target:raw-latin1"),
    (b"a|b", "target:raw-unsafe"),
    (b'a"b', "target:raw-unsafe"),
    (b"a{b}", "target:raw-unsafe"),
    (b"a\\b", "target:raw-unsafe"),
    (b"a^b", "target:raw-unsafe"),
    (b"a`b", "target:raw-unsafe"),
    (b"a<b>", "target:raw-unsafe"),
    (b"a\x7fb", "target:raw-ctl"),
]


def generate(routes: list[Route], *, seed: int, count: int) -> Iterator[Request]:
    rng = random.Random(seed)
    for index in range(count):
        yield _one(rng, routes, index)


def _one(rng: random.Random, routes: list[Route], index: int) -> Request:
    tags: list[str] = []
    if rng.random() < 0.06:
        route = Route("-", ())
        target = _random_path(rng, tags)
    else:
        route = rng.choice(routes)
        target = _path(rng, route.pattern, tags)
    query = _query(rng, route.pattern, tags)
    if not query.isascii() and not {"target:raw-utf8", "target:raw-latin1"} & set(tags):
        tags.append("target:raw-utf8" if "\xe2" in query else "target:raw-latin1")
    target += query
    method = _method(rng, route, tags)
    body, content_type = _body(rng, route.pattern, method, tags)
    version = "HTTP/1.1"
    if rng.random() < 0.02:
        version = "HTTP/1.0"
        tags.append("version:1.0")
    lines = _headers(rng, route.pattern, tags)
    if content_type is not None:
        lines.append(b"Content-Type: " + content_type)
    if body is not None:
        if rng.random() < 0.1 and version == "HTTP/1.1":
            tags.append("body:chunked")
            lines.append(b"Transfer-Encoding: chunked")
            body = _chunk(rng, body)
        else:
            lines.append(b"Content-Length: " + str(len(body)).encode())
    pipeline = version == "HTTP/1.1" and rng.random() < 0.12
    if not pipeline:
        lines.append(b"Connection: close")
    head = f"{method} ".encode() + target.encode("latin-1") + f" {version}".encode()
    raw = b"\r\n".join([head, *lines]) + b"\r\n\r\n" + (body or b"")
    if pipeline:
        tags.append("pipelined")
    return Request(index, raw, method, target, route.pattern, tags, pipeline)


# -- paths ----------------------------------------------------------------------------


def _path(rng: random.Random, pattern: str, tags: list[str]) -> str:
    segments: list[str] = []
    for part in pattern.strip("/").split("/"):
        if part.startswith("[[..."):
            n = rng.choice([0, 0, 1, 2, 3])
            segments.extend(_value(rng, tags) for _ in range(n))
        elif part.startswith("[..."):
            n = rng.choice([0, 1, 1, 2, 3, 5])
            if n == 0:
                tags.append("path:catch-all-empty")
            segments.extend(_value(rng, tags) for _ in range(n))
        elif part.startswith("["):
            segments.append(_value(rng, tags))
        else:
            segments.append(_static(rng, part, tags))
    path = "/" + "/".join(segments)
    roll = rng.random()
    if roll < 0.04:
        tags.append("path:trailing-slash")
        path += "/"
    elif roll < 0.07:
        tags.append("path:double-slash")
        cut = rng.randrange(len(path)) if path.count("/") else 0
        cut = path.rfind("/", 0, cut + 1)
        path = path[:cut] + "/" + path[cut:]
    elif roll < 0.10:
        tags.append("path:dot-segment")
        dot = rng.choice(["/.", "/x/..", "/%2e", "/%2E%2E/x/.."])
        cut = path.rfind("/")
        path = path[:cut] + dot + path[cut:]
    elif roll < 0.11:
        tags.append("target:absolute-form")
        path = "http://127.0.0.1:3000" + path
    elif roll < 0.115:
        tags.append("target:asterisk")
        path = "*"
    return path


def _static(rng: random.Random, part: str, tags: list[str]) -> str:
    roll = rng.random()
    if roll < 0.04 and part:
        tags.append("path:pct-static")
        i = rng.randrange(len(part))
        return part[:i] + "%" + f"{ord(part[i]):02X}" + part[i + 1 :]
    if roll < 0.06:
        tags.append("path:case-static")
        return part.upper()
    return part


def _value(rng: random.Random, tags: list[str]) -> str:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(_WORDS)
    if roll < 0.82:
        value, tag = rng.choice(_SEGMENTS)
        tags.append(tag)
        return value
    if roll < 0.92:
        raw, tag = rng.choice(_RAW_SEGMENTS)
        tags.append(tag)
        return raw.decode("latin-1")
    if roll < 0.95:
        tags.append("seg:empty")
        return ""
    if roll < 0.975:
        tags.append("seg:dot")
        return rng.choice([".", ".."])
    tags.append("seg:long")
    return rng.choice(["a", "%C3%A9"]) * rng.choice([300, 1500, 3000])


def _random_path(rng: random.Random, tags: list[str]) -> str:
    tags.append("path:unmatched")
    return rng.choice(
        [
            "/",
            "/nope",
            "/api",
            "/api/hello/extra",
            "/API/hello",
            "/blog",
            "/shop/1",
            "/users",
            "/favicon.ico",
            "/_next/static/x.js",
            "/index",
            "/rss",
            "/%2e%2e/api/hello",
            "/api/hello%2F",
            "/(shop)/catalog",
            "/items/a/b",
            "/_not-found",
            "/robots.txt",
        ]
    )


def _query(rng: random.Random, pattern: str, tags: list[str]) -> str:
    roll = rng.random()
    if pattern in ("/api/search", "/api/url") and roll < 0.8:
        tags.append("query:search")
        return "?" + rng.choice(
            [
                "query=hello",
                "query=",
                "query",
                "query=a+b",
                "query=a%20b",
                "query=%E2%9C%93",
                "query=1&query=2",
                "QUERY=x",
                "query=%zz",
                "query=%",
                "query=a%26b=c",
                "a=1&query=z",
                "query=a;b",
                "query=caf\xe9",
                "query=\xe2\x9c\x93",
                "query=a#frag",
                "?query=x",
                "&&query=x&&",
                "query=" + "q" * 2000,
                "query=%00",
            ]
        )
    if roll < 0.25:
        tags.append("query:other")
        return "?" + rng.choice(["", "a=1", "a=1&b=2&a=3", "_rsc=abc", "x=%FF", "=", "&", "a b"])
    return ""


def _method(rng: random.Random, route: Route, tags: list[str]) -> str:
    roll = rng.random()
    allowed = [m for m in route.methods] or ["GET"]
    if roll < 0.62:
        return rng.choice(allowed)
    if roll < 0.72:
        tags.append("method:implicit")
        return rng.choice(["HEAD", "OPTIONS"])
    if roll < 0.82:
        tags.append("method:other")
        return rng.choice(METHODS)
    if roll < 0.9:
        tags.append("method:lower")
        return rng.choice(allowed + ["HEAD", "OPTIONS"]).lower()
    if roll < 0.93:
        tags.append("method:mixed")
        return rng.choice(["Get", "pOST", "Head", "Options"])
    tags.append("method:unknown")
    return rng.choice(["BREW", "PROPFIND", "M-SEARCH", "PURGE", "TRACE", "QUERY", "X", "LINK"])


# -- headers --------------------------------------------------------------------------

_ODD_HEADERS = [
    (b"X-Empty:", "header:empty-value"),
    (b"X-Spaces:    padded   ", "header:whitespace"),
    (b"X_Under_Score: 1", "header:underscore-name"),
    (b"X-Tchar!#$%&'*+.^`|~: 1", "header:tchar-name"),
    (b"X-Latin1: caf\xe9", "header:obs-text"),
    (b"X-Utf8: \xe2\x9c\x93", "header:obs-text"),
    (b"X-Dup: 1\r\nX-Dup: 2", "header:duplicate"),
    (b"X-Tab: a\tb", "header:tab"),
    (b"Accept: */*", "header:accept"),
    (b"User-Agent: curl/8.5.0", "header:ua"),
    (b"X-Forwarded-For: 10.0.0.1", "header:forwarded"),
    (b"X-Forwarded-Host: example.com", "header:forwarded"),
    (b"X-Forwarded-Proto: https", "header:forwarded"),
    (b"Forwarded: for=10.0.0.1;proto=https", "header:forwarded"),
    (b"Origin: http://example.com", "header:origin"),
    (b'If-None-Match: "abc"', "header:conditional"),
    (b"If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT", "header:conditional"),
    (b"Range: bytes=0-3", "header:range"),
    (b"Expect: 100-continue", "header:expect"),
    (b"Authorization: Bearer abc", "header:auth"),
    (b"RSC: 1", "header:next-internal"),
    (b"Next-Router-Prefetch: 1", "header:next-internal"),
    (b"Next-Action: abc123", "header:next-internal"),
    (b"X-Middleware-Subrequest: middleware", "header:next-internal"),
    (b"X-Nextjs-Data: 1", "header:next-internal"),
    (b"Purpose: prefetch", "header:next-internal"),
    (b"Upgrade: websocket", "header:upgrade"),
    (b"TE: trailers", "header:te"),
    (b"Max-Forwards: 0", "header:max-forwards"),
    (b"X-Long: " + b"v" * 6000, "header:long"),
]
_REFERERS = [
    b"https://example.com/",
    b"",
    b"/relative",
    b"https://x.test/caf%C3%A9",
    b"https://x.test/\xe2\x9c\x93",
    b"caf\xe9",
]
_HOSTS = [
    b"127.0.0.1:3000",
    b"localhost",
    b"example.com:8080",
    b"[::1]:3000",
    b"EXAMPLE.com",
    b"a_b.test",
    b"127.0.0.1:3000, evil.test",
    b"h\xc3\xa9.test",
]
_COOKIES = [
    (b"token=abc", "cookie:plain"),
    (b"token=abc; a=1", "cookie:plain"),
    (b"a=1; token=x; c=3", "cookie:plain"),
    (b"token=%E2%9C%93", "cookie:pct"),
    (b"token=a%20b; a=%zz", "cookie:pct"),
    (b'token="quoted value"', "cookie:quoted"),
    (b'token=""', "cookie:quoted"),
    (b"token=a=b=c", "cookie:equals"),
    (b"token=1; token=2", "cookie:duplicate"),
    (b"a=1;token=2;;  ;b", "cookie:malformed"),
    (b"=novalue; token=t", "cookie:malformed"),
    (b"token", "cookie:malformed"),
    (b"TOKEN=upper; Token=mixed", "cookie:case"),
    (b"token=\xe2\x9c\x93", "cookie:raw-utf8"),
    (b"token=caf\xe9", "cookie:raw-latin1"),
    (b"a=" + b"c" * 3000, "cookie:long"),
    (b"token= spaced ; a = 1 ", "cookie:spaces"),
    (b"token=abc\r\nCookie: a=2", "cookie:two-headers"),
]


def _headers(rng: random.Random, pattern: str, tags: list[str]) -> list[bytes]:
    lines: list[bytes] = []
    roll = rng.random()
    if roll < 0.01:
        tags.append("host:missing")
    elif roll < 0.02:
        tags.append("host:duplicate")
        lines += [b"Host: 127.0.0.1:3000", b"Host: example.com"]
    elif roll < 0.1:
        tags.append("host:odd")
        lines.append(b"Host: " + rng.choice(_HOSTS))
    else:
        lines.append(b"Host: 127.0.0.1:3000")
    if rng.random() < 0.3:
        tags.append("accept-encoding:gzip")
        lines.append(b"Accept-Encoding: " + rng.choice([b"gzip, deflate, br", b"gzip", b"br"]))
    if pattern == "/api/headers" or rng.random() < 0.05:
        if rng.random() < 0.8:
            value = rng.choice(_REFERERS)
            if not value.isascii():
                tags.append("referer:non-ascii")
            lines.append(b"Referer: " + value)
    if pattern.startswith("/api/cookies") or rng.random() < 0.1:
        if rng.random() < 0.85:
            cookie, tag = rng.choice(_COOKIES)
            tags.append(tag)
            lines.append(b"Cookie: " + cookie)
    for _ in range(rng.choice([0, 0, 0, 1, 2, 4])):
        line, tag = rng.choice(_ODD_HEADERS)
        tags.append(tag)
        lines.append(line)
    if rng.random() < 0.03:
        tags.append("header:many")
        lines += [f"X-H{i}: {i}".encode() for i in range(rng.choice([60, 150]))]
    if rng.random() < 0.015:
        tags.append("header:block-20k")
        lines += [f"X-Big{i}: ".encode() + b"b" * 1000 for i in range(20)]
    return lines


# -- bodies ---------------------------------------------------------------------------

_JSON_GOOD = [
    {"a": 1},
    [],
    {},
    "text",
    0,
    None,
    True,
    {"nested": {"list": [1, "two", None]}},
    {"unicode": "✓ café 😀"},
    {"messages": [{"role": "user", "content": "hi there"}]},
    {"messages": []},
    {"messages": [{"content": "two words"}, {"content": "last one"}]},
    {"messages": [{"role": "user"}]},
    {"messages": "abc"},
    {"messages": [1, 2]},
    {"messages": [{"content": 7}]},
    {"messages": [{"content": None}]},
    {"messages": [{"content": ["x", 1]}]},
    {"messages": [{"content": {"k": "v"}}]},
    {"name": "Ada", "email": "ada@example.com"},
]
_JSON_ODD: list[tuple[bytes, str]] = [
    (b'{"a": NaN}', "json:nan"),
    (b'{"a": Infinity}', "json:nan"),
    (b"-Infinity", "json:nan"),
    (b'{"a": 1.0}', "json:float"),
    (b'{"a": 1e400}', "json:float"),
    (b'{"a": 12345678901234567890}', "json:bigint"),
    (b'{"a": -0}', "json:float"),
    (b'{"a": "\\ud800"}', "json:lone-surrogate"),
    (b'{"a": 1, "a": 2}', "json:duplicate-key"),
    (b'\xef\xbb\xbf{"bom": true}', "json:bom"),
    (b' \n {"ws": 1} \n ', "json:whitespace"),
    (b"[" * 1200 + b"]" * 1200, "json:deep"),
    (b'{"a": 1', "json:invalid"),
    (b"{'a': 1}", "json:invalid"),
    (b"", "json:empty"),
    (b"nul", "json:invalid"),
    (b'{"a": "caf\xe9"}', "json:latin1-bytes"),
    (b'{"a": "\x01"}', "json:control-char"),
    (b'{"__proto__": {"x": 1}}', "json:proto"),
    (b'{"1": "a", "b": 2, "0": "c"}', "json:numeric-keys"),
]
_FORMS: list[tuple[bytes, str]] = [
    (b"name=Ada&email=ada%40example.com", "form:plain"),
    (b"name=A+B&email=", "form:plain"),
    (b"name=%E2%9C%93", "form:pct-utf8"),
    (b"name=%FF%FE", "form:pct-invalid"),
    (b"name=%zz&email=%", "form:pct-malformed"),
    (b"name=1&name=2", "form:duplicate"),
    (b"name&email", "form:no-equals"),
    (b"=x&&name=y", "form:odd"),
    (b"name=caf\xe9", "form:raw-latin1"),
    (b"name=\xe2\x9c\x93", "form:raw-utf8"),
    (b"", "form:empty"),
    (b"name=a;email=b", "form:semicolon"),
]


def _multipart(rng: random.Random, tags: list[str]) -> tuple[bytes, bytes]:
    boundary = rng.choice([b"XyZ", b"----WebKitFormBoundary7MA4YWxkTrZu0gW", b"a'b()+_,-./:=?"])
    parts = []
    kind = rng.choice(["fields", "file", "utf8", "no-name", "crlf-missing"])
    tags.append(f"multipart:{kind}")
    if kind in ("fields", "crlf-missing"):
        parts.append(b'Content-Disposition: form-data; name="name"\r\n\r\nAda')
        parts.append(b'Content-Disposition: form-data; name="email"\r\n\r\nada@x.test')
    elif kind == "file":
        parts.append(
            b'Content-Disposition: form-data; name="name"; filename="a.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\nfile body"
        )
        parts.append(b'Content-Disposition: form-data; name="email"\r\n\r\ne')
    elif kind == "utf8":
        parts.append('Content-Disposition: form-data; name="name"\r\n\r\n✓ café'.encode())
    else:
        parts.append(b"Content-Disposition: form-data\r\n\r\norphan")
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    body += b"--" + boundary + b"--\r\n"
    if kind == "crlf-missing":
        body = body.replace(b"\r\n", b"\n")
    quoted = rng.random() < 0.3 or b"'" in boundary
    param = b'"' + boundary + b'"' if quoted else boundary
    return body, b"multipart/form-data; boundary=" + param


def _body(
    rng: random.Random, pattern: str, method: str, tags: list[str]
) -> tuple[bytes | None, bytes | None]:
    takes_body = method.upper() in ("POST", "PUT", "PATCH", "DELETE")
    if not takes_body and rng.random() > 0.03:
        return None, None
    if not takes_body:
        tags.append("body:on-" + method.upper())
    wants = {"/api/form": "form", "/api/webhook": "text"}.get(pattern, "json")
    kind = wants if rng.random() < 0.7 else rng.choice(["json", "form", "multipart", "text"])
    if kind == "json":
        if rng.random() < 0.6:
            body = json.dumps(rng.choice(_JSON_GOOD), ensure_ascii=rng.random() < 0.5).encode()
            tags.append("json:valid")
        else:
            body, tag = rng.choice(_JSON_ODD)
            tags.append(tag)
        ctype = rng.choice(
            [b"application/json", b"application/json; charset=utf-8", b"text/plain", None]
        )
    elif kind == "form":
        if rng.random() < 0.35:
            body, ctype = _multipart(rng, tags)
            return body, _mismatch(rng, ctype, tags)
        body, tag = rng.choice(_FORMS)
        tags.append(tag)
        ctype = b"application/x-www-form-urlencoded"
    elif kind == "multipart":
        body, ctype = _multipart(rng, tags)
    else:
        body, tag = rng.choice(
            [
                (b"payload", "text:ascii"),
                ("✓ café".encode(), "text:utf8"),
                (b"caf\xe9", "text:latin1-bytes"),
                (b"", "text:empty"),
                (b"\xef\xbb\xbfbom", "text:bom"),
                (b"\xff\xfe\x00a", "text:invalid-utf8"),
                (b"a" * 70000, "text:large"),
            ]
        )
        tags.append(tag)
        ctype = b"text/plain"
    return body, _mismatch(rng, ctype, tags)


def _mismatch(rng: random.Random, ctype: bytes | None, tags: list[str]) -> bytes | None:
    roll = rng.random()
    if roll < 0.08:
        tags.append("ctype:charset")
        base = ctype.split(b";")[0] if ctype else b"text/plain"
        return base + b"; charset=" + rng.choice([b"latin1", b"bogus", b"utf-16", b"UTF-8"])
    if roll < 0.15:
        tags.append("ctype:mismatch")
        return rng.choice(
            [
                b"application/json",
                b"application/x-www-form-urlencoded",
                b"multipart/form-data",
                b"application/octet-stream",
                b"text/html",
            ]
        )
    if roll < 0.18:
        tags.append("ctype:missing")
        return None
    if roll < 0.2 and ctype:
        tags.append("ctype:case")
        return ctype.upper()
    return ctype


def _chunk(rng: random.Random, body: bytes) -> bytes:
    out = bytearray()
    while body:
        size = rng.randint(1, 64)
        piece, body = body[:size], body[size:]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return bytes(out + b"0\r\n\r\n")
