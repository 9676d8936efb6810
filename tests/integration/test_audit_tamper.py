"""`flask --app app.wsgi audit verify` against the running devstack: intact, then tampered."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.models.audit import AuditEvent, AuditHead
from app.services.auditing import audit
from tests.support import Client, make_user, session_client

pytestmark = pytest.mark.slow  # about 17 s in all: left out of `make check`

ROOT = Path(__file__).resolve().parents[2]
TAMPER_AGENCY = "tamper-pd"


def run_verify(devstack: Any) -> subprocess.CompletedProcess[str]:
    """The command exactly as the README gives it, with the devstack's environment."""
    env = dict(os.environ, **devstack.env)
    flask = str(Path(sys.executable).with_name("flask"))
    return subprocess.run([flask, "--app", "app.wsgi", "audit", "verify"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def chain() -> Iterator[list[AuditEvent]]:
    """A chain of its own, so altering it leaves the other tests' chains alone."""
    name = audit.chain_for(TAMPER_AGENCY)
    for item in AuditEvent.query(name):
        item.delete()
    try:
        AuditHead.get(name).delete()
    except AuditHead.DoesNotExist:
        pass
    actor = audit.Actor("u-1", "detective", "127.0.0.1")
    events = [audit.record(TAMPER_AGENCY, actor, action, "owner-1", {"n": i})
              for i, action in enumerate(["login.succeeded", "mfa.verified", "logout",
                                          "login.succeeded"])]
    yield events
    for item in AuditEvent.query(name):
        item.delete()
    AuditHead.get(name).delete()


def test_tamper_edit_is_named_by_verify(devstack: Any, chain: list[AuditEvent]) -> None:
    intact = run_verify(devstack)
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.startswith("OK:")

    # Edit one item directly in DynamoDB, as someone with table access would.
    victim = chain[1]
    devstack.client("dynamodb").update_item(
        TableName=AuditEvent.Meta.table_name,
        Key={"chain": {"S": victim.chain}, "seq": {"N": str(victim.seq)}},
        UpdateExpression="SET #a = :a",
        ExpressionAttributeNames={"#a": "action"},
        ExpressionAttributeValues={":a": {"S": "logout"}},
    )
    broken = run_verify(devstack)
    assert broken.returncode == 1
    assert f"chain agency#{TAMPER_AGENCY}: broken at seq 2 (event {victim.event_id})" in (
        broken.stderr)
    assert "altered" in broken.stderr


def test_tamper_delete_is_named_by_verify(devstack: Any, chain: list[AuditEvent]) -> None:
    devstack.client("dynamodb").delete_item(
        TableName=AuditEvent.Meta.table_name,
        Key={"chain": {"S": chain[2].chain}, "seq": {"N": "3"}},
    )
    broken = run_verify(devstack)
    assert broken.returncode == 1
    assert f"agency#{TAMPER_AGENCY}: broken at seq 3" in broken.stderr


def test_tamper_truncated_tail_is_named(chain: list[AuditEvent]) -> None:
    chain[-1].delete()
    _, _, breaks = audit.verify_all()
    mine = [b for b in breaks if b.chain == audit.chain_for(TAMPER_AGENCY)]
    assert mine and "missing" in mine[0].reason


def test_auditor_page_shows_tampering_in_their_program_only(
        base_url: str, settings: Any, signed_in: Any, chain: list[AuditEvent]) -> None:
    auditor = session_client(base_url, settings, make_user("auditor", agency_id=TAMPER_AGENCY))
    elsewhere, _ = signed_in("auditor")  # the demo program's auditor
    assert "Intact" in auditor.get("/audit/verify").text
    chain[0].update(actions=[AuditEvent.ip.set("10.0.0.1")])
    page = auditor.get("/audit/verify").text
    assert "has been altered" in page and "broken at seq 1" in page
    assert "Intact" in elsewhere.get("/audit/verify").text


def test_a_writer_with_a_stale_head_cannot_take_a_place(devstack: Any) -> None:
    """Two writers that read the same head: the second one's conditional put is refused.

    (moto's server does not serialise concurrent transactions the way DynamoDB does, so the
    race is replayed deterministically here rather than with threads.)
    """
    agency = "race-pd"
    actor = audit.Actor("u-race", "owner", "127.0.0.1")
    first = audit.record(agency, actor, "login.succeeded")
    stale_head = AuditHead.get(audit.chain_for(agency))
    audit.record(agency, actor, "logout")  # the other writer wins seq 2
    loser = AuditEvent(chain=first.chain, event_id="late", at=first.at, actor_id="u-race",
                       actor_role="owner", action="login.failed", subject_id="-",
                       agency_id=agency, ip="127.0.0.1", details="{}")
    assert audit.try_append(loser, stale_head) is False
    events = list(audit.iter_chain(audit.chain_for(agency)))
    assert [(int(e.seq), e.action) for e in events] == [(1, "login.succeeded"), (2, "logout")]
    # With a first-event head (None) the place is taken too.
    assert audit.try_append(loser, None) is False
    # record() re-reads the head and lands the event at seq 3.
    assert int(audit.record(agency, actor, "login.failed").seq) == 3


def test_auditor_filters_by_actor_and_action(signed_in: Any, make_account: Any,
                                              client: Client) -> None:
    auditor, _ = signed_in("auditor")
    account = make_account("owner")
    client.login(account.email, "wrong password!!")
    client.login(account.email, account.password)
    by_action = auditor.get("/api/audit/events?action=login.failed").json()["events"]
    assert by_action and {e["action"] for e in by_action} == {"login.failed"}
    mine = auditor.get(f"/api/audit/events?actor={account.email}").json()["events"]
    assert {e["action"] for e in mine} >= {"login.succeeded"}
    assert all(e["actor_id"] == account.user.user_id for e in mine)
    bad = auditor.get("/api/audit/events?since=yesterday")
    assert bad.status_code == 422 and "since" in bad.json()["errors"]
    page = auditor.get("/audit?action=login.failed")
    assert page.status_code == 200 and "login.failed" in page.text
