"""Two writers racing on one DynamoDB item: conditional writes let one win; the loser re-reads
and either retries (audit appends: both events land) or is refused (a request answered twice)."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from typing import Any

from app.core import footage
from app.models.footage import RequestTarget
from app.services.auditing import audit
from devstack.seed import AGENCY_ID
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.faults.conftest import ROOT, Lane, assert_chain_whole, chain_events
from tests.faults.proxy import Fault, FaultProxy, op
from tests.support import session_client

WRITER = """
import sys
from lambdas.common import settings
settings()
from app.services.auditing import audit
agency, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in range(count):
    audit.record(agency, audit.Actor(name, "system"), "faults.race", "-", {"n": n})
"""


def test_two_processes_append_to_one_chain(lane: Lane, proxy: FaultProxy,
                                           outcome: Any) -> None:
    agency, per_writer = f"faults-race-{uuid.uuid4().hex[:8]}", 12
    proxy.add(Fault("throttled appends", op("dynamodb", "TransactWriteItems", agency),
                    code="ThrottlingException", times=3))
    env = dict(lane.env, PYTHONPATH=str(ROOT))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, agency, name, str(per_writer)],
                                cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
               for name in ("writer-a", "writer-b")]
    for writer in writers:
        _, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors[-2000:]
    events = chain_events(agency)
    assert sorted((e.actor_id, e.details) for e in events) == sorted(
        (name, f'{{"n":{n}}}') for name in ("writer-a", "writer-b") for n in range(per_writer))
    assert [int(e.seq) for e in events] == list(range(1, 2 * per_writer + 1))
    assert assert_chain_whole(agency) == 2 * per_writer
    tries = len(proxy.calls("dynamodb", "TransactWriteItems", agency))
    outcome(f"{2 * per_writer} events at seq 1..{2 * per_writer}, none lost or repeated "
            f"({tries} transactions: 3 throttled, {tries - 3 - 2 * per_writer} lost races)")


def test_a_request_answered_twice_at_once(app_via_proxy: str, signed_in: Any, settings: Any,
                                          outcome: Any) -> None:
    owner, owner_account = signed_in("owner")
    detective, _ = signed_in("detective")
    camera = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    target_id = ask(detective, [camera], *window()).json()["targets"][0]["id"]
    phones = [session_client(app_via_proxy, settings, owner_account) for _ in range(2)]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def tap(phone: Any) -> None:
        token = phone.csrf()
        start.wait()
        statuses.append(phone.send_json("POST", f"/api/targets/{target_id}/answer",
                                        {"action": "approve"}, csrf=False,
                                        headers={"X-CSRF-Token": token}).status_code)

    # The owner taps Approve on the phone and on the tablet at the same moment.
    taps = [threading.Thread(target=tap, args=(phone,)) for phone in phones]
    for thread in taps:
        thread.start()
    for thread in taps:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 409], statuses
    assert RequestTarget.get(target_id).status == footage.APPROVED
    answered = [e.action for e in audit.activity_of(owner_account.user.user_id)
                if e.action.startswith("answer.") and target_id in e.details]
    assert answered == ["answer.approved"]
    assert_chain_whole(AGENCY_ID)
    outcome("one tap 200, the other 409 (version check); 1 answer event; chain verifies")

