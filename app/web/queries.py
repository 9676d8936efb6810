"""Every police query is an audit event, whatever it answers.

A view that answers a police query (a registry search, the map, the export, a footage
request) declares it with `@police_query("....refused")`. The service it calls records the
query when it answers it. When the answer is a refusal instead (a role that may not, a missing
MFA step or CSRF token, a body that cannot be read, invalid fields, nothing to ask, a fault of
ours), the hook below records the refusal action with who asked, what they asked (the fields
they sent, shortened), the status and why, before the answer leaves. So a probe that never
reaches the service still leaves its trace, and the anomaly flags count it
(app.services.auditing.anomalies). A caller with no session has no program's log to be written
to; the access log keeps those.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

from app.core.errors import ValidationError
from app.services.auditing import audit
from app.web import requestlog
from app.web.access import client_ip, current_user

F = TypeVar("F", bound=Callable[..., Any])

MAX_FIELDS = 16
MAX_TEXT = 80


def police_query(refused: str, *methods: str) -> Callable[[F], F]:
    """Mark a view as a police query: its refusals are recorded as `refused` (for `methods`
    only, when given: a GET that shows an empty form asks nothing)."""

    def mark(view: F) -> F:
        @functools.wraps(view)
        def answer(*args: Any, **kwargs: Any) -> Any:
            g.police_query_reached = True
            return view(*args, **kwargs)

        answer._police_query = (refused, frozenset(methods))  # type: ignore[attr-defined]
        return answer  # type: ignore[return-value]

    return mark


def refused(exc: ValidationError) -> None:
    """A view that answers a refusal itself (a form shown again with its errors) says why."""
    g.police_query_refusal = {"reason": exc.slug, "fields": sorted(exc.errors)}


def _marked() -> tuple[str, frozenset[str]] | None:
    view = current_app.view_functions.get(request.endpoint or "")
    marked: tuple[str, frozenset[str]] | None = getattr(view, "_police_query", None)
    if marked is None or (marked[1] and request.method not in marked[1]):
        return None
    return marked


def _refusal(response: Response) -> dict[str, Any] | None:
    """Why the answer refuses the query, or None when it answers it."""
    reached = bool(g.get("police_query_reached"))
    if response.status_code < 300 or (reached and response.status_code < 400):
        return None  # answered (a form's redirect to what it made): the service recorded it
    why = g.get("police_query_refusal")
    if why:
        return dict(why)
    if response.mimetype == "application/problem+json":
        try:
            body = json.loads(response.get_data())
        except ValueError:
            body = {}
        return {"reason": str(body.get("type", "")).rsplit("/", 1)[-1] or "refused",
                "fields": sorted(body.get("errors") or {})}
    location = response.headers.get("Location", "")
    if 300 <= response.status_code < 400:
        return {"reason": "mfa-required" if "/mfa/" in location else "redirected"}
    return {"reason": response.status.split(" ", 1)[-1].lower().replace(" ", "-")}


def _short(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"{type(value).__name__}"


def asked() -> dict[str, Any]:
    """What the caller asked: query parameters, form fields or the JSON body's fields, each
    shortened; never the CSRF token."""
    if request.method == "GET":
        fields: Any = request.args.to_dict()
    elif request.mimetype == "application/json":
        if (request.content_length or 0) > 64 * 1024:
            return {"body": "too large"}
        fields = request.get_json(silent=True)
        if not isinstance(fields, dict):
            return {"body": f"not a JSON object ({len(request.get_data())} bytes)"}
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields = request.form.to_dict()
    else:
        return {"body": request.mimetype or "no content type"}
    fields.pop("csrf_token", None)
    return {str(k)[:40]: _short(v) for k, v in list(fields.items())[:MAX_FIELDS]}


def record_refusal(response: Response) -> Response:
    marked = _marked() if request.endpoint else None
    user = current_user()
    if marked is None or user is None:
        return response
    why = _refusal(response)
    if why is None:
        return response
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    audit.record(user.agency_id, audit.Actor(user.user_id, user.role, client_ip()), marked[0],
                 "-", {"route": f"{request.method} {rule}", "status": response.status_code,
                       **why, "asked": asked(), "ref": requestlog.current()})
    return response


def init_app(app: Flask) -> None:
    app.after_request(record_refusal)
