"""Form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

>>> form = parse_form(b"name=Ada&tag=a&tag=b", "application/x-www-form-urlencoded")
>>> form.get("name"), form.get_all("tag")
('Ada', ['a', 'b'])

Errors are plain ``ValueError`` with a one-line reason; ``Request.form_data()``
turns them into ``BadRequest``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Generic, TypeVar
from urllib.parse import parse_qsl, unquote

V = TypeVar("V")

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


class Pairs(Generic[V]):
    """An ordered list of ``(name, value)`` pairs read like ``URLSearchParams``.

    Iterating gives the pairs; ``keys()`` gives each name once.
    """

    __slots__ = ("_pairs",)

    def __init__(self, pairs: list[tuple[str, V]] | None = None) -> None:
        self._pairs: list[tuple[str, V]] = list(pairs or [])

    def get(self, name: str) -> V | None:
        """The first value of ``name``, or ``None``."""
        for key, value in self._pairs:
            if key == name:
                return value
        return None

    def get_all(self, name: str) -> list[V]:
        return [value for key, value in self._pairs if key == name]

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self._pairs)

    def keys(self) -> list[str]:
        return list(dict.fromkeys(key for key, _ in self._pairs))

    def items(self) -> list[tuple[str, V]]:
        return list(self._pairs)

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._pairs)

    def __iter__(self) -> Iterator[tuple[str, V]]:
        return iter(list(self._pairs))

    def __len__(self) -> int:
        return len(self._pairs)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._pairs == other._pairs  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._pairs!r})"


class UploadedFile:
    """A file part of a multipart form.

    >>> f = UploadedFile("a.txt", "text/plain", b"hello")
    >>> f.filename, f.content_type, f.size
    ('a.txt', 'text/plain', 5)
    """

    __slots__ = ("filename", "content_type", "data")

    def __init__(self, filename: str, content_type: str, data: bytes) -> None:
        self.filename = filename
        self.content_type = content_type
        self.data = data

    @property
    def size(self) -> int:
        return len(self.data)

    async def bytes(self) -> bytes:
        return self.data

    async def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UploadedFile):
            return NotImplemented
        return (self.filename, self.content_type, self.data) == (
            other.filename,
            other.content_type,
            other.data,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, <{self.size} bytes>)"


class FormData(Pairs["str | UploadedFile"]):
    """The fields of a form body: ``str`` values, and ``UploadedFile`` for file parts.

    >>> cv = UploadedFile("cv.pdf", "application/pdf", b"%PDF")
    >>> form = FormData([("name", "Ada"), ("cv", cv)])
    >>> form.get("cv").size
    4
    """

    __slots__ = ()


def parse_header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``text/plain; charset="utf-8"`` into ``("text/plain", {"charset": "utf-8"})``.

    The main value is lower-cased, as are parameter names; ``name*=utf-8''..``
    (RFC 5987) is decoded and wins over ``name=``.
    """
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    for match in _PARAM.finditer(";" + rest):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if key.endswith("*"):
            charset, _, encoded = raw.partition("'")
            _, _, encoded = encoded.partition("'")
            try:
                extended[key[:-1]] = unquote(encoded, encoding=charset or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError):
                continue
        else:
            params[key] = raw
    params.update(extended)
    return main.strip().lower(), params


def decode_utf8(data: bytes) -> str:
    r"""Bytes as the Fetch API's body readers decode them: UTF-8, U+FFFD for bad bytes,
    one leading byte order mark dropped.

    >>> decode_utf8(b"\xef\xbb\xbf\xef\xbb\xbfcaf\xc3\xa9 \xff")
    '\ufeffcafé \ufffd'
    """
    return data.decode("utf-8-sig", errors="replace")


def parse_urlencoded(body: bytes) -> FormData:
    """``a=1&b=x+y`` as a browser sends it (``+`` is a space; UTF-8, whatever the charset)."""
    text = decode_utf8(body)
    pairs: list[tuple[str, str | UploadedFile]] = list(parse_qsl(text, keep_blank_values=True))
    return FormData(pairs)


def _part_headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    # Browsers send non-ASCII field names and filenames as raw UTF-8.
    for line in block.decode("utf-8", errors="replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"Malformed multipart part header {line!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def parse_multipart(body: bytes, boundary: str) -> FormData:
    """Parse a ``multipart/form-data`` body delimited by ``boundary``."""
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if start == -1:
        raise ValueError("Malformed multipart body: the boundary from Content-Type never appears")
    pairs: list[tuple[str, str | UploadedFile]] = []
    pos = start + len(delimiter)
    while True:
        if body.startswith(b"--", pos):
            break  # the closing delimiter
        if not body.startswith(b"\r\n", pos):
            raise ValueError("Malformed multipart body: a boundary is not followed by a line break")
        pos += 2
        end = body.find(b"\r\n" + delimiter, pos)
        if end == -1:
            raise ValueError("Malformed multipart body: the closing boundary is missing")
        part = body[pos:end]
        pos = end + 2 + len(delimiter)
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            if part.startswith(b"\r\n"):  # a part with no headers at all
                head, data = b"", part[2:]
            else:
                raise ValueError(
                    "Malformed multipart body: a part has no blank line after its headers"
                )
        headers = _part_headers(head) if head else {}
        disposition, params = parse_header_params(headers.get("content-disposition", ""))
        if disposition != "form-data" or "name" not in params:
            raise ValueError(
                "Malformed multipart body: a part has no Content-Disposition: form-data; name=..."
            )
        name = params["name"]
        if "filename" in params:
            content_type = headers.get("content-type") or "application/octet-stream"
            pairs.append((name, UploadedFile(params["filename"], content_type, data)))
        else:
            _, type_params = parse_header_params(headers.get("content-type", ""))
            try:
                value = data.decode(type_params.get("charset", "utf-8"), errors="replace")
            except LookupError:
                value = data.decode("utf-8", errors="replace")
            pairs.append((name, value))
    return FormData(pairs)


def parse_form(body: bytes, content_type: str | None) -> FormData:
    """Parse a form body by its Content-Type, or raise ``ValueError`` saying why not."""
    mime, params = parse_header_params(content_type or "")
    if mime == "application/x-www-form-urlencoded":
        return parse_urlencoded(body)
    if mime == "multipart/form-data":
        boundary = params.get("boundary")
        if not boundary:
            raise ValueError("multipart/form-data request has no boundary in its Content-Type")
        return parse_multipart(body, boundary)
    got = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
    raise ValueError(
        "request.form_data() needs a body of Content-Type application/x-www-form-urlencoded "
        f"or multipart/form-data; got {got}"
    )
