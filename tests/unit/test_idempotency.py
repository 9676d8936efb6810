"""Idempotency keys of forms a phone kept offline (app.core.idempotency)."""

from __future__ import annotations

import uuid

import pytest

from app.core import idempotency
from app.core.errors import BadRequestError


def test_a_phone_made_key_is_taken_and_no_key_is_none() -> None:
    key = str(uuid.uuid4())
    assert idempotency.parse_key(key) == key
    assert idempotency.parse_key("") == idempotency.parse_key(None) == ""


@pytest.mark.parametrize("value", ["short", "x" * 65, "has spaces in it here", "ke/y" * 5,
                                   "<script>alert(1)</script>"])
def test_a_malformed_key_is_refused(value: str) -> None:
    with pytest.raises(BadRequestError):
        idempotency.parse_key(value)


def test_the_same_key_names_the_same_item_only_for_its_owner() -> None:
    key = str(uuid.uuid4())
    first = idempotency.derived_id("owner-a", key)
    assert first == idempotency.derived_id("owner-a", key)
    assert first != idempotency.derived_id("owner-b", key)
    assert first != idempotency.derived_id("owner-a", str(uuid.uuid4()))
    assert len(first) == 32 and int(first, 16) >= 0  # as long as a uuid4().hex
