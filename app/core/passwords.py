"""Password hashing with argon2id and the rules a new password must meet."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.texts import gettext

MIN_LENGTH = 10
MAX_LENGTH = 256
_COMMON = frozenset(
    {
        "password123",
        "1234567890",
        "qwertyuiop",
        "letmein123",
        "porchlight",
        "iloveyou12",
        "password1234",
    }
)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults are argon2id, t=3, m=64 MiB, p=4 (RFC 9106 second recommendation).
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


# A fixed hash to verify against when an account does not exist, so that a login for an unknown
# email costs the same time as one for a known email (no account enumeration by timing).
@lru_cache(maxsize=1)
def dummy_hash() -> str:
    return hash_password("porchlight-timing-equaliser")


def password_problems(password: str, email: str = "") -> list[str]:
    """Plain-words reasons a password is not acceptable (in the request's language); empty
    when it is fine."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(gettext("Use at least %(min)s characters.", min=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(gettext("Use at most %(max)s characters.", max=MAX_LENGTH))
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) < 4:
        problems.append(gettext("This password is too easy to guess; choose another."))
    local = email.split("@", 1)[0].lower()
    if local and len(local) >= 4 and local in lowered:
        problems.append(gettext("Do not use your email address in your password."))
    return problems
