"""The inspector in a real browser: JupyterLab on loopback, Debian's Chromium via Playwright.

The fixture notebook defines routes and shows ``%routes``; requests sent from outside
(as curl would) must appear in the rendered Requests tab without running another cell.
Screenshots go to tests/screenshots/ (git-ignored) for a developer to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "inspector.ipynb"
SCREENSHOTS = HERE.parent / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
WAIT_MS = 90_000  # generous: a cold JupyterLab on two cores takes a while

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(420),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium not found at /usr/bin/chromium (apt-get install -y chromium; "
        ".ci/run installs it)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    routes_url: str  # the notebook's route server, at a port chosen here


def _wait_for(url: str, deadline: float, process: subprocess.Popen[bytes], log: Path) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise TimeoutError(f"JupyterLab did not answer {url} in time:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("home")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    port, routes_port, token = free_port(), free_port(), uuid.uuid4().hex
    env = {
        **os.environ,
        "NOTEBOOK_ROUTES_PORT": str(routes_port),
        # A clean JupyterLab: no user settings, workspaces or config from this machine.
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    settings = {  # start the notebook's kernel without asking; no news pop-up
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }
    for name, values in settings.items():
        path = home / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    log = home / "lab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter",
                "lab",
                "--no-browser",
                "--allow-root",  # CI runs as root
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                "--LabApp.news_url=",
                "--LabApp.extension_manager=readonly",  # no package index lookups
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/api/status?token={token}", time.monotonic() + 90, process, log)
        yield Lab(url, token, f"http://127.0.0.1:{routes_port}")
    finally:
        try:  # shuts the kernels down too, freeing the notebook's port
            request = urllib.request.Request(
                f"{url}/api/shutdown", method="POST", headers={"Authorization": f"token {token}"}
            )
            urllib.request.urlopen(request, timeout=10).close()
            process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait(timeout=10)


def wait_for_kernel(lab: Lab, timeout: float = 90) -> None:
    """Until the notebook's kernel has started and is idle (the REST API says so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"{lab.url}/api/sessions", headers={"Authorization": f"token {lab.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            sessions = json.load(response)
        if any(s["kernel"]["execution_state"] == "idle" for s in sessions):
            return
        time.sleep(0.25)
    raise TimeoutError("the notebook's kernel did not start")


def get(url: str) -> tuple[int, str]:
    """A request from outside the kernel, as curl would send it."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_requests_from_outside_appear_in_the_rendered_inspector(lab: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.set_default_timeout(WAIT_MS)
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}")
            page.locator(".jp-Notebook").wait_for()
            wait_for_kernel(lab)
            expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle")

            # Run > Run All Cells, as a person would.
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            inspector = page.locator(".notebook-routes-inspector").first
            inspector.wait_for(state="visible")
            routes = inspector.locator(".nr-route-row")
            expect(routes.filter(has_text="/hello/[name]")).to_be_visible()
            expect(routes.filter(has_text="/api/status")).to_be_visible()
            expect(routes.filter(has_text="● ISR 60s")).to_be_visible()
            inspector.screenshot(path=str(SCREENSHOTS / "inspector-routes.png"))

            inspector.locator(".lm-TabBar-tab", has_text="Conflicts").click()
            expect(inspector.locator(".nr-conflict")).to_contain_text(
                "Conflicting routes at /dup: route at /(g2)/dup/route and route at /(g1)/dup/route"
            )
            expect(inspector.locator(".nr-conflicts")).to_contain_text(
                '"/hello/world" is matched before "/hello/[name]"'
            )
            inspector.screenshot(path=str(SCREENSHOTS / "inspector-conflicts.png"))

            inspector.locator(".lm-TabBar-tab", has_text="Requests").click()
            name = f"browser-{uuid.uuid4().hex[:8]}"
            status, body = get(f"{lab.routes_url}/hello/{name}")
            assert (status, json.loads(body)) == (200, {"hello": name})
            assert get(f"{lab.routes_url}/dup")[0] == 500
            assert get(f"{lab.routes_url}/items/a")[0] == 200

            # No cell runs from here on: the rows come from the live feed alone.
            row = inspector.locator(".nr-request-row").filter(has_text=f"/hello/{name}")
            expect(row).to_be_visible()
            expect(row).to_contain_text("200")
            expect(row).to_contain_text(f"name={name}")
            failed = inspector.locator(".nr-request-row").filter(has_text="/dup")
            expect(failed).to_contain_text("500")
            expect(
                inspector.locator(".nr-request-row").filter(has_text="/items/a")
            ).to_contain_text("HIT")
            # The toggles stand beside the rows, in the same order.
            paths = inspector.locator(".nr-request-row").all_inner_texts()
            index = next(i for i, text in enumerate(paths) if "/dup" in text)
            inspector.locator(".nr-toggle").nth(index).click()
            detail = inspector.locator(".nr-request-detail")
            expect(detail).to_contain_text("Response headers")
            expect(detail).to_contain_text("Conflicting routes at /dup")
            inspector.screenshot(path=str(SCREENSHOTS / "inspector-requests.png"))

            inspector.locator(".lm-TabBar-tab", has_text="Cache").click()
            expect(inspector.locator(".nr-cache-row").filter(has_text="/items/b")).to_be_visible()
            inspector.screenshot(path=str(SCREENSHOTS / "inspector-cache.png"))

            inspector.locator(".lm-TabBar-tab", has_text="Try it").click()
            path = inspector.locator(".nr-try-path input")
            path.fill("/hello/try-it")
            inspector.locator(".nr-send").click()
            result = inspector.locator(".nr-try-result")
            expect(result).to_contain_text("200")
            expect(result).to_contain_text('"hello": "try-it"')
            inspector.screenshot(path=str(SCREENSHOTS / "inspector-try-it.png"))
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
