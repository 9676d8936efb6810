"""Thin routes: parse the form, call one service function, render or redirect."""

from __future__ import annotations

from typing import Any

from flask import make_response, redirect, render_template, request, url_for

from app.auth import bp
from app.core.errors import AppError, LinkGoneError, TooManyRequestsError, ValidationError
from app.core.redirects import safe_next
from app.services.people import accounts, mfa, resets, signups, single_use
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
from app.web.i18n import current


def _form(name: str) -> str:
    return request.form.get(name, "")


def _refused(template: str, exc: AppError, **context: Any) -> Any:
    """Show the form again with the reason; a lockout also says when to retry."""
    context.setdefault("form", {})
    response = make_response(render_template(template, errors={}, message=exc.detail,
                                             **context), exc.status)
    if isinstance(exc, TooManyRequestsError):
        response.headers["Retry-After"] = str(max(1, exc.retry_after))
    return response


def _invalid(template: str, exc: ValidationError, **context: Any) -> Any:
    return render_template(template, errors=exc.errors, message=exc.detail
                           if not exc.errors else "", form=request.form, **context), 422


@bp.route("/signup", methods=["GET", "POST"])
@allow(PUBLIC)
def signup() -> Any:
    programs = accounts.agencies()
    if request.method == "GET":
        return render_template("auth/signup.html", errors={}, form={}, programs=programs)
    agency_id = _form("agency_id") or (programs[0].agency_id if len(programs) == 1 else "")
    try:
        email = signups.start(settings(), _form("email"), _form("password"),
                             _form("display_name"), agency_id, client_ip(), current())
    except ValidationError as exc:
        return _invalid("auth/signup.html", exc, programs=programs)
    except AppError as exc:
        return _refused("auth/signup.html", exc, form=request.form, programs=programs)
    return render_template("auth/signup_sent.html", email=email)


@bp.route("/signup/finish/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def finish_signup(token: str) -> Any:
    item = signups.pending(token)
    if item is None:
        return render_template("auth/link_gone.html"), 410
    context = {"token": token, "pending": item}
    if request.method == "GET":
        return render_template("auth/signup_finish.html", errors={}, form={}, **context)
    try:
        result = signups.finish(settings(), token, _form("password"), client_ip(),
                               request.user_agent.string)
    except LinkGoneError:  # used meanwhile (another tab)
        return render_template("auth/link_gone.html"), 410
    except ValidationError as exc:
        return _invalid("auth/signup_finish.html", exc, **context)
    except AppError as exc:
        return _refused("auth/signup_finish.html", exc, **context)
    if current() != "en":  # the language they signed up in: their mails and pushes too
        accounts.set_language(result.user, current())
    return set_session_cookie(make_response(redirect(url_for("home.index", welcome=1))),
                              result.new_session.token)


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login() -> Any:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("auth/login.html", errors={}, form={}, next=next_url,
                               ended=request.args.get("ended"))
    try:
        result = accounts.login(settings(), _form("email"), _form("password"), client_ip(),
                                request.user_agent.string)
    except AppError as exc:
        return _refused("auth/login.html", exc, form={"email": _form("email")}, next=next_url)
    target = next_url
    if result.mfa_needed:
        target = url_for("auth.mfa_verify" if result.user.mfa_enrolled else "auth.mfa_setup",
                         next=next_url)
    return set_session_cookie(make_response(redirect(target)), result.new_session.token)


@bp.route("/logout", methods=["POST"])
@allow(ANY_USER, mfa_exempt=True)
def logout() -> Any:
    accounts.logout(require_user(), require_session(), client_ip())
    return clear_session_cookie(make_response(redirect(url_for("auth.login", out=1))))


@bp.route("/password/forgot", methods=["GET", "POST"])
@allow(PUBLIC)
def forgot() -> Any:
    if request.method == "GET":
        return render_template("auth/forgot.html", errors={}, form={})
    try:
        email = accounts.check_email(_form("email"))
        resets.request_link(settings(), email, client_ip(), current())
    except ValidationError as exc:
        return _invalid("auth/forgot.html", exc)
    except AppError as exc:
        return _refused("auth/forgot.html", exc, form=request.form)
    return render_template("auth/forgot_sent.html", email=email)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def reset(token: str) -> Any:
    if resets.usable(token) is None:
        return render_template("auth/link_gone.html"), 410
    if request.method == "GET":
        return render_template("auth/reset.html", errors={}, form={}, token=token)
    try:
        resets.reset_password(settings(), token, _form("password"), client_ip())
    except LinkGoneError:  # used or replaced meanwhile
        return render_template("auth/link_gone.html"), 410
    except ValidationError as exc:
        return _invalid("auth/reset.html", exc, token=token)
    return redirect(url_for("auth.login", reset=1))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def accept_invite(token: str) -> Any:
    item = single_use.peek(token, "invite")
    if item is None:
        return render_template("auth/link_gone.html"), 410
    agency = accounts.get_agency(item.agency_id)
    context = {"token": token, "invitation": item, "agency": agency}
    if request.method == "GET":
        return render_template("auth/invite.html", errors={}, form={}, **context)
    try:
        accounts.accept_invite(token, _form("display_name"), _form("password"), client_ip())
        result = accounts.login(settings(), item.email, _form("password"), client_ip(),
                                request.user_agent.string)
    except ValidationError as exc:
        return _invalid("auth/invite.html", exc, **context)
    response = make_response(redirect(url_for("auth.mfa_setup")))
    return set_session_cookie(response, result.new_session.token)


@bp.route("/mfa/setup", methods=["GET", "POST"])
@allow(ANY_USER, mfa_exempt=True)
def mfa_setup() -> Any:
    user, item = require_user(), require_session()
    if user.mfa_enrolled:
        return redirect(url_for("auth.mfa_verify" if not item.mfa_ok else "home.index"))
    if request.method == "POST":
        try:
            accounts.confirm_mfa_enrolment(settings(), user, item, _form("code"), client_ip())
        except ValidationError as exc:
            secret = user.mfa_pending_secret or accounts.begin_mfa_enrolment(user)
            return _invalid("auth/mfa_setup.html", exc, **_enrolment(secret, user.email))
        return redirect(url_for("home.index", mfa=1))
    secret = accounts.begin_mfa_enrolment(user)
    return render_template("auth/mfa_setup.html", errors={}, form={},
                           **_enrolment(secret, user.email))


def _enrolment(secret: str, email: str) -> dict[str, str]:
    uri = mfa.provisioning_uri(secret, email)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return {"secret": grouped, "qr_svg": mfa.qr_svg(uri), "uri": uri}


@bp.route("/mfa/verify", methods=["GET", "POST"])
@allow(ANY_USER, mfa_exempt=True)
def mfa_verify() -> Any:
    user, item = require_user(), require_session()
    next_url = safe_next(request.values.get("next"))
    if not user.mfa_enrolled:
        return redirect(url_for("auth.mfa_setup"))
    if item.mfa_ok:
        return redirect(next_url)
    if request.method == "GET":
        return render_template("auth/mfa_verify.html", errors={}, form={}, next=next_url)
    try:
        accounts.verify_mfa(settings(), user, item, _form("code"), client_ip())
    except ValidationError as exc:
        return _invalid("auth/mfa_verify.html", exc, next=next_url)
    except AppError as exc:
        return _refused("auth/mfa_verify.html", exc, next=next_url)
    return redirect(next_url)
