"""Web Push: owners' device subscriptions, and the notification a footage request sends.

The web app stores subscriptions and nothing else; the push worker (lambdas/push_sender) builds
and sends the encrypted messages, so a request with fifty owners returns at once.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from app.config import Settings
from app.core import footage
from app.core.errors import NotFoundError, ValidationError
from app.core.language import translator
from app.models.footage import FootageRequest, PushSubscription, RequestTarget
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.people import accounts, single_use

MAX_ENDPOINT = 1000
MAX_PER_USER = 10


def subscription_id(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode("utf-8")).hexdigest()


def _b64url(value: Any, name: str, low: int, high: int) -> str:
    if not isinstance(value, str) or not (low <= len(value) <= high) or not all(
            ch.isalnum() or ch in "-_=" for ch in value):
        raise ValidationError("The browser's subscription could not be read.",
                              {name: "missing or not base64url"})
    return value


def _decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))


def _check_keys(p256dh: str, auth: str) -> None:
    """The browser's key must be a point on P-256 and its secret 16 bytes, or no push can be
    encrypted for it (and the worker would fail on it for every request)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _decode(p256dh))
    except ValueError as exc:
        raise ValidationError("The browser's subscription could not be read.",
                              {"keys.p256dh": "not a P-256 public key"}) from exc
    try:
        secret = _decode(auth)
    except ValueError:
        secret = b""
    if len(secret) != 16:
        raise ValidationError("The browser's subscription could not be read.",
                              {"keys.auth": "must be 16 bytes"})


def subscribe(settings: Settings, user: User, data: dict[str, Any], ip: str
              ) -> PushSubscription:
    """Store one device's subscription (the PushSubscription.toJSON() a browser gives)."""
    endpoint = data.get("endpoint")
    raw_keys = data.get("keys")
    keys: dict[str, Any] = raw_keys if isinstance(raw_keys, dict) else {}
    parsed = urlparse(endpoint if isinstance(endpoint, str) else "")
    local = settings.is_devstack and parsed.scheme == "http" and parsed.hostname in (
        "127.0.0.1", "localhost")
    if not isinstance(endpoint, str) or len(endpoint) > MAX_ENDPOINT or not parsed.hostname or (
            parsed.scheme != "https" and not local):
        raise ValidationError("The browser's subscription could not be read.",
                              {"endpoint": "must be an https URL"})
    p256dh = _b64url(keys.get("p256dh"), "keys.p256dh", 80, 100)
    auth = _b64url(keys.get("auth"), "keys.auth", 16, 32)
    _check_keys(p256dh, auth)
    mine = list(PushSubscription.user_index.query(user.user_id))
    sid = subscription_id(endpoint)
    if sid not in {s.subscription_id for s in mine} and len(mine) >= MAX_PER_USER:
        raise ValidationError(f"Notifications are on for {MAX_PER_USER} devices already; turn "
                              "one off first.", {"endpoint": "too many devices"})
    device = str(data.get("device") or "")[:80]
    _hand_over_browser(user, sid, ip)
    item = PushSubscription(subscription_id=sid, user_id=user.user_id, endpoint=endpoint,
                            p256dh=p256dh, auth=auth, device=device, created_at=clock.now())
    item.save()
    audit.record(user.agency_id, Actor(user.user_id, user.role, ip), "push.subscribed",
                 user.user_id, {"device": device, "service": parsed.hostname})
    return item


def _hand_over_browser(user: User, sid: str, ip: str) -> None:
    """One browser pushes to one account: when another account turns notifications on in a
    browser that served somebody else (a shared tablet), the previous account stops getting
    them there, and reads that in its activity instead of silently missing requests."""
    try:
        before = PushSubscription.get(sid, consistent_read=True)
    except PushSubscription.DoesNotExist:
        return
    if before.user_id == user.user_id:
        return
    try:
        previous = accounts.get_user(before.user_id)
    except NotFoundError:
        return
    audit.record(previous.agency_id, Actor("system", "system", ip), "push.unsubscribed",
                 previous.user_id, {"device": before.device,
                                    "reason": "another account turned notifications on in "
                                              "this browser"})


def owned_subscription(user: User, sid: str) -> PushSubscription:
    """One of the user's own devices that get notifications; anybody else's is "not found",
    as one that was turned off."""
    item = PushSubscription.find(sid)
    if item is None or item.user_id != user.user_id:
        raise NotFoundError("Notifications are already off for that device.")
    return item


def unsubscribe(user: User, endpoint: str, ip: str) -> bool:
    """Forget one device; another user's endpoint is left alone."""
    if not isinstance(endpoint, str) or not endpoint:
        raise ValidationError("Say which device to turn off.", {"endpoint": "required"})
    try:
        item = owned_subscription(user, subscription_id(endpoint))
    except NotFoundError:
        return False
    item.delete()
    audit.record(user.agency_id, Actor(user.user_id, user.role, ip), "push.unsubscribed",
                 user.user_id, {"device": item.device})
    return True


def subscriptions_of(user_id: str) -> list[PushSubscription]:
    return list(PushSubscription.user_index.query(user_id))


# ---------------------------------------------------------------- what a notification carries


@dataclass(frozen=True)
class Notice:
    """One asked camera's notification: the push payload, and the words for email."""

    payload: dict[str, Any]
    subject: str
    text: str


def issue_answer_token(settings: Settings, target: RequestTarget, action: str,
                       expires_epoch: int) -> str:
    token = footage.answer_token(settings.secret_key, target.target_id, action, expires_epoch)
    return single_use.issue(settings, "answer", "-", target.agency_id,
                                expires_epoch - int(clock.now().timestamp()), token=token,
                                user_id=target.owner_id)


def notice_for(settings: Settings, request: FootageRequest, target: RequestTarget,
               window_words: str, reminder: bool, language: str = "en") -> Notice:
    """The owner's notification of a request, in their language (`User.language`)."""
    _ = translator(language).gettext
    offense = _(footage.OFFENSE_WORDS.get(request.offense, request.offense))
    body = _("Police ask for %(window)s from '%(camera)s', case %(case)s (%(offense)s).") % {
        "window": window_words, "camera": target.nickname, "case": request.case_number,
        "offense": offense}
    title = _("Reminder: police ask for your footage") if reminder \
        else _("Police ask for your footage")
    expires = int(request.expires_at.timestamp())
    url = f"/requests/{target.target_id}"
    payload = {
        "kind": "footage_request", "title": title, "body": body, "url": url,
        "tag": f"request-{target.target_id}", "answer_url": "/api/answers",
        "actions": [
            {"action": "approve", "title": _("Approve"),
             "token": issue_answer_token(settings, target, "approve", expires)},
            {"action": "decline", "title": _("Decline"),
             "token": issue_answer_token(settings, target, "decline", expires)},
        ],
    }
    text = _("%(body)s\n\n%(message)s\n\nOpen the request to approve, decline or say you "
             "have no footage:\n%(link)s\n\nYou can refuse this whole kind of request in "
             "your camera's settings. Porchlight never gives police your phone number or "
             "email address.") % {"body": body, "message": request.message,
                                  "link": f"{settings.public_url}{url}"}
    return Notice(payload, title, text)


def payload_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))
