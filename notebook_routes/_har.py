"""The request log as HAR 1.2, which browsers' devtools and HTTP tools import.

>>> from notebook_routes._log import LogEntry
>>> entry = LogEntry(0.0, "GET", "/a", "/a", {}, 200, 2.5, query="?x=1",
...                  request_headers=[("Host", "127.0.0.1:3000")],
...                  response_headers=[("Content-Type", "text/plain")], response_body=b"hi")
>>> har = har_log([entry])["log"]
>>> har["version"], har["entries"][0]["request"]["url"], har["entries"][0]["response"]["content"]
('1.2', 'http://127.0.0.1:3000/a?x=1', {'size': 2, 'mimeType': 'text/plain', 'text': 'hi'})
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Iterable
from http import HTTPStatus
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from notebook_routes._log import LogEntry

if TYPE_CHECKING:
    from notebook_routes._app import App


def _pairs(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": n, "value": v} for n, v in headers]


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for n, v in headers if n.lower() == name), None)


def _content(body: bytes | None, mime: str) -> dict[str, Any]:
    content: dict[str, Any] = {"size": len(body or b""), "mimeType": mime}
    if body:
        try:
            content["text"] = body.decode("utf-8")
        except UnicodeDecodeError:
            content["text"] = base64.b64encode(body).decode("ascii")
            content["encoding"] = "base64"
    return content


def _cookies(headers: list[tuple[str, str]], name: str) -> list[dict[str, str]]:
    jar: SimpleCookie = SimpleCookie()
    for key, value in headers:
        if key.lower() == name:
            try:
                jar.load(value)
            except Exception:  # a cookie the stdlib cannot parse is still in the headers
                continue
    return [{"name": k, "value": m.value} for k, m in jar.items()]


def har_entry(entry: LogEntry, base_url: str | None = None) -> dict[str, Any]:
    host = _header(entry.request_headers, "host")
    base = base_url or (f"http://{host}" if host else "http://localhost")
    started = datetime.datetime.fromtimestamp(entry.time, datetime.timezone.utc)
    request: dict[str, Any] = {
        "method": entry.method,
        "url": base.rstrip("/") + entry.path + entry.query,
        "httpVersion": "HTTP/1.1",
        "cookies": _cookies(entry.request_headers, "cookie"),
        "headers": _pairs(entry.request_headers),
        "queryString": [
            {"name": n, "value": v}
            for n, v in parse_qsl(entry.query.lstrip("?"), keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(entry.request_body or b""),
    }
    if entry.request_body is not None:
        mime = _header(entry.request_headers, "content-type") or "application/octet-stream"
        request["postData"] = {
            "mimeType": mime,
            "text": entry.request_body.decode("utf-8", errors="replace"),
        }
    mime = _header(entry.response_headers, "content-type") or ""
    try:
        reason = HTTPStatus(entry.status).phrase
    except ValueError:
        reason = ""
    har: dict[str, Any] = {
        "startedDateTime": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": round(entry.duration_ms, 3),
        "request": request,
        "response": {
            "status": entry.status,
            "statusText": reason,
            "httpVersion": "HTTP/1.1",
            "cookies": _cookies(entry.response_headers, "set-cookie"),
            "headers": _pairs(entry.response_headers),
            "content": _content(entry.response_body, mime),
            "redirectURL": _header(entry.response_headers, "location") or "",
            "headersSize": -1,
            "bodySize": len(entry.response_body or b""),
        },
        "cache": {},
        "timings": {"send": 0, "wait": round(entry.duration_ms, 3), "receive": 0},
    }
    notes = [f"route {entry.route}" if entry.route else "no route"]
    if entry.body_truncated:
        notes.append("a body was cut to the log's 8 KiB sample")
    if entry.error:
        notes.append(entry.error)
    har["comment"] = "; ".join(notes)
    return har


def har_log(entries: Iterable[LogEntry], base_url: str | None = None) -> dict[str, Any]:
    from notebook_routes import __version__

    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "notebook-routes", "version": __version__},
            "pages": [],
            "entries": [har_entry(e, base_url) for e in entries],
        }
    }


def export_har(
    path: str | Path,
    entries: Iterable[LogEntry] | None = None,
    *,
    app: App | None = None,
    base_url: str | None = None,
) -> Path:
    """Write the request log (or `entries`) as a HAR 1.2 file; returns its path.

    Bodies are those the log kept (up to 8 KiB each); a cut one says so in the entry's
    ``comment``. Open the file in a browser's devtools (Network > Import) or an HTTP tool.
    """
    if entries is None:
        if app is None:
            from notebook_routes._runtime import default_app

            app = default_app()
        entries = list(app.log)
    out = Path(path)
    text = json.dumps(har_log(entries, base_url), indent=2, ensure_ascii=False)
    out.write_text(text + "\n", encoding="utf-8")
    return out
