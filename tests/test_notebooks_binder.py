"""mybinder.org's build, mimicked: does a visitor's JupyterLab run every notebook?

repo2docker installs ``binder/requirements.txt`` into a fresh environment, then runs
``binder/postBuild`` from the repository root. Here the environment is a new virtual
environment under a temporary directory (removed afterwards); the notebooks then run on
kernels of that environment, under ``JUPYTERHUB_SERVICE_PREFIX`` as on Binder, and their stored
outputs are compared by nbval as in the main test run. It downloads from the package index,
so it takes a minute or two.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
NOTEBOOKS = ROOT / "notebooks"
INSTALL_TIMEOUT_S = 900

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2 * INSTALL_TIMEOUT_S + 600)]


def _index_reachable() -> bool:
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/")
    try:
        with urllib.request.urlopen(index.rstrip("/") + "/pip/", timeout=15):
            return True
    except OSError:
        return False


class BinderEnv:
    """A virtual environment built from binder/, and how to run things in it like Binder."""

    def __init__(self, prefix: Path, home: Path) -> None:
        self.prefix = prefix
        self.home = home
        self.bin = prefix / "bin"
        self.python = self.bin / "python"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "JUPYTERHUB_SERVICE_PREFIX")
        }
        env.update(
            PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(self.prefix),
            # A fresh home, as in a Binder image: no user-level IPython or Jupyter config.
            IPYTHONDIR=str(self.home / "ipython"),
            JUPYTER_CONFIG_DIR=str(self.home / "jupyter-config"),
            JUPYTER_DATA_DIR=str(self.home / "jupyter-data"),
            JUPYTER_RUNTIME_DIR=str(self.home / "jupyter-runtime"),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
        env.update(extra)
        return env

    def run(
        self, *command: str | Path, cwd: Path = ROOT, timeout: float = 300, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(part) for part in command],
            cwd=cwd,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, (
            f"{' '.join(map(str, command))} failed ({done.returncode}):\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
        return done


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BinderEnv]:
    if not _index_reachable():
        pytest.skip("the package index is not reachable, so Binder's build cannot be mimicked")
    base = tmp_path_factory.mktemp("binder")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(base / "env")], check=True, timeout=120)
        built = BinderEnv(base / "env", base / "home")
        built.run(
            built.python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "-r",
            BINDER / "requirements.txt",
            timeout=INSTALL_TIMEOUT_S,
        )
        built.run("bash", BINDER / "postBuild", timeout=INSTALL_TIMEOUT_S)
        yield built
    finally:
        shutil.rmtree(base, ignore_errors=True)  # a full Jupyter environment: hundreds of MB


def test_postbuild_installs_the_kernel_extension_and_the_proxy(binder):
    # IPython runs {sys.prefix}/etc/ipython/startup/*.py in every kernel of the environment.
    startup = Path("etc", "ipython", "startup", "50-notebook-routes.py")
    installed = binder.prefix / startup
    assert installed.read_text() == (ROOT / "extension" / startup).read_text()
    listed = binder.run(binder.bin / "jupyter", "server", "extension", "list")
    shown = re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout + listed.stderr)  # drop colours
    assert "jupyter_server_proxy enabled" in shown


def test_route_cells_work_in_a_fresh_kernel_without_load_ext(binder, tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%%route GET /api/hello\nreturn {'message': 'Hello World'}"),
            nbformat.v4.new_code_cell(
                "import notebook_routes\nprint(notebook_routes.request('GET', '/api/hello').json())"
            ),
            nbformat.v4.new_code_cell("%load_ext notebook_routes"),
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "no-load-ext.ipynb"
    nbformat.write(notebook, path)
    binder.run(
        binder.bin / "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace", path
    )
    cells = nbformat.read(path, as_version=4).cells
    route_line = cells[0].outputs[0]["data"]["text/plain"]
    assert route_line.startswith("GET HEAD OPTIONS /api/hello  ƒ dynamic  http://127.0.0.1:")
    assert cells[1].outputs[0]["text"] == "{'message': 'Hello World'}\n"
    # %load_ext on top of the automatic load is harmless: IPython only says so.
    assert (
        cells[2].outputs[0]["text"].startswith("The notebook_routes extension is already loaded.")
    )


def test_every_notebook_runs_on_binder_with_its_stored_outputs(binder, tmp_path):
    # nbval (from the test environment) drives kernels of the Binder environment.
    kernels = tmp_path / "jupyter" / "kernels" / "binder"
    kernels.mkdir(parents=True)
    spec = {
        "argv": [str(binder.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Binder)",
        "language": "python",
        "env": binder.env(JUPYTERHUB_SERVICE_PREFIX="/user/binder-visitor/"),
    }
    (kernels / "kernel.json").write_text(json.dumps(spec))
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(NOTEBOOKS),
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--nbval",
            "--nbval-kernel-name=binder",
            "--nbval-sanitize-with",
            str(NOTEBOOKS / "sanitize.cfg"),
            "-q",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
