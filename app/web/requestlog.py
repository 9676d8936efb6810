"""One correlation id per request, and one access line per answer (app/logs.py says why the
line holds no query string, header or body)."""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, g, request
from werkzeug.wrappers import Response

from app import logs

access_log = logging.getLogger("app.access")
HEADER = "X-Request-Id"
_SAFE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


def _gateway_request_id() -> str | None:
    """API Gateway's id for this request (REST and HTTP APIs), which its own access log and
    metrics use too; Zappa hands the raw event over in the WSGI environ."""
    event = request.environ.get("lambda.event")
    if not isinstance(event, dict):
        return None
    value = (event.get("requestContext") or {}).get("requestId")
    return value if isinstance(value, str) and _SAFE_ID.fullmatch(value) else None


def current() -> str:
    """This request's correlation id (made on first use)."""
    if "correlation_id" not in g:
        g.correlation_id = _gateway_request_id() or logs.new_correlation_id()
        logs.set_correlation_id(g.correlation_id)
    return str(g.correlation_id)


def _start() -> None:
    g.started = time.perf_counter()
    current()


def _logged_path() -> str:
    """The path, except that a one-time token in it (the emailed reset, sign-up, invitation and
    join links) is logged as the route's placeholder: a log reader gets no usable link."""
    if "token" in (request.view_args or {}) and request.url_rule is not None:
        return request.url_rule.rule
    return request.path


def _finish(response: Response) -> Response:
    response.headers[HEADER] = current()
    access_log.info("request", extra={
        "method": request.method, "path": _logged_path(), "status": response.status_code,
        "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1)})
    return response


def _forget(_exc: BaseException | None) -> None:
    logs.set_correlation_id(None)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)
