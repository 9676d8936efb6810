"""Tells owners about a footage request: Web Push to each of their devices, email as fallback.

Also, on the same queue: {"share_id"} (a live share started: police are told), {"receipt"} (an
owner's access receipt), {"ask_id"} (police ask an owner to share live for an incident:
`notify_ask`, with Share and Not now buttons that work with the app closed) and
{"bulletin_id"} (an operator's bulletin to responding officers: `notify_bulletin`).

Triggered by the push queue with {"request_id", "reminder"}. For each asked camera still waiting
for its owner, one encrypted push (pywebpush, VAPID) goes to every device the owner turned
notifications on for; a 404 or 410 from the push service means the browser dropped the
subscription, so it is deleted. An owner with no working device gets the same words by email.

Redelivery: a camera already notified (notified_at set) is skipped, unless this is a reminder.
The fallback email's message id is made from the SQS message id and the camera, so a worker
killed after queueing the email but before noting notified_at queues the same message id again,
which the mailer delivers once. A push to a device is at least once: its notification tag makes
a repeated one replace the first on the device rather than stack up.
A push service that fails otherwise (5xx, timeout, a key it cannot encrypt for) costs that device
its push; an owner whom no device reached gets the email instead. Anything else (DynamoDB, SQS)
fails that owner's notification; the others are still told, then the message fails so SQS
retries it (owners already told are skipped) and finally parks it in the dead-letter queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import requests
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from py_vapid import Vapid02
from pynamodb.exceptions import DoesNotExist
from pywebpush import WebPushException, webpush

from app.config import Settings
from app.core import footage, localtime
from app.models.footage import FootageRequest, PushSubscription, RequestTarget
from app.models.incident import Bulletin, LiveAsk
from app.models.live import LiveShare
from app.models.users import User
from app.services import clock, mail, push
from app.services.footage.canvass import stamp, targets_of
from app.services.governance.policy import policy_for
from app.services.realtime import asks, bulletins, police
from lambdas.common import correlated, make_logger, settings

logger = make_logger("push-sender")
processor = BatchProcessor(event_type=EventType.SQS)
GONE = (404, 410)
PUSH_TTL_SECONDS = 24 * 3600


# One parsed VAPID key and one HTTP session per container: a fan-out to many devices on the
# same push service reuses its TLS connection instead of a handshake per message.
_SESSION = requests.Session()


@lru_cache(maxsize=2)
def _vapid(private_key: str) -> Vapid02:
    return Vapid02.from_string(private_key)


class BadPushMessage(ValueError):
    """The queued message cannot be read; it ends in the dead-letter queue."""


class PushServiceDown(RuntimeError):
    """A push service answered with an error that a retry may cure."""


@dataclass
class Sent:
    pushed: int = 0
    removed: int = 0
    mailed: int = 0
    failed: int = 0


def send_one(config: Settings, subscription: PushSubscription, body: str) -> bool:
    """Push one encrypted message; False when the service says the subscription is gone."""
    try:
        webpush(
            subscription_info={"endpoint": subscription.endpoint,
                               "keys": {"p256dh": subscription.p256dh,
                                        "auth": subscription.auth}},
            data=body, vapid_private_key=_vapid(config.vapid_private_key),
            vapid_claims={"sub": config.vapid_subject}, ttl=PUSH_TTL_SECONDS, timeout=10,
            content_encoding="aes128gcm", requests_session=_SESSION,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in GONE:
            subscription.delete()
            return False
        raise PushServiceDown(f"push service answered {status}: {exc}") from exc
    except requests.RequestException as exc:  # refused, timed out, TLS
        raise PushServiceDown(f"push service unreachable: {exc}") from exc
    return True


def notify(config: Settings, request: FootageRequest, target: RequestTarget,
           zone: str, reminder: bool, sent: Sent, job_id: str = "") -> None:
    """One asked owner's push (every device), else an e-mail: in the owner's language."""
    try:
        owner: User | None = User.get(target.owner_id)
    except DoesNotExist:
        owner = None
    language = (owner.language if owner is not None else None) or "en"
    words = localtime.window(request.window_start, request.window_end, zone, language)
    notice = push.notice_for(config, request, target, words, reminder, language)
    delivered = False
    if config.vapid_private_key:
        body = push.payload_text(notice.payload)
        for subscription in push.subscriptions_of(target.owner_id):
            try:
                if send_one(config, subscription, body):
                    delivered = True
                    sent.pushed += 1
                else:
                    sent.removed += 1
            except (PushServiceDown, ValueError) as exc:
                # A push service that is down, or a key it cannot encrypt for: this device
                # misses the push; if no device got it, the owner gets the email below.
                logger.warning("push failed", extra={"target": target.target_id,
                                                     "error": str(exc)[:200]})
                sent.failed += 1
    if not delivered:
        if owner is None:
            return
        mail.enqueue(config, owner.email, notice.subject, notice.text,
                     message_id=f"push-{job_id}-{target.target_id}" if job_id else None)
        sent.mailed += 1
    stamp(target, RequestTarget.notified_at.set(clock.now()))


def notify_police(config: Settings, share_id: str) -> None:
    """A live share started: the agency's detectives and supervisors with notifications on
    get a push (there is no duty roster yet: everyone in those roles who turned them on)."""
    try:
        share = LiveShare.get(share_id)
    except DoesNotExist:
        return
    if share.ended_at is not None or share.ends_at <= clock.now() or not config.vapid_private_key:
        return
    zone = policy_for(share.agency_id).timezone
    payload = push.payload_text({
        "kind": "live_share", "title": "Live share", "url": f"/live/{share_id}",
        "tag": f"live-{share_id}",
        # The share's place as police may read it now: an approximate camera by its rounded
        # place only, a hidden one as "a camera not shown on the map" (lock screens show this).
        "body": f"Live share from {police.police_where(share)}, until "
                f"{localtime.clock(share.ends_at, zone)} {localtime.zone_label(zone)}.",
        "actions": []})
    sent = Sent()
    for officer in User.agency_index.query(share.agency_id):
        if officer.role not in ("detective", "supervisor"):
            continue
        for subscription in push.subscriptions_of(officer.user_id):
            try:
                if send_one(config, subscription, payload):
                    sent.pushed += 1
            except (PushServiceDown, ValueError) as exc:
                logger.warning("push failed", extra={"share": share_id, "error": str(exc)[:200]})
                sent.failed += 1
    logger.info("live share notified", extra={"share": share_id, "pushed": sent.pushed})


def notify_ask(config: Settings, ask_id: str) -> None:
    """Police ask an owner to share live (app.services.realtime.asks): a push to each of their
    devices, answerable from its buttons; no device reached, an email with the ask's page.
    An ask already answered or expired is not sent (a redelivery after it was answered)."""
    item = LiveAsk.find(ask_id)
    if item is None or item.answer is not None or item.expires_at <= clock.now():
        return
    try:
        owner = User.get(item.owner_id)
    except DoesNotExist:
        return
    language = owner.language or "en"
    delivered = False
    if config.vapid_private_key:
        payload = push.payload_text(asks.notice(config, item, language))
        for subscription in push.subscriptions_of(item.owner_id):
            try:
                delivered = send_one(config, subscription, payload) or delivered
            except (PushServiceDown, ValueError) as exc:
                logger.warning("ask push failed", extra={"ask": ask_id, "error": str(exc)[:200]})
    if not delivered:
        subject, text = asks.mail_text(config, item, language)
        mail.enqueue(config, owner.email, subject, text, message_id=f"ask-{item.ask_id}")
    logger.info("ask notified", extra={"ask": ask_id, "pushed": delivered})


def notify_bulletin(config: Settings, bulletin_id: str) -> None:
    """A bulletin to each recipient's devices (app.services.realtime.bulletins). A device that
    fails loses this push only; the bulletin waits on the recipient's Bulletins page."""
    bulletin = Bulletin.find(bulletin_id)
    if bulletin is None or not config.vapid_private_key:
        return
    payload = push.payload_text(bulletins.push_payload(bulletin))
    pushed = 0
    for user_id in bulletin.recipients:
        for subscription in push.subscriptions_of(user_id):
            try:
                pushed += send_one(config, subscription, payload)
            except (PushServiceDown, ValueError) as exc:
                logger.warning("bulletin push failed",
                               extra={"bulletin": bulletin_id, "error": str(exc)[:200]})
    logger.info("bulletin notified", extra={"bulletin": bulletin_id, "pushed": pushed})


