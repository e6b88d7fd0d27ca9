"""``notebook-routes run NOTEBOOK.ipynb``: a notebook's routes, served headless by a real kernel.

What Jupyter Kernel Gateway's notebook-http mode does, with notebook-routes' own server
(one thread per kernel, async handlers, no one-request-at-a-time kernel in the way)::

    $ notebook-routes run notebooks/01-quickstart.ipynb --port 3000
    GET HEAD OPTIONS /api/hello  ƒ dynamic  http://127.0.0.1:3000/api/hello
    notebook-routes running notebooks/01-quickstart.ipynb at http://127.0.0.1:3000

The kernel (``python3``, started in the notebook's folder as Jupyter does) loads the
extension, starts the server on ``--host``/``--port`` (``NOTEBOOK_ROUTES_PORT`` is set too,
so a cell that restarts the server keeps the port), then runs every code cell in order.
A cell that fails is reported in one line and the rest still run; a cell still running
after ``--timeout`` seconds is interrupted. SIGINT or SIGTERM shuts the kernel down, which
frees the port. The exit code is 1 if the kernel died, 2 if the notebook cannot be read.
"""

from __future__ import annotations

import ast
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from notebook_routes._cell_source import split_cell
from notebook_routes._export import Cell, NotebookError, notebook_cells

DEFAULT_PORT = 3000
DEFAULT_TIMEOUT_S = 120.0
INTERRUPT_GRACE_S = 10.0  # how long an interrupted cell may take to stop
REPLY_TIMEOUT_S = 30.0
POLL_S = 0.2
LOAD_EXTENSION = "%load_ext notebook_routes"
URL = "__import__('notebook_routes').server().url"


class KernelLost(RuntimeError):
    """The kernel died, or stopped answering; str() says when."""


class Stopped(Exception):
    """SIGINT or SIGTERM arrived: stop whatever is running and shut the kernel down."""


@dataclass
class Execution:
    """How one execute request ended: ``error`` is ``"Name: message"`` when it failed."""

    error: str | None = None
    timed_out: bool = False
    stderr: str = ""
    reply: dict[str, Any] | None = None


def _one_line(text: str) -> str:
    return " ".join(text.split())


