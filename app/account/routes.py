from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import make_response, redirect, render_template, request, url_for

from app.account import bp
from app.core import roles
from app.core.errors import AppError, ValidationError
from app.core.texts import gettext
from app.services import clock, push
from app.services.auditing import receipts
from app.services.auditing.activity import activity_page
from app.services.auditing.audit import Cursor
from app.services.people import accounts, leaving, sessions
from app.web.access import (
    ANY_USER,
    allow,
    clear_session_cookie,
    client_ip,
    require_session,
    require_user,
    settings,
)
from app.web.i18n import current
from app.web.times import program_zone


def _older_than(args: Mapping[str, str]) -> Cursor | None:
    """The page cursor of an "Older activity" link: the time and number of the last event
    shown before (as the audit log pages, app.audit.forms)."""
    before = (args.get("before") or "").strip()
    if not before:
        return None
    try:
        moment = datetime.fromisoformat(before)
    except ValueError as exc:
        raise ValidationError(gettext("This page link is damaged: start again from your newest "
                                      "activity."), {"before": gettext("not a time")}) from exc
    seq = (args.get("before_seq") or "").strip()
    at = clock.iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return Cursor(at, int(seq) if seq.isdigit() else 0)


@bp.route("/activity")
@allow(ANY_USER)
def activity() -> Any:
    """My activity as a receipt: a sentence per event, by day, paged, each with its proof."""
    user = require_user()
    before = _older_than(request.args)
    page = activity_page(user, before, program_zone(), language=current())
    owner = user.role in roles.PUBLIC_ROLES
    return render_template("account/activity.html", page=page, first=before is None,
                           receipt_choices={choice: gettext(words) for choice, words
                                            in receipts.CHOICES.items()} if owner else None,
                           receipts=user.receipts)


@bp.route("/receipts", methods=["POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
def receipts_choice() -> Any:
    """Access receipts: off, a push at once, a daily email, or both."""
    receipts.set_choice(require_user(), request.form.get("receipts", ""), client_ip())
    return redirect(url_for("account.activity", receipts="saved", _anchor="receipts"))


@bp.route("/sessions")
@allow(ANY_USER)
def sessions_page() -> Any:
    user, item = require_user(), require_session()
    return render_template("account/sessions.html", sessions=sessions.list_for(user.user_id),
                           current=item.public_id, devices=push.subscriptions_of(user.user_id))


@bp.route("/sessions/<public_id>/revoke", methods=["POST"])
@allow(ANY_USER)
def revoke(public_id: str) -> Any:
    user = require_user()
    target = sessions.owned_session(user, public_id)
    accounts.revoke_session(user, user, target, client_ip())
    return redirect(url_for("account.sessions_page", revoked=1))


@bp.route("/notifications/<subscription_id>/remove", methods=["POST"])
@allow(ANY_USER)
def remove_device(subscription_id: str) -> Any:
    """Turn notifications off for a device from any other device (a lost phone, say)."""
    user = require_user()
    device = push.owned_subscription(user, subscription_id)
    push.unsubscribe(user, device.endpoint, client_ip())
    return redirect(url_for("account.sessions_page", device_removed=1))


@bp.route("/leave", methods=["GET", "POST"])
@allow(roles.OWNER, roles.ORG_ADMIN)
def leave() -> Any:
    """Leave the program: every camera withdrawn, personal data deleted (password to confirm)."""
    user = require_user()
    if request.method == "GET":
        return render_template("account/leave.html", errors={})
    try:
        done = leaving.leave(settings(), user, request.form.get("password", ""), client_ip())
    except AppError as exc:
        return render_template("account/leave.html", errors={"password": exc.detail}), exc.status
    page = render_template("account/left.html", done=leaving.summary(done))
    return clear_session_cookie(make_response(page))
