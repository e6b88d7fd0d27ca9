"""Optional packages: import one where a feature needs it, or say which extra installs it.

pandas (the tables) and ipywidgets (the inspector) come with ``notebook-routes[notebook]``;
an engine such as a server or a cache store comes with an extra of its own. A missing one
is reported with the command that installs it, as pandas does for its optional
dependencies, instead of a bare `ModuleNotFoundError` from deep inside the feature.

>>> require("json", extra="notebook", feature="reading JSON").__name__
'json'
>>> require("surely_not_installed_xyz", extra="notebook", feature="routes_table()")
Traceback (most recent call last):
...
notebook_routes._extras.MissingExtra: routes_table() needs surely_not_installed_xyz, which \
is not installed: pip install 'notebook-routes[notebook]'
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(ModuleNotFoundError):
    """An optional package is missing; ``str()`` names the feature and the pip command."""


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import `module` for `feature`, or raise `MissingExtra` naming ``notebook-routes[extra]``."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = module.partition(".")[0]
        if exc.name not in (module, top):  # the package is there but broken: its own error
            raise
        message = (
            f"{feature} needs {top}, which is not installed: pip install 'notebook-routes[{extra}]'"
        )
        raise MissingExtra(message, name=top) from None


__all__ = ["MissingExtra", "require"]
