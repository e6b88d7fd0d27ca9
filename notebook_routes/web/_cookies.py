"""Cookies as Next.js handles them: request cookies, response cookies and ``cookies()``.

>>> serialize_cookie(make_cookie("b", "1"))
'b=1; Path=/'
>>> jar = RequestCookies("a=1; theme=dark%20blue")
>>> jar.get("theme").value
'dark blue'
>>> h = Headers()
>>> ResponseCookies(h).set("token", "abc", http_only=True)
>>> h.get_set_cookie()
['token=abc; Path=/; HttpOnly']

Serialization follows ``stringifyCookie`` of ``@edge-runtime/cookies``, which
Next.js uses: ``name=<encodeURIComponent(value)>`` then Path, Expires, Max-Age,
Domain, Secure, HttpOnly, SameSite, Partitioned, Priority.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote

from notebook_routes.web._headers import Headers

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_SAME_SITE = ("strict", "lax", "none")
_PRIORITY = ("low", "medium", "high")
# The camelCase spellings of Next.js, mapped once here to the one Python name.
_ATTR_ALIASES = {"maxAge": "max_age", "httpOnly": "http_only", "sameSite": "same_site"}
_ATTRS = (
    "path",
    "domain",
    "expires",
    "max_age",
    "http_only",
    "secure",
    "same_site",
    "partitioned",
    "priority",
)
# RFC 6265 cookie-name is a token: no separators, spaces or control characters.
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ATTR_UNSAFE = re.compile(r"[;\r\n\x00]")


@dataclass(frozen=True)
class Cookie:
    """One cookie. Request cookies carry only ``name`` and ``value``.

    >>> Cookie("b", "1", path="/")
    Cookie(name='b', value='1', path='/')
    """

    name: str
    value: str
    path: str | None = None
    domain: str | None = None
    expires: datetime | None = None
    max_age: int | float | None = None
    http_only: bool = False
    secure: bool = False
    same_site: str | None = None
    partitioned: bool = False
    priority: str | None = None

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}", f"value={self.value!r}"]
        for field in dataclasses.fields(self)[2:]:
            value = getattr(self, field.name)
            if value != field.default:
                parts.append(f"{field.name}={value!r}")
        return f"Cookie({', '.join(parts)})"


# -- encoding ---------------------------------------------------------------


def encode_uri_component(value: str) -> str:
    """JavaScript's ``encodeURIComponent``.

    >>> encode_uri_component("a b/c!")
    'a%20b%2Fc!'
    """
    return quote(value, safe="!'()*")


def decode_uri_component(value: str) -> str:
    """JavaScript's ``decodeURIComponent``: ``ValueError`` on a malformed escape."""
    if _BAD_PERCENT.search(value):
        raise ValueError(f"Malformed percent-encoding in {value!r}")
    return unquote(value, errors="strict")


