"""Reading JSON request bodies strictly: right content type, an object, known fields only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import request

from app.core.errors import BadRequestError, UnsupportedMediaTypeError, ValidationError


@dataclass(frozen=True)
class Field:
    kind: type
    required: bool = True
    max_length: int = 1000


TYPE_WORDS = {str: "a string", int: "a whole number", float: "a number",
              bool: "true or false", list: "a list", dict: "an object"}


def _is(value: Any, kind: type) -> bool:
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


def _body() -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise UnsupportedMediaTypeError(
            f"Send JSON with Content-Type: application/json (got {request.mimetype or 'none'})."
        )
    try:
        data = json.loads(request.get_data(cache=True) or b"")
    except UnicodeDecodeError as exc:
        raise BadRequestError("The body is not UTF-8 text.") from exc
    except json.JSONDecodeError as exc:
        raise BadRequestError(
            f"The body is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from exc
    if not isinstance(data, dict):
        raise BadRequestError("The body must be a JSON object.")
    return data


def _problem(value: Any, spec: Field) -> str | None:
    if not _is(value, spec.kind):
        return "must be " + TYPE_WORDS.get(spec.kind, spec.kind.__name__)
    if isinstance(value, str) and len(value) > spec.max_length:
        return f"must be at most {spec.max_length} characters"
    return None


def read_json(fields: dict[str, Field]) -> dict[str, Any]:
    """The body as a dict, or a problem naming every unknown, missing or mistyped field."""
    data = _body()
    errors = {name: "unknown field; allowed: " + ", ".join(sorted(fields))
              for name in data if name not in fields}
    for name, spec in fields.items():
        if name not in data:
            if spec.required:
                errors[name] = "required"
            continue
        problem = _problem(data[name], spec)
        if problem:
            errors[name] = problem
    if errors:
        raise ValidationError("Some fields are missing, unknown or of the wrong type.", errors)
    return data
