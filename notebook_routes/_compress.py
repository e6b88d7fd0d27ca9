"""Response compression, as Next.js's default ``compress: true`` does it.

Next.js runs every answer through the ``compression`` middleware: a response whose
Content-Type is compressible gets ``Vary: Accept-Encoding``, and, when the client accepts
gzip (every browser does), ``Content-Encoding: gzip``, whatever the body's size. A
response without a Content-Type, with ``Cache-Control: no-transform``, already encoded,
or without a body (HEAD, 204, 304) is sent as it is.

>>> plan = negotiate("GET", 200, [("Content-Type", "application/json")], "gzip, br")
>>> plan.vary, plan.coding
(True, 'gzip')
>>> negotiate("GET", 200, [("Content-Type", "image/png")], "gzip").coding is None
True
>>> encoder = Encoder("gzip")
>>> import gzip
>>> gzip.decompress(encoder.chunk(b"tok ") + encoder.chunk(b"en") + encoder.finish())
b'tok en'

Pure: no tornado here; the server applies the plan to the bytes it writes.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Encoder", "Plan", "compress", "is_compressible", "negotiate"]

# The `compressible` package's rule (mime-db's flag, then this pattern), for the types a
# route handler sends: text, JSON, XML, JavaScript and their +json/+xml relatives.
_COMPRESSIBLE_PATTERN = re.compile(r"^text/|\+(?:json|text|xml)$")
_COMPRESSIBLE = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/wasm",
        "application/x-ndjson",
        "application/ndjson",
    }
)
_NO_TRANSFORM = re.compile(r"(?:^|,)\s*no-transform\s*(?:,|$)", re.IGNORECASE)
# zlib's wbits: 16 + 15 writes a gzip member, 15 a zlib stream (HTTP's "deflate").
_WBITS = {"gzip": 31, "deflate": 15}
LEVEL = 6  # zlib's default, as Node's zlib and the compression middleware use


def is_compressible(content_type: str | None) -> bool:
    """Whether a body of this Content-Type is worth compressing.

    >>> is_compressible("text/html; charset=utf-8"), is_compressible("application/ld+json")
    (True, True)
    >>> is_compressible("image/png"), is_compressible(None)
    (False, False)
    """
    if not content_type:
        return False
    essence = content_type.partition(";")[0].strip().lower()
    return essence in _COMPRESSIBLE or _COMPRESSIBLE_PATTERN.search(essence) is not None


def choose_coding(accept_encoding: str | None) -> str | None:
    """``"gzip"``, ``"deflate"`` or ``None`` (identity) for an Accept-Encoding header.

    gzip is preferred whenever it is acceptable, as the compression middleware does;
    ``q=0`` refuses a coding and ``*`` stands for any coding not listed.

    >>> choose_coding("gzip, deflate, br"), choose_coding("deflate"), choose_coding("br")
    ('gzip', 'deflate', None)
    >>> choose_coding("gzip;q=0, *"), choose_coding("identity"), choose_coding(None)
    ('deflate', None, None)
    >>> choose_coding("gzip;q=0.2, identity;q=0.5")
    """
    if not accept_encoding:
        return None
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[name] = q
    star = weights.get("*")
    # Identity is acceptable unless refused; when not named it ranks below every coding
    # the client named (the negotiator's rule), so it wins only when preferred outright.
    identity = weights.get("identity", star if star is not None else min(weights.values()))
    for coding in ("gzip", "deflate"):
        q = weights.get(coding, star if star is not None else 0.0)
        if q > 0 and q >= identity:
            return coding
    return None


@dataclass(frozen=True)
class Plan:
    """What to do with one response: add ``Accept-Encoding`` to Vary; compress with coding."""

    vary: bool
    coding: str | None


_NOTHING = Plan(False, None)


def negotiate(
    method: str, status: int, headers: Iterable[tuple[str, str]], accept_encoding: str | None
) -> Plan:
    """The compression plan for a response with these headers, to a request like this.

    >>> negotiate("HEAD", 200, [("Content-Type", "text/plain")], "gzip")
    Plan(vary=True, coding=None)
    >>> negotiate("GET", 200, [("Content-Type", "text/plain"),
    ...                        ("Cache-Control", "no-transform")], "gzip")
    Plan(vary=False, coding=None)
    """
    content_type = cache_control = encoding = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-type":
            content_type = value
        elif lowered == "cache-control":
            cache_control = value
        elif lowered == "content-encoding":
            encoding = value
    if not is_compressible(content_type):
        return _NOTHING
    if cache_control is not None and _NO_TRANSFORM.search(cache_control):
        return _NOTHING
    if encoding not in (None, "identity") or method == "HEAD" or status in (204, 304):
        return Plan(True, None)
    return Plan(True, choose_coding(accept_encoding))


def add_vary(values: list[str]) -> str | None:
    """The Vary value with Accept-Encoding added, or ``None`` when it is there already.

    >>> add_vary([]), add_vary(["rsc, Origin"]), add_vary(["accept-encoding"]), add_vary(["*"])
    ('Accept-Encoding', 'rsc, Origin, Accept-Encoding', None, None)
    """
    fields = [f.strip().lower() for value in values for f in value.split(",")]
    if "*" in fields or "accept-encoding" in fields:
        return None
    return ", ".join([*values, "Accept-Encoding"])


def compress(coding: str, data: bytes) -> bytes:
    """A whole body, compressed with ``coding`` (``"gzip"`` or ``"deflate"``)."""
    encoder = zlib.compressobj(LEVEL, zlib.DEFLATED, _WBITS[coding])
    return encoder.compress(data) + encoder.flush()


class Encoder:
    """A streamed body, compressed chunk by chunk; each chunk's bytes are complete.

    Every ``chunk()`` ends with a sync flush, so the client can decode what it has
    received so far: a token stream still arrives token by token.
    """

    __slots__ = ("_zlib",)

    def __init__(self, coding: str) -> None:
        self._zlib = zlib.compressobj(LEVEL, zlib.DEFLATED, _WBITS[coding])

    def chunk(self, data: bytes) -> bytes:
        return self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._zlib.flush()