def send_receipt(config: Settings, receipt: dict[str, Any]) -> None:
    """An access receipt to every device of the owner (app/services/auditing/receipts.py wrote it).
    A device that fails loses this receipt only; the owner's activity page lists it anyway."""
    if not config.vapid_private_key:
        return
    payload = push.payload_text({
        "kind": "receipt",  # its title in the owner's language (receipts.push_new)
        "title": str(receipt.get("title") or "Police access to your camera")[:100],
        "body": str(receipt["text"])[:300], "url": "/account/activity",
        "tag": str(receipt.get("tag", "receipt"))[:100], "actions": []})
    for subscription in push.subscriptions_of(str(receipt["owner_id"])):
        try:
            send_one(config, subscription, payload)
        except (PushServiceDown, ValueError) as exc:
            logger.warning("receipt push failed", extra={"error": str(exc)[:200]})


def record_handler(record: SQSRecord) -> None:
    config = settings()
    try:
        body = json.loads(record.body)
        if "share_id" in body:
            notify_police(config, str(body["share_id"]))
            return
        if "receipt" in body:
            send_receipt(config, dict(body["receipt"]))
            return
        if "ask_id" in body:
            notify_ask(config, str(body["ask_id"]))
            return
        if "bulletin_id" in body:
            notify_bulletin(config, str(body["bulletin_id"]))
            return
        request_id, reminder = str(body["request_id"]), bool(body.get("reminder", False))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadPushMessage(f"unreadable push message: {exc}") from exc
    try:
        request = FootageRequest.get(request_id)
    except DoesNotExist:
        logger.warning("request gone before its notifications", extra={"request": request_id})
        return
    if request.state != "open":
        return
    zone = policy_for(request.agency_id).timezone
    sent = Sent()
    failures: list[str] = []
    for target in targets_of(request_id):
        if target.status not in footage.WAITING or (target.notified_at and not reminder):
            continue
        # One owner's broken push service must not silence the others: carry on, then fail
        # the message so SQS retries; the owners already told are skipped by notified_at.
        try:
            notify(config, request, target, zone, reminder, sent, job_id=record.message_id)
        except Exception as exc:  # noqa: BLE001 - reported below, retried by SQS
            logger.exception("could not notify", extra={"target": target.target_id})
            failures.append(f"{target.target_id}: {exc}")
    logger.info("request notified", extra={"request": request_id, "pushed": sent.pushed,
                                           "removed": sent.removed, "mailed": sent.mailed,
                                           "push_failed": sent.failed,
                                           "not_notified": len(failures)})
    if failures:
        raise PushServiceDown(f"{len(failures)} owner(s) not notified yet: {failures[:3]}")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(event=event,
                                    record_handler=correlated(logger, record_handler),
                                    processor=processor, context=context)
