from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request

from app.audit import bp
from app.core import roles
from app.core.audit_words import ACTION_WORDS
from app.core.errors import ValidationError
from app.services import accounts, audit
from app.web.access import allow, require_user

ACTIONS = tuple(ACTION_WORDS)


def parse_filter(args: dict[str, str], agency_id: str) -> audit.AuditFilter:
    errors: dict[str, str] = {}
    flt = audit.AuditFilter(chains=[audit.chain_for(agency_id)])
    actor = (args.get("actor") or "").strip()
    if actor:
        found = accounts.find_by_email(actor) if "@" in actor else None
        flt.actor_id = found.user_id if found else actor
    action = (args.get("action") or "").strip()
    if action:
        if action not in ACTIONS:
            errors["action"] = "Choose an action from the list."
        flt.action = action
    for name in ("since", "until"):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                errors[name] = "Enter a date like 2026-11-21."
                continue
            stamp = day.isoformat() + ("T00:00:00.000Z" if name == "since" else "T23:59:59.999Z")
            setattr(flt, name, stamp)
    if errors:
        raise ValidationError(errors=errors)
    return flt


@bp.route("")
@allow(roles.AUDITOR)
def log() -> Any:
    user = require_user()
    try:
        flt = parse_filter(request.args.to_dict(), user.agency_id)
    except ValidationError as exc:
        return render_template("audit/log.html", events=[], errors=exc.errors,
                               form=request.args, actions=ACTIONS), 422
    events = [audit.event_json(e) for e in audit.search(flt) if e.agency_id == user.agency_id]
    return render_template("audit/log.html", events=events, errors={}, form=request.args,
                           actions=ACTIONS)


@bp.route("/verify")
@allow(roles.AUDITOR)
def verify() -> Any:
    chains, count, breaks = audit.verify_all(only=audit.chain_for(require_user().agency_id))
    return render_template("audit/verify.html", chains=chains, count=count, breaks=breaks)
