"""Every error becomes application/problem+json (RFC 9457) for the API, or a page for people."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app.core.bulk import BulkError
from app.core.errors import AppError, TooManyRequestsError, ValidationError
from app.core.roles import N_
from app.core.texts import gettext
from app.web import requestlog
from app.web.access import wants_json

# English, marked; shown in the request's language (gettext where the answer is made).
PLAIN_WORDS = {
    400: N_("The request could not be read."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not accept that kind of request."),
    413: N_("What was sent is too large."),
    415: N_("Send JSON with the header Content-Type: application/json."),
    429: N_("Too many attempts. Wait a little and try again."),
    500: N_("Something went wrong on our side. Nothing was changed; try again."),
}
# werkzeug's names for the statuses it refuses itself: the problem's slug is made from the
# English name, the title shown is translated.
HTTP_TITLES = frozenset({
    N_("Bad Request"), N_("Not Found"), N_("Method Not Allowed"), N_("Request Entity Too Large"),
    N_("Unsupported Media Type"), N_("Too Many Requests"), N_("Internal Server Error"),
})


def problem(status: int, title: str, detail: str, slug: str, **extra: Any) -> Response:
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail,
            "instance": request.path}
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _page(status: int, title: str, detail: str, errors: dict[str, str] | None = None
          ) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, detail=detail,
                           errors=errors or {}), status


def handle_app_error(exc: AppError) -> Any:
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationError) and exc.errors:
        extra["errors"] = exc.errors
    if isinstance(exc, BulkError):
        extra["problems"] = [{"row": p.row, "column": p.column, "message": p.message}
                             for p in exc.problems]
    title = gettext(exc.title)  # the class's English title, marked with N_
    if wants_json():
        response = problem(exc.status, title, exc.detail, exc.slug, **extra)
    else:
        response = make_response(_page(exc.status, title, exc.detail, extra.get("errors")))
    if isinstance(exc, TooManyRequestsError):
        response.headers["Retry-After"] = str(max(1, exc.retry_after))
    return response


def handle_http_error(exc: HTTPException) -> Any:
    """What werkzeug itself refused (no such address, a method the address does not take, a
    body it could not parse, too large): the plain words for the status, whatever text werkzeug
    put in the exception (its English, or in debug the key a form missed). Porchlight's own
    refusals, a missing CSRF token included, are AppErrors and carry their own words."""
    status = exc.code or 500
    title = exc.name or "Error"
    plain = PLAIN_WORDS.get(status)
    detail = gettext(plain) if plain else exc.description or title
    slug = title.lower().replace(" ", "-")
    title = gettext(title) if title in HTTP_TITLES else title
    if wants_json():
        response = problem(status, title, detail, slug)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
    return _page(status, title, detail)


def handle_unexpected(exc: Exception) -> Any:
    """A fault of ours: logged with its traceback and correlation id, never shown; the person
    gets plain words and the reference to quote."""
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    reference = requestlog.current()
    if wants_json():
        return problem(500, gettext("Internal error"), gettext(PLAIN_WORDS[500]),
                       "internal-error", correlation_id=reference)
    return render_template("error.html", status=500, title=gettext("Something went wrong"),
                           detail=gettext(PLAIN_WORDS[500]), errors={}, reference=reference), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
