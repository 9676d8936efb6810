"""BaseModel.save measures an item as DynamoDB does and refuses one over 400 KB before sending
it; the measure is checked against DynamoDB Local's own limit, byte for byte."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from app.models.base import ITEM_LIMIT_BYTES, ItemTooLarge, attribute_bytes
from app.models.program import ProgramPage


def page(policy: str) -> ProgramPage:
    return ProgramPage(f"size-{uuid.uuid4().hex[:8]}", 1, policy_text=policy,
                       faq='[{"q": "\u00e9t\u00e9?", "a": "\U0001F3E0"}]', note="n",
                       edited_by="Admin", edited_at=datetime(2026, 12, 5, tzinfo=UTC))


def sized(total: int) -> ProgramPage:
    """A page of exactly `total` bytes by our measure, its policy in 3-byte characters."""
    item = page("")
    rest = total - sum(attribute_bytes(item).values())
    item.policy_text = "\u20ac" * (rest // 3) + "a" * (rest % 3)
    assert sum(attribute_bytes(item).values()) == total
    return item


@pytest.mark.parametrize("over", [0, 1])
def test_our_measure_is_dynamodbs(devstack: Any, over: int) -> None:
    """At exactly 400 KB by our count DynamoDB Local stores the item; one byte more and it
    refuses it, and so does our save, before any call."""
    item = sized(ITEM_LIMIT_BYTES + over)
    raw = devstack.client("dynamodb")
    put = {"TableName": ProgramPage.Meta.table_name, "Item": item.serialize()}
    if over:
        with pytest.raises(ClientError, match="size"):
            raw.put_item(**put)
        with pytest.raises(ItemTooLarge) as refused:
            item.save()
        assert "too big to save" in refused.value.detail
        assert "policy_text" in refused.value.detail
    else:
        raw.put_item(**put)
        item.save()  # as big as an item may be: saved
    got = list(ProgramPage.query(item.agency_id, consistent_read=True))
    assert len(got) == (0 if over else 1)
