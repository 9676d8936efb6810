"""Login throttling: a per-IP rate limit and a per-account temporary lockout."""

from __future__ import annotations

import time

from pynamodb.exceptions import DoesNotExist

from app.config import Settings
from app.core import tokens
from app.core.errors import TooManyRequestsError
from app.models.tokens import Throttle


def _email_key(email: str) -> str:
    return "email:" + tokens.digest(email.lower())


def check_ip(settings: Settings, ip: str) -> None:
    """Count one attempt from this address; refuse when the window's limit is reached."""
    now = int(time.time())
    window = settings.login_ip_window_seconds
    start = now - now % window
    key = f"ip:{ip}:{start}"
    item = Throttle(key=key, expires_epoch=start + 2 * window)
    item.update(actions=[
        Throttle.attempts.add(1),
        Throttle.window_start.set(start),
        Throttle.expires_epoch.set(start + 2 * window),
    ])
    if int(item.attempts) > settings.login_ip_limit:
        raise TooManyRequestsError(
            "Too many sign-in attempts from this network. Wait a few minutes and try again.",
            retry_after=start + window - now,
        )


def check_lock(settings: Settings, email: str) -> bool:
    """Refuse while the account is locked; True when failures are on record (to clear later)."""
    try:
        item = Throttle.get(_email_key(email), consistent_read=True)
    except DoesNotExist:
        return False
    now = int(time.time())
    if int(item.locked_until) > now:
        minutes = max(1, (int(item.locked_until) - now + 59) // 60)
        raise TooManyRequestsError(
            f"This account is locked after too many failed sign-ins. Try again in {minutes} "
            "minute(s), or reset your password.",
            retry_after=int(item.locked_until) - now,
        )
    return True


def record_failure(settings: Settings, email: str) -> bool:
    """Count a failed login; lock the account when the limit is reached. True if now locked."""
    now = int(time.time())
    key = _email_key(email)
    item = Throttle(key=key, expires_epoch=now + settings.lockout_seconds * 2)
    try:
        current = Throttle.get(key, consistent_read=True)
        if now - int(current.window_start) > settings.lockout_seconds:
            current.delete()
    except DoesNotExist:
        pass
    item.update(actions=[
        Throttle.attempts.add(1),
        Throttle.window_start.set(Throttle.window_start | now),
        Throttle.expires_epoch.set(now + settings.lockout_seconds * 2),
    ])
    if int(item.attempts) >= settings.login_max_failures:
        item.update(actions=[Throttle.locked_until.set(now + settings.lockout_seconds),
                             Throttle.attempts.set(0), Throttle.window_start.set(now)])
        return True
    return False


def clear(email: str) -> None:
    try:
        Throttle(key=_email_key(email)).delete()
    except DoesNotExist:
        pass
