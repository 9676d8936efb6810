"""Ask to share: police ask an owner to share one camera live for an incident in progress.

For a camera police may not open themselves but whose owner may share it (an "on alert"
camera, or an "always" one outside its schedule: `app.core.realtime` says "live on the owner's
tap"), the operator taps *Ask to share*. The owner's phone shows "Police ask you to share live
for an incident near you" with two buttons, *Share 30 min* and *Not now*, that work with the
app closed: each carries a single-use token the server takes instead of a session. One tap on
*Share* starts the owner's own share of that camera (pre-roll included, at most the owner's
longest session), recorded against the incident so it ends when the incident closes. The ask
lapses after ASK_MINUTES unanswered; nothing opens without the owner's tap. The ask, its
answer and the share are in the owner's activity; police learn only "shared", "not now" or
"no answer" (never why).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from app.aws import aws_client
from app.config import Settings
from app.core import realtime
from app.core.errors import ConflictError, ForbiddenError, GoneError, NotFoundError
from app.core.language import translator
from app.models.base import condition_failed
from app.models.cameras import Camera
from app.models.incident import Incident, LiveAsk
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import registry
from app.services.governance.policy import policy_for
from app.services.people import accounts, single_use
from app.services.realtime import live

ASK_MINUTES = 5  # how long an ask can be answered
SHARE_MINUTES = 30  # what "Share 30 min" shares (or the owner's longest session, if shorter)
TOKEN_KIND = "live-ask"
SHARED, DECLINED = "shared", "declined"
ANSWER_WORDS = {SHARED: "The owner is sharing", DECLINED: "The owner said not now"}


def ask(settings: Settings, officer: User, incident: Incident, camera: Camera, ip: str
        ) -> LiveAsk:
    """Ask the owner of one of the incident's cameras to share it live now (an open incident
    of the officer's program and its camera: `incidents.open_camera`)."""
    camera_id = camera.camera_id
    now = clock.now()
    state = realtime.availability(live.rules_of(camera), officer.agency_id, now,
                                  policy_for(incident.agency_id).timezone,
                                  bridge_online=False, owner_sharing_until=None)
    if state.kind != realtime.ON_TAP:
        audit.record(officer.agency_id, Actor(officer.user_id, officer.role, ip),
                     "live.ask_refused", camera.owner_id,
                     {"incident": incident.incident_id, "camera": camera_id,
                      "reason": state.reason})
        raise ForbiddenError(f"This owner cannot be asked to share: {state.reason}")
    pending = latest(incident.incident_id).get(camera_id)
    if pending is not None and pending.answer is None and pending.expires_at > now:
        return pending  # asked already and waiting: one notification, not two
    item = LiveAsk(ask_id=uuid.uuid4().hex, incident_id=incident.incident_id,
                   agency_id=incident.agency_id, camera_id=camera_id, owner_id=camera.owner_id,
                   asked_by=officer.user_id, asked_at=now,
                   expires_at=now + timedelta(minutes=ASK_MINUTES),
                   expires_epoch=int((now + timedelta(days=1)).timestamp()))
    item.save()
    audit.record(officer.agency_id, Actor(officer.user_id, officer.role, ip), "live.asked",
                 camera.owner_id, {"ask": item.ask_id, "incident": incident.incident_id,
                                   "case": incident.case_number, "camera": camera_id})
    aws_client(settings, "sqs").send_message(QueueUrl=settings.push_queue_url,
                                             MessageBody=json.dumps({"ask_id": item.ask_id}))
    return item


def latest(incident_id: str) -> dict[str, LiveAsk]:
    """The newest ask of each camera of the incident."""
    out: dict[str, LiveAsk] = {}
    for item in LiveAsk.incident_index.query(incident_id, scan_index_forward=False):
        out.setdefault(item.camera_id, item)
    return out


def ask_json(item: LiveAsk) -> dict[str, Any]:
    """An ask as police see it: when, and the answer in words (never the owner's reasons)."""
    now = clock.now()
    state = item.answer or ("asked" if item.expires_at > now else "expired")
    words = ANSWER_WORDS.get(item.answer or "") or (
        "Waiting for the owner" if state == "asked" else "No answer")
    return {"ask_id": item.ask_id, "state": state, "words": words,
            "asked_at": item.asked_at.isoformat(), "expires_at": item.expires_at.isoformat()}


def share_minutes(camera: Camera) -> int:
    """What *Share* shares: SHARE_MINUTES, or the owner's longest session if shorter."""
    return min(SHARE_MINUTES, live.rules_of(camera).max_live_minutes)


