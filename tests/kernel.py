"""A real IPython kernel driven through jupyter_client, as a notebook front end drives it."""

from __future__ import annotations

import queue
import re
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import KernelManager

from notebook_routes._client import ClientResponse, send

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class CellResult:
    stdout: str = ""
    stderr: str = ""
    data: list[dict[str, Any]] = field(default_factory=list)  # display_data + execute_result
    error: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """Everything shown as text, in one string (ANSI colours removed)."""
        shown = [d.get("text/plain", "") for d in self.data]
        return ANSI.sub("", "\n".join([self.stdout, *shown, self.stderr]))

    @property
    def html(self) -> str:
        return "\n".join(d.get("text/html", "") for d in self.data)


class Kernel:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env) if env else self.manager.start_kernel()
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        self._url: str | None = None

    def execute(self, code: str) -> str:
        """Send a cell without waiting for it (returns the message id)."""
        return self.client.execute(code)

    def collect(self, msg_id: str, timeout: float = 60) -> CellResult:
        result = CellResult()
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"cell {msg_id} did not finish in {timeout} s") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                if content["name"] == "stdout":
                    result.stdout += content["text"]
                else:
                    result.stderr += content["text"]
            elif kind in ("display_data", "execute_result"):
                result.data.append(content["data"])
            elif kind == "error":
                result.error = content
                result.stderr += ANSI.sub("", "\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return result

    def run(self, code: str, timeout: float = 60) -> CellResult:
        return self.collect(self.execute(code), timeout)

    def ok(self, code: str, timeout: float = 60) -> CellResult:
        """Run a cell that must not fail."""
        result = self.run(code, timeout)
        assert result.error is None, result.stderr
        return result

    def help(self, code: str) -> str:
        """What ``thing?`` shows: IPython sends it as a pager payload on the shell reply."""
        msg_id = self.execute(code)
        self.collect(msg_id)
        while True:
            reply = self.client.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        pages = [p["data"].get("text/plain", "") for p in reply["content"].get("payload", [])]
        return ANSI.sub("", "\n".join(pages))

    def value(self, expression: str) -> Any:
        """Evaluate an expression in the kernel and return it (via its repr)."""
        import ast

        result = self.ok(f"print(repr({expression}))")
        return ast.literal_eval(result.stdout.strip())

    @property
    def url(self) -> str:
        """The server's URL, asked once (later requests must not need the kernel idle)."""
        if self._url is None:
            self._url = self.value("__import__('notebook_routes').server().url")
        return self._url

    def forget_url(self) -> None:
        self._url = None

    def http(self, method: str, path: str, **kwargs: Any) -> ClientResponse:
        """A request from outside the kernel, as curl would send it."""
        return send(self.url, method, path, **kwargs)

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)
