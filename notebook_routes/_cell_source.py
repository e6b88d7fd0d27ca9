"""What the text of a ``%%route`` or ``%%page`` cell means: its magic line and its handler.

The kernel's magics, the export and the headless runner all read cells through this
module, so they agree on what a cell is:

- ``%%route METHOD [METHOD ...] PATH`` is the **body form**: the cell is the body of
  ``async def METHOD(request, context)``, which first binds ``params = await
  context.params`` (the resolved dict: ``str`` values, ``list[str]`` for a catch-all);
- ``%%route PATH`` is the **module form**: the cell runs like a ``route.py`` module;
- ``%%page PATH`` is a page: the cell is its HTML, answered to GET.

METHODs are any of ``GET HEAD POST PUT PATCH DELETE OPTIONS``, in any case; the PATH
comes last and is checked when the route is added (App Router folder syntax).

>>> line = parse_line("%%route", "get post /docs/[...slug]")
>>> line.methods, line.path, line.form
(('GET', 'POST'), '/docs/[...slug]', 'body')
>>> parse_line("%%route", "/docs/[...slug]").form
'module'
>>> split_cell("\\n%%page /about\\n<h1>About</h1>\\n")
('%%page', '/about', '<h1>About</h1>\\n')
>>> print(handler_source("GET", "return params"), end="")
async def GET(request, context):
    params = await context.params
    return params
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from notebook_routes._route import METHODS

ROUTE = "%%route"
PAGE = "%%page"
MAGICS = (ROUTE, PAGE)

# The body form's function. Its own lines come before the cell's and never fail; the
# kernel grafts the cell's statements under it so tracebacks keep the cell's line numbers.
HANDLER_TEMPLATE = "async def {name}(request, context):\n    params = await context.params\n"

# What `%%route?` shows: the usage line, this, the arguments, then ROUTE_HELP_END.
ROUTE_HELP = """Define a Next.js route handler in a cell; the kernel's server answers it at once.

Body form (methods on the line): the cell is the body of
async def METHOD(request, context), so return and await work:

    %%route GET /items/[slug]
    return Response.json({"slug": params["slug"]})

Module form (no method): the cell is a route.py module exporting GET, POST, ...
and segment config (dynamic, revalidate, ...):

    %%route /items/[slug]
    revalidate = 60

    async def GET(request, context):
        params = await context.params
        return Response.json({"slug": params["slug"]})

In scope in a body-form cell: request (a NextRequest: request.json(),
request.next_url.search_params, request.cookies, request.headers), context, params (the
dynamic segments: a str each, a list of str for a catch-all), the notebook's globals,
and Response, NextResponse, cookies(), headers(), redirect(), not_found() ... unimported.
"""
ROUTE_HELP_END = """Then: %request GET /items/a sends a request and shows the answer (for a 500, the
handler's error and traceback); %routes opens the inspector; %route_remove PATH deletes
a route. Worked examples: notebooks/01-quickstart.ipynb ... notebooks/09-inspector.ipynb.
"""

# What `%%route?` says about the arguments (the magic's argparse help).
METHODS_HELP = (
    "GET HEAD POST PUT PATCH DELETE OPTIONS. With methods, the cell is the body of an "
    "async handler with request, context and params in scope. Without, the cell is a "
    "route.py module exporting GET, POST, ... and segment config."
)
PATH_HELP = "an App Router path such as /items/[slug]"
PAGE_PATH_HELP = "the page's path, such as /about"

Form = Literal["body", "module", "page"]


class LineError(ValueError):
    """A magic line that names no route. ``str()`` is the whole message for the cell;
    ``brief`` says the fault alone, for a report that already quotes the line."""

    def __init__(self, message: str, brief: str | None = None) -> None:
        super().__init__(message)
        self.brief = brief or message


@dataclass(frozen=True)
class MagicLine:
    """A checked magic line: ``methods`` upper-cased and without repeats, in order."""

    magic: str
    methods: tuple[str, ...]
    path: str

    @property
    def form(self) -> Form:
        if self.magic == PAGE:
            return "page"
        return "body" if self.methods else "module"

    @property
    def handler_name(self) -> str:
        """The body form's function name: the first method (the others are aliases)."""
        return self.methods[0]


NAVIGATION = {"redirect", "permanent_redirect", "not_found", "forbidden", "unauthorized"}


def body_warnings(body: ast.Module, methods: Sequence[str], path: str = "/path") -> list[str]:
    """What is wrong with a body-form cell that still compiles: a warning each.

    >>> print(body_warnings(ast.parse("x = 1"), ["GET"])[0])  # doctest: +ELLIPSIS
    This cell never returns a value, so every GET answers 500 ...
    >>> handler_inside = "async def GET(request):\\n    return 1"
    >>> print(body_warnings(ast.parse(handler_inside), ["GET"])[0])  # doctest: +ELLIPSIS
    The cell defines GET() inside a body-form cell, so nothing calls it ...
    >>> body_warnings(ast.parse("redirect('/b')"), ["GET"])
    []
    """
    defined = [
        node.name
        for node in body.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in METHODS
    ]
    if defined:
        return [
            f"The cell defines {defined[0]}() inside a body-form cell, so nothing calls it and "
            f"every request gets a 500. Either drop the methods from the line to make the cell "
            f"a route.py module (%%route {path}, which exports {defined[0]}), or write the "
            f"handler's body directly: %%route {' '.join(methods)} {path}, then "
            f"return Response.json(...)."
        ]
    if not _can_answer(body):
        return [
            f"This cell never returns a value, so every {'/'.join(methods)} answers 500 "
            f"(No response is returned from route handler). End it with a return, such as "
            f"return Response.json({{...}}) or return Response('text')."
        ]
    return []


def _can_answer(body: ast.Module) -> bool:
    """Whether the body has a ``return value``, a ``yield``, a ``raise`` or a navigation call,
    outside nested functions and classes."""
    stack: list[ast.AST] = list(body.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            return True
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Raise)):
            return True
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in NAVIGATION:
                return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def route_line(methods: Sequence[str], path: str, *, line: str) -> MagicLine:
    """Check the METHODs and PATH of ``%%route`` (split by the caller; `line` as written).

    >>> route_line(["GET"], "POST", line="GET POST")
    Traceback (most recent call last):
    ...
    notebook_routes._cell_source.LineError: The PATH is missing in %%route GET POST: \
write it after the methods, as in %%route GET POST /api/hello.
    """
    upper = [m.upper() for m in methods]
    if path.upper() in METHODS:
        # The last method was taken for PATH: say what is missing, before the cell is
        # compiled as a module (whose error would be about the code instead).
        raise LineError(
            f"The PATH is missing in {ROUTE} {line.strip()}: write it after the methods, "
            f"as in {ROUTE} {' '.join([*upper, path.upper()])} /api/hello.",
            brief=f"the PATH is missing: write it after the methods, as in {ROUTE} GET /x",
        )
    unknown = [m for m in upper if m not in METHODS]
    if unknown:
        raise LineError(
            f"Unknown HTTP method {unknown[0]!r} in {ROUTE} {line.strip()}: "
            f"use one or more of {' '.join(METHODS)} before the path.",
            brief=f"unknown HTTP method {unknown[0]!r}",
        )
    return MagicLine(ROUTE, tuple(dict.fromkeys(upper)), path)


