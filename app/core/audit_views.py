"""What each reader is shown of an audit event. Pure: no I/O.

The audit log keeps every event whole, and the auditor reads it so. Everybody else reads events
through `view`, which gives each reader only what that reader may know:

- **Owners' notices are the owner's.** The per-owner copy of a police read (a request received,
  a search that found the camera, a map or export that showed it) names the owner and their
  cameras; only that owner (its subject) reads it. Whoever caused it reads their own event of
  the read instead (request.created, registry.searched, ...), which counts and never names.
- **An IP address is shown only to the person it belongs to**: the event's actor, or the
  account holder for an anonymous attempt on their account. Owners never see officers'
  addresses, and police never see an owner's.
- **Police never read an owner's id.** For a police reader (and for an evidence package, which
  police download) any person in an event that the reader may not know (an owner, an owner's
  bridge, a departed account) is replaced by WITHHELD, and the details of such an event are cut
  down to the request's and the evidence's own facts (SAFE_DETAILS): no camera names or ids, no
  device, no free text of the owner's.
- Nobody but the auditor gets an event's salt or its raw details string (with the salt, an
  address or a withheld detail could be confirmed by trying guesses against the seal). An event
  whose people were withheld also loses `prev_hash` and `sealed`, so its hash cannot be used to
  test a guessed owner id either; its chain, seq and hash still let an auditor show it whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core import roles

WITHHELD = "withheld"
NOT_PEOPLE = frozenset({"-", "system", "anonymous"})
# The per-owner notices the audit-fanout worker appends (app.services.auditing.notices): one per
# owner a police read touched, with that owner as subject.
NOTICE_ACTIONS = frozenset({"request.received", "request.reminded", "registry.camera_found",
                            "registry.camera_viewed", "registry.camera_exported"})
# Details a police reader may read of an event about an owner: the request's and the evidence's
# own facts.
SAFE_DETAILS = frozenset({"request_id", "target_id", "case", "offense", "window",
                          "window_start", "window_end", "share", "state", "bytes",
                          "clock_offset_s", "clip_sha256", "original_sha256", "method",
                          "delete_after", "due"})
# ... and the reason, when police or the system wrote it (never an owner's own words).
POLICE_WORDS = frozenset({"reason"})
# Fields every reader gets; the rest of an event is the auditor's.
SHOWN = ("chain", "seq", "event_id", "at", "actor_id", "actor_role", "action", "subject_id",
         "agency_id", "sealed", "prev_hash", "hash", "erased_at")


@dataclass(frozen=True)
class Reader:
    """Who reads: their id ("" for a package: nobody in particular), their role, whether they
    read as police, and the ids besides their own they may see (their program's staff, its
    requests)."""

    user_id: str
    role: str
    police: bool
    known: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user_id: str, role: str, known: frozenset[str] = frozenset()) -> Reader:
        return cls(user_id, role, role in roles.AGENCY_STAFF, known)

    @classmethod
    def package(cls, known: frozenset[str]) -> Reader:
        """Whoever opens an evidence package: police, and those police hand it to."""
        return cls("", "package", True, known)


def is_notice(event: Mapping[str, Any]) -> bool:
    return event.get("action") in NOTICE_ACTIONS


def _knows_actor(event: Mapping[str, Any], reader: Reader) -> bool:
    actor = str(event.get("actor_id", ""))
    if actor in NOT_PEOPLE or actor == reader.user_id or actor in reader.known:
        return True
    # Staff act only in their own program's chain; an owner's role (a bridge acts as its
    # owner) or an unknown one is not known.
    return event.get("actor_role") in roles.INVITED_ROLES


def _knows_subject(event: Mapping[str, Any], reader: Reader) -> bool:
    subject = str(event.get("subject_id", ""))
    return subject in NOT_PEOPLE or subject == reader.user_id or subject in reader.known


def _shows_ip(event: Mapping[str, Any], reader: Reader) -> bool:
    actor = event.get("actor_id")
    if reader.user_id and actor == reader.user_id:
        return True
    return bool(reader.user_id) and actor == "anonymous" and \
        event.get("subject_id") == reader.user_id


def view(event: Mapping[str, Any], reader: Reader) -> dict[str, Any] | None:
    """The event (as app.services.auditing.audit.event_json gives it) as this reader may read it,
    or None when it is not theirs to read."""
    if reader.role == roles.AUDITOR:
        return dict(event)
    if is_notice(event) and (not reader.user_id or event.get("subject_id") != reader.user_id):
        return None
    out = {name: event[name] for name in SHOWN if name in event}
    details = event.get("details")
    out["details"] = dict(details) if isinstance(details, Mapping) else {}
    withheld: list[str] = []
    if event.get("ip"):
        if _shows_ip(event, reader):
            out["ip"] = event["ip"]
        else:
            withheld.append("ip")
    if reader.police:
        masked = [name for name, known in (("actor_id", _knows_actor(event, reader)),
                                           ("subject_id", _knows_subject(event, reader)))
                  if not known]
        if masked:
            for name in masked:
                out[name] = WITHHELD
            allowed = SAFE_DETAILS | (POLICE_WORDS if "actor_id" not in masked else frozenset())
            kept = {k: v for k, v in out["details"].items() if k in allowed}
            if len(kept) < len(out["details"]):
                masked.append("details")
            out["details"] = kept
            out.pop("prev_hash", None)
            out.pop("sealed", None)
            withheld = masked + withheld
    if withheld:
        out["withheld"] = withheld
    return out
