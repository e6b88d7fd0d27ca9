"""The proxy's ``config["matcher"]``, read as Next.js 16 reads it (path-to-regexp 6).

A matcher is a path pattern (``/about/:path*``, ``/r/:slug``), a pattern with regular
expression groups (``/((?!api|_next/static).*)``), or an object
``{"source": ..., "has": [...], "missing": [...]}``. Next.js compiles each source with
path-to-regexp after wrapping it in its data-route prefix and transport suffixes, then
tests the request's pathname against the regular expression, case-sensitively:

>>> [m] = parse_matchers(["/about/:path*"])
>>> [m.matches_path(p) for p in ("/about", "/about/a/b", "/aboutx", "/About")]
[True, True, False, False]
>>> [m] = parse_matchers("/((?!api|_next/static).*)")
>>> [m.matches_path(p) for p in ("/", "/x", "/api/a", "/apixyz")]
[True, True, False, False]

The lookahead is a prefix test, so ``/apixyz`` is skipped too, as in Next.js. A matcher
that path-to-regexp refuses is an error when the proxy is defined:

>>> try:
...     parse_matchers(["about"])
... except RouteError as exc:
...     print(exc)
Invalid proxy matcher 'about': source must start with /.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from notebook_routes.routing import RouteError
from notebook_routes.web._cookies import RequestCookies

# What Next.js wraps every source in (build/analysis/get-page-static-info.js, 16.x).
_TRANSPORT = r"\.rsc|\.segments/.+\.segment\.rsc"
_DATA_PREFIX = "/:nextData(_next/data/[^/]{1,})?"
_SUFFIX = "{(" + r"\.json|" + _TRANSPORT + ")}?"
_ROOT_SUFFIX = r"(/?index|/?index\.json|/?index(?:" + _TRANSPORT + "))?"
MAX_SOURCE = 4096
CONDITION_TYPES = ("header", "query", "cookie", "host")


# -- path-to-regexp 6, as Next.js vendors it --------------------------------------------


def _lex(text: str) -> list[tuple[str, int, str]]:
    tokens: list[tuple[str, int, str]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "*+?":
            tokens.append(("MODIFIER", i, char))
            i += 1
        elif char == "\\":
            tokens.append(("ESCAPED_CHAR", i, text[i + 1 : i + 2]))
            i += 2
        elif char == "{":
            tokens.append(("OPEN", i, char))
            i += 1
        elif char == "}":
            tokens.append(("CLOSE", i, char))
            i += 1
        elif char == ":":
            j = i + 1
            while j < len(text) and (text[j].isascii() and (text[j].isalnum() or text[j] == "_")):
                j += 1
            if j == i + 1:
                raise ValueError(f"Missing parameter name at {i}")
            tokens.append(("NAME", i, text[i + 1 : j]))
            i = j
        elif char == "(":
            depth, j, pattern = 1, i + 1, ""
            if text[j : j + 1] == "?":
                raise ValueError(f'Pattern cannot start with "?" at {j}')
            while j < len(text):
                if text[j] == "\\":
                    pattern += text[j : j + 2]
                    j += 2
                    continue
                if text[j] == ")":
                    depth -= 1
                    if depth == 0:
                        j += 1
                        break
                elif text[j] == "(":
                    depth += 1
                    if text[j + 1 : j + 2] != "?":
                        raise ValueError(f"Capturing groups are not allowed at {j}")
                pattern += text[j]
                j += 1
            if depth:
                raise ValueError(f"Unbalanced pattern at {i}")
            if not pattern:
                raise ValueError(f"Missing pattern at {i}")
            tokens.append(("PATTERN", i, pattern))
            i = j
        else:
            tokens.append(("CHAR", i, char))
            i += 1
    tokens.append(("END", i, ""))
    return tokens


def _escape(text: str) -> str:
    return re.sub(r"([.+*?=^!:${}()\[\]|/\\])", r"\\\1", text)


@dataclass
class _Key:
    name: str | int
    prefix: str
    suffix: str
    pattern: str
    modifier: str


def _parse(text: str) -> list[str | _Key]:
    tokens = _lex(text)
    prefixes, delimiter = "./", "/#?"
    result: list[str | _Key] = []
    key = 0
    i = 0
    path = ""

    def try_consume(kind: str) -> str | None:
        nonlocal i
        if i < len(tokens) and tokens[i][0] == kind:
            i += 1
            return tokens[i - 1][2]
        return None

    def must_consume(kind: str) -> str:
        value = try_consume(kind)
        if value is not None:
            return value
        found, index, _ = tokens[i]
        raise ValueError(f"Unexpected {found} at {index}, expected {kind}")

    def consume_text() -> str:
        out = ""
        while (value := try_consume("CHAR") or try_consume("ESCAPED_CHAR")) is not None:
            out += value
        return out

    def safe_pattern(prefix: str) -> str:
        last = result[-1] if result else None
        before = prefix or (last if isinstance(last, str) else "")
        if last is not None and not before:
            name = last.name if isinstance(last, _Key) else last
            raise ValueError(f'Must have text between two parameters, missing text after "{name}"')
        if not before or any(d in before for d in delimiter):
            return f"[^{_escape(delimiter)}]+?"
        return f"(?:(?!{_escape(before)})[^{_escape(delimiter)}])+?"

    while i < len(tokens):
        char = try_consume("CHAR")
        name = try_consume("NAME")
        pattern = try_consume("PATTERN")
        if name or pattern:
            prefix = char or ""
            if prefix not in prefixes:
                path += prefix
                prefix = ""
            if path:
                result.append(path)
                path = ""
            if name:
                param: str | int = name
            else:
                param, key = key, key + 1
            result.append(
                _Key(
                    param,
                    prefix,
                    "",
                    pattern or safe_pattern(prefix),
                    try_consume("MODIFIER") or "",
                )
            )
            continue
        value = char or try_consume("ESCAPED_CHAR")
        if value:
            path += value
            continue
        if path:
            result.append(path)
            path = ""
        if try_consume("OPEN") is not None:
            prefix = consume_text()
            name = try_consume("NAME") or ""
            pattern = try_consume("PATTERN") or ""
            suffix = consume_text()
            must_consume("CLOSE")
            if name:
                param = name
            elif pattern:
                param, key = key, key + 1
            else:
                param = ""
            result.append(
                _Key(
                    param,
                    prefix,
                    suffix,
                    safe_pattern(prefix) if name and not pattern else pattern,
                    try_consume("MODIFIER") or "",
                )
            )
            continue
        must_consume("END")
    return result


def _tokens_to_regexp(tokens: list[str | _Key]) -> str:
    """tokensToRegexp with Next.js's options (start, end, not strict); its ``.source``."""
    delimiter = f"[{_escape('/#?')}]"
    route = "^"
    for token in tokens:
        if isinstance(token, str):
            route += _escape(token)
            continue
        prefix, suffix = _escape(token.prefix), _escape(token.suffix)
        if token.pattern:
            if prefix or suffix:
                if token.modifier in ("+", "*"):
                    optional = "?" if token.modifier == "*" else ""
                    route += (
                        f"(?:{prefix}((?:{token.pattern})(?:{suffix}{prefix}"
                        f"(?:{token.pattern}))*){suffix}){optional}"
                    )
                else:
                    route += f"(?:{prefix}({token.pattern}){suffix}){token.modifier}"
            else:
                if token.modifier in ("+", "*"):
                    # Next.js's safeTokensToRegexp retries with a "/" prefix.
                    route += f"(?:\\/((?:{token.pattern})(?:\\/(?:{token.pattern}))*))"
                    route += "?" if token.modifier == "*" else ""
                else:
                    route += f"({token.pattern}){token.modifier}"
        else:
            route += f"(?:{prefix}{suffix}){token.modifier}"
    return route + f"{delimiter}?$"


