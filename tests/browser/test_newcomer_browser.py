"""A newcomer's first minutes, in a real JupyterLab and Debian's Chromium (issue 17).

- the README's first command opens notebooks/01-quickstart.ipynb, and the URL it prints
  goes there too;
- the inspector at 1280x800 and 1920x1080, light and dark theme: buttons keep their
  labels, the Requests columns scroll inside the panel, the chart has an axis and a plain
  legend on the theme's colours; `%request` shows a failed handler's error, left-aligned;
  Try it refuses an empty [param].

Screenshots land in tests/screenshots/ (git-ignored); the README's
notebooks/images/inspector-requests.png is refreshed from the light 1280x800 run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.test_inspector_browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    SCREENSHOTS,
    WAIT_MS,
    _wait_for,
    free_port,
    get,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NOTEBOOK = HERE / "newcomer.ipynb"
README_IMAGE = ROOT / "notebooks" / "images" / "inspector-requests.png"

pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not found at /usr/bin/chromium"),
]


def readme_command() -> list[str]:
    """The `jupyter lab ...` part of the README's first command, as a list of words."""
    text = (ROOT / "README.md").read_text()
    line = next(x for x in text.splitlines() if "jupyter lab" in x and "quickstart" in x)
    words = line.split("&&")[-1].split()
    return words[words.index("lab") + 1 :]


