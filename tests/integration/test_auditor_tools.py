"""The auditor's tools over HTTP, in a program of their own (so other tests' events stay out):
search filters and paging, one event with its verification, CSV and JSON exports (the JSON
checked by tools/audit_proof.py), the auditor's own reads in the log, and the anomaly flags."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.services.auditing import audit, checkpoints, review
from app.services.people import leaving
from devstack.seed import AGENCY_ID
from tests.builders.cameras import camera_body
from tests.support import Account, Client, make_user, session_client
from tools import audit_proof

SPOT = (41.8853, -87.6216)
FORMULA = '=HYPERLINK("http://evil.example","x")'
CASES = ("26-AUD-1", "26-AUD-2", FORMULA)


@dataclass
class Program:
    agency: str
    chain: str
    detective: Account
    other: Account
    owner: Account
    auditor: Client
    searches: list[int]  # the detective's searches' seqs, oldest first
    every_search: list[int]  # the other detective's too
    registered: int  # the owner's camera.registered

    def link(self, seq: int) -> str:
        return f'href="/audit/events/agency%23{self.agency}/{seq}"'


def search(client: Client, case: str, lat: float, lon: float) -> None:
    when = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    answer = client.send_json("POST", "/api/search", {
        "lat": lat, "lon": lon, "radius_m": 150, "incident_at": when, "case_number": case})
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def program(devstack: Any, base_url: str, settings: Any) -> Program:
    agency = f"aud-{uuid.uuid4().hex[:8]}"
    people = {role: make_user(role, agency_id=agency) for role in ("detective", "owner")}
    other = make_user("detective", agency_id=agency)
    owner = session_client(base_url, settings, people["owner"])
    made = owner.send_json("POST", "/api/cameras", camera_body(lat=41.95, lon=-87.70))
    assert made.status_code == 201, made.text  # far from SPOT: no search finds it
    detective = session_client(base_url, settings, people["detective"])
    for i, case in enumerate(CASES):  # one house, three case numbers, never a request
        search(detective, case, SPOT[0] + 0.0001 * i, SPOT[1])
    search(session_client(base_url, settings, other), "26-AUD-9", 41.80, -87.60)
    chain = audit.chain_for(agency)
    events = list(audit.iter_chain(chain))
    every = [int(e.seq) for e in events if e.action == "registry.searched"]
    mine = [int(e.seq) for e in events if e.action == "registry.searched"
            and e.actor_id == people["detective"].user.user_id]
    registered = next(int(e.seq) for e in events if e.action == "camera.registered")
    auditor = session_client(base_url, settings, make_user("auditor", agency_id=agency))
    return Program(agency, chain, people["detective"], other, people["owner"], auditor, mine,
                   every, registered)


def seqs_on(page: str, program: Program) -> list[int]:
    return [int(s) for s in re.findall(rf'href="/audit/events/agency%23{program.agency}/(\d+)"',
                                       page)]


def test_the_log_filters_by_person_case_text_and_subject_and_pages(program: Program) -> None:
    auditor = program.auditor
    by_actor = auditor.get(f"/audit?actor={program.detective.email}")
    assert by_actor.status_code == 200
    assert seqs_on(by_actor.text, program) == program.searches[::-1]  # newest first
    by_case = auditor.get("/audit?case=26-aud-2").text
    assert seqs_on(by_case, program) == [program.searches[1]]
    by_text = auditor.get("/audit?text=AUD-9").text
    assert len(seqs_on(by_text, program)) == 1 and "26-AUD-9" in by_text
    about_owner = auditor.get(f"/audit?subject={program.owner.email}").text
    assert seqs_on(about_owner, program) == [program.registered]

    first = auditor.get("/audit?action=registry.searched&per_page=3").text
    assert seqs_on(first, program) == program.every_search[:0:-1]
    nxt = re.search(r'rel="next" href="([^"]+)"', first)
    assert nxt and "before=" in nxt.group(1)
    second = auditor.get(html.unescape(nxt.group(1))).text
    assert seqs_on(second, program) == program.every_search[:1] and 'rel="next"' not in second
    assert "That is the oldest matching event" in second

    assert auditor.get("/audit?since=yesterday").status_code == 422
    assert auditor.get("/audit?action=no.such").status_code == 422


def test_an_event_shows_every_field_and_whether_it_verifies(program: Program, settings: Any
                                                            ) -> None:
    seq = program.searches[0]
    page = program.auditor.get(f"/audit/events/agency%23{program.agency}/{seq}")
    assert page.status_code == 200
    event = next(e for e in audit.iter_chain(program.chain) if int(e.seq) == seq)
    for value in (event.event_id, event.hash, event.prev_hash, event.sealed, "26-AUD-1",
                  program.detective.user.user_id, program.detective.email):
        assert value in page.text
    assert "Broken" not in page.text and page.text.count("Holds") >= 4
    made = checkpoints.make(settings)
    again = program.auditor.get(f"/audit/events/agency%23{program.agency}/{seq}").text
    assert f"Proven in checkpoint {made.seq}" in again

    elsewhere = program.auditor.get(f"/audit/events/agency%23{AGENCY_ID}/1")
    assert elsewhere.status_code == 404  # another program's chain is not theirs to read
    assert program.auditor.get(f"/audit/events/agency%23{program.agency}/x").status_code == 404
    assert program.auditor.get(f"/audit/events/agency%23{program.agency}/99999"
                               ).status_code == 404


def test_exports_carry_proofs_and_neutralise_formulas(program: Program, settings: Any,
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    made = checkpoints.make(settings)
    query = f"?actor={program.detective.email}"
    exported = program.auditor.get("/audit/export.json" + query)
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"].startswith("attachment; filename=")
    body = exported.json()
    assert body["filter"] == {"actor": program.detective.user.user_id}
    assert body["capped"] is False and len(body["events"]) == 3
    path, key = tmp_path / "export.json", tmp_path / "key.pem"
    path.write_text(exported.text, encoding="utf-8")
    key.write_text(checkpoints.feed(settings)["public_key"], encoding="utf-8")
    assert audit_proof.main([str(path), "--public-key", str(key)]) == 0
    assert "3 of 3 event(s) proven" in capsys.readouterr().out

    sheet = program.auditor.get("/audit/export.csv" + query)
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/csv")
    assert sheet.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert [int(r["seq"]) for r in rows] == program.searches[::-1]
    assert {r["case"] for r in rows} == {"26-AUD-1", "26-AUD-2", "'" + FORMULA}
    assert not [c for r in rows for c in r.values() if c[:1] in ("=", "+", "-", "@")]
    proofs = {e["proof"]["checkpoint"] for e in body["events"]}
    assert proofs and max(proofs) <= made.seq  # an earlier test may have made the first one
    assert {r["proof"] for r in rows} == {f"proven in checkpoint {n}" for n in proofs}
    assert all(json.loads(r["details"])["radius_m"] == 150 for r in rows)


def test_an_export_says_when_it_was_capped(program: Program,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review, "EXPORT_MAX", 2)  # the server runs in this process
    sheet = program.auditor.get("/audit/export.csv?action=registry.searched")
    assert "-newest-2.csv" in sheet.headers["Content-Disposition"]
    assert len(list(csv.DictReader(io.StringIO(sheet.text)))) == 2
    body = program.auditor.get("/audit/export.json?action=registry.searched").json()
    assert body["capped"] is True and "newest 2 matching events" in body["note"]


def test_the_auditors_own_reads_are_in_the_log(program: Program, base_url: str,
                                               settings: Any) -> None:
    account = make_user("auditor", agency_id=program.agency)
    auditor = session_client(base_url, settings, account)
    auditor.get("/audit?case=26-AUD-1")
    auditor.get(f"/audit/events/agency%23{program.agency}/{program.searches[0]}")
    auditor.get("/audit/export.csv?case=26-AUD-1")
    auditor.get("/audit/flags?period=24h")
    mine = auditor.get(f"/api/audit/events?actor={account.email}").json()["events"]
    by_action = {e["action"]: e for e in mine}
    assert set(by_action) == {"audit.viewed", "audit.event_viewed", "audit.exported",
                              "audit.flags_viewed"}
    assert all(e["chain"] == program.chain for e in mine)
    assert by_action["audit.viewed"]["details"] == {"filter": {"case": "26-AUD-1"}, "count": 1}
    assert by_action["audit.event_viewed"]["details"]["seq"] == program.searches[0]
    assert by_action["audit.exported"]["details"] == {
        "format": "csv", "filter": {"case": "26-AUD-1"}, "count": 1, "capped": False}
    assert by_action["audit.flags_viewed"]["details"]["period"] == "24h"
    page = auditor.get(f"/audit?actor={account.email}").text
    assert "Auditor exported the audit log" in page
    assert auditor.http.post(base_url + "/audit/export.csv", timeout=30).status_code in (403, 405)


def test_the_flags_page_links_each_flag_to_its_events(program: Program, base_url: str,
                                                      settings: Any) -> None:
    page = program.auditor.get("/audit/flags")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Searches without a later footage request" in text
    assert "3 of 3 registry searches were under case numbers that no footage request named" \
        in text
    assert "Repeated searches around one place" in text
    assert "3 searches centred within 100 m of each other" in text
    for seq in program.searches:
        assert text.count(program.link(seq)) == 2  # behind both flags
    assert program.detective.email in text
    assert "<caption>Each check and when it flags</caption>" in text
    assert program.auditor.get("/audit/flags?period=1y").status_code == 422

    alone = make_user("auditor", agency_id=f"quiet-{uuid.uuid4().hex[:8]}")
    calm = session_client(base_url, settings, alone).get("/audit/flags?period=30d").text
    assert "No flag fired in the last 30 days" in calm


def test_an_erased_event_says_so_and_still_verifies(program: Program, base_url: str,
                                                    settings: Any) -> None:
    account = make_user("owner", agency_id=program.agency)
    owner = session_client(base_url, settings, account)
    made = owner.send_json("POST", "/api/cameras", camera_body(lat=41.96, lon=-87.71))
    assert made.status_code == 201, made.text
    registered = max(int(e.seq) for e in audit.iter_chain(program.chain)
                     if e.action == "camera.registered" and e.actor_id == account.user.user_id)
    leaving.erase(account.user.user_id, program.agency)  # what the erasure worker does
    page = program.auditor.get(f"/audit/events/agency%23{program.agency}/{registered}").text
    assert "Details erased when the person left the program" in page
    assert "Erased</span>" in page and "Broken" not in page
    listed = program.auditor.get(f"/audit?actor={account.user.user_id}").text
    assert "(details erased when the person left the program)" in listed
