from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, make_response, request

from app.api import bp
from app.audit.forms import parse_filter
from app.core import roles
from app.core.errors import GoneError, LinkGoneError
from app.models.users import User
from app.services.auditing import activity, audit, review
from app.services.people import accounts, sessions, signups
from app.web import openapi
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
from app.web.i18n import current
from app.web.jsonio import Field, accepts, answers, fails, query, read_json, read_query
from app.web.shapes import ANY_OBJECT, BOOL, STR, TIME, arr, maybe, obj

USER = obj(id=STR, email=STR, display_name=STR, role=STR, agency_id=STR, mfa_enrolled=BOOL)
SIGNUP_SENT = ("Check your email: the link in it finishes your account. If the address already "
               "has an account, the email says how to log in.")
# An audit event as its reader may read it (app.core.audit_views): an auditor gets every field,
# anyone else no salt, an IP address only when it is their own, and "withheld" for people and
# details that are not theirs to know.
EVENT = obj(("ip", "withheld"), chain=STR, seq={"type": "integer"}, at=TIME, action=STR,
            actor_id=STR, actor_role=STR, subject_id=STR, details=ANY_OBJECT, hash=STR, ip=STR,
            withheld=arr(STR))


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.user_id, "email": user.email, "display_name": user.display_name,
            "role": user.role, "agency_id": user.agency_id, "mfa_enrolled": user.mfa_enrolled}


@bp.route("/api/openapi.json")
@allow(PUBLIC, mfa_exempt=True)
@answers(200, {"type": "object", "required": ["openapi", "paths"]})
def openapi_document() -> Any:
    """This document: the JSON API's contract, generated from the views' own declarations."""
    return jsonify(openapi.document(current_app))


@bp.route("/healthz")
@allow(PUBLIC, mfa_exempt=True)
@answers(200, obj(status=STR, env=STR))
def healthz() -> Any:
    return jsonify(status="ok", env=settings().env)


@bp.route("/api/csrf")
@allow(PUBLIC, mfa_exempt=True)
@answers(200, obj(csrf_token=STR))
def csrf() -> Any:
    """The token to send as X-CSRF-Token with every state-changing call from this browser."""
    return jsonify(csrf_token=csrf_token())


@bp.route("/api/me")
@allow(ANY_USER)
@answers(200, obj(user=USER, csrf_token=STR))
def me() -> Any:
    return jsonify(user=user_json(require_user()), csrf_token=csrf_token())


@bp.route("/api/accounts", methods=["POST"])
@allow(PUBLIC)
@accepts({"email": Field(str, max_length=254), "password": Field(str, max_length=256),
          "display_name": Field(str, max_length=80),
          "agency_id": Field(str, required=False, max_length=64)})
@answers(202, obj(email=STR, detail=STR),
         description="Mail is on its way to the address: a link that finishes the account "
                     "(POST /api/accounts/confirm, or the page it opens), or, when the address "
                     "already has an account, a note to its holder. The answer is the same "
                     "either way.")
@fails(404, 429)
def create_account() -> Any:
    """Sign up as a camera owner (a program's police and staff are invited instead).

    Nothing is created until the emailed link is used: this answer never tells whether the
    address already has an account."""
    data = read_json()
    agency_id = data.get("agency_id") or ""
    if not agency_id:
        programs = accounts.agencies()
        agency_id = programs[0].agency_id if len(programs) == 1 else ""
    email = signups.start(settings(), data["email"], data["password"], data["display_name"],
                          agency_id, client_ip(), current())
    return jsonify(email=email, detail=SIGNUP_SENT), 202


@bp.route("/api/accounts/confirm", methods=["POST"])
@allow(PUBLIC)
@accepts({"token": Field(str, max_length=300, doc="the last part of the emailed link"),
          "password": Field(str, max_length=256, doc="the password chosen at sign-up")})
@answers(201, obj(user=USER, mfa_required=BOOL, session=STR))
@fails(409, 410, 429)
def confirm_account() -> Any:
    """Finish a sign-up with the emailed link's token; creates the account and logs in."""
    data = read_json()
    try:
        result = signups.finish(settings(), data["token"], data["password"], client_ip(),
                                request.user_agent.string)
    except LinkGoneError as exc:
        raise GoneError(exc.detail) from exc
    return _session_answer(result)


