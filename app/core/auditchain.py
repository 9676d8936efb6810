"""The audit hash chain: pure functions, no I/O.

Each event's hash is SHA-256 over the previous event's hash and the event's canonical JSON. The
canonical JSON covers every field of the event except its own hash, including the chain name and the
sequence number, so altering, removing or reordering events breaks a link that `verify_chain` names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    payload = prev_hash + "\n" + canonical_json(body)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first broken link of a chain, in plain words."""

    chain: str
    seq: int
    event_id: str
    reason: str

    def __str__(self) -> str:
        ident = f" (event {self.event_id})" if self.event_id else ""
        return f"chain {self.chain}: broken at seq {self.seq}{ident}: {self.reason}"


def verify_chain(
    chain: str,
    events: Iterable[Mapping[str, Any]],
    head_seq: int | None = None,
    head_hash: str | None = None,
) -> Break | None:
    """Check a chain's events, given in ascending seq order; return the first break or None.

    Each event is a mapping with the body fields plus "prev_hash" and "hash". The optional head
    (latest seq and hash recorded separately) detects events removed from the end of the chain.
    """
    expected_seq = 1
    prev = GENESIS
    last_hash = GENESIS
    for event in events:
        seq = int(event["seq"])
        event_id = str(event.get("event_id", ""))
        if seq != expected_seq:
            missing = "event missing" if seq > expected_seq else "sequence number repeated"
            return Break(chain, expected_seq, "", f"{missing} (found seq {seq} next)")
        if event.get("prev_hash") != prev:
            return Break(
                chain, seq, event_id, "previous-hash link does not match: events were reordered "
                "or one before it was replaced"
            )
        body = {k: v for k, v in event.items() if k != "hash"}
        if event_hash(prev, body) != event.get("hash"):
            return Break(chain, seq, event_id, "content does not match its hash: event was altered")
        prev = str(event["hash"])
        last_hash = prev
        expected_seq += 1
    last_seq = expected_seq - 1
    if head_seq is not None and head_seq != last_seq:
        if head_seq > last_seq:
            return Break(chain, last_seq + 1, "", f"events {last_seq + 1}..{head_seq} are missing")
        return Break(chain, head_seq + 1, "", "events exist past the recorded head")
    if head_hash is not None and head_hash != last_hash:
        return Break(chain, last_seq, "", "last event does not match the recorded head hash")
    return None
