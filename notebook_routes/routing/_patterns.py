"""Parse App Router PATHs (``/items/[slug]``, ``/(shop)/docs/[[...slug]]``) into patterns.

A PATH is the folder path of a ``route.py`` under ``app/``, written as a URL::

    >>> p = parse_pattern("/(shop)/items/[slug]")
    >>> p.url_path, p.param_names, p.is_dynamic
    ('/items/[slug]', ('slug',), True)
    >>> [s.kind for s in p.segments]
    ['static', 'dynamic']
    >>> parse_pattern("/blog/[...slug]").segments[-1]
    Segment(kind='catch_all', name='slug')
    >>> parse_pattern("/").url_path
    '/'

Everything is checked here, when a route is registered, so a request never meets a
malformed pattern. Errors are :class:`RouteError`; the four that Next.js also reports
use Next.js's own wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

__all__ = ["RouteError", "RoutePattern", "Segment", "parse_pattern"]

SegmentKind = Literal["static", "dynamic", "catch_all", "optional_catch_all"]


class RouteError(ValueError):
    """A PATH that cannot be a route; ``str(err)`` is the message to show the user."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One URL segment of a pattern.

    ``name`` is the folder text for a static segment (as written, so ``%5Fx`` stays
    ``%5Fx``) and the parameter name otherwise::

        >>> Segment("dynamic", "slug").folder
        '[slug]'
        >>> Segment("optional_catch_all", "rest").folder
        '[[...rest]]'
    """

    kind: SegmentKind
    name: str

    @property
    def folder(self) -> str:
        """The folder name this segment is written as."""
        if self.kind == "static":
            return self.name
        if self.kind == "dynamic":
            return f"[{self.name}]"
        if self.kind == "catch_all":
            return f"[...{self.name}]"
        return f"[[...{self.name}]]"


@dataclass(frozen=True)
class RoutePattern:
    """A parsed PATH. Build one with :func:`parse_pattern`.

    ``source`` is the PATH as written (minus a trailing ``/``); ``segments`` are the URL
    segments, route groups removed. The other fields are derived from ``segments``.
    """

    source: str
    segments: tuple[Segment, ...]
    url_path: str = field(init=False, repr=False, compare=False)
    param_names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    is_dynamic: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Derived once: the route table and the magics read these on every registration.
        url_path = "/" + "/".join(s.folder for s in self.segments)
        names = tuple(s.name for s in self.segments if s.kind != "static")
        object.__setattr__(self, "url_path", url_path)
        object.__setattr__(self, "param_names", names)
        object.__setattr__(self, "is_dynamic", bool(names))


def parse_pattern(path: str) -> RoutePattern:
    """Parse a PATH, or raise :class:`RouteError` saying what is wrong and how to fix it.

    >>> parse_pattern("/docs/[[...slug]]").param_names
    ('slug',)
    >>> parse_pattern("/rss.xml/").source
    '/rss.xml'
    >>> parse_pattern("/c/[...rest]/more")
    Traceback (most recent call last):
    ...
    notebook_routes.routing._patterns.RouteError: Catch-all must be the last part of the URL in route "/c/[...rest]/more".
    """  # noqa: E501
    if not isinstance(path, str):
        raise RouteError(
            f'PATH must be a string starting with "/", got {path!r} ({type(path).__name__}).'
        )
    if not path.strip():
        raise RouteError(
            f'PATH {path!r} is empty: give the URL path of the route, e.g. "/items/[slug]".'
        )
    if not path.startswith("/"):
        raise RouteError(
            f'PATH "{path}" does not start with "/": PATHs start with "/", '
            f'e.g. "/{path.strip().lstrip("/")}".'
        )
    for char in path:
        if char.isspace() or not char.isprintable():
            raise RouteError(
                f"PATH {path!r} contains whitespace or a control character ({char!r}); "
                'percent-encode it in the folder name instead (a space is "%20").'
            )

    if "//" in path:
        raise _empty_folder(path)
    source = path[:-1] if len(path) > 1 and path.endswith("/") else path
    segments: list[Segment] = []
    seen: set[str] = set()
    folders = source[1:].split("/") if source != "/" else []
    for folder in folders:
        if _is_group(folder, path):
            continue
        if segments and segments[-1].kind in ("catch_all", "optional_catch_all"):
            raise RouteError(f'Catch-all must be the last part of the URL in route "{path}".')
        segment = _parse_folder(folder, path)
        if segment.kind != "static":
            if segment.name in seen:
                raise RouteError(
                    f'You cannot have the same slug name "{segment.name}" repeat within a '
                    f'single dynamic path in route "{path}".'
                )
            seen.add(segment.name)
        segments.append(segment)
    return RoutePattern(source=source, segments=tuple(segments))


def _is_group(folder: str, path: str) -> bool:
    """True for a route group ``(name)``; refuses the parenthesised forms that are not one."""
    if not folder.startswith("(") and not folder.endswith(")"):
        return False
    if folder.startswith("(."):
        raise RouteError(
            f'Folder "{folder}" in route "{path}" is an intercepting route; intercepting '
            "routes only apply to pages, so a PATH cannot contain one."
        )
    if not (folder.startswith("(") and folder.endswith(")")) or folder.count("(") != 1:
        raise RouteError(
            f'Folder "{folder}" in route "{path}" has unbalanced parentheses: a route '
            'group is written "(name)" as the whole folder name, e.g. "(shop)".'
        )
    if folder == "()":
        raise RouteError(
            f'Route group "()" in route "{path}" has no name: write "(name)", e.g. "(shop)".'
        )
    return True


def _parse_folder(folder: str, path: str) -> Segment:
    if folder == "":
        raise _empty_folder(path)
    if "[" in folder or "]" in folder:
        return _parse_param(folder, path)
    if folder.startswith("_"):
        raise RouteError(
            f'Folder "{folder}" in route "{path}" is a private folder: folders starting '
            'with "_" are not routable in the App Router. For a URL segment that starts '
            f'with "_", name the folder "%5F{folder[1:]}" instead.'
        )
    if folder.startswith("@"):
        raise RouteError(
            f'Folder "{folder}" in route "{path}" is a parallel route slot; slots only '
            "apply to pages, so a PATH cannot contain one."
        )
    try:
        text = unquote(folder, errors="strict")
    except UnicodeDecodeError:
        raise RouteError(
            f'Folder "{folder}" in route "{path}" is not valid percent-encoded UTF-8.'
        ) from None
    if text in (".", ".."):
        raise RouteError(
            f'Folder "{folder}" in route "{path}" is a dot segment: URLs resolve "." and '
            '".." away, so no request could reach it. Use another folder name.'
        )
    return Segment("static", folder)


def _empty_folder(path: str) -> RouteError:
    return RouteError(
        f'Empty folder in route "{path}": remove the doubled "/" (a PATH looks like '
        '"/items/[slug]").'
    )


def _parse_param(folder: str, path: str) -> Segment:
    optional = folder.startswith("[[") and folder.endswith("]]")
    inner = folder[2:-2] if optional else folder[1:-1]
    well_formed = optional or (folder.startswith("[") and folder.endswith("]"))
    if not well_formed or "[" in inner or "]" in inner:
        name = folder.replace("[", "").replace("]", "").lstrip(".") or "slug"
        raise RouteError(
            f'Folder "{folder}" in route "{path}" has unbalanced brackets: brackets wrap '
            f'the whole folder name, as in "[{name}]", "[...{name}]" or "[[...{name}]]".'
        )
    if inner.startswith("\u2026"):
        raise RouteError(
            f"Detected a three-dot character ('\u2026') at ('{inner}') in route \"{path}\". "
            "Did you mean ('...')?"
        )
    catch_all = inner.startswith("...")
    name = inner[3:] if catch_all else inner
    if not name:
        raise RouteError(f'Parameter names cannot be empty in route "{path}".')
    if name.startswith("."):
        fixed = f"[[...{name.lstrip('.')}]]" if optional else f"[...{name.lstrip('.')}]"
        raise RouteError(
            f'Parameter name "{name}" in route "{path}" starts with ".": names cannot '
            f'start with a period. Did you mean "{fixed}"?'
        )
    if optional and not catch_all:
        raise RouteError(
            f'Optional route parameters are not yet supported ("{folder}") in route "{path}".'
        )
    if optional:
        return Segment("optional_catch_all", name)
    return Segment("catch_all" if catch_all else "dynamic", name)
