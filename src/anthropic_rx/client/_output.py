"""``output_format=``: a Python type → the ``output_config.format`` the API takes.

Exactly what the official SDK 2.15 sends (``messages.stream/parse``): pydantic's JSON
schema of the type, through the SDK's ``transform_schema`` (ported here, because the SDK is
an optional dependency), as ``{"type": "json_schema", "schema": ...}``, merged into any
``output_config`` the caller gave (``format`` replaced, the other keys kept).

The transformation makes a schema the API's structured outputs accept: every object gets
``additionalProperties: false``; ``oneOf`` becomes ``anyOf``; a string ``format`` and
``minItems`` the API does not support, and any other keyword it does not support
(``minimum``, ``maxLength``, …), move into the ``description`` as ``{key: value, …}``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

import pydantic

__all__ = ["merge_output_config", "output_format_param", "transform_schema"]

_SUPPORTED_STRING_FORMATS: Final = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"}
)
_SCALARS: Final = frozenset({"boolean", "integer", "number", "null"})


def _is_primitive(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _list(value: object) -> list[Any] | None:
    return value if isinstance(value, list) else None  # pyright: ignore[reportUnknownVariableType]


def transform_schema(json_schema: Mapping[str, Any]) -> dict[str, Any]:
    """Return *json_schema* made acceptable to the API, as the SDK's ``transform_schema``.

    Raises:
        ValueError: a (sub)schema with no ``type``, ``anyOf``, ``oneOf``, ``allOf``,
            ``const`` or ``enum`` (``typing.Any``'s ``{}``, for instance).

    Example:
        >>> transform_schema({"type": "integer", "minimum": 1, "description": "A number"})
        {'type': 'integer', 'description': 'A number\\n\\n{minimum: 1}'}
    """
    strict: dict[str, Any] = {}
    rest = dict(json_schema)

    defs = rest.pop("$defs", None)
    if defs is not None:
        strict["$defs"] = {name: transform_schema(sub) for name, sub in defs.items()}

    ref = rest.pop("$ref", None)
    if ref is not None:
        strict["$ref"] = ref
        return strict

    type_ = rest.pop("type", None)
    any_of = rest.pop("anyOf", None)
    one_of = rest.pop("oneOf", None)
    all_of = rest.pop("allOf", None)

    enum = _list(rest.get("enum"))
    if enum and all(_is_primitive(v) for v in enum):
        strict["enum"] = list(rest.pop("enum"))
    if "const" in rest and _is_primitive(rest["const"]):
        strict["const"] = rest.pop("const")
    has_literals = "enum" in strict or "const" in strict
    if has_literals:
        type_ = None

    if (any_of := _list(any_of)) is not None:
        strict["anyOf"] = [transform_schema(v) for v in any_of]
    elif (one_of := _list(one_of)) is not None:
        strict["anyOf"] = [transform_schema(v) for v in one_of]
    elif (all_of := _list(all_of)) is not None:
        strict["allOf"] = [transform_schema(v) for v in all_of]
    elif not has_literals:
        if type_ is None:
            raise ValueError(
                "Schema must have a 'type', 'anyOf', 'oneOf', or 'allOf' field, "
                "or a 'const' or non-empty 'enum' of strings, numbers, booleans, or null."
            )
        strict["type"] = type_

    description = rest.pop("description", None)
    if description is not None:
        strict["description"] = description
    title = rest.pop("title", None)
    if title is not None:
        strict["title"] = title

    if type_ == "object":
        strict["properties"] = {
            key: transform_schema(sub) for key, sub in rest.pop("properties", {}).items()
        }
        rest.pop("additionalProperties", None)
        strict["additionalProperties"] = False
        required = rest.pop("required", None)
        if required is not None:
            listed = _list(required)
            strict["required"] = required if listed is None else list(listed)
    elif type_ == "string":
        fmt = rest.pop("format", None)
        if fmt and fmt in _SUPPORTED_STRING_FORMATS:
            strict["format"] = fmt
        elif fmt:
            rest["format"] = fmt  # unsupported: said in the description
    elif type_ == "array":
        items = rest.pop("items", None)
        if items is not None:
            strict["items"] = transform_schema(items)
        min_items = rest.pop("minItems", None)
        # The SDK's condition, precedence included: `minItems: 1` is kept even when ... is None.
        if (min_items is not None and min_items == 0) or min_items == 1:
            strict["minItems"] = min_items
        elif min_items is not None:
            rest["minItems"] = min_items
    elif type_ is not None and type_ not in _SCALARS:
        raise ValueError(f"unsupported JSON schema type {type_!r}")

    if rest:
        before = strict.get("description")
        strict["description"] = (
            (before + "\n\n" if before is not None else "")
            + "{"
            + ", ".join(f"{key}: {value}" for key, value in rest.items())
            + "}"
        )
    return strict


@functools.lru_cache(maxsize=512)
def _cached_param(output_format: Any) -> dict[str, Any]:
    adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(output_format)
    return {"schema": transform_schema(adapter.json_schema()), "type": "json_schema"}


def output_format_param(output_format: Any) -> dict[str, Any]:
    """The ``output_config.format`` for *output_format*: ``{"schema": ..., "type": "json_schema"}``.

    Raises:
        TypeError: *output_format* is a string or a mapping (pass a schema dict as
            ``output_config={"format": ...}``), or a type pydantic cannot build a JSON
            schema for, or whose schema the API could not take.

    Example:
        >>> output_format_param(int)
        {'schema': {'type': 'integer'}, 'type': 'json_schema'}
    """
    if isinstance(output_format, str | Mapping):
        raise TypeError(
            "output_format must be a type; pass a schema dict as "
            "output_config={'format': {'type': 'json_schema', 'schema': ...}} instead"
        )
    try:
        try:
            return _cached_param(output_format)
        except TypeError:  # unhashable: not cached
            return _cached_param.__wrapped__(output_format)
    except (pydantic.PydanticUserError, pydantic.PydanticSchemaGenerationError) as exc:
        raise TypeError(
            f"output_format: pydantic cannot build a JSON schema for {output_format!r} "
            f"(use a type that works with pydantic.TypeAdapter): {exc}"
        ) from exc
    except ValueError as exc:
        raise TypeError(
            f"output_format: the JSON schema of {output_format!r} cannot be sent: {exc}"
        ) from exc


def merge_output_config(
    output_config: Mapping[str, Any] | None, output_format: Any
) -> dict[str, Any] | None:
    """*output_config* with *output_format*'s param as its ``format`` (the SDK's merge)."""
    if output_format is None:
        return None if output_config is None else dict(output_config)
    return {**(output_config or {}), "format": output_format_param(output_format)}
