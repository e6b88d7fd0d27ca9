"""JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) from Python type hints.

>>> from typing import TypedDict
>>> class Item(TypedDict):
...     name: str
...     tags: list[str]
>>> schema_of(Item) == {
...     "type": "object", "title": "Item",
...     "properties": {"name": {"type": "string"},
...                    "tags": {"type": "array", "items": {"type": "string"}}},
...     "required": ["name", "tags"],
... }
True
>>> schema_of(int | None)
{'anyOf': [{'type': 'integer'}, {'type': 'null'}]}

TypedDicts, dataclasses and pydantic models (when pydantic is installed) become objects;
anything not understood becomes ``{}`` (any value), never an error: a description of an
API must not stop the API.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import types
import typing
import uuid
from typing import Any

_PRIMITIVES: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    bytes: {"type": "string", "contentEncoding": "base64"},
    type(None): {"type": "null"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    uuid.UUID: {"type": "string", "format": "uuid"},
}


def is_model(hint: Any) -> bool:
    """True for a TypedDict, a dataclass or a pydantic model class: a JSON object's shape."""
    if not isinstance(hint, type):
        return False
    return typing.is_typeddict(hint) or dataclasses.is_dataclass(hint) or _is_pydantic(hint)


def _is_pydantic(hint: Any) -> bool:
    return isinstance(hint, type) and callable(getattr(hint, "model_json_schema", None))


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except Exception:  # a forward reference that cannot be resolved: keep the raw text
        return dict(getattr(cls, "__annotations__", {}))


def schema_of(hint: Any, _seen: frozenset[Any] = frozenset()) -> dict[str, Any]:
    """The JSON Schema of a type hint (see the module docstring)."""
    if hint in _seen:
        return {}  # a recursive type: stop rather than loop
    if hint is Any or hint is object:
        return {}
    try:
        if hint in _PRIMITIVES:
            return dict(_PRIMITIVES[hint])
    except TypeError:  # unhashable metadata
        pass
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return schema_of(args[0], _seen)
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [schema_of(a, _seen) for a in args]}
    if origin in (list, set, frozenset, tuple) or hint in (list, set, frozenset, tuple):
        if origin is tuple and args and args[-1] is not Ellipsis:
            items = [schema_of(a, _seen) for a in args]
            return {"type": "array", "prefixItems": items, "minItems": len(items)}
        item = schema_of(args[0], _seen) if args else {}
        return {"type": "array", "items": item} if item else {"type": "array"}
    if origin is dict or hint is dict:
        value = schema_of(args[1], _seen) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": value} if value else {"type": "object"}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {"enum": [member.value for member in hint]}
    if not isinstance(hint, type):
        return {}
    seen = _seen | {hint}
    if _is_pydantic(hint):
        try:
            return _inline_defs(hint.model_json_schema())  # type: ignore[attr-defined]
        except Exception:
            return {"type": "object", "title": hint.__name__}
    if typing.is_typeddict(hint):
        hints = _hints(hint)
        required = [name for name in hints if name in getattr(hint, "__required_keys__", ())]
        return _object(hint, {n: schema_of(h, seen) for n, h in hints.items()}, required)
    if dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        props, required = {}, []
        for f in dataclasses.fields(hint):
            props[f.name] = schema_of(hints.get(f.name, Any), seen)
            no_default = f.default is dataclasses.MISSING
            if no_default and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
        return _object(hint, props, required)
    return {}


def _object(cls: type, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "title": cls.__name__, "properties": props}
    if required:
        schema["required"] = required
    doc = cls.__doc__
    if doc and not doc.startswith(f"{cls.__name__}("):  # dataclasses invent a docstring
        schema["description"] = doc.strip()
    return schema


def _inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """pydantic's ``$defs`` + ``$ref: #/$defs/X``, with the references replaced by the schemas.

    A ``#/$defs`` reference would point at the root of the OpenAPI document, not at the
    model's schema, once the schema is embedded in it.
    """
    defs = schema.pop("$defs", {})

    def resolve(node: Any, depth: int = 0) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and depth < 20:
                target = defs.get(ref.removeprefix("#/$defs/"), {})
                return resolve(target, depth + 1)
            return {k: resolve(v, depth) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v, depth) for v in node]
        return node

    return resolve(schema)


def query_parameters(hint: Any) -> list[dict[str, Any]]:
    """OpenAPI ``in: query`` parameters from a model's fields.

    >>> from typing import TypedDict
    >>> class Search(TypedDict, total=False):
    ...     q: str
    ...     tag: list[str]
    >>> [(p["name"], p["required"], p["schema"]) for p in query_parameters(Search)]
    [('q', False, {'type': 'string'}), ('tag', False, {'type': 'array', 'items': {'type': 'string'}})]
    """  # noqa: E501
    schema = schema_of(hint)
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if prop.get("type") == "array":
            param["style"], param["explode"] = "form", True  # ?tag=a&tag=b
        if "description" in prop:
            param["description"] = prop["description"]
        params.append(param)
    return params
