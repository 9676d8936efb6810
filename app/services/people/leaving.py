"""An owner leaves the program: every camera withdrawn, their personal data deleted, the audit
trail still whole.

`leave()` (the owner confirms with their password) does, in this order:
- withdraws every camera (items and photos deleted; the map and searches no longer know them);
- ends any live share and deletes its video; removes their bridges and notification devices;
- footage requests: an unanswered or approved one is declined; a clip police hold as evidence
  is made due now, so the retention worker's next pass deletes it for real (original, clip,
  poster, contact sheet, manifest, package, every version), unless a supervisor placed a
  legal hold on it: held evidence stays with the agency until the hold is lifted, and
  the owner is told which; the camera's name on every request becomes "a withdrawn camera";
- signs out every session, deletes their one-time tokens and login counters, their account and
  its email claim (and, in devstack, the local outbox's mail to them);
- queues the erasure worker, which erases the sealed fields (IP address, details) of every audit
  event that names them as actor or subject and then appends `account.erased` naming their
  pseudonym (the user id, which nothing links to a person any more). The chains still verify
  (see app/core/auditchain.py); the web app itself can only append to the audit log.

Organisation admins hand their organisation over first (their members' cameras are not theirs
to delete); police roles leave through their agency's admin.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.aws import aws_client
from app.config import Settings
from app.core import footage, passwords, roles
from app.core.errors import ConflictError, ForbiddenError, ValidationError
from app.core.texts import gettext
from app.models.bridge import BridgeDevice
from app.models.footage import Evidence, RequestTarget
from app.models.live import LiveShare
from app.models.outbox import OutboxMessage
from app.models.tokens import OneTimeToken
from app.models.users import EmailClaim, User
from app.services import clock, push
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.cameras import registry
from app.services.footage import canvass
from app.services.people import sessions
from app.services.realtime import live, video

WITHDRAWN = "a withdrawn camera"


@dataclass
class Left:
    cameras: int = 0
    requests: int = 0
    evidence_deleted: int = 0
    evidence_held: list[str] = field(default_factory=list)  # case numbers kept under hold


def _delete(settings: Settings, bucket: str, keys: list[str | None]) -> None:
    s3 = aws_client(settings, "s3")
    for key in keys:
        if key:
            s3.delete_object(Bucket=bucket, Key=key)


def _requests(settings: Settings, owner: User, done: Left) -> None:
    for target in canvass.targets_for_owner(owner):
        done.requests += 1
        evidence = canvass.evidence_of(target.target_id)
        if evidence is not None and evidence.legal_hold:
            done.evidence_held.append(canvass.request_of(target).case_number)
        elif evidence is not None:
            # Due now: the retention worker's next pass (every 15 minutes) deletes the files,
            # every version, and the item, and records clip.deleted. It alone may delete
            # evidence (the web role only reads it: infra/cdk/porchlight/web.py).
            evidence.update(actions=[Evidence.delete_after.set(clock.now())])
            done.evidence_deleted += 1
        elif target.upload_key:
            _delete(settings, settings.uploads_bucket, [target.upload_key])
        status = target.status
        if status in (*footage.WAITING, footage.APPROVED, footage.FAILED):
            status = footage.DECLINED
        elif status in (footage.UPLOADING, footage.PROCESSING, footage.READY) and not (
                evidence is not None and evidence.legal_hold):
            status = footage.DELETED
        target.update(actions=[
            RequestTarget.status.set(status), RequestTarget.nickname.set(WITHDRAWN),
            RequestTarget.reason.set(""), RequestTarget.upload_name.remove(),
            RequestTarget.upload_key.remove(), RequestTarget.upload_id.remove(),
            RequestTarget.updated_at.set(clock.now())])
        canvass.close_if_done(canvass.request_of(target))


def _shares(settings: Settings, owner: User, ip: str) -> None:
    for share in LiveShare.owner_index.query(owner.user_id):
        if live.is_active(share, clock.now()):
            live.end(owner, share.share_id, ip, by="owner left")
            share.refresh(consistent_read=True)
        share.update(actions=[LiveShare.owner_label.set(WITHDRAWN)])
    video.delete_video_of(settings, owner.user_id)


def _tokens(owner: User) -> None:
    for token in OneTimeToken.scan(OneTimeToken.user_id == owner.user_id):
        token.delete()
    for token in OneTimeToken.scan(OneTimeToken.email == owner.email):
        token.delete()


def leave(settings: Settings, owner: User, password: str, ip: str) -> Left:
    """Withdraw everything and delete the owner's personal data (see the module docstring)."""
    if owner.role != roles.OWNER:
        if owner.role == roles.ORG_ADMIN:
            raise ConflictError("Hand your organisation over to another member first: its "
                                "cameras belong to its members.")
        raise ForbiddenError("Police and staff accounts are closed by the agency's admin.")
    if not passwords.verify_password(owner.password_hash, password or ""):
        raise ValidationError(gettext("That is not your password."),
                              {"password": gettext("wrong password")})
    done = Left()
    actor = Actor(owner.user_id, owner.role, ip)
    for camera in registry.cameras_of(owner.user_id):
        registry.withdraw(settings, owner, camera.camera_id, ip)
        done.cameras += 1
    _shares(settings, owner, ip)
    for device in BridgeDevice.owner_index.query(owner.user_id):
        device.delete()
    for subscription in push.subscriptions_of(owner.user_id):
        subscription.delete()
    _requests(settings, owner, done)
    audit.record(owner.agency_id, actor, "account.left", owner.user_id, {
        "cameras": done.cameras, "requests": done.requests,
        "evidence_deleted": done.evidence_deleted, "evidence_held": len(done.evidence_held)})
    sessions.revoke_all(owner.user_id)
    _tokens(owner)
    if settings.mail_transport == "outbox":  # devstack's local mail, never on AWS
        for message in OutboxMessage.scan(OutboxMessage.to == owner.email):
            message.delete()
    EmailClaim(email=owner.email).delete()
    owner.delete()
    aws_client(settings, "sqs").send_message(
        QueueUrl=settings.erasure_queue_url,
        MessageBody=json.dumps({"user_id": owner.user_id, "agency_id": owner.agency_id}))
    return done


def erase(user_id: str, agency_id: str) -> int:
    """The erasure worker: erase the sealed fields of every event naming the user, then record
    that it was done. Safe to repeat. Returns the events erased in this pass."""
    erased = 0
    now = clock.iso(clock.now())
    for index in ("actor_index", "subject_index"):
        for event in getattr(audit.AuditEvent, index).query(user_id):
            if event.erased_at or event.action == "account.erased":
                continue
            event.update(actions=[audit.AuditEvent.ip.set(""),
                                  audit.AuditEvent.details.set('{"erased":true}'),
                                  audit.AuditEvent.salt.remove(),
                                  audit.AuditEvent.erased_at.set(now)])
            erased += 1
    audit.record(agency_id, audit.SYSTEM, "account.erased", "-",
                 {"pseudonym": user_id, "events": erased})
    return erased


def summary(done: Left) -> dict[str, Any]:
    return {"cameras": done.cameras, "requests": done.requests,
            "evidence_deleted": done.evidence_deleted, "evidence_held": done.evidence_held}
