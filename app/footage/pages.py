"""Pages: a detective's cases and status boards; an owner's requests, answers and upload."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import redirect, render_template, request, url_for

from app.core import footage, idempotency, localtime, roles
from app.core.cameras import TIER_WORDS
from app.core.errors import AppError, ValidationError
from app.core.texts import gettext
from app.footage import bp
from app.services import clock, push
from app.services.auditing import activity
from app.services.cameras import bridges
from app.services.footage import canvass, missing, timeline
from app.services.governance.policy import policy_for
from app.web.access import allow, client_ip, require_user, settings, wants_json
from app.web.queries import police_query, refused

POLICE = (roles.DETECTIVE, roles.SUPERVISOR)
OWNERS = (roles.OWNER, roles.ORG_ADMIN)


@bp.route("/cases")
@allow(*POLICE)
def cases() -> Any:
    user = require_user()
    return render_template("footage/cases.html", requests=canvass.requests_for(user),
                           offense_words=footage.OFFENSE_WORDS,
                           state_words=footage.REQUEST_STATE_WORDS, done=request.args.get("done"))


def _form_defaults() -> dict[str, Any]:
    args = request.values
    incident = args.get("incident_at", "")
    start = end = ""
    try:
        moment = localtime.instant(incident, "incident_at") if incident else clock.now()
        start = (moment - timedelta(minutes=10)).isoformat(timespec="minutes")
        end = min(moment + timedelta(minutes=20), clock.now()).isoformat(timespec="minutes")
    except ValidationError:
        pass  # the form opens with empty times; the detective types them
    return {"camera_ids": args.getlist("camera_ids"), "case_number": args.get("case_number", ""),
            "lat": args.get("lat", ""), "lon": args.get("lon", ""),
            "window_start": args.get("window_start", start),
            "window_end": args.get("window_end", end), "offense": args.get("offense", ""),
            "message": args.get("message", ""), "hidden": args.get("hidden", ""),
            "radius_m": args.get("radius_m", "")}


@bp.route("/cases/new", methods=["GET", "POST"])
@police_query("request.create_refused", "POST")
@allow(roles.DETECTIVE)
def new_case() -> Any:
    user = require_user()
    policy = policy_for(user.agency_id)
    form = _form_defaults()
    cameras = canvass.offered(user, form["camera_ids"])
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = {**form, "lat": _float(form["lat"]), "lon": _float(form["lon"])}
        if form["hidden"] and form["radius_m"]:
            data["hidden_radius_m"] = _float(form["radius_m"])
        try:
            created = canvass.create(settings(), user, data, client_ip())
        except ValidationError as exc:
            refused(exc)
            errors = exc.errors
        else:
            return redirect(url_for("footage.case", request_id=created.request_id, done="sent"))
    return render_template("footage/new.html", form=form, cameras=cameras, errors=errors,
                           policy=policy, offense_words=footage.OFFENSE_WORDS,
                           tier_words=TIER_WORDS), 422 if errors else 200


def _float(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


@bp.route("/cases/<request_id>")
@allow(*POLICE)
def case(request_id: str) -> Any:
    user = require_user()
    data = canvass.board(user, request_id)
    return render_template("footage/board.html", board=data, done=request.args.get("done"),
                           offense_words=footage.OFFENSE_WORDS, is_supervisor=user.role ==
                           roles.SUPERVISOR)


@bp.route("/cases/<request_id>/timeline")
@allow(*POLICE)
def case_timeline(request_id: str) -> Any:
    """Every clip of the case on one real-time axis, the map beside it, played in step."""
    data = timeline.case_timeline(settings(), require_user(), request_id)
    return render_template("footage/timeline.html", timeline=data)


@bp.route("/cases/<request_id>/decision", methods=["POST"])
@allow(roles.SUPERVISOR)
def decide(request_id: str) -> Any:
    approve = request.form.get("decision") == "approve"
    canvass.decide(settings(), require_user(), request_id, approve, client_ip())
    return redirect(url_for("footage.case", request_id=request_id,
                            done="approved" if approve else "refused"))


# ---------------------------------------------------------------- owners


@bp.route("/requests")
@allow(*OWNERS)
def my_requests() -> Any:
    user = require_user()
    targets = canvass.targets_for_owner(user)
    asked = {t.request_id: canvass.request_of(t) for t in targets}
    zone = policy_for(user.agency_id).timezone
    return render_template("footage/my_requests.html", targets=targets, asked=asked,
                           windows={rid: canvass.local_window(r, zone) for rid, r in asked.items()},
                           offense_words=footage.OFFENSE_WORDS, waiting=footage.WAITING,
                           push_enabled=bool(settings().vapid_public_key))


def _owner_page(user: Any, target: Any) -> dict[str, Any]:
    """What the owner's request page shows: who asked what, who touched their clip, the
    bridge that may send it, and what the clip misses."""
    asked = canvass.request_of(target)
    evidence = canvass.evidence_of(target.target_id)
    zone = policy_for(target.agency_id).timezone
    return {"target": target, "request": asked, "evidence": evidence,
            "bridge": bridges.served_by(user).get(target.camera_id),
            "window_words": canvass.local_window(asked, zone),
            "offense_words": gettext(footage.OFFENSE_WORDS.get(asked.offense, asked.offense)),
            "trail": activity.owner_trail(user, target, asked),
            "rules": footage, "zone": zone,
            "missing": missing.for_owner(target, evidence, asked, zone)}


@bp.route("/requests/<target_id>")
@allow(*OWNERS)
def my_request(target_id: str) -> Any:
    user = require_user()
    target = canvass.owner_target(user, target_id)
    canvass.mark_seen(user, target, client_ip())
    return render_template("footage/answer.html", **_owner_page(user, target), errors={},
                           done=request.args.get("done"),
                           devices=len(push.subscriptions_of(user.user_id)))


@bp.route("/requests/<target_id>/answer", methods=["POST"])
@allow(*OWNERS)
def answer(target_id: str) -> Any:
    user = require_user()
    target = canvass.owner_target(user, target_id)
    action = request.form.get("action", "")
    try:
        key = idempotency.parse_key(request.form.get(idempotency.FIELD))
        if action == "no_other_file":
            missing.no_other_file(user, target, client_ip())
        else:
            canvass.answer(user.user_id, target, action, request.form.get("reason", ""),
                           client_ip(), key=key)
    except AppError as exc:
        if wants_json():  # a kept answer sent by the service worker: the reason, as JSON
            raise
        return render_template("footage/answer.html", **_owner_page(user, target), done=None,
                               errors=getattr(exc, "errors", {}) or {"action": exc.detail},
                               devices=0), exc.status
    return redirect(url_for("footage.my_request", target_id=target_id, done=action))
