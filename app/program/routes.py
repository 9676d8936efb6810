from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from app.core import roles
from app.core.errors import AppError, NotFoundError
from app.program import bp
from app.services.governance import program
from app.services.people import accounts
from app.web.access import PUBLIC, allow, client_ip, require_user, settings


def _agency_id() -> str:
    """The program asked for (?program=), the signed-in user's, or the first one."""
    user = getattr(g, "user", None)
    wanted = request.args.get("program") or request.form.get("program") or (
        user.agency_id if user else "")
    known = {a.agency_id: a for a in accounts.agencies()}
    if wanted in known:
        return wanted
    return sorted(known)[0] if known else ""


def _existing_agency_id() -> str:
    """As _agency_id, for pages that need a program: before the first one exists, a 404."""
    agency_id = _agency_id()
    if not agency_id:
        raise NotFoundError("No camera program has been set up here yet.")
    return agency_id


@bp.route("/program")
@allow(PUBLIC)
def page() -> Any:
    agency_id = _agency_id()
    if not agency_id:  # a fresh install: the log-in page links here before any program exists
        return render_template("program/none.html")
    return render_template("program/page.html", agency=accounts.get_agency(agency_id),
                           **program.page_view(program.latest(agency_id)))


@bp.route("/program/history")
@allow(PUBLIC)
def history() -> Any:
    agency_id = _existing_agency_id()
    return render_template("program/history.html", agency=accounts.get_agency(agency_id),
                           versions=program.history(agency_id))


@bp.route("/program/history/<int:number>")
@allow(PUBLIC)
def old_version(number: int) -> Any:
    agency_id = _existing_agency_id()
    return render_template("program/page.html", agency=accounts.get_agency(agency_id),
                           old=True, **program.page_view(program.version(agency_id, number)))


@bp.route("/program/feedback", methods=["GET", "POST"])
@allow(PUBLIC)
def feedback() -> Any:
    agency_id = _existing_agency_id()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            program.send_feedback(settings(), agency_id, request.form.get("message", ""),
                                  request.form.get("reply_to", ""), getattr(g, "user", None),
                                  client_ip())
            return redirect(url_for("program.feedback", program=agency_id, sent=1))
        except AppError as exc:
            field = next(iter(getattr(exc, "errors", {}) or {"message": ""}))
            errors = {field: exc.detail}
            status = exc.status
    else:
        status = 200
    return render_template("program/feedback.html", agency=accounts.get_agency(agency_id),
                           errors=errors, form=request.form), status


@bp.route("/admin/program", methods=["GET", "POST"])
@allow(roles.AGENCY_ADMIN)
def edit() -> Any:
    admin = require_user()
    current = program.latest(admin.agency_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            faq = program.parse_faq(request.form.getlist("q"), request.form.getlist("a"))
            program.save(admin, request.form.get("policy_text", ""), faq,
                         request.form.get("note", ""), client_ip(),
                         int(request.form.get("version", "0") or 0))
            return redirect(url_for("program.edit", saved=1))
        except AppError as exc:
            field = next(iter(getattr(exc, "errors", {}) or {"policy_text": ""}))
            errors = {field: exc.detail}
            return render_template("program/edit.html", errors=errors, form=request.form,
                                   current=current, faq=program.faq_of(current)), exc.status
    return render_template("program/edit.html", errors=errors, form={}, current=current,
                           faq=program.faq_of(current))


@bp.route("/admin/feedback")
@allow(roles.AGENCY_ADMIN)
def feedback_list() -> Any:
    return render_template("program/feedback_list.html",
                           items=program.feedback_for(require_user()))