def parse_line(magic: str, line: str) -> MagicLine:
    """Read the line after ``%%route`` or ``%%page`` (words split on white space).

    >>> parse_line("%%page", "/about /more")
    Traceback (most recent call last):
    ...
    notebook_routes._cell_source.LineError: %%page takes one PATH and no methods: %%page /about
    """
    words = line.split()
    if not words:
        example = "/about" if magic == PAGE else "GET /items/[slug]"
        raise LineError(f"{magic} needs a PATH, such as {magic} {example}")
    if magic == PAGE:
        if len(words) != 1:
            raise LineError(f"{PAGE} takes one PATH and no methods: {PAGE} /about")
        return MagicLine(PAGE, (), words[0])
    if magic != ROUTE:
        raise LineError(f"{magic} is not a route cell; use {ROUTE} or {PAGE}")
    return route_line(words[:-1], words[-1], line=line)


def split_cell(source: str) -> tuple[str, str, str] | None:
    """``(magic, line, body)`` for a ``%%route`` or ``%%page`` cell, else ``None``.

    >>> split_cell("%%routes\\n") is None, split_cell("x = 1") is None
    (True, True)
    """
    lines = source.splitlines(keepends=True)
    while lines and not lines[0].strip():  # IPython drops leading blank lines too
        lines.pop(0)
    if not lines:
        return None
    magic, *rest = lines[0].split(None, 1)
    if magic not in MAGICS:
        return None
    return magic, " ".join(rest).strip(), "".join(lines[1:])


def page_markup(cell: str) -> str:
    """A page's HTML: the cell without its own last newline."""
    return cell.rstrip("\n")


def handler_module(name: str, body: ast.Module) -> ast.Module:
    """The body form as a module defining ``async def name(request, context)``.

    The cell's statements keep their own line numbers (the template's sit at 1-2), so a
    compile error or a traceback points at the cell's line.

    >>> tree = handler_module("GET", ast.parse("return params['slug']"))
    >>> print(ast.unparse(tree))
    async def GET(request, context):
        params = await context.params
        return params['slug']
    """
    template = ast.parse(HANDLER_TEMPLATE.format(name=name))
    function = template.body[0]
    assert isinstance(function, ast.AsyncFunctionDef)  # the template above, not user input
    function.body = [*function.body, *body.body]
    ast.fix_missing_locations(template)
    return template


def handler_source(name: str, body: str) -> str:
    """The body form as the text of a ``route.py`` function (what the export writes)."""
    return HANDLER_TEMPLATE.format(name=name) + indent(body)


def indent(body: str, prefix: str = "    ") -> str:
    """Indent code, leaving the lines that start inside a multi-line string alone.

    >>> print(indent('x = 1\\ns = \"\"\"a\\nb\"\"\"'), end="")
        x = 1
        s = \"\"\"a
    b\"\"\"
    """
    inside: set[int] = set()
    opened: list[int] = []
    starts = {
        getattr(tokenize, n) for n in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, n)
    }
    ends = {getattr(tokenize, n) for n in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, n)}
    try:
        for token in tokenize.generate_tokens(io.StringIO(body).readline):
            if token.type == tokenize.STRING:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
            elif token.type in starts:
                opened.append(token.start[0])
            elif token.type in ends and opened:
                inside.update(range(opened.pop() + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise ValueError(f"the cell cannot be tokenized: {exc}") from None
    out = []
    for number, line in enumerate(body.splitlines(), start=1):
        out.append(line if number in inside or not line.strip() else prefix + line)
    return "\n".join(out) + "\n"
