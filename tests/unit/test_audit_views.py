"""What each reader is shown of an audit event (app.core.audit_views), without a database."""

from __future__ import annotations

from typing import Any

import pytest

from app.core import roles
from app.core.audit_views import NOTICE_ACTIONS, WITHHELD, Reader, view

OWNER, DETECTIVE, SUPERVISOR, AUDITOR = "o" * 32, "d" * 32, "s" * 32, "a" * 32
REQUEST = "r" * 32


def event(action: str, actor: str, role: str, subject: str, ip: str = "",
          **details: Any) -> dict[str, Any]:
    """An event as app.services.auditing.audit.event_json gives it."""
    return {"chain": "agency#demo", "seq": 7, "event_id": "e" * 32, "at": "2026-05-01T10:00:00Z",
            "actor_id": actor, "actor_role": role, "action": action, "subject_id": subject,
            "agency_id": "demo", "sealed": "f" * 64, "prev_hash": "1" * 64, "hash": "2" * 64,
            "ip": ip, "details": details, "details_json": "{}", "salt": "3" * 32}


NOTICE = event("request.received", "system", "system", OWNER, case="24-1", request_id=REQUEST,
               cameras="Jane's porch, Jane's garage", by=SUPERVISOR, by_role="supervisor")
# A notice appended before notices were the owner's: the officer as its actor.
OLD_NOTICE = event("registry.camera_found", DETECTIVE, "detective", OWNER, "10.0.0.1",
                   case="24-1", cameras="Jane's garage")
PLAYED = event("clip.viewed", DETECTIVE, "detective", OWNER, "10.0.0.1", case="24-1",
               request_id=REQUEST, target_id="t" * 32)
APPROVED = event("answer.approved", OWNER, "owner", OWNER, "10.9.9.9", request_id=REQUEST,
                 target_id="t" * 32, case="24-1", via="app")
BRIDGE_UPLOAD = event("upload.started", OWNER, "owner", OWNER, "bridge:abcd1234",
                      request_id=REQUEST, target_id="t" * 32, bytes=10, device="dev-1")
DECLINED = event("answer.declined", OWNER, "owner", OWNER, "10.9.9.9", request_id=REQUEST,
                 target_id="h" * 32, reason="Jane is away")
CREATED = event("request.created", DETECTIVE, "detective", REQUEST, "10.0.0.1", case="24-1",
                cameras=2)
FAILED_LOGIN = event("login.failed", "anonymous", "anonymous", DETECTIVE, "203.0.113.5")
LIVE = event("live.viewed", DETECTIVE, "detective", OWNER, "10.0.0.1", share="x" * 32,
             cameras=["c" * 32])

detective = Reader.of(DETECTIVE, roles.DETECTIVE, frozenset({REQUEST}))
supervisor = Reader.of(SUPERVISOR, roles.SUPERVISOR)
owner = Reader.of(OWNER, roles.OWNER)
auditor = Reader.of(AUDITOR, roles.AUDITOR)
package = Reader.package(frozenset({REQUEST}))


@pytest.mark.parametrize("notice", [NOTICE, OLD_NOTICE])
@pytest.mark.parametrize("reader", [detective, supervisor, package])
def test_owners_notices_are_the_owners(notice: dict[str, Any], reader: Reader) -> None:
    assert view(notice, reader) is None


def test_every_notice_action_is_covered() -> None:
    for action in NOTICE_ACTIONS:
        assert view(event(action, DETECTIVE, "detective", OWNER), detective) is None
        assert view(event(action, "system", "system", OWNER), owner) is not None


def test_the_owner_reads_their_notice_without_anybody_elses_address() -> None:
    shown = view(NOTICE, owner)
    assert shown is not None and shown["details"]["cameras"] == "Jane's porch, Jane's garage"
    played = view(PLAYED, owner)
    assert played is not None and played["actor_id"] == DETECTIVE
    assert "ip" not in played and played["withheld"] == ["ip"]
    old = view(OLD_NOTICE, owner)
    assert old is not None and "ip" not in old
    mine = view(APPROVED, owner)
    assert mine is not None and mine["ip"] == "10.9.9.9" and "withheld" not in mine


@pytest.mark.parametrize("reader", [owner, detective, package])
def test_nobody_but_the_auditor_gets_the_salt_or_the_raw_details(reader: Reader) -> None:
    for item in (PLAYED, APPROVED, CREATED, NOTICE):
        shown = view(item, reader)
        if shown is not None:
            assert "salt" not in shown and "details_json" not in shown


def test_police_read_their_own_access_without_the_owner() -> None:
    shown = view(PLAYED, detective)
    assert shown is not None
    assert shown["subject_id"] == WITHHELD and shown["actor_id"] == DETECTIVE
    assert shown["details"] == {"case": "24-1", "request_id": REQUEST, "target_id": "t" * 32}
    assert shown["ip"] == "10.0.0.1"  # the detective's own address
    assert "prev_hash" not in shown and "sealed" not in shown  # no guess can be tested
    live = view(LIVE, detective)
    assert live is not None and "cameras" not in live["details"]
    assert live["withheld"] == ["subject_id", "details"]


def test_police_read_their_own_request_whole() -> None:
    shown = view(CREATED, detective)
    assert shown is not None and shown["subject_id"] == REQUEST
    assert shown["details"] == {"case": "24-1", "cameras": 2} and shown["ip"] == "10.0.0.1"
    assert shown["prev_hash"] == "1" * 64 and "withheld" not in shown


def test_an_attempt_on_a_police_account_shows_its_address_to_the_account_holder() -> None:
    shown = view(FAILED_LOGIN, detective)
    assert shown is not None and shown["ip"] == "203.0.113.5"


def test_a_package_names_no_owner_device_words_or_address() -> None:
    for item, dropped in ((APPROVED, "via"), (BRIDGE_UPLOAD, "device"), (DECLINED, "reason")):
        shown = view(item, package)
        assert shown is not None
        assert shown["actor_id"] == WITHHELD and shown["subject_id"] == WITHHELD
        assert "ip" not in shown and dropped not in shown["details"]
        assert OWNER not in str(shown)
    made = view(CREATED, package)
    assert made is not None and "ip" not in made and made["actor_id"] == DETECTIVE
    played = view(PLAYED, package)
    assert played is not None and played["actor_id"] == DETECTIVE and "ip" not in played


def test_the_auditor_reads_everything() -> None:
    for item in (NOTICE, OLD_NOTICE, PLAYED, APPROVED, DECLINED):
        assert view(item, auditor) == item
