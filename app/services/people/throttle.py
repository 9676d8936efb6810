"""Rate limits and lockouts where secrets are tried or mail is sent, each action on its own.

Per address (the caller's IP), over fixed windows of `login_ip_window_seconds`, every action
has its own counter with the limit `login_ip_limit`, so sign-ups, reset requests, feedback and
bridge pairing never use up the log-in budget of a police station or an office behind one
address. Log-in and pairing count only failures: a successful log-in costs the address
nothing. Sign-up, reset and feedback count every request (each one sends mail).

Per account (keyed by a digest of the email, so unknown addresses are counted the same way):
- password failures and authenticator-code failures have separate counters; either reaching
  `login_max_failures` locks the account for `lockout_seconds`. A correct password clears only
  the password counter, a correct code only the code counter, so knowing the password never
  buys more code guesses;
- mails sent by sign-up and by reset requests: at most `account_mail_limit` of each per hour
  to one address; beyond it the request is answered as usual and no mail goes out.
"""

from __future__ import annotations

import time

from pynamodb.exceptions import DoesNotExist

from app.config import Settings
from app.core import tokens
from app.core.errors import TooManyRequestsError
from app.core.roles import N_
from app.core.texts import gettext
from app.models.tokens import Throttle

PASSWORD = "password"
CODE = "code"
MAIL_WINDOW = 60 * 60
ADDRESS_ACTIONS = ("login", "pair", "signup", "reset", "feedback")
# Marked with N_, translated where the refusal is made.
_TOO_MANY = {
    "login": N_("Too many failed sign-ins from this network. Wait a few minutes and try again."),
    "pair": N_("Too many wrong pairing codes from this network. Wait a few minutes and try "
               "again."),
}
_TOO_MANY_DEFAULT = N_("Too many requests from this network. Wait a few minutes and try again.")


def _account(email: str) -> str:
    return tokens.digest(email.strip().lower())


def _address_key(action: str, ip: str, start: int) -> str:
    if action not in ADDRESS_ACTIONS:
        raise ValueError(f"no address limit for {action!r}")
    return f"{action}:ip:{ip}:{start}"


def _window(settings: Settings) -> tuple[int, int, int]:
    now = int(time.time())
    window = settings.login_ip_window_seconds
    return now, now - now % window, window


def _bump(key: str, expires: int) -> int:
    """Add one to the counter under key (made when missing); the count after adding."""
    item = Throttle(key=key, expires_epoch=expires)
    item.update(actions=[Throttle.attempts.add(1), Throttle.expires_epoch.set(expires)])
    return int(item.attempts)


def _refuse(action: str, retry_after: int) -> TooManyRequestsError:
    return TooManyRequestsError(gettext(_TOO_MANY.get(action, _TOO_MANY_DEFAULT)),
                                retry_after=max(1, retry_after))


# ---------------------------------------------------------------- per address


def count_request(settings: Settings, action: str, ip: str) -> None:
    """Count one request of the action from this address; refuse beyond the window's limit."""
    now, start, window = _window(settings)
    if _bump(_address_key(action, ip, start), start + 2 * window) > settings.login_ip_limit:
        raise _refuse(action, start + window - now)


def check_address(settings: Settings, action: str, ip: str) -> None:
    """Refuse when this address has used up the window's failures of the action."""
    now, start, window = _window(settings)
    try:
        item = Throttle.get(_address_key(action, ip, start), consistent_read=True)
    except DoesNotExist:
        return
    if int(item.attempts) >= settings.login_ip_limit:
        raise _refuse(action, start + window - now)


def count_failure(settings: Settings, action: str, ip: str) -> None:
    """Count one failed try of the action from this address (see check_address)."""
    _now, start, window = _window(settings)
    _bump(_address_key(action, ip, start), start + 2 * window)


# ---------------------------------------------------------------- per account


def _failure_key(factor: str, email: str) -> str:
    return f"{factor}:{_account(email)}"


def check_lock(settings: Settings, email: str) -> bool:
    """Refuse while the account is locked (after wrong passwords or wrong codes); True when
    password failures are on record (a correct password then clears them)."""
    try:
        item = Throttle.get(_failure_key(PASSWORD, email), consistent_read=True)
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


def record_failure(settings: Settings, factor: str, email: str) -> bool:
    """Count a wrong password or code for the account; lock the account when the limit is
    reached within `lockout_seconds` of the first failure. True if it is now locked."""
    now = int(time.time())
    key = _failure_key(factor, email)
    expires = now + settings.lockout_seconds * 2
    try:
        current = Throttle.get(key, consistent_read=True)
        if now - int(current.window_start) > settings.lockout_seconds:
            current.update(actions=[Throttle.attempts.set(0), Throttle.window_start.set(now)])
    except DoesNotExist:
        pass
    item = Throttle(key=key, expires_epoch=expires)
    item.update(actions=[
        Throttle.attempts.add(1),
        Throttle.window_start.set(Throttle.window_start | now),
        Throttle.expires_epoch.set(expires),
    ])
    if int(item.attempts) < settings.login_max_failures:
        return False
    # The lock lives on the password counter's item, which check_lock reads, whichever
    # factor reached the limit; the counter that reached it starts again.
    lock = Throttle(key=_failure_key(PASSWORD, email), expires_epoch=expires)
    lock.update(actions=[Throttle.locked_until.set(now + settings.lockout_seconds),
                         Throttle.window_start.set(now), Throttle.expires_epoch.set(expires)])
    item.update(actions=[Throttle.attempts.set(0), Throttle.window_start.set(now)])
    return True


def clear(factor: str, email: str) -> None:
    """Forget the factor's failures (for the password, with the lock, which has ended: a
    locked account never gets this far)."""
    Throttle(key=_failure_key(factor, email)).delete()


def clear_all(email: str) -> None:
    """A password reset: every counter and lock of the account starts again."""
    for factor in (PASSWORD, CODE):
        clear(factor, email)


# ---------------------------------------------------------------- mail per account


def allow_mail(settings: Settings, action: str, email: str) -> bool:
    """Count one mail of the action to this address; False beyond the hour's limit."""
    now = int(time.time())
    start = now - now % MAIL_WINDOW
    key = f"mail:{action}:{_account(email)}:{start}"
    return _bump(key, start + 2 * MAIL_WINDOW) <= settings.account_mail_limit