def _python_regexp(source: str) -> re.Pattern[str]:
    """A JavaScript regular expression's source, compiled by Python's ``re``."""
    text = re.sub(r"\(\?<(?![=!])", "(?P<", source)  # named groups
    return re.compile(text)


def compile_source(source: str) -> re.Pattern[str]:
    """The regular expression Next.js tests pathnames against for a matcher `source`.

    >>> regexp = compile_source("/r/:slug")
    >>> paths = ("/r/abc", "/r/abc/", "/r", "/r/a/b", "/_next/data/b/r/a.json")
    >>> [bool(regexp.match(p)) for p in paths]
    [True, True, False, False, True]
    """
    if not isinstance(source, str):
        raise RouteError(f"Invalid proxy matcher {source!r}: a matcher source is a str.")
    if len(source) > MAX_SOURCE:
        raise RouteError(
            f"Invalid proxy matcher {source[:40]!r}...: exceeds max built length of "
            f"{MAX_SOURCE} for route."
        )
    if not source.startswith("/"):
        raise RouteError(f"Invalid proxy matcher {source!r}: source must start with /.")
    suffix = _ROOT_SUFFIX if source == "/" else _SUFFIX
    wrapped = f"{_DATA_PREFIX}{source}{suffix}"
    try:
        return _python_regexp(_tokens_to_regexp(_parse(wrapped)))
    except (ValueError, re.error) as exc:
        raise RouteError(
            f"Invalid proxy matcher {source!r}: {exc}. Write a path such as "
            f"'/about/:path*' or a group such as '/((?!api|_next/static).*)'."
        ) from None