@bp.route("/api/session", methods=["POST"])
@allow(PUBLIC)
@accepts({"email": Field(str, max_length=254), "password": Field(str, max_length=256)})
@answers(201, obj(user=USER, mfa_required=BOOL, session=STR))
@fails(401, 429)
def login() -> Any:
    """Log in; sets the session cookie. Police roles then confirm a TOTP code."""
    data = read_json()
    result = accounts.login(settings(), data["email"], data["password"], client_ip(),
                            request.user_agent.string)
    return _session_answer(result)


def _session_answer(result: accounts.LoginResult) -> Any:
    body = {"user": user_json(result.user), "mfa_required": result.mfa_needed,
            "session": result.new_session.session.public_id}
    return set_session_cookie(make_response(jsonify(body), 201), result.new_session.token)


@bp.route("/api/session", methods=["DELETE"])
@allow(ANY_USER, mfa_exempt=True)
@answers(204, {})
def logout() -> Any:
    accounts.logout(require_user(), require_session(), client_ip())
    return clear_session_cookie(make_response("", 204))


@bp.route("/api/session/mfa", methods=["POST"])
@allow(ANY_USER, mfa_exempt=True)
@accepts({"code": Field(str, max_length=12)})
@answers(200, obj(mfa_ok=BOOL, csrf_token=STR))
@fails(429)
def mfa() -> Any:
    """Confirm the authenticator's 6-digit code for this session."""
    data = read_json()
    accounts.verify_mfa(settings(), require_user(), require_session(), data["code"], client_ip())
    return jsonify(mfa_ok=True, csrf_token=csrf_token())


@bp.route("/api/me/activity")
@allow(ANY_USER)
@answers(200, obj(events=arr(EVENT)))
def my_activity() -> Any:
    """Every audited event about the signed-in user: who did what, when. Owners' notices of
    police reads are the owners'; people and addresses that are not the reader's to know are
    "withheld"."""
    return jsonify(events=activity.activity_for(require_user()))


@bp.route("/api/me/sessions")
@allow(ANY_USER)
@answers(200, obj(sessions=arr(obj(id=STR, created_at=TIME, last_seen=TIME, ip=STR,
                                   user_agent=STR, current=BOOL))))
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
@answers(204, {})
def revoke_my_session(public_id: str) -> Any:
    user = require_user()
    target = sessions.owned_session(user, public_id)
    accounts.revoke_session(user, user, target, client_ip())
    return "", 204


@bp.route("/api/invitations", methods=["POST"])
@allow(roles.AGENCY_ADMIN)
@accepts({"email": Field(str, max_length=254),
          "role": Field(str, max_length=40, choices=tuple(sorted(roles.INVITED_ROLES)))})
@answers(201, obj(invited=STR, role=STR))
@fails(409)
def invite() -> Any:
    """Invite a police or staff member of the admin's program by email."""
    data = read_json()
    accounts.invite(settings(), require_user(), data["email"], data["role"], client_ip())
    return jsonify(invited=data["email"].strip().lower(), role=data["role"]), 201


@bp.route("/api/audit/events")
@allow(roles.AUDITOR)
@query(actor=Field(str, required=False, max_length=100),
       action=Field(str, required=False, max_length=60),
       subject=Field(str, required=False, max_length=100),
       case=Field(str, required=False, max_length=100),
       text=Field(str, required=False, max_length=100),
       since=Field(str, required=False, max_length=40, doc="date, YYYY-MM-DD"),
       until=Field(str, required=False, max_length=40, doc="date, YYYY-MM-DD"),
       per_page=Field(str, required=False, max_length=4),
       before=Field(str, required=False, max_length=40, doc="from `next` of the last page"),
       before_seq=Field(str, required=False, max_length=12))
@answers(200, obj(events=arr(EVENT), next=maybe(obj(before=STR, before_seq=STR))))
def audit_events() -> Any:
    """The program's audit events, newest first, filtered like the auditor's page; this read
    is itself audited."""
    user = require_user()
    read_query()
    flt = parse_filter(request.args.to_dict(), user.agency_id)
    page = review.review(user, flt, client_ip())
    after = None if page.next is None else {"before": page.next.at,
                                            "before_seq": str(page.next.seq)}
    return jsonify(events=[audit.event_json(e) for e in page.events], next=after)
