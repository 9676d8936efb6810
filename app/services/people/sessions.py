"""Creating, checking, listing and revoking server-side sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist

from app.config import Settings
from app.core import roles, tokens
from app.core.errors import NotFoundError
from app.models.sessions import Session
from app.models.users import User
from app.services import clock

TOUCH_EVERY = timedelta(seconds=60)  # at most one write per minute per session for last_seen


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie, never stored
    session: Session


def create(settings: Settings, user_id: str, role: str, ip: str, user_agent: str,
           mfa_ok: bool) -> NewSession:
    token = tokens.new_token()
    moment = clock.now()
    item = Session(
        session_id=tokens.digest(token),
        public_id=secrets.token_hex(8),
        user_id=user_id,
        role=role,
        created_at=moment,
        last_seen=moment,
        mfa_ok=mfa_ok,
        user_agent=user_agent[:200],
        ip=ip,
        expires_epoch=int(moment.timestamp()) + settings.absolute_seconds,
    )
    item.save(condition=Session.session_id.does_not_exist())
    return NewSession(token, item)


def expired(settings: Settings, item: Session) -> str | None:
    """Why the session has ended ("idle" or "absolute"), or None while it is valid."""
    moment = clock.now()
    if moment.timestamp() >= item.expires_epoch or (
        moment - item.created_at
    ).total_seconds() >= settings.absolute_seconds:
        return "absolute"
    idle = roles.idle_limit(item.role, settings.police_idle_seconds, settings.owner_idle_seconds)
    if (moment - item.last_seen).total_seconds() >= idle:
        return "idle"
    return None


def load(token: str) -> Session | None:
    if not token or len(token) > 100:
        return None
    try:
        return Session.get(tokens.digest(token), consistent_read=True)
    except DoesNotExist:
        return None


def touch(item: Session) -> None:
    moment = clock.now()
    if moment - item.last_seen >= TOUCH_EVERY:
        item.update(actions=[Session.last_seen.set(moment)])


def mark_mfa_ok(item: Session) -> None:
    item.update(actions=[Session.mfa_ok.set(True), Session.last_seen.set(clock.now())])


def list_for(user_id: str) -> list[Session]:
    return sorted(Session.user_index.query(user_id), key=lambda s: s.created_at, reverse=True)


def owned_session(user: User, public_id: str) -> Session:
    """One of the user's own sessions, by the id their pages show; anybody else's is "not
    found", as one that has ended."""
    for item in Session.user_index.query(user.user_id):
        if item.public_id == public_id:
            return item
    raise NotFoundError("No such session, or it has already ended.")


def revoke(item: Session) -> None:
    item.delete()


def revoke_all(user_id: str, except_session_id: str | None = None) -> int:
    count = 0
    for item in Session.user_index.query(user_id):
        if item.session_id != except_session_id:
            item.delete()
            count += 1
    return count
