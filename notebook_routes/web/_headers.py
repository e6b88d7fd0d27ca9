"""HTTP headers as the Fetch API's ``Headers``: ordered, case-insensitive, multi-valued.

>>> h = Headers({"Content-Type": "application/json"})
>>> h.get("content-type")
'application/json'
>>> h.append("Set-Cookie", "a=1")
>>> h.append("Set-Cookie", "b=2")
>>> h.get_set_cookie()
['a=1', 'b=2']
>>> list(h)
['content-type', 'set-cookie']
>>> h
Headers([('content-type', 'application/json'), ('set-cookie', 'a=1'), ('set-cookie', 'b=2')])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Union

HeadersInit = Union["Headers", Mapping[str, object], Iterable[tuple[str, object]], None]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_IN_VALUE = re.compile(r"[\r\n\x00]")
_BEYOND_LATIN_1 = re.compile(r"[^\x00-\xff]")
# Fetch strips "HTTP whitespace" from both ends of a value before storing it.
_HTTP_WHITESPACE = " \t\r\n"


class InvalidHeader(TypeError, ValueError):
    """A header name or value that cannot be sent, as the Fetch API's ``TypeError``.

    Also a ``ValueError``, which is what a bad header was before it matched Fetch.

    >>> Headers({"X-Name": "report-\u2713.txt"})
    Traceback (most recent call last):
    ...
    notebook_routes.web._headers.InvalidHeader: Invalid value for header 'X-Name': ...
    """


READONLY_MESSAGE = (
    "The request headers are read-only; build Headers(request.headers) to change a copy."
)


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"Header names must be str; got {type(name).__name__} {name!r}.")
    if not _TOKEN.fullmatch(name):
        raise InvalidHeader(
            f"Invalid header name {name!r}: use letters, digits and !#$%&'*+-.^_`|~ "
            "only (no spaces, colons or line breaks)."
        )
    return name


def _check_value(name: str, value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise TypeError(
            f"The value of header {name!r} must be a str; got {type(value).__name__} {value!r}."
        )
    value = value.strip(_HTTP_WHITESPACE)
    if _FORBIDDEN_IN_VALUE.search(value):
        raise InvalidHeader(
            f"Invalid value for header {name!r}: {value!r} contains a line break or NUL; "
            "a header value must be a single line."
        )
    if not value.isascii():
        wide = _BEYOND_LATIN_1.search(value)
        if wide is not None:
            # Fetch's ByteString: on the wire a header is bytes, one per code point.
            char = wide.group()
            raise InvalidHeader(
                f"Invalid value for header {name!r}: the character {char!r} (U+{ord(char):04X}) "
                f"at index {wide.start()} is greater than 255; header values are Latin-1. "
                "Percent-encode it (urllib.parse.quote): filename*=UTF-8''report-%E2%9C%93.txt."
            )
    return value


def _pairs_from(init: HeadersInit) -> Iterator[tuple[object, object]]:
    if init is None:
        return
    if isinstance(init, Headers):
        yield from init.raw_items()
        return
    if isinstance(init, (str, bytes)):
        raise TypeError(
            f"headers must be a dict, a list of (name, value) pairs or Headers; got {init!r}."
        )
    if isinstance(init, Mapping):
        for name, value in init.items():
            # A list value stands for repeated headers: {"Set-Cookie": ["a=1", "b=2"]}.
            if isinstance(value, (list, tuple)):
                for item in value:
                    yield name, item
            else:
                yield name, value
        return
    if not isinstance(init, Iterable):
        raise TypeError(
            "headers must be a dict, a list of (name, value) pairs or Headers; "
            f"got {type(init).__name__}."
        )
    for pair in init:
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Iterable):
            raise TypeError(f"Each header must be a (name, value) pair; got {pair!r}.")
        items = tuple(pair)
        if len(items) != 2:
            raise TypeError(f"Each header must be a (name, value) pair; got {pair!r}.")
        yield items[0], items[1]


class Headers:
    """An ordered, case-insensitive multi-map of HTTP headers.

    Built from ``None``, a dict (a list value repeats the header), a list of
    ``(name, value)`` pairs, or another ``Headers`` (copied; never read-only).

    >>> h = Headers([("Vary", "Accept"), ("vary", "Cookie")])
    >>> h["VARY"]
    'Accept, Cookie'
    >>> "vary" in h, len(h)
    (True, 1)
    >>> h.raw_items()
    [('Vary', 'Accept'), ('vary', 'Cookie')]

    ``get("set-cookie")`` joins values with ", " as the Fetch API does, which
    is ambiguous for cookies: read them with ``get_set_cookie()``.
    Request headers are ``Headers(..., readonly=True)``: their mutators raise
    ``TypeError``.
    """

    __slots__ = ("_pairs", "_readonly")

    def __init__(self, init: HeadersInit = None, *, readonly: bool = False) -> None:
        self._readonly = readonly
        if isinstance(init, Headers):  # checked when it was made: copy, do not re-check
            self._pairs: list[tuple[str, str]] = list(init._pairs)
            return
        self._pairs = []
        for name, value in _pairs_from(init):
            name = _check_name(name)
            self._pairs.append((name, _check_value(name, value)))

    @classmethod
    def _parsed(cls, pairs: list[tuple[str, str]], *, readonly: bool = False) -> Headers:
        """Headers an HTTP parser has already checked (tornado's): taken as they are."""
        headers = cls.__new__(cls)
        headers._pairs = pairs
        headers._readonly = readonly
        return headers

    @property
    def readonly(self) -> bool:
        return self._readonly

    # -- reading ---------------------------------------------------------

    def get(self, name: str) -> str | None:
        """All values of ``name`` joined by ", ", or ``None`` when absent."""
        key = name.lower()
        values = [v for n, v in self._pairs if n.lower() == key]
        return ", ".join(values) if values else None

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name`` separately, in order."""
        key = name.lower()
        return [v for n, v in self._pairs if n.lower() == key]

    def get_set_cookie(self) -> list[str]:
        """Each ``Set-Cookie`` header on its own, in order."""
        return self.get_all("set-cookie")

    def has(self, name: str) -> bool:
        key = name.lower()
        return any(n.lower() == key for n, _ in self._pairs)

    def keys(self) -> list[str]:
        """Lower-case names, each once, sorted as the Fetch API iterates them.

        >>> Headers([("X-B", "1"), ("Accept", "2"), ("x-a", "3")]).keys()
        ['accept', 'x-a', 'x-b']
        """
        return sorted({n.lower() for n, _ in self._pairs})

    def items(self) -> list[tuple[str, str]]:
        """``(lower-case name, value)`` as the Fetch API iterates headers ("sort and
        combine"): sorted by name, one pair per name with its values joined, except
        ``set-cookie``, which gives one pair per cookie, in order. What goes on the wire
        keeps the order it was written in (`raw_items`).

        >>> Headers([("Vary", "a"), ("Set-Cookie", "x=1"), ("vary", "b"), ("Set-Cookie", "y=2"),
        ...          ("Age", "0")]).items()
        [('age', '0'), ('set-cookie', 'x=1'), ('set-cookie', 'y=2'), ('vary', 'a, b')]
        """
        out: list[tuple[str, str]] = []
        for key in self.keys():
            if key == "set-cookie":
                out.extend((key, v) for v in self.get_set_cookie())
            else:
                out.append((key, self.get(key) or ""))
        return out

    def raw_items(self) -> list[tuple[str, str]]:
        """Every header as written: ``(name with its original case, value)``."""
        return list(self._pairs)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return [(n.lower(), v) for n, v in self._pairs] == [(n.lower(), v) for n, v in other._pairs]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        pairs = [(n.lower(), v) for n, v in self._pairs]
        if self._readonly:
            return f"Headers({pairs!r}, readonly=True)"
        return f"Headers({pairs!r})"

    # -- writing ---------------------------------------------------------

    def _writable(self) -> None:
        if self._readonly:
            raise TypeError(READONLY_MESSAGE)

    def set(self, name: str, value: str) -> None:
        """Replace every value of ``name`` with ``value`` (keeping the first one's place)."""
        self._writable()
        name = _check_name(name)
        value = _check_value(name, value)
        key = name.lower()
        pairs: list[tuple[str, str]] = []
        placed = False
        for n, v in self._pairs:
            if n.lower() != key:
                pairs.append((n, v))
            elif not placed:
                pairs.append((name, value))
                placed = True
        if not placed:
            pairs.append((name, value))
        self._pairs = pairs

    def append(self, name: str, value: str) -> None:
        """Add one more value for ``name`` at the end."""
        self._writable()
        name = _check_name(name)
        self._pairs.append((name, _check_value(name, value)))

    def delete(self, name: str) -> None:
        """Remove every value of ``name`` (no error when absent)."""
        self._writable()
        key = name.lower()
        self._pairs = [(n, v) for n, v in self._pairs if n.lower() != key]

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        self._writable()
        if not self.has(name):
            raise KeyError(name)
        self.delete(name)
