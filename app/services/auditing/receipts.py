"""Access receipts: an owner who opted in hears of every police access to their cameras.

The receipts worker (scheduled every minute; every 10 s in devstack) reads each audit chain from
where it stopped (`ReceiptCursor`), and for every police access whose subject is an owner with
receipts on, it queues a push to that owner's devices ("Det. Ruiz played your 'Front door'
clip for case 24-118223"). Once a day it emails each owner who chose the digest the day's
accesses. Reading the chain itself, rather than hooking every place that records an access,
means a receipt exists for exactly what the tamper-evident log holds, including accesses added
later by the audit-fanout worker. A chain seen for the first time starts at its head: receipts
are for what happens after an owner turns them on. Pushes and digests are in the owner's
language (`User.language`, English when unset; app.core.language.translator, as the workers have
no Flask).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from app.aws import aws_client
from app.config import Settings
from app.core import localtime, roles
from app.core.errors import ValidationError
from app.core.language import DEFAULT, normal, translator
from app.core.roles import N_
from app.core.texts import gettext
from app.models.audit import AuditEvent, ReceiptCursor
from app.models.footage import RequestTarget
from app.models.users import User
from app.services import clock, mail
from app.services.auditing import audit, notices
from app.services.auditing.audit import Actor
from app.services.governance.policy import policy_for

CHOICES = {"off": N_("Off"), "push": N_("A notification at once"),
           "digest": N_("A daily email"), "both": N_("Both")}
RECEIPT_ACTIONS = ("registry.camera_found", "registry.camera_viewed",
                   "registry.camera_exported", "clip.viewed", "clip.downloaded", "live.viewed",
                   "live.opened", "live.pulled", "live.still_sent")
POLICE = (roles.DETECTIVE, roles.SUPERVISOR, roles.AGENCY_ADMIN)
DIGEST_EVERY = timedelta(hours=24)


def set_choice(owner: User, choice: str, ip: str) -> User:
    if choice not in CHOICES:
        raise ValidationError(gettext("Choose off, a notification, a daily email, or both."),
                              {"receipts": gettext("unknown choice")})
    owner.receipts = None if choice == "off" else choice
    owner.save()
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "receipts.changed",
                 owner.user_id, {"receipts": choice})
    return owner


def _who(actor_id: str, role: str, names: dict[str, str | None], language: str) -> str:
    """'Det. Ruiz (detective)': the police user's name and role (in English the role's code,
    in another language its label)."""
    _ = translator(language).gettext
    if actor_id not in names:
        try:
            names[actor_id] = User.get(actor_id).display_name
        except DoesNotExist:
            names[actor_id] = None
    name = names[actor_id] or _("A former police user")
    if normal(language) != DEFAULT and role in roles.LABELS:
        role = _(roles.LABELS[role]).lower()
    return f"{name} ({role})"


def _nickname(target_id: str, language: str) -> str:
    try:
        return RequestTarget.get(target_id).nickname
    except DoesNotExist:
        return translator(language).gettext("a camera")


def words(event: AuditEvent, names: dict[str, str | None], language: str = "en") -> str:
    """One receipt in plain words, in the owner's language: who, what, which camera, which
    case."""
    _ = translator(language).gettext
    details: dict[str, Any] = json.loads(event.details or "{}")
    facts = {"who": _who(*notices.caused_by(event), names, language),
             "case": _(" for case %(case)s") % {"case": details["case"]}
             if details.get("case") else "",
             "cameras": details.get("cameras", ""), "count": details.get("cameras", 1),
             "recipients": details.get("recipients", ""), "minutes": details.get("minutes", "")}
    if event.action in ("clip.viewed", "clip.downloaded"):
        facts["camera"] = _nickname(str(details.get("target_id", "")), language)
    said = {
        "registry.camera_found": _("%(who)s found your camera %(cameras)s in a search%(case)s."),
        "registry.camera_viewed": _("%(who)s opened the police map, which showed %(count)s of "
                                    "your cameras."),
        "registry.camera_exported": _("%(who)s exported the camera list, with %(count)s of "
                                      "yours."),
        "clip.viewed": _("%(who)s played your '%(camera)s' clip%(case)s."),
        "clip.downloaded": _("%(who)s downloaded the package of your '%(camera)s' "
                             "clip%(case)s."),
        "live.viewed": _("%(who)s opened your live share."),
        "live.still_sent": _("%(who)s sent a still of one of your cameras to %(recipients)s "
                             "responding officers%(case)s."),
        "live.pulled": _("%(who)s took the last %(minutes)s minutes of one of your "
                         "cameras%(case)s, as its setting allows."),
        "live.opened": _("%(who)s opened one of your cameras live%(case)s, inside your "
                         "schedule."),
    }.get(event.action)
    return said % facts if said else f"{facts['who']}: {event.action}."


def _police_access(event: AuditEvent) -> bool:
    """A police access to the event's subject (an owner's notice names who caused it)."""
    return event.action in RECEIPT_ACTIONS and notices.caused_by(event)[1] in POLICE


@dataclass
class Pass:
    read: int = 0
    pushed: int = 0
    digests: int = 0


def _wants(user_id: str, kinds: tuple[str, ...], cache: dict[str, User | None]) -> User | None:
    if user_id not in cache:
        try:
            cache[user_id] = User.get(user_id)
        except DoesNotExist:
            cache[user_id] = None
    user = cache[user_id]
    return user if user is not None and user.receipts in kinds else None


def _new_events(chain: str, head_seq: int) -> Iterable[AuditEvent]:
    try:
        cursor = ReceiptCursor.get(chain, consistent_read=True)
    except DoesNotExist:
        ReceiptCursor(chain, seq=head_seq).save()  # a new chain starts at its head
        return []
    if head_seq <= int(cursor.seq):
        return []
    return AuditEvent.query(chain, AuditEvent.seq.between(int(cursor.seq) + 1, head_seq),
                            consistent_read=True)


def push_new(settings: Settings, done: Pass) -> None:
    """Queue a push for every new police access to an owner who wants them at once."""
    sqs = aws_client(settings, "sqs")
    users: dict[str, User | None] = {}
    names: dict[str, str | None] = {}
    for head in audit.chains():
        last = None
        for event in _new_events(head.chain, int(head.seq)):
            done.read += 1
            last = int(event.seq)
            if not _police_access(event):
                continue
            owner = _wants(event.subject_id, ("push", "both"), users)
            if owner is None:
                continue
            language = owner.language or DEFAULT
            sqs.send_message(QueueUrl=settings.push_queue_url, MessageBody=json.dumps({
                "receipt": {"owner_id": owner.user_id, "text": words(event, names, language),
                            "title": translator(language).gettext(
                                "Police access to your camera"),
                            "tag": f"receipt-{event.chain}-{int(event.seq)}"}}))
            done.pushed += 1
        if last is not None:
            ReceiptCursor(head.chain, seq=last).save()


def send_digests(settings: Settings, done: Pass) -> None:
    """Once a day: each owner who chose the digest gets the day's accesses by email."""
    now = clock.now()
    try:
        cursor = ReceiptCursor.get("digest", consistent_read=True)
        since = cursor.at or clock.iso(now - DIGEST_EVERY)
    except DoesNotExist:
        ReceiptCursor("digest", at=clock.iso(now)).save()
        return
    if since > clock.iso(now - DIGEST_EVERY):
        return
    until = clock.iso(now)
    names: dict[str, str | None] = {}
    for owner in User.scan(User.receipts.is_in("digest", "both")):
        events = [e for e in AuditEvent.subject_index.query(
            owner.user_id, AuditEvent.at.between(since, until))
            if _police_access(e)]
        if not events:
            continue
        subject, text = digest_text(owner, events, names)
        mail.enqueue(settings, owner.email, subject, text)
        done.digests += 1
    ReceiptCursor("digest", at=until).save()


def digest_text(owner: User, events: list[AuditEvent], names: dict[str, str | None]
                ) -> tuple[str, str]:
    """The digest's subject and text, in the owner's language: a line per access, its time in
    the program's zone."""
    language = owner.language or DEFAULT
    _, ngettext = translator(language).gettext, translator(language).ngettext
    zone = policy_for(owner.agency_id).timezone
    lines = [f"- {localtime.when(datetime.fromisoformat(e.at), zone, language)}: "
             f"{words(e, names, language)}" for e in events]
    subject = ngettext("Police accessed your cameras %(count)s time(s) in the last day",
                       "Police accessed your cameras %(count)s time(s) in the last day",
                       len(events)) % {"count": len(events)}
    return subject, "\n".join([
        _("Hello %(name)s,") % {"name": owner.display_name}, "",
        _("Every police access to your cameras since yesterday:"), "", *lines, "",
        _("Your activity page in Porchlight lists all of them. You chose these daily emails; "
          "change that on the same page.")])


def run_once(settings: Settings) -> Pass:
    done = Pass()
    push_new(settings, done)
    send_digests(settings, done)
    return done