class HeadlessKernel:
    """A ``python3`` kernel that runs cells one at a time and relays what they print.

    >>> kernel = HeadlessKernel(cwd=".", env=dict(os.environ))  # doctest: +SKIP
    >>> kernel.execute("x = 6 * 7", timeout=10).error is None  # doctest: +SKIP
    True
    >>> kernel.execute("1 / 0", timeout=10).error  # doctest: +SKIP
    'ZeroDivisionError: division by zero'
    >>> kernel.evaluate("x")  # doctest: +SKIP
    42
    >>> kernel.shutdown()  # doctest: +SKIP
    """

    def __init__(
        self, *, cwd: str | Path, env: dict[str, str], stop: threading.Event | None = None
    ) -> None:
        from jupyter_client.manager import KernelManager  # only `run` needs jupyter_client

        self.stop = stop or threading.Event()
        self.manager = KernelManager(kernel_name="python3")
        try:
            self.manager.start_kernel(cwd=str(cwd), env=env)
        except Exception as exc:  # no python3 kernelspec, a broken install, ...
            raise KernelLost(f"cannot start a python3 kernel: {exc}") from None
        self.client = self.manager.client()
        self.client.start_channels()
        try:
            self.client.wait_for_ready(timeout=60)
        except RuntimeError as exc:
            self.shutdown()
            raise KernelLost(f"the kernel did not start: {exc}") from None

    @property
    def alive(self) -> bool:
        return bool(self.manager.is_alive())

    def execute(
        self,
        code: str,
        *,
        timeout: float,
        on_text: Callable[[str], None] | None = None,
        on_display: Callable[[str], None] | None = None,
        silent: bool = False,
        user_expressions: dict[str, str] | None = None,
    ) -> Execution:
        """Run `code`; stdout goes to `on_text` as it arrives, displays to `on_display`.

        What the cell wrote to stderr is kept in ``.stderr`` rather than relayed: for a cell
        that failed it repeats the error (IPython prints ``UsageError: ...`` there).
        """
        msg_id = self.client.execute(
            code,
            silent=silent,
            store_history=not silent,
            allow_stdin=False,
            stop_on_error=False,
            user_expressions=user_expressions or {},
        )
        result = Execution()
        self._relay_until_idle(msg_id, result, timeout, on_text, on_display)
        result.reply = self._reply(msg_id)
        if result.reply.get("status") == "error":
            evalue = _one_line(result.reply.get("evalue", ""))
            ename = result.reply.get("ename", "Error")
            result.error = f"{ename}: {evalue}" if evalue else ename
        return result

    def _relay_until_idle(
        self,
        msg_id: str,
        result: Execution,
        timeout: float,
        on_text: Callable[[str], None] | None,
        on_display: Callable[[str], None] | None,
    ) -> None:
        """Relay the cell's output until the kernel is idle; interrupt it after `timeout`."""
        deadline = time.monotonic() + timeout
        interrupted_at: float | None = None
        while True:
            if self.stop.is_set():
                raise Stopped
            if not self.alive:
                raise KernelLost("the kernel died")
            now = time.monotonic()
            if interrupted_at is None and now > deadline:
                self.manager.interrupt_kernel()
                interrupted_at, result.timed_out = now, True
            elif interrupted_at is not None and now > interrupted_at + INTERRUPT_GRACE_S:
                raise KernelLost(
                    f"the kernel did not stop {INTERRUPT_GRACE_S:g} s after an interrupt"
                )
            try:
                msg = self.client.get_iopub_msg(timeout=POLL_S)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content["name"] == "stdout" and on_text:
                on_text(content["text"])
            elif kind == "stream":
                result.stderr += content["text"]
            elif kind in ("display_data", "execute_result") and on_display:
                on_display(content["data"].get("text/plain", ""))
            elif kind == "status" and content["execution_state"] == "idle":
                return

    def _reply(self, msg_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                msg = self.client.get_shell_msg(timeout=POLL_S)
            except queue.Empty:
                if not self.alive:
                    raise KernelLost("the kernel died") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return dict(msg["content"])
        raise KernelLost(f"the kernel sent no reply in {REPLY_TIMEOUT_S:g} s")

    def evaluate(self, expression: str, *, timeout: float = REPLY_TIMEOUT_S) -> Any:
        """The value of a literal-valued `expression` in the kernel, without running a cell."""
        reply = self.execute("", timeout=timeout, silent=True, user_expressions={"v": expression})
        value = (reply.reply or {}).get("user_expressions", {}).get("v", {})
        if value.get("status") != "ok":
            raise KernelLost(
                f"the kernel could not evaluate {expression}: "
                f"{value.get('ename', 'Error')}: {value.get('evalue', '')}"
            )
        return ast.literal_eval(value["data"]["text/plain"])

    def shutdown(self) -> None:
        """Stop the kernel (its server stops with it and frees the port)."""
        self.client.stop_channels()
        if self.alive:
            self.manager.shutdown_kernel(now=False)
        else:
            self.manager.cleanup_resources()


def _run_cells(
    kernel: HeadlessKernel,
    cells: list[Cell],
    *,
    timeout: float,
    relay: Callable[[str], None],
    show: Callable[[str], None],
    err: TextIO,
) -> None:
    """Run the notebook's cells in order; a cell that fails is one line on `err`."""
    for cell in cells:
        if not cell.source.strip() or _is_load_extension(cell.source):
            continue
        try:
            ran = kernel.execute(
                cell.source,
                timeout=timeout,
                on_text=relay,
                on_display=show if _is_route_cell(cell.source) else None,
            )
        except KernelLost as exc:
            raise KernelLost(f"{exc} while running cell {cell.number}") from None
        if ran.timed_out:
            print(
                f"error: cell {cell.number}: interrupted after {timeout:g} s (--timeout)",
                file=err,
            )
        elif ran.error:
            print(f"error: cell {cell.number}: {ran.error}", file=err)
        elif ran.stderr:
            err.write(ran.stderr)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop`, so every wait can end cleanly and shut the kernel down."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _is_route_cell(source: str) -> bool:
    # Their displays are the route lines; other cells' displays (tables, plots) stay unseen.
    return split_cell(source) is not None


def _is_load_extension(source: str) -> bool:
    # The runner has loaded it already; loading again would only print "already loaded".
    return source.strip() == LOAD_EXTENSION


def run_notebook(
    notebook: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    timeout: float = DEFAULT_TIMEOUT_S,
    stop: threading.Event | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run every code cell of `notebook` in a kernel, then serve its routes until stopped.

    Returns the exit code: 0 after a stop (SIGINT, SIGTERM or `stop` set), 1 if the kernel
    died or the server could not start, 2 if the notebook cannot be read.
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    if timeout <= 0:
        print(f"error: --timeout must be a number of seconds above 0, not {timeout:g}", file=err)
        return 2
    try:
        cells = notebook_cells(notebook)
    except NotebookError as exc:
        print(f"error: {exc}", file=err)
        return 2
    stop = stop or threading.Event()

    def relay(text: str) -> None:
        out.write(text)
        out.flush()

    def show(text: str) -> None:
        relay(text if text.endswith("\n") else text + "\n")

    with _stop_on_signals(stop):
        env = {**os.environ, "NOTEBOOK_ROUTES_PORT": str(port)}
        try:
            kernel = HeadlessKernel(cwd=Path(notebook).resolve().parent, env=env, stop=stop)
        except KernelLost as exc:
            print(f"error: {exc}", file=err)
            return 1
        try:
            setup = f"{LOAD_EXTENSION}\n__import__('notebook_routes').start(host={host!r})"
            started = kernel.execute(setup, timeout=timeout, on_text=relay, silent=True)
            if started.error:
                print(f"error: cannot start the server on {host}:{port}: {started.error}", file=err)
                return 1
            _run_cells(kernel, cells, timeout=timeout, relay=relay, show=show, err=err)
            show(f"notebook-routes running {notebook} at {kernel.evaluate(URL)}")
            while not stop.wait(POLL_S):
                if not kernel.alive:
                    raise KernelLost("the kernel died; its routes are no longer served")
        except Stopped:
            pass
        except KernelLost as exc:
            print(f"error: {exc}", file=err)
            return 1
        finally:
            kernel.shutdown()
    return 0
