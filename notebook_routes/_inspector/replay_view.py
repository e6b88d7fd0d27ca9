"""What the Requests tab shows under a row after *replay* or *copy as curl*.

The answer logged then stands beside the one just received, each with its status,
headers and body; the curl command sits in a read-only textarea to select and copy
(no clipboard access: it works the same behind any proxy)::

    >>> from notebook_routes._client import ClientResponse
    >>> from notebook_routes._log import LogEntry
    >>> from notebook_routes._replay import Replay
    >>> before = LogEntry(0.0, "GET", "/n", "/n", {}, 200, 1.0,
    ...                   response_headers=[("content-type", "text/plain")],
    ...                   response_body=b"1")
    >>> after = ClientResponse("GET", "http://127.0.0.1:3000/n", 200, "OK",
    ...                        [("content-type", "text/plain")], b"2", 1.0)
    >>> view = replay_html(Replay(before, after))
    >>> "then: <b" in view and "now: <b" in view, view.count(">200</b>"), "body changed" in view
    (True, 2, True)
    >>> print(curl_html("curl -X POST http://127.0.0.1:3000/a"))  # doctest: +ELLIPSIS
    <div ...><textarea readonly ...>curl -X POST http://127.0.0.1:3000/a</textarea></div>
"""

from __future__ import annotations

from notebook_routes._inspector.format import ERROR_RED, MUTED, esc, headers_table, pre, status_html
from notebook_routes._replay import Replay

_COLUMN = '<td style="vertical-align:top;padding:0 16px 0 0;min-width:260px">{}</td>'


def _verdict(replay: Replay) -> str:
    same_body = replay.same_body
    parts = ["same status" if replay.same_status else "status changed"]
    if same_body is None:
        why = "the log kept only its start" if replay.before.body_truncated else "not logged"
        parts.append(f"body not compared ({why})")
    else:
        parts.append("same body" if same_body else "body changed")
    return ", ".join(parts)


def replay_html(replay: Replay) -> str:
    """The logged answer (then) beside the new one (now): status, headers, body."""
    before, after = replay.before, replay.after
    old_body = (before.response_body or b"").decode("utf-8", errors="replace")
    if before.body_truncated:
        old_body += "\n… (the log keeps the first 8 KiB)"
    then = (
        f"<b>then: {status_html(before.status)}</b>"
        f"{headers_table(before.response_headers)}{pre(old_body)}"
    )
    now = (
        f"<b>now: {status_html(after.status)}</b>"
        f"{headers_table(after.headers.raw_items())}{pre(after.pretty_body())}"
    )
    return (
        f'<div class="nr-replay"><b>Replay</b> <span style="color:{MUTED}">'
        f"{esc(_verdict(replay))}</span><table><tr>"
        + _COLUMN.format(then)
        + _COLUMN.format(now)
        + "</tr></table></div>"
    )


def failed_html(message: str) -> str:
    return f'<div class="nr-replay" style="color:{ERROR_RED}">{esc(message)}</div>'


def curl_html(command: str) -> str:
    """`command` in a read-only textarea, for the user to select and copy."""
    rows = min(6, 1 + len(command) // 100)
    return (
        '<div class="nr-curl"><b>curl</b> '
        f'<span style="color:{MUTED}">(select and copy)</span><br>'
        f'<textarea readonly rows="{rows}" style="width:100%;max-width:900px;'
        f'font-family:monospace;font-size:12px">{esc(command)}</textarea></div>'
    )


__all__ = ["curl_html", "failed_html", "replay_html"]
