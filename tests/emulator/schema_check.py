"""A small JSON-schema checker for the emulator's tests: the subset of draft 2020-12 the
Messages API accepts for tool input and structured output, and nothing more."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _format_ok(kind: str, value: str) -> bool:
    if kind == "email":
        return bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value))
    if kind == "date":
        return bool(re.fullmatch(r"\d{4}-\d\d-\d\d", value))
    if kind == "date-time":
        return bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", value))
    if kind in ("uri", "url"):
        return bool(re.fullmatch(r"https?://\S+", value))
    if kind == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return False
    return True


def problems(schema: Any, value: Any, root: Any = None, path: str = "$") -> list[str]:
    """Return what is wrong with *value* for *schema* (empty when it fits)."""
    root = schema if root is None else root
    if schema is True or schema == {}:
        return []
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part] if part else target
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return problems(target, value, root, path) + problems(rest, value, root, path)
    found: list[str] = []
    for part in schema.get("allOf", []):
        found += problems(part, value, root, path)
    for key in ("anyOf", "oneOf"):
        if key in schema and all(problems(s, value, root, path) for s in schema[key]):
            found.append(f"{path}: fits no {key} branch")
    if "const" in schema and value != schema["const"]:
        found.append(f"{path}: {value!r} is not the const")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not in the enum")
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    if kinds and not any(_TYPES[k](value) for k in kinds):
        return [*found, f"{path}: {value!r} is not of type {kinds}"]
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [f"{path}: {k} is required" for k in schema.get("required", []) if k not in value]
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                found += problems(properties[key], item, root, f"{path}.{key}")
            elif extra is False:
                found.append(f"{path}: {key} is not allowed")
            elif isinstance(extra, dict):
                found += problems(extra, item, root, f"{path}.{key}")
        if len(value) < schema.get("minProperties", 0):
            found.append(f"{path}: too few properties")
    elif isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", 10**9):
            found.append(f"{path}: {len(value)} items")
        if schema.get("uniqueItems") and len({json.dumps(v) for v in value}) < len(value):
            found.append(f"{path}: items are not unique")
        prefix = schema.get("prefixItems", [])
        for i, item in enumerate(value):
            sub = prefix[i] if i < len(prefix) else schema.get("items", {})
            found += problems(sub, item, root, f"{path}[{i}]")
    elif isinstance(value, str):
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 10**9):
            found.append(f"{path}: length {len(value)}")
        if "format" in schema and not _format_ok(schema["format"], value):
            found.append(f"{path}: {value!r} is not a {schema['format']}")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{path}: {value} < minimum")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{path}: {value} > maximum")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            found.append(f"{path}: {value} <= exclusiveMinimum")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            found.append(f"{path}: {value} >= exclusiveMaximum")
        step = schema.get("multipleOf")
        if step and abs(value / step - round(value / step)) > 1e-9:
            found.append(f"{path}: {value} is not a multiple of {step}")
    return found
