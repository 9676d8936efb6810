"""The JSON API's contract, declared once beside each view and used twice.

A view declares what it accepts (`@accepts`, `@query`) and what it answers (`@answers`); the
same declarations validate every request (`read_json`, `read_query`) and are turned into the
OpenAPI document (`app.web.openapi`). Nothing about a body is written anywhere else, so the
document cannot drift from what the code enforces.

Bodies are read strictly: the right content type, at most MAX_JSON_BYTES, nested at most
MAX_DEPTH deep, no NaN or Infinity, known fields only, each of its declared type and size.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app, request

from app.core.errors import (
    BadRequestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from app.core.roles import N_
from app.core.texts import gettext

F = TypeVar("F", bound=Callable[..., Any])

MAX_JSON_BYTES = 64 * 1024
MAX_DEPTH = 8


@dataclass(frozen=True)
class Field:
    """One value: its type and limits. `items` describes a list's elements; `fields` a nested
    object's known keys (an object without `fields` may hold anything, small)."""

    kind: type
    required: bool = True
    max_length: int = 1000
    min_length: int = 0
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    items: Field | None = None
    max_items: int = 100
    fields: Mapping[str, Field] | None = None
    doc: str = ""

    def schema(self) -> dict[str, Any]:
        """This field as JSON Schema (2020-12, as OpenAPI 3.1 uses it)."""
        out: dict[str, Any] = {"type": JSON_TYPES[self.kind]}
        if self.kind is str:
            out["maxLength"] = self.max_length
            if self.min_length:
                out["minLength"] = self.min_length
            if self.choices:
                out["enum"] = list(self.choices)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.kind is list:
            out["maxItems"] = self.max_items
            if self.items is not None:
                out["items"] = self.items.schema()
        if self.kind is dict and self.fields is not None:
            out.update(object_schema(self.fields))
        if self.doc:
            out["description"] = self.doc
        return out


JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array",
              dict: "object"}
# Marked with N_, translated where a problem names them.
TYPE_WORDS = {str: N_("a string"), int: N_("a whole number"), float: N_("a number"),
              bool: N_("true or false"), list: N_("a list"), dict: N_("an object")}


def object_schema(fields: Mapping[str, Field]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "properties": {name: spec.schema() for name, spec in fields.items()},
            "required": [name for name, spec in fields.items() if spec.required]}


# ---------------------------------------------------------------- declaring


@dataclass
class Contract:
    """What one view accepts and answers, per HTTP method ("*" for every method)."""

    bodies: dict[str, Mapping[str, Field] | Field] = field(default_factory=dict)
    query: dict[str, Field] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # media type -> schema
    answers: dict[str, dict[int, tuple[str, dict[str, Any], str]]] = field(default_factory=dict)

    def body_for(self, method: str) -> Mapping[str, Field] | Field | None:
        return self.bodies.get(method, self.bodies.get("*"))

    def answers_for(self, method: str) -> dict[int, tuple[str, dict[str, Any], str]]:
        return {**self.answers.get("*", {}), **self.answers.get(method, {})}


def contract_of(view: Any) -> Contract:
    found: Contract | None = getattr(view, "_contract", None)
    if found is None:
        found = Contract()
        view._contract = found
    return found


def accepts(fields: Mapping[str, Field] | Field, *, method: str = "*") -> Callable[[F], F]:
    """The JSON object this view's `method` takes (an empty mapping: `{}` exactly), or a
    Field for a body that is not an object (the ingest API's list)."""

    def mark(view: F) -> F:
        contract_of(view).bodies[method] = fields
        return view

    return mark


def accepts_file(media: Mapping[str, dict[str, Any]]) -> Callable[[F], F]:
    """A body that is a file, not a JSON object: media type -> JSON Schema."""

    def mark(view: F) -> F:
        contract_of(view).files.update(media)
        return view

    return mark


def query(**fields: Field) -> Callable[[F], F]:
    """Query parameters; a list Field is a repeatable parameter."""

    def mark(view: F) -> F:
        contract_of(view).query.update(fields)
        return view

    return mark


def answers(status: int, schema: dict[str, Any], *, method: str = "*",
            media: str = "application/json", description: str = "") -> Callable[[F], F]:
    """A success answer: its status, JSON Schema and media type (status 204: no body)."""

    def mark(view: F) -> F:
        contract_of(view).answers.setdefault(method, {})[status] = (media, schema, description)
        return view

    return mark


def fails(*statuses: int) -> Callable[[F], F]:
    """Problem statuses this view answers beyond those its declarations imply (409, 410, 429)."""

    def mark(view: F) -> F:
        view._problems = frozenset(statuses)  # type: ignore[attr-defined]
        return view

    return mark


