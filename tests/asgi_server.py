"""uvicorn on a thread of the test process, serving `notebook_routes.asgi.create_app(app)`:
the same `url`/`port`/`app`/`stop()` as a tornado `Server`, so one test runs on either."""

from __future__ import annotations

import threading
import time
from typing import Any

from notebook_routes import App
from notebook_routes.asgi import ASGIApp, create_app


class UvicornServer:
    """`create_app(app)` on uvicorn (httptools), loopback, a free port."""

    def __init__(self, app: App, **options: Any) -> None:
        import uvicorn

        self.app = app
        self.asgi: ASGIApp = create_app(app, **options)
        config = uvicorn.Config(
            self.asgi,
            host="127.0.0.1",
            port=0,
            log_level="critical",
            access_log=False,
            server_header=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> UvicornServer:
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # The limits live on the ASGI app (the same names as on the tornado Server).
    @property
    def max_body_size(self) -> int:
        return self.asgi.max_body_size

    @max_body_size.setter
    def max_body_size(self, value: int) -> None:
        self.asgi.max_body_size = value

    @property
    def token(self) -> str | None:
        return self.asgi.token

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
