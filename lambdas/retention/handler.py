"""The scheduled housekeeper: expires unanswered requests, reminds once, deletes due evidence.

Runs on an EventBridge schedule (devstack's loop calls it every few seconds). Each pass:
- an open request past its expiry date: every camera still waiting becomes "expired";
- an open request older than the agency's reminder delay, not yet reminded: the owners still
  waiting get one reminder (the push worker sends it);
- evidence past its deletion date and not under legal hold: the S3 objects (original, clip,
  poster, contact sheet, manifest, package; every version of those in the clips bucket, which
  is versioned for Object Lock) and the evidence item are deleted, the camera's row says
  "deleted", and an audit event tells the owner (evidence whose package is still being made
  waits for it, up to legal_holds.PACKAGE_GRACE, so that it goes whole);
- an upload that failed and was never replaced: its original is deleted after the same delay;
- a live share past its end time is marked ended (each police viewer's session becomes an
  audit event for the owner), and an hour after a share ends its video pieces are deleted.
Every step is safe to repeat: a pass that dies half-way is finished by the next one.
The scans are fine for a program's thousands of requests; a GSI on state would replace them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from app.aws import aws_client
from app.config import Settings
from app.core import footage
from app.core.errors import ConflictError
from app.models.footage import Evidence, FootageRequest, RequestTarget
from app.services import clock
from app.services.auditing import audit
from app.services.footage import canvass, legal_holds
from app.services.governance.policy import policy_for
from app.services.realtime import live, video
from lambdas.common import begin, make_logger, settings

logger = make_logger("retention")


@dataclass
class Pass:
    expired_requests: int = 0
    expired_cameras: int = 0
    reminded: int = 0
    deleted_clips: int = 0
    kept_held_in_storage: int = 0  # S3 refused: a hold the item does not claim (see below)
    deleted_failed_uploads: int = 0
    closed_shares: int = 0
    deleted_live_pieces: int = 0


def expire_and_remind(config: Settings, done: Pass) -> None:
    now = clock.now()
    for request in FootageRequest.scan(FootageRequest.state == "open"):
        policy = policy_for(request.agency_id)
        if request.expires_at <= now:
            for target in canvass.targets_of(request.request_id):
                if target.status in footage.WAITING:
                    try:
                        canvass.move(target, footage.EXPIRED)
                    except ConflictError:
                        continue  # answered meanwhile
                    done.expired_cameras += 1
                    audit.record(request.agency_id, audit.SYSTEM, "request.expired",
                                 target.owner_id, {"request_id": request.request_id,
                                                   "target_id": target.target_id})
            request.update(actions=[FootageRequest.state.set("expired")])
            done.expired_requests += 1
        elif request.reminded_at is None and \
                request.created_at + timedelta(hours=policy.remind_after_hours) <= now:
            request.update(actions=[FootageRequest.reminded_at.set(now)])
            canvass._send(config, request, audit.SYSTEM, reminder=True)
            done.reminded += 1


def delete_objects(bucket: str, config: Settings, keys: list[str]) -> None:
    s3 = aws_client(config, "s3")
    for key in keys:
        s3.delete_object(Bucket=bucket, Key=key)


def delete_due_evidence(config: Settings, done: Pass) -> None:
    now = clock.now()
    for evidence in Evidence.scan(Evidence.delete_after <= now):
        if evidence.legal_hold or legal_holds.changing(evidence):
            continue  # held, or a supervisor is changing the hold: never tried
        if legal_holds.package_pending(evidence):
            continue  # its package is being made: deleted whole on a later pass
        try:
            legal_holds.delete_files(config, evidence)  # every version: deletion is real
        except legal_holds.HeldInStorage:
            # S3 holds a file the item does not claim held: a supervisor's place or lift that
            # failed half way, which leaves the first files held, so nothing was deleted
            # (legal_holds: FILES order). Tried again each pass, until a supervisor places and
            # lifts the hold.
            done.kept_held_in_storage += 1
            continue
        delete_objects(config.uploads_bucket, config, [evidence.original_key])
        try:
            target = RequestTarget.get(evidence.target_id, consistent_read=True)
        except RequestTarget.DoesNotExist:
            target = None
        if target is not None:  # the originals of clips another file replaced go too
            delete_objects(config.uploads_bucket, config,
                           [str(k) for k in target.earlier_uploads or []])
        evidence.delete()
        try:
            if target is not None:
                canvass.move(target, footage.DELETED)
        except ConflictError:
            pass
        audit.record(evidence.agency_id, audit.SYSTEM, "clip.deleted", evidence.owner_id,
                     {"request_id": evidence.request_id, "target_id": evidence.target_id,
                      "due": evidence.delete_after.isoformat()})
        done.deleted_clips += 1


def delete_failed_uploads(config: Settings, done: Pass) -> None:
    now = clock.now()
    for target in RequestTarget.scan(RequestTarget.status == footage.FAILED):
        policy = policy_for(target.agency_id)
        if target.updated_at + timedelta(days=policy.retention_days) > now or not target.upload_key:
            continue
        delete_objects(config.uploads_bucket, config, [target.upload_key])
        canvass.move(target, footage.DELETED, upload_key=None)
        audit.record(target.agency_id, audit.SYSTEM, "clip.deleted", target.owner_id,
                     {"request_id": target.request_id, "target_id": target.target_id,
                      "what": "failed upload"})
        done.deleted_failed_uploads += 1


def run_once() -> Pass:
    config = settings()
    done = Pass()
    expire_and_remind(config, done)
    delete_due_evidence(config, done)
    delete_failed_uploads(config, done)
    done.closed_shares += live.close_expired()
    done.deleted_live_pieces += video.delete_ended_video(config)
    return done


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    begin(logger, context.aws_request_id)  # what this run sends carries its id
    done = run_once()
    if any(asdict(done).values()):
        logger.info("retention pass", extra=asdict(done))
    return asdict(done)
