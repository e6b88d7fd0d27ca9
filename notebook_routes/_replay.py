"""Requests from the log, again: `replay()` sends one anew, `curl_command()` writes it for curl.

>>> from notebook_routes._log import LogEntry
>>> entry = LogEntry(0.0, "POST", "/items", "/items", {}, 201, 1.0,
...                  request_headers=[("Host", "127.0.0.1:3000"),
...                                   ("Content-Type", "application/json")],
...                  request_body=b'{"name": "pen"}', query="?dry=1")
>>> print(curl_command(entry))
curl -X POST 'http://127.0.0.1:3000/items?dry=1' -H 'Content-Type: application/json' --data-binary '{"name": "pen"}'
"""  # noqa: E501

from __future__ import annotations

import shlex
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from notebook_routes._client import ClientResponse, send
from notebook_routes._log import LogEntry

if TYPE_CHECKING:
    from notebook_routes._app import App

# Not sent again: the connection's own (the client sets them anew) and hop-by-hop fields.
_NOT_RESENT = {
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "accept-encoding",
}


def pick(entry: LogEntry | int = -1, app: App | None = None) -> LogEntry:
    """`entry` itself, or the log entry at that index (-1 is the newest)."""
    if isinstance(entry, LogEntry):
        return entry
    if not isinstance(entry, int) or isinstance(entry, bool):
        raise TypeError(
            f"entry must be a log entry or its index in the request log (-1 for the newest), "
            f"not {type(entry).__name__}"
        )
    if app is None:
        from notebook_routes._runtime import default_app

        app = default_app()
    entries = list(app.log)
    try:
        return entries[entry]
    except IndexError:
        raise IndexError(
            f"the request log has {len(entries)} entries; there is no entry {entry} "
            "(send a request first, or pick another index)"
        ) from None


def resent_headers(entry: LogEntry) -> list[tuple[str, str]]:
    return [(n, v) for n, v in entry.request_headers if n.lower() not in _NOT_RESENT]


def target(entry: LogEntry) -> str:
    """The request target as sent: path and query."""
    return entry.path + entry.query


@dataclass
class Replay:
    """A request of the log sent again: `before` (the log entry) beside `after` (the answer)."""

    before: LogEntry
    after: ClientResponse

    @property
    def same_status(self) -> bool:
        return self.before.status == self.after.status

    @property
    def same_body(self) -> bool | None:
        """Whether the body came back the same (None when the old body was not kept whole)."""
        if self.before.body_truncated or self.before.response_body is None:
            return None
        return self.before.response_body == self.after.content

    def __repr__(self) -> str:
        return (
            f"Replay({self.before.method} {target(self.before)}: "
            f"{self.before.status} -> {self.after.status})"
        )

    def _repr_html_(self) -> str:
        old = (self.before.response_body or b"").decode("utf-8", errors="replace")
        new = self.after.pretty_body()
        same = "same" if self.same_status and self.same_body else "changed"
        cell = '<td style="vertical-align:top;padding:4px 12px"><b>{}</b><pre>{}</pre></td>'
        return (
            f'<div class="notebook-routes-replay"><code>{escape(self.before.method)} '
            f"{escape(target(self.before))}</code> &middot; {same}<table><tr>"
            + cell.format(f"before: {self.before.status}", escape(old))
            + cell.format(f"now: {self.after.status}", escape(new))
            + "</tr></table></div>"
        )


def replay(entry: LogEntry | int = -1, *, app: App | None = None, server: Any = None) -> Replay:
    """Send a logged request again (the newest by default) and return old and new answers.

    The method, path, query, headers and body (as kept in the log, up to 8 KiB) are sent
    to `server` (the notebook's server by default).
    """
    chosen = pick(entry, app)
    if server is None:
        from notebook_routes._runtime import server as default_server

        server = default_server()
    answer = send(
        server.url,
        chosen.method,
        target(chosen),
        headers=resent_headers(chosen),
        body=chosen.request_body,
        token=server.token,
    )
    return Replay(chosen, answer)


def curl_command(entry: LogEntry, base_url: str | None = None) -> str:
    """The request as a curl command line (to paste in a terminal)."""
    host = next((v for n, v in entry.request_headers if n.lower() == "host"), None)
    base = base_url or (f"http://{host}" if host else "http://127.0.0.1:3000")
    parts = ["curl"]
    if entry.method == "HEAD":
        parts.append("--head")
    elif entry.method != "GET":
        parts += ["-X", entry.method]
    parts.append(base.rstrip("/") + target(entry))
    for name, value in resent_headers(entry):
        parts += ["-H", f"{name}: {value}"]
    if entry.request_body:
        parts += ["--data-binary", entry.request_body.decode("utf-8", errors="replace")]
    return " ".join(shlex.quote(p) for p in parts)
