"""Idempotency keys of forms a phone kept while offline and sends later (outbox.js).

The phone makes one random key per kept form and sends it with every try, so the server can
tell a second try of the same form from a new one: a retry after an answer that never reached
the phone must not register a second camera or answer a request twice.
"""

from __future__ import annotations

import hashlib
import re

from app.core.errors import BadRequestError

FIELD = "idempotency_key"
_KEY = re.compile(r"[A-Za-z0-9-]{16,64}")


def parse_key(value: str | None) -> str:
    """The form's key, or "" when it has none (a form sent the ordinary way)."""
    if not value:
        return ""
    if not _KEY.fullmatch(value):
        raise BadRequestError("The form's idempotency key is not valid.")
    return value


def derived_id(scope: str, key: str) -> str:
    """An item id made from the key within its scope (the owner): the same form sent twice
    names the same item, and nobody without the phone's key can name it."""
    return hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()[:32]
