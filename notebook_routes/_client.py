"""`request()`: a real HTTP request to the server, from plain synchronous code.

It uses the stdlib's `http.client` on purpose: a notebook cell runs on the kernel's
loop, where tornado's blocking client refuses to run, and a blocking socket call is
exactly what a synchronous cell wants. Redirects are not followed, so a 307 shows as a 307.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import re
import time
from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from notebook_routes.web._headers import Headers

HeadersInit = Mapping[str, str] | list[tuple[str, str]] | None


class ClientResponse:
    """What came back: `.status`, `.reason`, `.headers`, `.content`, `.text`, `.json()`,
    `.elapsed_ms`; for a failed answer of this kernel's own server, `.error` (one line) and
    `.traceback` (the handler's frames), which Next.js keeps out of the body."""

    error: str | None = None
    traceback: str | None = None

    def __init__(
        self,
        method: str,
        url: str,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        content: bytes,
        elapsed_ms: float,
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.reason = reason
        self.headers = Headers(headers)
        self.content = content
        self.elapsed_ms = elapsed_ms

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __repr__(self) -> str:
        return f"<ClientResponse {self.method} {self.url} -> {self.status} {self.reason}>"

    def pretty_body(self) -> str:
        """The body for reading: indented JSON when it is JSON, else the text."""
        if "json" in (self.headers.get("content-type") or ""):
            try:
                return jsonlib.dumps(self.json(), indent=2, ensure_ascii=False)
            except ValueError:
                pass
        return self.text

    def summary(self) -> str:
        """Status line, headers, blank line, body: what ``%request`` shows.

        The timing is on the status line so the rest can be compared across runs.
        """
        lines = [
            f"{self.status} {self.reason}  ({self.elapsed_ms:.1f} ms)  {self.method} {self.url}"
        ]
        lines += [f"{name}: {value}" for name, value in self.headers.raw_items()]
        body = self.pretty_body()
        return "\n".join(lines) + ("\n\n" + body if body else "") + self._why()

    def _why(self) -> str:
        """Why the handler failed (from the server's log), below the answer."""
        if not self.error:
            return ""
        trace = f"\n{self.traceback}" if self.traceback else ""
        return f"\n\nerror (from the server's log; the body is Next.js's): {self.error}{trace}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.summary())

    def _repr_html_(self) -> str:
        colour = {2: "#1a7f37", 3: "#0969da", 4: "#9a6700", 5: "#cf222e"}.get(self.status // 100)
        # Left-aligned, without JupyterLab's default right alignment and grey code chips.
        cell = 'style="text-align:left;padding:0 12px 0 0;vertical-align:top"'
        rows = "".join(
            f"<tr><td {cell}>{escape(n)}</td><td {cell}>{escape(v)}</td></tr>"
            for n, v in self.headers.raw_items()
        )
        why = ""
        if self.error:
            why = (
                f'<div style="color:{colour}"><b>error</b> (from the server\'s log; the body '
                f"is Next.js's): {escape(self.error)}</div>"
            )
            if self.traceback:
                why += f"<pre>{escape(self.traceback)}</pre>"
        return (
            f'<div class="notebook-routes-response"><b style="color:{colour}">'
            f"{self.status} {escape(self.reason)}</b> &middot; {self.elapsed_ms:.1f} ms &middot; "
            f"<code>{escape(self.method)} {escape(self.url)}</code>"
            f'<table style="margin-left:0;font-family:monospace;border-collapse:collapse">'
            f"{rows}</table>"
            f"<pre>{escape(self.pretty_body())}</pre>{why}</div>"
        )


# RFC 9110 token characters: what a method may be made of.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
# What http.client refuses in a request target (it would otherwise raise InvalidURL).
_BAD_TARGET = re.compile(r"[\x00-\x20\x7f]")


def check_target(method: object, path: object) -> None:
    """Refuse a method or path that could not be sent, naming the argument at fault."""
    if not isinstance(method, str) or not method.strip():
        raise TypeError(f"method must be a str such as 'GET', not {method!r}")
    if not _TOKEN.match(method):
        raise ValueError(f"method must be an HTTP method token such as 'GET', not {method!r}")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(
            f"path must be a str starting with '/', such as '/api/hello', not {path!r}"
        )
    if _BAD_TARGET.search(path):
        raise ValueError(
            f"path must not contain spaces or control characters (percent-encode them, "
            f"as in '/a%20b'), not {path!r}"
        )


def send(
    base_url: str,
    method: str,
    path: str,
    *,
    headers: HeadersInit = None,
    json: Any = None,
    data: Any = None,
    body: bytes | str | None = None,
    cookies: Mapping[str, str] | None = None,
    token: str | None = None,
    timeout: float = 60.0,
) -> ClientResponse:
    """Send one request to `base_url` + `path` and read the whole answer."""
    check_target(method, path)
    out = Headers(headers)
    payload = _payload(out, json=json, data=data, body=body)
    if cookies:
        out.append("Cookie", "; ".join(f"{k}={quote(str(v), safe='')}" for k, v in cookies.items()))
    if token and "authorization" not in out:
        out.set("Authorization", f"Bearer {token}")
    return _exchange(base_url, method.upper(), path, out, payload, timeout)


def _payload(out: Headers, *, json: Any, data: Any, body: Any) -> bytes | None:
    """The request body from one of json=, data= or body=; sets its Content-Type if unset."""
    given = [json is not None, data is not None, body is not None]
    if sum(given) > 1:
        raise TypeError("pass at most one of json=, data= and body=")
    if json is not None:
        if "content-type" not in out:
            out.set("Content-Type", "application/json")
        return jsonlib.dumps(json, separators=(",", ":")).encode()
    if data is not None:
        if isinstance(data, Mapping):
            if "content-type" not in out:
                out.set("Content-Type", "application/x-www-form-urlencoded")
            return urlencode(data, doseq=True).encode()
        if isinstance(data, (bytes, str)):
            return data.encode() if isinstance(data, str) else data
        raise TypeError(f"data must be a dict, str or bytes, not {type(data).__name__}")
    if body is not None:
        if not isinstance(body, (bytes, str)):
            raise TypeError(f"body must be str or bytes, not {type(body).__name__}")
        return body.encode() if isinstance(body, str) else body
    return None


def _exchange(
    base_url: str, method: str, path: str, out: Headers, payload: bytes | None, timeout: float
) -> ClientResponse:
    """One request and its whole answer on a fresh connection, timed from connecting."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    started = time.perf_counter()
    try:
        # Non-ASCII characters go out percent-encoded as UTF-8, as a browser sends them.
        target = quote(path, safe="".join(map(chr, range(0x21, 0x7F))))
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in out.raw_items():
            connection.putheader(name, value)
        if payload is not None and "content-length" not in out:
            connection.putheader("Content-Length", str(len(payload)))
        connection.endheaders(payload)
        answer = connection.getresponse()
        content = answer.read()
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        return ClientResponse(
            method,
            base_url + path,
            answer.status,
            answer.reason,
            list(answer.getheaders()),
            content,
            elapsed_ms,
        )
    finally:
        connection.close()
