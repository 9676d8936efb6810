"""The audit hash chain: pure functions, no I/O.

Each event's hash is SHA-256 over the previous event's hash and the event's canonical JSON. The
canonical JSON covers every field of the event except its own hash, including the chain name and the
sequence number, so altering, removing or reordering events breaks a link that `verify_chain` names.

What may identify a person (the IP address and the details: names, nicknames, free text) is
*sealed*: the hash covers `sealed`, a SHA-256 over a random per-event salt and those fields, not
the fields themselves. While the salt is kept, verify_chain checks the fields against the seal as
strictly as the rest. When an owner leaves the program their events' sealed fields and salts are
erased; the chain still verifies, the event keeps its pseudonym (the user id), and an
`account.erased` event later in the chain must name that pseudonym, or the erasure is reported
as tampering.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
ERASED_ACTION = "account.erased"
# Kept beside an event but outside its hashed body: its hash, and the sealed fields (checked
# through `sealed` while the salt exists).
UNHASHED = ("hash", "ip", "details", "salt", "erased_at")


def canonical_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seal(salt: str, ip: str, details_json: str) -> str:
    """The digest the hash covers in place of the IP address and the details."""
    payload = salt + "\n" + canonical_json({"details": details_json, "ip": ip})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def hashed_body(event: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in UNHASHED}


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
    events = list(events)
    erasures = _erasures(events)
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
        if event_hash(prev, hashed_body(event)) != event.get("hash"):
            return Break(chain, seq, event_id, "content does not match its hash: event was altered")
        problem = _sealed_problem(event, erasures)
        if problem:
            return Break(chain, seq, event_id, problem)
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


def _erasures(events: list[Mapping[str, Any]]) -> dict[str, int]:
    """pseudonym → the seq of the account.erased event naming it (intact events only)."""
    found: dict[str, int] = {}
    for event in events:
        if event.get("action") != ERASED_ACTION or event.get("erased_at"):
            continue
        if "sealed" in event and seal(str(event.get("salt", "")), str(event.get("ip", "")),
                                      str(event.get("details", ""))) != event["sealed"]:
            continue
        try:
            pseudonym = json.loads(str(event.get("details") or "{}")).get("pseudonym")
        except ValueError:
            continue
        if isinstance(pseudonym, str) and pseudonym:
            found.setdefault(pseudonym, int(event["seq"]))
    return found


def _sealed_problem(event: Mapping[str, Any], erasures: Mapping[str, int]) -> str:
    """Why the event's sealed fields are not what was written, or "" when they are."""
    if "sealed" not in event:
        return ""  # an event from before sealing: all its fields are in the hash
    if event.get("erased_at"):
        people = [str(event.get("actor_id")), str(event.get("subject_id"))]
        if any(p in erasures and erasures[p] > int(event["seq"]) for p in people):
            return ""
        return "its details were removed, but no later erasure of that person is on record"
    if seal(str(event.get("salt", "")), str(event.get("ip", "")),
            str(event.get("details", ""))) != event["sealed"]:
        return "its details do not match their seal: event was altered"
    return ""
