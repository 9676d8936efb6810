"""Single-use tokens behind emailed links and typed codes: invitations, sign-ups, password
resets, a notification's answer buttons, a bridge's pairing code. Only the token's digest is
stored; using one marks it used exactly once. No password hashing here: the workers that answer
from a notification (the clip cutter, the push sender) import this without argon2."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from app.config import Settings
from app.core import tokens
from app.core.errors import LinkGoneError
from app.core.texts import gettext
from app.models.base import condition_failed
from app.models.tokens import OneTimeToken
from app.services import clock


def issue(settings: Settings, kind: str, email: str, agency_id: str, ttl: int,
                token: str | None = None, **fields: Any) -> str:
    """Store a single-use token's digest; a caller with its own format (a short pairing code,
    a signed answer token) passes the token, otherwise a random one is made."""
    token = token or tokens.new_token()
    moment = clock.now()
    OneTimeToken(
        token_id=tokens.digest(token), kind=kind, email=email, agency_id=agency_id,
        created_at=moment, expires_epoch=int(moment.timestamp()) + ttl, **fields,
    ).save()
    return token


def take(token: str, kind: str) -> OneTimeToken:
    """Mark a token used, exactly once; refuse expired, used and unknown tokens alike."""
    gone = LinkGoneError(gettext("This link has expired or was already used. Ask for a new "
                                 "one."))
    if not token or len(token) > 300:
        raise gone
    try:
        item = OneTimeToken.get(tokens.digest(token), consistent_read=True)
    except DoesNotExist as exc:
        raise gone from exc
    if item.kind != kind or item.used_at or item.expires_epoch <= clock.now().timestamp():
        raise gone
    try:
        item.update(actions=[OneTimeToken.used_at.set(clock.now())],
                    condition=OneTimeToken.used_at.does_not_exist())
    except UpdateError as exc:
        if not condition_failed(exc):
            raise  # the link was not used: the database failed to mark it
        raise gone from exc
    return item


def peek(token: str, kind: str) -> OneTimeToken | None:
    """The token's item if it can still be used, without using it (to render its form)."""
    if not token or len(token) > 300:
        return None
    try:
        item = OneTimeToken.get(tokens.digest(token), consistent_read=True)
    except DoesNotExist:
        return None
    if item.kind != kind or item.used_at or item.expires_epoch <= clock.now().timestamp():
        return None
    return item
