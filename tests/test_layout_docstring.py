"""The package docstring's layout names every module, so a newcomer's map stays true."""

from __future__ import annotations

from pathlib import Path

import notebook_routes

PACKAGE = Path(notebook_routes.__file__).parent


def test_every_module_has_a_line_in_the_layout() -> None:
    doc = notebook_routes.__doc__ or ""
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("_inspector", "_export") or path.name == "__main__.py":
            continue  # a folder line stands for the modules of a private subpackage
        if relative.parent != Path(".") and path.name == "__init__.py":
            continue  # a subpackage's public names, re-exported
        if relative.as_posix() not in doc and path.name not in doc:
            missing.append(relative.as_posix())
    assert not missing, f"add a line for each to notebook_routes/__init__.py's layout: {missing}"
