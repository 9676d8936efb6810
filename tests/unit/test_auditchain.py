"""The hash chain detects tampering, deletion, reordering and truncation."""

from __future__ import annotations

from typing import Any

import pytest

from app.core import auditchain


def build_chain(n: int, chain: str = "agency#t") -> list[dict[str, Any]]:
    events = []
    prev = auditchain.GENESIS
    for seq in range(1, n + 1):
        body = {"chain": chain, "seq": seq, "event_id": f"e{seq}", "action": "login.succeeded",
                "actor_id": f"u{seq % 3}", "at": f"2026-11-21T10:00:{seq:02d}.000Z",
                "details": "{}", "prev_hash": prev}
        event = dict(body, hash=auditchain.event_hash(prev, body))
        events.append(event)
        prev = event["hash"]
    return events


def test_intact_chain_verifies() -> None:
    events = build_chain(5)
    assert auditchain.verify_chain("agency#t", events, 5, events[-1]["hash"]) is None


def test_empty_chain_with_no_head_verifies() -> None:
    assert auditchain.verify_chain("agency#t", []) is None


@pytest.mark.parametrize("field", ["action", "actor_id", "at", "details"])
def test_altered_event_is_named(field: str) -> None:
    events = build_chain(5)
    events[2][field] = "tampered"
    found = auditchain.verify_chain("agency#t", events, 5, events[-1]["hash"])
    assert found is not None
    assert (found.seq, found.event_id) == (3, "e3")
    assert "altered" in found.reason


def test_rehashing_an_altered_event_breaks_the_next_link() -> None:
    events = build_chain(5)
    events[2]["action"] = "logout"
    body = {k: v for k, v in events[2].items() if k != "hash"}
    events[2]["hash"] = auditchain.event_hash(events[2]["prev_hash"], body)
    found = auditchain.verify_chain("agency#t", events, 5, events[-1]["hash"])
    assert found is not None and found.seq == 4


def test_deleted_event_is_detected() -> None:
    events = build_chain(5)
    del events[1]
    found = auditchain.verify_chain("agency#t", events, 5, events[-1]["hash"])
    assert found is not None and found.seq == 2
    assert "missing" in found.reason


def test_reordered_events_are_detected() -> None:
    events = build_chain(5)
    # Swap the contents of seq 2 and 3 but keep the seq numbers in place, as an attacker
    # editing items in DynamoDB would have to.
    a, b = dict(events[1]), dict(events[2])
    a["seq"], b["seq"] = 3, 2
    events[1], events[2] = b, a
    found = auditchain.verify_chain("agency#t", events, 5, events[-1]["hash"])
    assert found is not None and found.seq == 2


def test_truncated_tail_is_detected_through_the_head() -> None:
    events = build_chain(5)
    head_hash = events[-1]["hash"]
    found = auditchain.verify_chain("agency#t", events[:3], 5, head_hash)
    assert found is not None
    assert "4..5" in found.reason


def test_break_reads_in_plain_words() -> None:
    found = auditchain.Break("agency#x", 7, "abc", "content does not match its hash")
    assert str(found) == (
        "chain agency#x: broken at seq 7 (event abc): content does not match its hash")


def test_canonical_json_is_key_order_independent() -> None:
    assert auditchain.canonical_json({"b": 1, "a": "é"}) == auditchain.canonical_json(
        {"a": "é", "b": 1}) == '{"a":"é","b":1}'