class Lab:
    def __init__(self, root: Path, home: Path, extra: list[str]) -> None:
        self.port, self.routes_port = free_port(), free_port()
        self.token = uuid.uuid4().hex
        env = {
            **os.environ,
            "NOTEBOOK_ROUTES_PORT": str(self.routes_port),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        }
        settings = {
            "notebook-extension/tracker": {"autoStartDefaultKernel": True},
            "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        }
        for name, values in settings.items():
            path = home / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self.log = home / "lab.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyter",
                    "lab",
                    *extra,
                    "--no-browser",
                    "--ServerApp.ip=127.0.0.1",
                    f"--ServerApp.port={self.port}",
                    "--ServerApp.port_retries=0",
                    f"--IdentityProvider.token={self.token}",
                    "--LabApp.news_url=",
                    "--LabApp.extension_manager=readonly",
                    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                ],
                cwd=root,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{self.port}"
        self.routes_url = f"http://127.0.0.1:{self.routes_port}"
        status = f"{self.url}/api/status?token={self.token}"
        _wait_for(status, time.monotonic() + 90, self.process, self.log)

    def printed_url(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.findall(r"http://127\.0\.0\.1:\d+/\S+", self.log.read_text())
            if found:
                return found[-1]
            time.sleep(0.25)
        raise AssertionError(self.log.read_text())

    def stop(self) -> None:
        try:
            request = urllib.request.Request(
                f"{self.url}/api/shutdown",
                method="POST",
                headers={"Authorization": f"token {self.token}"},
            )
            urllib.request.urlopen(request, timeout=10).close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


def test_the_readme_command_opens_the_quickstart(browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    root = tmp_path / "repo"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "01-quickstart.ipynb", root / "notebooks")
    words = readme_command()
    assert any(w.endswith("/lab/tree/notebooks/01-quickstart.ipynb") for w in words)
    lab = Lab(root, tmp_path / "home", words)
    try:
        printed = lab.printed_url()
        assert "/lab/tree/notebooks/01-quickstart.ipynb?token=" in printed
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            # what a person pastes when no browser starts (a token given on the command
            # line, as here, is printed as "..."; a generated one is printed whole)
            page.goto(printed.replace("token=...", f"token={lab.token}"))
            tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
            expect(tab).to_contain_text("01-quickstart.ipynb")
            expect(page.locator(".jp-Notebook").first).to_contain_text("notebook-routes quickstart")
            page.screenshot(path=str(SCREENSHOTS / "quickstart-opened.png"))
        finally:
            page.close()
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def newcomer_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    lab = Lab(root, tmp_path_factory.mktemp("home"), ["--allow-root"])
    try:
        yield lab
    finally:
        lab.stop()


def _set_theme(page: object, theme: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text=theme).first.click()
    page.wait_for_function(
        "t => document.body.dataset.jpThemeName === t", arg=theme, timeout=WAIT_MS
    )


def _luminance(page: object, locator: object, prop: str) -> float:
    colour = locator.evaluate(f"e => getComputedStyle(e).{prop}")
    r, g, b = (int(x) for x in re.findall(r"\d+", colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize(
    "theme,width,height",
    [
        ("JupyterLab Light", 1280, 800),
        ("JupyterLab Dark", 1280, 800),
        ("JupyterLab Light", 1920, 1080),
        ("JupyterLab Dark", 1920, 1080),
    ],
)
def test_the_inspector_reads_well_at_laptop_width_in_both_themes(
    browser, newcomer_lab: Lab, theme: str, width: int, height: int
) -> None:
    from playwright.sync_api import expect

    lab = newcomer_lab
    tag = f"{'dark' if 'Dark' in theme else 'light'}-{width}x{height}"
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}")
        page.locator(".jp-Notebook").wait_for()
        expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle")
        _set_theme(page, theme)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

        # %request: the handler's error, its frame named as the cell, headers left-aligned
        answer = page.locator(".notebook-routes-response").first
        expect(answer).to_contain_text("500 Internal Server Error")
        expect(answer).to_contain_text("KeyError: 'missing'")
        expect(answer).to_contain_text(re.compile(r"In \[\d+\], line 3, in GET"))
        cell = answer.locator("td").first
        assert cell.evaluate("e => getComputedStyle(e).textAlign") in ("left", "start")
        answer.screenshot(path=str(SCREENSHOTS / f"request-error-{tag}.png"))

        inspector = page.locator(".notebook-routes-inspector").first
        inspector.wait_for(state="visible")
        inspector.scroll_into_view_if_needed()
        # %routes shows the kernel's one inspector again: it keeps the tab chosen last time
        inspector.locator(".lm-TabBar-tab", has_text="Routes").first.click()
        box = inspector.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width + 1
        routes = inspector.locator(".nr-route-row")
        expect(routes.filter(has_text="/api/users/[id]")).to_be_visible()
        expect(inspector.locator(".nr-routes")).to_contain_text("cell hits")
        expect(inspector.locator(".nr-routes")).to_contain_text("total hits")
        for label in ("try", "remove"):  # whole labels, not "t..." and "r..."
            button = routes.first.locator(f".nr-{label}")
            expect(button).to_have_text(label)
            assert button.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), label
        inspector.screenshot(path=str(SCREENSHOTS / f"inspector-routes-{tag}.png"))

        inspector.locator(".lm-TabBar-tab", has_text="Requests").click()
        assert get(f"{lab.routes_url}/api/users/7")[0] == 200
        assert get(f"{lab.routes_url}/boom")[0] == 500
        failed = inspector.locator(".nr-request-row").filter(has_text="/boom").first
        expect(failed).to_contain_text("500")
        # both outside requests are drawn (the newest first) before a toggle is picked
        expect(inspector.locator(".nr-request-row").first).to_contain_text("/boom")
        expect(inspector.locator(".nr-request-row").nth(1)).to_contain_text("/api/users/7")
        panel = inspector.locator(".nr-requests")
        header = panel.locator("th", has_text="cache")
        # the cache column is there: in view, or a scroll inside the panel away
        assert header.count() >= 1
        fits = panel.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        scrolls = panel.evaluate("e => getComputedStyle(e).overflowX") in ("auto", "scroll")
        assert fits or scrolls
        assert box["width"] <= width
        legend = panel.locator("svg").first
        expect(panel).to_contain_text("requests per second (bars, left axis)")
        expect(panel).to_contain_text("mean response time (line, right axis)")
        plot = legend.locator("rect").first
        background = plot.evaluate("e => getComputedStyle(e).fill")
        r, g, b = (int(x) for x in re.findall(r"\d+", background)[:3])
        bright = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
        assert (bright < 0.5) == ("Dark" in theme), background
        index = next(
            i
            for i, t in enumerate(inspector.locator(".nr-request-row").all_inner_texts())
            if "/boom" in t
        )
        inspector.locator(".nr-toggle").nth(index).click()
        detail = inspector.locator(".nr-request-detail").filter(has_text="KeyError").first
        expect(detail).to_be_visible()
        expect(detail).to_contain_text(re.compile(r"In \[\d+\], line 3, in GET"))
        inspector.screenshot(path=str(SCREENSHOTS / f"inspector-requests-{tag}.png"))
        if tag == "light-1280x800":
            inspector.screenshot(path=str(README_IMAGE))

        inspector.locator(".lm-TabBar-tab", has_text="Try it").click()
        inspector.locator(".nr-try select").first.select_option("/api/users/[id]")
        inspector.locator(".nr-send").click()
        result = inspector.locator(".nr-try-result")
        expect(result).to_contain_text("Fill in id first")
        path = inspector.locator(".nr-try-path input")
        path.fill("/api/status")
        expect(inspector.locator(".nr-try select").first).to_have_value("/api/status")
        path.fill("/boom")
        inspector.locator(".nr-send").click()
        expect(result).to_contain_text("KeyError: 'missing'")
        inspector.screenshot(path=str(SCREENSHOTS / f"inspector-try-it-{tag}.png"))
    except Exception:
        page.screenshot(path=str(SCREENSHOTS / f"failure-{tag}.png"), full_page=True)
        raise
    finally:
        page.close()
