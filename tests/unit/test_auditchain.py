"""The hash chain detects tampering, deletion, reordering and truncation."""

from __future__ import annotations

from typing import Any

import pytest

from app.core import auditchain


def build_chain(n: int, chain: str = "agency#t",
                actions: dict[int, tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    """n sealed events; `actions` sets (action, details JSON) for some seqs."""
    events = []
    prev = auditchain.GENESIS
    for seq in range(1, n + 1):
        action, details = (actions or {}).get(seq, ("login.succeeded", '{"name":"Ann"}'))
        salt, ip = f"salt{seq}", "192.0.2.7"
        body = {"chain": chain, "seq": seq, "event_id": f"e{seq}", "action": action,
                "actor_id": f"u{seq % 3}", "subject_id": "-",
                "at": f"2026-11-21T10:00:{seq:02d}.000Z",
                "sealed": auditchain.seal(salt, ip, details), "prev_hash": prev}
        event = dict(body, hash=auditchain.event_hash(prev, body), salt=salt, ip=ip,
                     details=details)
        events.append(event)
        prev = event["hash"]
    return events


def erase(event: dict[str, Any]) -> None:
    event.pop("salt")
    event.update(ip="", details='{"erased":true}', erased_at="2026-11-22T00:00:00.000Z")


def test_sealed_details_and_ip_are_checked() -> None:
    for field in ("details", "ip", "salt"):
        events = build_chain(3)
        events[1][field] = events[1][field] + "x"
        found = auditchain.verify_chain("agency#t", events, 3, events[-1]["hash"])
        assert found is not None and found.seq == 2 and "seal" in found.reason, field


def test_erasure_keeps_the_chain_when_it_is_on_record() -> None:
    erased_later = {5: (auditchain.ERASED_ACTION, '{"pseudonym":"u1"}')}
    events = build_chain(5, actions=erased_later)
    erase(events[0])  # seq 1, actor u1: erased before the record at seq 5
    assert auditchain.verify_chain("agency#t", events, 5, events[-1]["hash"]) is None
    erase(events[1])  # seq 2, actor u2: nobody erased u2
    found = auditchain.verify_chain("agency#t", events, 5, events[-1]["hash"])
    assert found is not None and found.seq == 2 and "no later erasure" in found.reason


def test_an_erasure_record_does_not_cover_events_after_it() -> None:
    events = build_chain(5, actions={2: (auditchain.ERASED_ACTION, '{"pseudonym":"u1"}')})
    erase(events[3])  # seq 4, actor u1, after the erasure record
    found = auditchain.verify_chain("agency#t", events, 5, events[-1]["hash"])
    assert found is not None and found.seq == 4


def test_intact_chain_verifies() -> None:
    events = build_chain(5)
    assert auditchain.verify_chain("agency#t", events, 5, events[-1]["hash"]) is None


def test_empty_chain_with_no_head_verifies() -> None:
    assert auditchain.verify_chain("agency#t", []) is None


@pytest.mark.parametrize("field", ["action", "actor_id", "at", "sealed"])
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
    body = auditchain.hashed_body(events[2])
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