# -- has / missing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One ``has``/``missing`` item: a header, query, cookie or host, with a value pattern."""

    type: str
    key: str
    value: str | None

    def holds(self, headers: Any, query: Mapping[str, str]) -> bool:
        """Whether the request has it (the value, when given, is a full-match regexp)."""
        found: str | None
        if self.type == "header":
            found = headers.get(self.key.lower())
        elif self.type == "cookie":
            cookie = RequestCookies("; ".join(headers.get_all("cookie"))).get(self.key)
            found = cookie.value if cookie is not None else None
        elif self.type == "query":
            found = query.get(self.key)
        else:  # host: the Host header without its port, lower-cased
            host = headers.get("host")
            found = host.split(":", 1)[0].lower() if host else None
        if not found:
            return False
        if self.value is None:
            return True
        return _python_regexp(f"^{self.value}$").match(found) is not None


def _condition(item: object, where: str) -> Condition:
    if not isinstance(item, Mapping):
        raise RouteError(f"{where} items are dicts such as {{'type': 'header', 'key': 'x'}}.")
    kind = item.get("type")
    if kind not in CONDITION_TYPES:
        raise RouteError(f"{where} type must be one of {', '.join(CONDITION_TYPES)}, not {kind!r}.")
    allowed = {"type", "value"} if kind == "host" else {"type", "key", "value"}
    extra = set(item) - allowed
    if extra:
        raise RouteError(f"{where} item {dict(item)!r} has unknown keys {sorted(extra)}.")
    key = item.get("key", "")
    value = item.get("value")
    if kind != "host" and (not isinstance(key, str) or not key):
        raise RouteError(f"{where}: key is required when type is header, query or cookie.")
    if kind == "host" and not isinstance(value, str):
        raise RouteError(f"{where}: value is required when type is host.")
    if value is not None and not isinstance(value, str):
        raise RouteError(f"{where}: value must be a string, not {value!r}.")
    if value is not None:
        try:
            _python_regexp(f"^{value}$")
        except re.error as exc:
            raise RouteError(
                f"{where}: value {value!r} is not a regular expression: {exc}."
            ) from None
    return Condition(kind, str(key), value)


@dataclass(frozen=True)
class Matcher:
    """One compiled matcher: its source as written, and its has/missing conditions."""

    source: str
    regexp: re.Pattern[str]
    has: tuple[Condition, ...] = ()
    missing: tuple[Condition, ...] = ()

    def matches_path(self, pathname: str) -> bool:
        return self.regexp.match(pathname) is not None

    def matches(self, pathname: str, headers: Any, query: Mapping[str, str]) -> bool:
        if not self.matches_path(pathname):
            return False
        if not all(c.holds(headers, query) for c in self.has):
            return False
        return not any(c.holds(headers, query) for c in self.missing)

    def __str__(self) -> str:
        extra = [f"has {c.type} {c.key or c.value}" for c in self.has]
        extra += [f"missing {c.type} {c.key or c.value}" for c in self.missing]
        return self.source + (f" ({', '.join(extra)})" if extra else "")


def _matcher(item: object) -> Matcher:
    if isinstance(item, str):
        return Matcher(item, compile_source(item))
    if not isinstance(item, Mapping):
        raise RouteError(
            f"Invalid proxy matcher {item!r}: use a path str or a dict "
            f"{{'source': '/api/:path*', 'has': [...], 'missing': [...]}}."
        )
    extra = set(item) - {"source", "has", "missing", "locale"}
    if extra:
        raise RouteError(f"Invalid proxy matcher {dict(item)!r}: unknown keys {sorted(extra)}.")
    if "source" not in item:
        raise RouteError(f"Invalid proxy matcher {dict(item)!r}: source is required.")
    source = item["source"]
    conditions = {}
    for part in ("has", "missing"):
        listed = item.get(part, [])
        if not isinstance(listed, (list, tuple)):
            raise RouteError(f"Invalid proxy matcher {source!r}: {part} must be a list.")
        where = f"Invalid proxy matcher {source!r}: {part}"
        conditions[part] = tuple(_condition(c, where) for c in listed)
    return Matcher(source, compile_source(source), conditions["has"], conditions["missing"])


def parse_matchers(matcher: object) -> tuple[Matcher, ...]:
    """``config["matcher"]`` (a str, a dict, or a list of them) as compiled matchers."""
    listed = list(matcher) if isinstance(matcher, (list, tuple)) else [matcher]
    if not listed:
        raise RouteError("The proxy's matcher is an empty list: give at least one path.")
    return tuple(_matcher(item) for item in listed)


__all__ = ["Condition", "Matcher", "compile_source", "parse_matchers"]
