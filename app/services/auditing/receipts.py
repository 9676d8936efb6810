"""Access receipts: an owner who opted in hears of every police access to their cameras.

The receipts worker (scheduled every minute; every 10 s in devstack) reads each audit chain from
where it stopped (`ReceiptCursor`), and for every police access whose subject is an owner with
receipts on, it queues a push to that owner's devices ("Det. Ruiz played your 'Front door'
clip for case 24-118223"). Once a day it emails each owner who chose the digest the day's
accesses. Reading the chain itself, rather than hooking every place that records an access,
means a receipt exists for exactly what the tamper-evident log holds, including accesses added
later by the audit-fanout worker. A chain seen for the first time starts at its head: receipts
are for what happens after an owner turns them on.
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
from app.models.audit import AuditEvent, ReceiptCursor
from app.models.footage import RequestTarget
from app.models.users import User
from app.services import clock, mail
from app.services.auditing import audit, notices
from app.services.auditing.audit import Actor
from app.services.governance.policy import policy_for

CHOICES = {"off": "Off", "push": "A notification at once", "digest": "A daily email",
           "both": "Both"}
RECEIPT_ACTIONS = ("registry.camera_found", "registry.camera_viewed",
                   "registry.camera_exported", "clip.viewed", "clip.downloaded", "live.viewed",
                   "live.opened", "live.pulled", "live.still_sent")
POLICE = (roles.DETECTIVE, roles.SUPERVISOR, roles.AGENCY_ADMIN)
DIGEST_EVERY = timedelta(hours=24)


def set_choice(owner: User, choice: str, ip: str) -> User:
    if choice not in CHOICES:
        raise ValidationError("Choose off, a notification, a daily email, or both.",
                              {"receipts": "unknown choice"})
    owner.receipts = None if choice == "off" else choice
    owner.save()
    audit.record(owner.agency_id, Actor(owner.user_id, owner.role, ip), "receipts.changed",
                 owner.user_id, {"receipts": choice})
    return owner


def _who(actor_id: str, role: str, names: dict[str, str]) -> str:
    if actor_id not in names:
        try:
            names[actor_id] = User.get(actor_id).display_name
        except DoesNotExist:
            names[actor_id] = "A former police user"
    return f"{names[actor_id]} ({role})"


def _nickname(target_id: str) -> str:
    try:
        return RequestTarget.get(target_id).nickname
    except DoesNotExist:
        return "a camera"


def words(event: AuditEvent, names: dict[str, str]) -> str:
    """One receipt in plain words: who, what, which camera, which case."""
    details: dict[str, Any] = json.loads(event.details or "{}")
    who = _who(*notices.caused_by(event), names)
    case = f" for case {details['case']}" if details.get("case") else ""
    if event.action == "registry.camera_found":
        return f"{who} found your camera {details.get('cameras', '')} in a search{case}."
    if event.action == "registry.camera_viewed":
        return f"{who} opened the police map, which showed {details.get('cameras', 1)} of " \
               "your cameras."
    if event.action == "registry.camera_exported":
        return f"{who} exported the camera list, with {details.get('cameras', 1)} of yours."
    if event.action in ("clip.viewed", "clip.downloaded"):
        verb = "played" if event.action == "clip.viewed" else "downloaded the package of"
        return f"{who} {verb} your '{_nickname(str(details.get('target_id', '')))}' clip{case}."
    if event.action == "live.viewed":
        return f"{who} opened your live share."
    if event.action == "live.still_sent":
        return f"{who} sent a still of one of your cameras to {details.get('recipients', '')} " \
               f"responding officers{case}."
    if event.action == "live.pulled":
        return f"{who} took the last {details.get('minutes', '')} minutes of one of your " \
               f"cameras{case}, as its setting allows."
    if event.action == "live.opened":
        return f"{who} opened one of your cameras live{case}, inside your schedule."
    return f"{who}: {event.action}."


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
    names: dict[str, str] = {}
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
            sqs.send_message(QueueUrl=settings.push_queue_url, MessageBody=json.dumps({
                "receipt": {"owner_id": owner.user_id, "text": words(event, names),
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
    names: dict[str, str] = {}
    for owner in User.scan(User.receipts.is_in("digest", "both")):
        events = [e for e in AuditEvent.subject_index.query(
            owner.user_id, AuditEvent.at.between(since, until))
            if _police_access(e)]
        if not events:
            continue
        zone = policy_for(owner.agency_id).timezone
        lines = [f"- {localtime.when(datetime.fromisoformat(e.at), zone)}: {words(e, names)}"
                 for e in events]
        mail.enqueue(settings, owner.email, f"Police accessed your cameras {len(events)} "
                     "time(s) in the last day", "\n".join([
                         f"Hello {owner.display_name},", "",
                         "Every police access to your cameras since yesterday:", "", *lines, "",
                         "Your activity page in Porchlight lists all of them. You chose these "
                         "daily emails; change that on the same page."]))
        done.digests += 1
    ReceiptCursor("digest", at=until).save()


def run_once(settings: Settings) -> Pass:
    done = Pass()
    push_new(settings, done)
    send_digests(settings, done)
    return done
