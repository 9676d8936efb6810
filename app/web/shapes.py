"""Small builders for the JSON Schemas of what the API answers (see app.web.jsonio.answers)."""

from __future__ import annotations

from typing import Any

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
NUM: dict[str, Any] = {"type": "number"}
BOOL: dict[str, Any] = {"type": "boolean"}
ANY_OBJECT: dict[str, Any] = {"type": "object"}
TIME: dict[str, Any] = {"type": "string", "description": "ISO 8601 date and time"}
URL: dict[str, Any] = {"type": "string", "description": "a URL that lapses within minutes"}


def obj(optional: tuple[str, ...] = (), **props: dict[str, Any]) -> dict[str, Any]:
    """An object with these properties, all required except `optional` (more may appear)."""
    return {"type": "object", "properties": props,
            "required": [name for name in props if name not in optional]}


def arr(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


def maybe(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def text_map() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": {"type": "string"}}