def notice(settings: Settings, item: LiveAsk, language: str = "en") -> dict[str, Any]:
    """The push payload for the owner's devices, with two single-use answer tokens, in the
    owner's language (`User.language`)."""
    _ = translator(language).gettext
    camera = Camera.find(item.camera_id)
    name = camera.nickname if camera is not None else _("your camera")
    ttl = max(int((item.expires_at - clock.now()).total_seconds()), 1)
    minutes = share_minutes(camera) if camera is not None else SHARE_MINUTES
    actions = []
    for action, title in (("share", _("Share %(minutes)s min") % {"minutes": minutes}),
                          ("decline", _("Not now"))):
        token = single_use.issue(settings, TOKEN_KIND, "-", item.agency_id, ttl,
                                 user_id=item.owner_id, subject_id=item.ask_id, action=action)
        actions.append({"action": action, "title": title, "token": token})
    return {"kind": "live_ask", "title": _("Police ask you to share live"),
            "body": _("Police ask you to share live for an incident near you: '%(camera)s'. "
                      "Nothing is shared unless you tap Share.") % {"camera": name},
            "url": f"/asks/{item.ask_id}", "tag": f"ask-{item.ask_id}",
            "answer_url": "/api/asks/answer", "actions": actions}


def mail_text(settings: Settings, item: LiveAsk, language: str = "en") -> tuple[str, str]:
    """The e-mail's subject and text when no device got the push, in the owner's language."""
    _ = translator(language).gettext
    return (_("Police ask you to share live"),
            _("Police ask you to share a camera live for an incident near you. Nothing is "
              "shared unless you say so, and the ask lapses in %(minutes)s minutes:\n%(link)s")
            % {"minutes": ASK_MINUTES, "link": f"{settings.public_url}/asks/{item.ask_id}"})


def answer_by_token(settings: Settings, token: str, ip: str) -> tuple[LiveAsk, str]:
    """A notification's button, with the app closed: the token is the key."""
    used = single_use.take(token, TOKEN_KIND)
    item = LiveAsk.find(used.subject_id or "")
    if item is None or item.owner_id != used.user_id:
        raise GoneError("This ask is no longer open.")
    owner = accounts.get_user(item.owner_id)
    return _answer(settings, owner, item, str(used.action), ip, via="notification")


def owner_ask(owner: User, ask_id: str) -> LiveAsk:
    """An ask to this owner; any other is "not found"."""
    item = LiveAsk.find(ask_id)
    if item is None or item.owner_id != owner.user_id:
        raise NotFoundError("No such ask.")
    return item


def answer(settings: Settings, owner: User, ask_id: str, action: str, ip: str
           ) -> tuple[LiveAsk, str]:
    """The owner answers in the app (the ask's page)."""
    return _answer(settings, owner, owner_ask(owner, ask_id), action, ip, via="app")


def _answer(settings: Settings, owner: User, item: LiveAsk, action: str, ip: str, via: str
            ) -> tuple[LiveAsk, str]:
    """Share or decline, once; returns the ask and the share's id ("" when declined)."""
    if action not in ("share", "decline"):
        raise NotFoundError("No such answer.")
    now = clock.now()
    if item.answer is not None:
        raise ConflictError("This ask was answered already.")
    if item.expires_at <= now:
        raise GoneError("This ask has expired; police were told there was no answer.")
    incident = Incident.find(item.incident_id)
    if incident is None or incident.closed_at is not None:
        raise GoneError("The incident is over; nothing needs sharing.")
    answered = SHARED if action == "share" else DECLINED
    try:  # claimed first, so two taps at once start one share
        item.update(actions=[LiveAsk.answer.set(answered), LiveAsk.answered_at.set(now)],
                    condition=LiveAsk.answer.does_not_exist())
    except UpdateError as exc:
        if condition_failed(exc):
            raise ConflictError("This ask was answered already.") from exc
        raise
    share_id = ""
    if action == "share":
        try:
            camera = registry.owned(owner, item.camera_id)
            share = live.start(settings, owner, [item.camera_id], share_minutes(camera), "ask", ip,
                               incident_id=item.incident_id)
        except Exception:  # the camera was paused or withdrawn meanwhile: still unanswered
            item.update(actions=[LiveAsk.answer.remove(), LiveAsk.answered_at.remove()])
            raise
        share_id = share.share_id
        item.update(actions=[LiveAsk.share_id.set(share_id)])
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "live.ask_answered",
                 owner.user_id, {"ask": item.ask_id, "incident": item.incident_id,
                                 "camera": item.camera_id, "answer": answered, "via": via,
                                 **({"share": share_id} if share_id else {})})
    return item, share_id
