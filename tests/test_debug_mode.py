"""Debug mode (issue 17): a failed handler's error and traceback in the 500 body, loopback
only; without it the body stays empty, as Next.js sends it."""

from __future__ import annotations

import socket

import pytest

from notebook_routes import App, Server
from notebook_routes._cli import main


def boom():
    data = {"a": 1}
    return data["b"]


def raw_get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("debug", [False, True])
def test_a_500_body_carries_the_error_only_in_debug_mode(debug):
    app = App()
    app.add("/boom", {"GET": boom})
    server = Server(app, debug=debug).start()
    try:
        answer = raw_get(server.port, "/boom")
    finally:
        server.stop()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 500 Internal Server Error")
    if not debug:
        assert body == b"" and b"Content-Length: 0" in head
        return
    assert b"Content-Type: text/plain; charset=utf-8" in head
    text = body.decode()
    assert text.startswith("KeyError: 'b'\n\nTraceback (most recent call last):\n")
    assert 'return data["b"]' in text and ", in boom" in text
    assert "notebook_routes" not in text  # trimmed to the user's frames


def test_debug_mode_refuses_a_non_loopback_host():
    with pytest.raises(ValueError, match="debug=True .* only a loopback host"):
        Server(App(), host="0.0.0.0", debug=True)


def test_serve_debug_refuses_a_non_loopback_host(tmp_path, capsys):
    (tmp_path / "route.py").write_text("def GET():\n    return 'hi'\n")
    assert main(["serve", str(tmp_path), "--host", "0.0.0.0", "--debug"]) == 2
    assert "--debug shows tracebacks to clients" in capsys.readouterr().err


def test_missing_extra_names_the_pip_command(monkeypatch):
    import sys

    from notebook_routes._extras import MissingExtra
    from notebook_routes._tables import routes_table

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtra, match=r"pip install 'notebook-routes\[notebook\]'"):
        routes_table(App())
