"""Random tokens, their stored digests, and HMAC signatures. Pure functions."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token; only its digest is ever stored."""
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored, so a leaked table leaks no token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign(secret: str, purpose: str, value: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()


def check_signature(secret: str, purpose: str, value: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, purpose, value), signature or "")
