"""Who may reach which view: every view declares it, and an undeclared view is refused.

`load_identity` runs before every request: it reads the session cookie, ends expired sessions,
and enforces the declared access and the MFA step for police roles.

Only an answer ends a session: it expired, its user does not exist, is inactive or has another
role now. A database that fails to answer (throttled, timed out, unreachable) says nothing
about the session, so it is kept and the request gets a 503 in plain words; the next request,
once the database answers, finds the person still signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response

from app.config import Settings
from app.core import roles
from app.core.errors import (
    ForbiddenError,
    MfaRequiredError,
    NotFoundError,
    UnauthorizedError,
    UnavailableError,
)
from app.core.texts import gettext
from app.models.base import STORE_ERRORS
from app.models.sessions import Session
from app.models.users import User
from app.services.auditing import audit
from app.services.people import accounts
from app.services.people import sessions as session_service

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
ANY_USER = "any-user"


def allow(*who: str, mfa_exempt: bool = False, csrf_exempt: bool = False,
          credential: str = "") -> Callable[[F], F]:
    """Declare who may use a view: PUBLIC, ANY_USER, or role names.

    `csrf_exempt` is only for views that authenticate by an Authorization header and never by
    the session cookie (the ingest API); a browser cannot be tricked into sending that header.
    `credential` names that header's scheme in the OpenAPI document (app.web.openapi).
    """

    def mark(view: F) -> F:
        marked: Any = view
        marked._access = frozenset(who)
        marked._mfa_exempt = mfa_exempt
        marked._csrf_exempt = csrf_exempt
        marked._credential = credential
        return view

    return mark


def settings() -> Settings:
    configured: Settings = current_app.config["SETTINGS"]
    return configured


def cookie_name() -> str:
    return "__Host-pl_session" if settings().cookie_secure else "pl_session"


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json",
                                                "application/problem+json"])
    return best in ("application/json", "application/problem+json")


def client_ip() -> str:
    return request.remote_addr or "-"


def current_user() -> User | None:
    return g.get("user")


def current_session() -> Session | None:
    return g.get("session")


def require_user() -> User:
    user = current_user()
    if user is None:
        raise UnauthorizedError()
    return user


def require_session() -> Session:
    item = current_session()
    if item is None:
        raise UnauthorizedError()
    return item


def actor() -> audit.Actor:
    user = current_user()
    if user is None:
        return audit.Actor("anonymous", "anonymous", client_ip())
    return audit.Actor(user.user_id, user.role, client_ip())


STORE_DOWN = ("Porchlight cannot reach its records just now, so this page could not be shown. "
              "You are still signed in: try again in a moment.")


def _load_session() -> None:
    g.user = None
    g.session = None
    g.session_ended = None
    token = request.cookies.get(cookie_name(), "")
    if not token:
        return
    try:
        _check_session(token)
    except STORE_ERRORS as exc:
        g.user = g.session = None
        # The error's kind and DynamoDB's code only: never the cookie, the token or its digest.
        current_app.logger.warning(
            "session check failed (%s %s); the session is kept", type(exc).__name__,
            getattr(exc, "cause_response_code", None) or "")
        raise UnavailableError(STORE_DOWN) from exc


def _check_session(token: str) -> None:
    item = session_service.load(token)
    if item is None:
        g.session_ended = "unknown"
        return
    why = session_service.expired(settings(), item)
    if why:
        _end_expired(item, why)
        return
    try:
        user = accounts.get_user(item.user_id)
    except NotFoundError:  # the account is gone (it left the program, or never was)
        session_service.revoke(item)
        return
    if not user.active or user.role != item.role:
        session_service.revoke(item)
        g.session_ended = "changed"
        return
    session_service.touch(item)
    g.user = user
    g.session = item


def _end_expired(item: Session, why: str) -> None:
    """Audit the expiry, then end the session. An expired session is refused whatever happens
    next, so when the database fails half-way the next request does both again, and the event
    is keyed by the session so it goes into the log once."""
    try:
        user = accounts.get_user(item.user_id)
    except NotFoundError:
        user = None  # the account is gone: there is no program to audit it under
    if user is not None:
        audit.record_once(f"session-expired#{item.public_id}", user.agency_id,
                          audit.Actor("system", "system", client_ip()), "session.expired",
                          user.user_id, {"session": item.public_id, "reason": why})
    session_service.revoke(item)
    g.session_ended = why


def load_identity() -> Response | None:
    _load_session()
    if request.endpoint is None:
        return None  # unknown route: the 404 handler answers
    view = current_app.view_functions.get(request.endpoint)
    access: frozenset[str] | None = getattr(view, "_access", None)
    if access is None:
        raise ForbiddenError("This page has no access rule, so nobody may use it.")
    if PUBLIC in access:
        return None
    user, item = current_user(), current_session()
    if user is None or item is None:
        if wants_json():
            raise UnauthorizedError(_ended_message())
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?"),
                                ended=g.session_ended or None))
    if not item.mfa_ok and not getattr(view, "_mfa_exempt", False):
        if wants_json():
            raise MfaRequiredError("Confirm your authenticator code to continue.")
        if not user.mfa_enrolled:
            return redirect(url_for("auth.mfa_setup"))
        return redirect(url_for("auth.mfa_verify", next=request.full_path.rstrip("?")))
    if ANY_USER not in access and user.role not in access:
        raise ForbiddenError(f"A {roles.LABELS.get(user.role, user.role)} cannot use this page.")
    return None


def _ended_message() -> str:
    ended = g.get("session_ended") or ""
    if ended == "idle":
        return gettext("Your session ended after a time without activity. Log in again.")
    if ended == "absolute":
        return gettext("Your session reached its time limit. Log in again.")
    if ended == "changed":
        return gettext("Your account changed. Log in again.")
    return gettext("Log in to continue.")


def init_app(app: Flask) -> None:
    app.before_request(load_identity)


def set_session_cookie(response: Response, token: str) -> Response:
    response.set_cookie(cookie_name(), token, max_age=settings().absolute_seconds, httponly=True,
                        secure=settings().cookie_secure, samesite="Lax", path="/")
    return response


def clear_session_cookie(response: Response) -> Response:
    response.delete_cookie(cookie_name(), path="/", secure=settings().cookie_secure,
                           httponly=True, samesite="Lax")
    return response
