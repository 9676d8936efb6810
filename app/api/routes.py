from __future__ import annotations

from typing import Any

from flask import jsonify, make_response, request

from app.api import bp
from app.audit.routes import parse_filter
from app.core import roles
from app.core.errors import NotFoundError
from app.models.users import User
from app.services import accounts, audit, sessions
from app.web.access import (
    ANY_USER,
    PUBLIC,
    allow,
    clear_session_cookie,
    client_ip,
    require_session,
    require_user,
    set_session_cookie,
    settings,
)
from app.web.csrf import csrf_token
from app.web.jsonio import Field, read_json


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.user_id, "email": user.email, "display_name": user.display_name,
            "role": user.role, "agency_id": user.agency_id, "mfa_enrolled": user.mfa_enrolled}


@bp.route("/healthz")
@allow(PUBLIC, mfa_exempt=True)
def healthz() -> Any:
    return jsonify(status="ok", env=settings().env)


@bp.route("/api/csrf")
@allow(PUBLIC, mfa_exempt=True)
def csrf() -> Any:
    """The token to send as X-CSRF-Token with every state-changing call from this browser."""
    return jsonify(csrf_token=csrf_token())


@bp.route("/api/me")
@allow(ANY_USER)
def me() -> Any:
    return jsonify(user=user_json(require_user()), csrf_token=csrf_token())


@bp.route("/api/accounts", methods=["POST"])
@allow(PUBLIC)
def create_account() -> Any:
    data = read_json({"email": Field(str, max_length=254), "password": Field(str, max_length=256),
                      "display_name": Field(str, max_length=80),
                      "agency_id": Field(str, required=False, max_length=64)})
    agency_id = data.get("agency_id") or ""
    if not agency_id:
        programs = accounts.agencies()
        agency_id = programs[0].agency_id if len(programs) == 1 else ""
    user = accounts.signup(data["email"], data["password"], data["display_name"], agency_id,
                           client_ip())
    response = jsonify(user=user_json(user))
    response.status_code = 201
    response.headers["Location"] = "/api/me"
    return response


@bp.route("/api/session", methods=["POST"])
@allow(PUBLIC)
def login() -> Any:
    data = read_json({"email": Field(str, max_length=254),
                      "password": Field(str, max_length=256)})
    result = accounts.login(settings(), data["email"], data["password"], client_ip(),
                            request.user_agent.string)
    body = {"user": user_json(result.user), "mfa_required": result.mfa_needed,
            "session": result.new_session.session.public_id}
    return set_session_cookie(make_response(jsonify(body), 201), result.new_session.token)


@bp.route("/api/session", methods=["DELETE"])
@allow(ANY_USER, mfa_exempt=True)
def logout() -> Any:
    accounts.logout(require_user(), require_session(), client_ip())
    return clear_session_cookie(make_response("", 204))


@bp.route("/api/session/mfa", methods=["POST"])
@allow(ANY_USER, mfa_exempt=True)
def mfa() -> Any:
    data = read_json({"code": Field(str, max_length=12)})
    accounts.verify_mfa(settings(), require_user(), require_session(), data["code"], client_ip())
    return jsonify(mfa_ok=True, csrf_token=csrf_token())


@bp.route("/api/me/activity")
@allow(ANY_USER)
def my_activity() -> Any:
    events = audit.activity_of(require_user().user_id)
    return jsonify(events=[audit.event_json(e) for e in events])


@bp.route("/api/me/sessions")
@allow(ANY_USER)
def my_sessions() -> Any:
    user, current = require_user(), require_session()
    return jsonify(sessions=[
        {"id": s.public_id, "created_at": s.created_at.isoformat(),
         "last_seen": s.last_seen.isoformat(), "ip": s.ip, "user_agent": s.user_agent,
         "current": s.public_id == current.public_id}
        for s in sessions.list_for(user.user_id)
    ])


@bp.route("/api/me/sessions/<public_id>", methods=["DELETE"])
@allow(ANY_USER)
def revoke_my_session(public_id: str) -> Any:
    user = require_user()
    target = sessions.find_public(user.user_id, public_id)
    if target is None:
        raise NotFoundError("No such session, or it has already ended.")
    accounts.revoke_session(user, user, target, client_ip())
    return "", 204


@bp.route("/api/invitations", methods=["POST"])
@allow(roles.AGENCY_ADMIN)
def invite() -> Any:
    data = read_json({"email": Field(str, max_length=254), "role": Field(str, max_length=40)})
    accounts.invite(settings(), require_user(), data["email"], data["role"], client_ip())
    return jsonify(invited=data["email"].strip().lower(), role=data["role"]), 201


@bp.route("/api/audit/events")
@allow(roles.AUDITOR)
def audit_events() -> Any:
    user = require_user()
    flt = parse_filter(request.args.to_dict(), user.agency_id)
    events = [e for e in audit.search(flt) if e.agency_id == user.agency_id]
    return jsonify(events=[audit.event_json(e) for e in events])