def _http_date(moment: datetime) -> str:
    return formatdate(int(moment.timestamp() // 1), usegmt=True)


def _format_number(number: int | float) -> str:
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def serialize_cookie(cookie: Cookie) -> str:
    """The ``Set-Cookie`` value for ``cookie``, exactly as Next.js writes it.

    >>> serialize_cookie(Cookie("c", "", path="/", expires=EPOCH))
    'c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT'
    >>> serialize_cookie(Cookie("s", "x y", path="/", secure=True, same_site="lax"))
    's=x%20y; Path=/; Secure; SameSite=lax'
    """
    attrs = []
    if cookie.path:
        attrs.append(f"Path={cookie.path}")
    if cookie.expires is not None:
        attrs.append(f"Expires={_http_date(cookie.expires)}")
    if cookie.max_age is not None:
        attrs.append(f"Max-Age={_format_number(cookie.max_age)}")
    if cookie.domain:
        attrs.append(f"Domain={cookie.domain}")
    if cookie.secure:
        attrs.append("Secure")
    if cookie.http_only:
        attrs.append("HttpOnly")
    if cookie.same_site:
        attrs.append(f"SameSite={cookie.same_site}")
    if cookie.partitioned:
        attrs.append("Partitioned")
    if cookie.priority:
        attrs.append(f"Priority={cookie.priority}")
    text = f"{cookie.name}={encode_uri_component(cookie.value)}"
    return "; ".join([text, *attrs])


# -- building cookies from user input -----------------------------------------


def _check_cookie_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"Cookie names must be str; got {type(name).__name__} {name!r}.")
    if not _COOKIE_NAME.fullmatch(name):
        raise ValueError(
            f"Invalid cookie name {name!r}: use letters, digits and !#$%&'*+-.^_`|~ only "
            "(no spaces, '=', ';' or ',')."
        )
    return name


def _to_datetime(expires: object) -> datetime:
    if isinstance(expires, datetime):
        # A naive datetime has no zone to go by; UTC is what an HTTP date means.
        return expires if expires.tzinfo else expires.replace(tzinfo=timezone.utc)
    if isinstance(expires, (int, float)) and not isinstance(expires, bool):
        return datetime.fromtimestamp(expires, tz=timezone.utc)
    raise TypeError(
        f"Cookie expires must be a datetime or epoch seconds; got {type(expires).__name__} "
        f"{expires!r}."
    )


def _check_attrs(attrs: dict[str, object]) -> dict[str, object]:
    clean: dict[str, object] = {}
    for key, value in attrs.items():
        name = _ATTR_ALIASES.get(key, key)
        if name not in _ATTRS:
            raise TypeError(
                f"Unknown cookie attribute {key!r}; use one of: {', '.join(_ATTRS)} "
                "(or maxAge, httpOnly, sameSite)."
            )
        if value is None:
            continue
        if name in ("path", "domain"):
            if not isinstance(value, str) or _ATTR_UNSAFE.search(value):
                raise ValueError(
                    f"Cookie {name} must be a str without ';' or line breaks; got {value!r}."
                )
        elif name in ("http_only", "secure", "partitioned"):
            value = bool(value)
        elif name == "max_age":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise TypeError(f"Cookie max_age must be a number of seconds; got {value!r}.")
        elif name == "expires":
            value = _to_datetime(value)
        elif name == "same_site":
            value = value.lower() if isinstance(value, str) else value
            if value not in _SAME_SITE:
                raise ValueError(
                    f"Cookie same_site must be 'strict', 'lax' or 'none'; got {value!r}."
                )
        elif name == "priority":
            value = value.lower() if isinstance(value, str) else value
            if value not in _PRIORITY:
                raise ValueError(
                    f"Cookie priority must be 'low', 'medium' or 'high'; got {value!r}."
                )
        clean[name] = value
    return clean


def normalize_cookie(cookie: Cookie) -> Cookie:
    """What Next.js's ``normalizeCookie`` does on every set.

    Path defaults to "/", and a non-zero ``max_age`` also sets ``expires``.
    """
    changes: dict[str, Any] = {}
    if cookie.max_age:
        changes["expires"] = datetime.fromtimestamp(time.time() + cookie.max_age, tz=timezone.utc)
    if cookie.path is None:
        changes["path"] = "/"
    return dataclasses.replace(cookie, **changes) if changes else cookie


def make_cookie(name: str | Cookie, value: str | None = None, **attrs: object) -> Cookie:
    """Build a normalized response cookie from ``set()``'s arguments.

    >>> make_cookie("b", "1", maxAge=0, httpOnly=True)
    Cookie(name='b', value='1', path='/', max_age=0, http_only=True)
    """
    if isinstance(name, Cookie):
        if value is not None or attrs:
            raise TypeError(
                "set(cookie) takes a Cookie alone; pass name, value, **attrs otherwise."
            )
        cookie = name
        _check_cookie_name(cookie.name)
    else:
        _check_cookie_name(name)
        if not isinstance(value, str):
            raise TypeError(
                f"The value of cookie {name!r} must be a str; got {type(value).__name__} "
                f"{value!r}. Convert it with str() first."
            )
        cookie = Cookie(name, value, **_check_attrs(attrs))  # type: ignore[arg-type]
    return normalize_cookie(cookie)


def deletion_cookie(name: str, *, path: str | None = None, domain: str | None = None) -> Cookie:
    """The cookie that deletes ``name``: an empty value that expired in 1970."""
    _check_cookie_name(name)
    return normalize_cookie(
        Cookie(name, "", expires=EPOCH, **_check_attrs({"path": path, "domain": domain}))  # type: ignore[arg-type]
    )


# -- parsing ----------------------------------------------------------------


def _split_pairs(header: str) -> Iterator[tuple[str, str | None]]:
    for pair in re.split(r"; *", header):
        if not pair:
            continue
        name, eq, value = pair.partition("=")
        yield name, value if eq else None


def parse_set_cookie(header: str) -> Cookie:
    """Parse one ``Set-Cookie`` value. Attribute names are case-insensitive.

    >>> parse_set_cookie("id=a%3Db; Max-Age=60; httponly; SameSite=Lax")
    Cookie(name='id', value='a=b', path='/', max_age=60, http_only=True, same_site='lax')
    """
    pairs = list(_split_pairs(header.strip()))
    if not pairs or pairs[0][1] is None or not pairs[0][0]:
        raise ValueError(f"Set-Cookie header {header!r} does not start with name=value.")
    name, raw = pairs[0]
    try:
        value = decode_uri_component(raw or "")
    except ValueError:
        value = raw or ""
    attrs: dict[str, object] = {}
    for key, val in pairs[1:]:
        key = key.strip().lower()
        val = (val or "").strip()
        if key == "path" and val:
            attrs["path"] = val
        elif key == "domain" and val:
            attrs["domain"] = val
        elif key == "expires":
            try:
                moment = parsedate_to_datetime(val)
            except (TypeError, ValueError):
                continue
            attrs["expires"] = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        elif key == "max-age":
            try:
                attrs["max_age"] = int(val)
            except ValueError:
                continue
        elif key in ("secure", "httponly", "partitioned"):
            attrs[{"httponly": "http_only"}.get(key, key)] = True
        elif key == "samesite" and val.lower() in _SAME_SITE:
            attrs["same_site"] = val.lower()
        elif key == "priority" and val.lower() in _PRIORITY:
            attrs["priority"] = val.lower()
    attrs.setdefault("path", "/")
    return Cookie(name, value, **attrs)  # type: ignore[arg-type]


class _CookieJar:
    """The reading side shared by the three jars: ``get``, ``get_all``, ``has``, ``in``,
    iteration and ``len``, all over `_visible` (the cookies a read sees now, by name).

    A jar sees at most one cookie per name, so ``get_all(name)`` has one item or none.
    """

    __slots__ = ()

    def _visible(self) -> Mapping[str, Cookie]:
        raise NotImplementedError

    def get(self, name: str) -> Cookie | None:
        return self._visible().get(name)

    def get_all(self, name: str | None = None) -> list[Cookie]:
        found = self._visible()
        if name is None:
            return list(found.values())
        cookie = found.get(name)
        return [cookie] if cookie is not None else []

    def has(self, name: str) -> bool:
        return name in self._visible()

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __iter__(self) -> Iterator[Cookie]:
        return iter(self.get_all())

    def __len__(self) -> int:
        return len(self._visible())


class RequestCookies(_CookieJar):
    """The cookies a request sent, parsed from its ``Cookie`` header.

    Values are percent-decoded; a value that does not decode is skipped, and a
    repeated name keeps its first place with the last value (as Next.js does).

    >>> jar = RequestCookies("a=1; b=x%2Fy; flag")
    >>> [c.value for c in jar]
    ['1', 'x/y', 'true']
    >>> jar.to_dict()
    {'a': '1', 'b': 'x/y', 'flag': 'true'}
    """

    __slots__ = ("_cookies",)

    def __init__(self, cookie_header: str | None = None) -> None:
        self._cookies: dict[str, Cookie] = {}
        for name, raw in _split_pairs(cookie_header or ""):
            if raw is None:
                self._cookies[name] = Cookie(name, "true")
                continue
            try:
                self._cookies[name] = Cookie(name, decode_uri_component(raw))
            except ValueError:
                continue

    def _visible(self) -> Mapping[str, Cookie]:
        return self._cookies

    def to_dict(self) -> dict[str, str]:
        return {name: c.value for name, c in self._cookies.items()}

    def __repr__(self) -> str:
        header = "; ".join(f"{n}={encode_uri_component(c.value)}" for n, c in self._cookies.items())
        return f"RequestCookies({header!r})"


def _read_set_cookies(headers: Headers) -> tuple[dict[str, Cookie], list[str]]:
    """The response's cookies by name, and the Set-Cookie values that do not parse."""
    found: dict[str, Cookie] = {}
    unparsable: list[str] = []
    for header in headers.get_set_cookie():
        try:
            cookie = parse_set_cookie(header)
        except ValueError:
            unparsable.append(header)
            continue
        found[cookie.name] = cookie
    return found, unparsable


def _rewrite(headers: Headers, cookies: dict[str, Cookie], unparsable: list[str]) -> None:
    headers.delete("set-cookie")
    for cookie in cookies.values():
        headers.append("Set-Cookie", serialize_cookie(cookie))
    # Values we cannot read are not ours to drop: they go out as written.
    for header in unparsable:
        headers.append("Set-Cookie", header)


class ResponseCookies(_CookieJar):
    """A response's cookies, read from and written to its ``Set-Cookie`` headers.

    It keeps no copy: every read parses the headers and every write rewrites
    them, so the cookies and the headers never disagree.

    >>> h = Headers([("Set-Cookie", "a=1")])
    >>> jar = ResponseCookies(h)
    >>> jar.set("b", "2")
    >>> jar.delete("a")
    >>> h.get_set_cookie()
    ['a=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'b=2; Path=/']
    """

    __slots__ = ("_headers",)

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def _visible(self) -> Mapping[str, Cookie]:
        return _read_set_cookies(self._headers)[0]

    def set(self, name: str | Cookie, value: str | None = None, **attrs: object) -> None:
        """``set(name, value, **attrs)`` or ``set(Cookie(...))``; replaces a cookie of that name."""
        self._store(make_cookie(name, value, **attrs))

    def delete(self, name: str, *, path: str | None = None, domain: str | None = None) -> None:
        """Tell the browser to drop ``name``: an empty value that expired in 1970."""
        self._store(deletion_cookie(name, path=path, domain=domain))

    def _store(self, cookie: Cookie) -> None:
        found, unparsable = _read_set_cookies(self._headers)
        found[cookie.name] = cookie
        _rewrite(self._headers, found, unparsable)

    def __repr__(self) -> str:
        return f"ResponseCookies({self.get_all()!r})"


class MutableRequestCookies(_CookieJar):
    """What ``cookies()`` returns in a handler: the request's cookies plus the handler's changes.

    Reads see the request cookies overlaid with the sets and deletes made so
    far (a deleted cookie reads as absent). The changes are recorded in order
    and joined to the response when the handler returns.

    >>> store = MutableRequestCookies(RequestCookies("a=1; c=3"))
    >>> store.set("b", "1")
    >>> store.delete("c")
    >>> [c.name for c in store.get_all()], store.changed
    (['a', 'b'], True)
    >>> [serialize_cookie(c) for c in store.mutations]
    ['b=1; Path=/', 'c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT']
    """

    __slots__ = ("_view", "_mutations")

    def __init__(self, request_cookies: RequestCookies | None = None) -> None:
        self._view: dict[str, Cookie | None] = {
            c.name: c for c in (request_cookies.get_all() if request_cookies else [])
        }
        self._mutations: list[Cookie] = []

    @property
    def mutations(self) -> list[Cookie]:
        """Every set and delete, in the order they were made."""
        return list(self._mutations)

    @property
    def changed(self) -> bool:
        return bool(self._mutations)

    def _visible(self) -> Mapping[str, Cookie]:
        # A deleted cookie stays in the view as None (so it reads as absent): skip it.
        return {name: c for name, c in self._view.items() if c is not None}

    def set(self, name: str | Cookie, value: str | None = None, **attrs: object) -> None:
        """``set(name, value, **attrs)`` or ``set(Cookie(...))``; joins the response."""
        cookie = make_cookie(name, value, **attrs)
        self._view[cookie.name] = cookie
        self._mutations.append(cookie)

    def delete(self, name: str, *, path: str | None = None, domain: str | None = None) -> None:
        """Delete ``name``: the response tells the browser to drop it."""
        cookie = deletion_cookie(name, path=path, domain=domain)
        self._view[name] = None
        self._mutations.append(cookie)

    def __repr__(self) -> str:
        return f"MutableRequestCookies(mutations={self._mutations!r})"


def merge_cookie_mutations(response_headers: Headers, store: MutableRequestCookies) -> None:
    """Join the changes made with ``cookies()`` to a response (Next.js's appendMutableCookies).

    When ``cookies()`` changed nothing, the response's Set-Cookie headers pass
    through as written. Otherwise the response's own cookies win for a shared
    name, and every Set-Cookie header is rewritten by ``serialize_cookie``.

    >>> h = Headers([("Set-Cookie", "same=from-response")])
    >>> store = MutableRequestCookies()
    >>> store.set("same", "from-cookies")
    >>> store.set("b", "1")
    >>> merge_cookie_mutations(h, store)
    >>> h.get_set_cookie()
    ['same=from-response; Path=/', 'b=1; Path=/']
    """
    if not store.changed:
        return
    own, unparsable = _read_set_cookies(response_headers)
    merged = dict(own)
    for cookie in store.mutations:
        merged[cookie.name] = cookie
    for cookie in own.values():
        merged[cookie.name] = normalize_cookie(cookie)
    _rewrite(response_headers, merged, unparsable)