# ---------------------------------------------------------------- reading


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _depth(value: Any, limit: int) -> bool:
    """True when value nests no deeper than limit (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return True


def read_body(max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The request's JSON value, whatever its shape, read with the limits above."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaTypeError(
            f"Send JSON with Content-Type: application/json (got {request.mimetype or 'none'})."
        )
    too_large = f"The body is larger than {max_bytes // 1024} KiB; send less."
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLargeError(too_large)
    raw = request.get_data(cache=True) or b""
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(too_large)
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise BadRequestError("The body is not UTF-8 text.") from exc
    except json.JSONDecodeError as exc:
        raise BadRequestError(
            f"The body is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from exc
    except ValueError as exc:  # NaN or Infinity, which JSON does not have
        raise BadRequestError(f"The body is not valid JSON: {exc}.") from exc
    except RecursionError as exc:
        raise BadRequestError(f"The body nests deeper than {MAX_DEPTH} levels.") from exc
    if not _depth(data, MAX_DEPTH):
        raise BadRequestError(f"The body nests deeper than {MAX_DEPTH} levels.")
    return data


def _text_problem(value: str, spec: Field) -> str | None:
    if len(value) > spec.max_length:
        return gettext("must be at most %(max)s characters", max=spec.max_length)
    if len(value) < spec.min_length:
        return gettext("must be at least %(min)s characters", min=spec.min_length)
    if spec.choices and value not in spec.choices:
        return gettext("must be one of: %(choices)s", choices=", ".join(spec.choices))
    return None


def _number_problem(value: float, spec: Field) -> str | None:
    if not math.isfinite(value):
        return gettext("must be a finite number")
    if spec.minimum is not None and value < spec.minimum:
        return gettext("must be at least %(min)s", min=format(spec.minimum, "g"))
    if spec.maximum is not None and value > spec.maximum:
        return gettext("must be at most %(max)s", max=format(spec.maximum, "g"))
    return None


def _list_problem(value: list[Any], spec: Field) -> str | None:
    if len(value) > spec.max_items:
        return gettext("must hold at most %(max)s items", max=spec.max_items)
    if spec.items is not None:
        for index, item in enumerate(value):
            problem = _problem(item, spec.items)
            if problem:
                return gettext("item %(number)s %(problem)s", number=index + 1, problem=problem)
    return None


def _problem(value: Any, spec: Field) -> str | None:
    if not _is(value, spec.kind):
        return _must_be(spec.kind)
    if isinstance(value, str):
        return _text_problem(value, spec)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_problem(value, spec)
    if isinstance(value, list):
        return _list_problem(value, spec)
    if isinstance(value, dict) and spec.fields is not None:
        errors = _check_object(value, spec.fields)
        if errors:
            return "; ".join(f"{name} {why}" for name, why in sorted(errors.items()))
    return None


def _must_be(kind: type) -> str:
    return gettext("must be %(kind)s", kind=gettext(TYPE_WORDS[kind]) if kind in TYPE_WORDS
                   else kind.__name__)


def _is(value: Any, kind: type) -> bool:
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


def _check_object(data: Mapping[str, Any], fields: Mapping[str, Field]) -> dict[str, str]:
    errors = {name: gettext("unknown field; allowed: %(names)s",
                            names=", ".join(sorted(fields)) or gettext("none"))
              for name in data if name not in fields}
    for name, spec in fields.items():
        if name not in data:
            if spec.required:
                errors[name] = gettext("required")
            continue
        value = data[name]
        if spec.fields is not None and isinstance(value, dict):
            # a known object's problems are named by their path: keys.auth
            errors.update({f"{name}.{inner}": why
                           for inner, why in _check_object(value, spec.fields).items()})
            continue
        problem = _problem(value, spec)
        if problem:
            errors[name] = problem
    return errors


def _declared_body() -> Mapping[str, Field] | Field:
    view = current_app.view_functions.get(request.endpoint or "")
    fields = contract_of(view).body_for(request.method) if view is not None else None
    if fields is None:
        raise RuntimeError(f"{request.endpoint} reads a JSON body it did not declare (@accepts)")
    return fields


def body_schema(body: Mapping[str, Field] | Field) -> dict[str, Any]:
    return body.schema() if isinstance(body, Field) else object_schema(body)


def read_items(max_bytes: int = MAX_JSON_BYTES) -> list[Any]:
    """A list body declared as `@accepts(Field(list, items=...))`: every bad item named as
    items[i], nothing taken unless all are good."""
    spec = _declared_body()
    if not isinstance(spec, Field) or spec.kind is not list or spec.items is None:
        raise RuntimeError(f"{request.endpoint} declares no list body")
    data = read_body(max_bytes)
    if not isinstance(data, list) or not 1 <= len(data) <= spec.max_items:
        raise ValidationError(gettext("Send a JSON list of 1 to %(max)s items.",
                                      max=spec.max_items),
                              {"items": gettext("must be a list")})
    errors = {f"items[{index}]": problem for index, item in enumerate(data)
              if (problem := _problem(item, spec.items))}
    if errors:
        raise ValidationError(gettext("Some items cannot be used; none were stored."), errors)
    return data


def read_json() -> dict[str, Any]:
    """The body as the view declared it with @accepts, or a problem naming every unknown,
    missing or mistyped field."""
    fields = _declared_body()
    if isinstance(fields, Field):
        raise RuntimeError(f"{request.endpoint} declares a body that is not an object")
    data = read_body()
    if not isinstance(data, dict):
        raise BadRequestError("The body must be a JSON object.")
    errors = _check_object(data, fields)
    if errors:
        raise ValidationError(gettext("Some fields are missing, unknown or of the wrong type."),
                              errors)
    return data


def read_query() -> dict[str, Any]:
    """The declared query parameters (absent ones left out), checked like body fields;
    numbers arrive as text and are converted before checking."""
    view = current_app.view_functions.get(request.endpoint or "")
    fields = contract_of(view).query if view is not None else {}
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, spec in fields.items():
        if name not in request.args:
            if spec.required:
                errors[name] = gettext("required")
            continue
        value: Any = (request.args.getlist(name) if spec.kind is list
                      else request.args.get(name, ""))
        if spec.kind in (int, float):
            try:
                value = spec.kind(value)
            except ValueError:
                errors[name] = _must_be(spec.kind)
                continue
        problem = _problem(value, spec)
        if problem:
            errors[name] = problem
        else:
            out[name] = value
    if errors:
        raise ValidationError(gettext("Some query parameters cannot be used."), errors)
    return out
