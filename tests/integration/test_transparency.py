"""The public transparency page and its CSV, for a program of its own: every figure equals the
count recomputed here from the raw tables, no count from 1 to 4 shows anywhere, a lone hidden
cell never stands next to a shown total, and nothing names or places a person or a camera."""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.core import geo
from app.models.audit import AuditEvent
from app.models.cameras import Camera
from app.models.footage import FootageRequest, RequestTarget
from app.models.live import LiveShare
from app.models.users import Agency, User
from app.services import clock
from app.services.auditing import audit
from app.services.governance.transparency import duration_words
from tests.builders.cameras import SCENE, camera_body
from tests.builders.footage import ask, window
from tests.support import Account, Client, make_user, session_client

pytestmark = pytest.mark.slow  # about 11 s in all: left out of `make check`

FAR = (36.0512, -86.6533)  # about 16 km south-east of SCENE: another neighbourhood
ALL = "all"
TIERS = ("registered", "on_request", "on_alert", "always")
APPROVED = ("approved", "uploading", "processing", "ready", "failed", "deleted")
PARTS = {"cameras": [f"tier:{t}" for t in TIERS],
         "asked": ["approved", "declined", "no_footage", "unanswered"]}
NOT_ADDITIVE = ("median_answer", "no_consent")
HIDDEN = ("<5", "hidden")
GRACE = timedelta(seconds=5)  # a live view logged this close to its share's ends is inside it
STATES = {"few": "<5", "hidden": "hidden", "too_few": "<5 answers"}  # the page's, the CSV's
CELL_RE = re.compile(r'<td data-cell="([^"]+)" data-state="([^"]+)">([^<]*)</td>')


@dataclass
class Program:
    agency_id: str
    owners: list[Client]
    detective: Client
    private: list[str] = field(default_factory=list)  # must appear nowhere public


def new_program(tag: str) -> str:
    agency_id = f"{tag}-{uuid.uuid4().hex[:8]}"
    Agency(agency_id=agency_id, name=f"Transparency test {agency_id}", city="Nashville, TN",
           timezone="America/Chicago", created_at=clock.now()).save()
    return agency_id


def person(role: str, agency_id: str, base_url: str, settings: Any,
           private: list[str]) -> tuple[Client, Account]:
    account = make_user(role, agency_id=agency_id)
    name = f"Wilhelmina Quist {uuid.uuid4().hex[:6]}"
    User.get(account.user.user_id).update(actions=[User.display_name.set(name)])
    private += [name, account.email]
    return session_client(base_url, settings, account), account


def register(owner: Client, private: list[str], place: tuple[float, float], tier: str) -> str:
    tag = uuid.uuid4().hex[:6]
    body = camera_body(nickname=f"Porch {tag}", street=f"{tag} Elmhollow Rd", lat=place[0],
                       lon=place[1], tier=tier)
    made = owner.send_json("POST", "/api/cameras", body)
    assert made.status_code == 201, made.text
    private += [body["nickname"], body["street"]]
    return str(made.json()["camera"]["id"])


def send(detective: Client, cameras: list[str], place: tuple[float, float], offense: str
         ) -> dict[str, Any]:
    made = ask(detective, cameras, *window(), offense=offense, lat=place[0], lon=place[1])
    assert made.status_code == 201, made.text
    return dict(made.json())


def answer(owner: Client, target_id: str, action: str) -> None:
    done = owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": action})
    assert done.status_code == 200, done.text


def backdate_request(request_id: str, days: int) -> None:
    moment = clock.now() - timedelta(days=days)
    FootageRequest.get(request_id).update(actions=[FootageRequest.created_at.set(moment)])
    for target in RequestTarget.request_index.query(request_id):
        target.update(actions=[RequestTarget.created_at.set(moment)])


def share(owner: Client, camera_id: str, watcher: Client | None = None) -> str:
    started = owner.send_json("POST", "/api/shares", {"camera_ids": [camera_id], "minutes": 10})
    assert started.status_code == 201, started.text
    share_id = str(started.json()["share_id"])
    if watcher is not None:
        assert watcher.send_json("POST", f"/api/live/{share_id}/view", {}).status_code == 200
    assert owner.send_json("DELETE", f"/api/shares/{share_id}").status_code == 200
    return share_id


@pytest.fixture(scope="module")
def program(devstack: Any, base_url: str, settings: Any) -> Program:
    """Twelve cameras in two neighbourhoods, eight requests, ten answers, five live shares."""
    agency_id = new_program("tp")
    private: list[str] = []
    owners = [person("owner", agency_id, base_url, settings, private)[0] for _ in range(3)]
    detective, detective_account = person("detective", agency_id, base_url, settings, private)
    near = [register(owners[0], private, (SCENE[0], SCENE[1] + 0.0002 * i), "on_request")
            for i in range(6)]
    register(owners[1], private, (SCENE[0] + 0.001, SCENE[1]), "registered")
    alert = [register(owners[1], private, (SCENE[0] + 0.001, SCENE[1] + 0.0003 * i), "on_alert")
             for i in (1, 2)]
    far = [register(owners[2], private, (FAR[0], FAR[1] + 0.0002 * i), "on_request")
           for i in range(3)]
    for camera_id in near[:2]:  # registered last month (or the one before)
        Camera.get(camera_id).update(actions=[
            Camera.created_at.set(clock.now() - timedelta(days=40))])

    robberies = [send(detective, [camera_id], SCENE, "robbery") for camera_id in near]
    for made in robberies[:5]:
        answer(owners[0], made["targets"][0]["id"], "approve")
    answer(owners[0], robberies[5]["targets"][0]["id"], "decline")
    burglary = send(detective, near[:3], SCENE, "burglary")
    answer(owners[0], burglary["targets"][0]["id"], "decline")
    answer(owners[0], burglary["targets"][1]["id"], "no_footage")
    elsewhere = send(detective, far, FAR, "robbery")
    for target in elsewhere["targets"][:2]:
        answer(owners[2], target["id"], "approve")
    for made in robberies[:2]:
        backdate_request(made["id"], 40)

    # Police play an approved clip: with consent, so it is not counted.
    approved = RequestTarget.get(robberies[2]["targets"][0]["id"])
    audit.record(agency_id, audit.Actor(detective_account.user.user_id, "detective"),
                 "clip.viewed", approved.owner_id,
                 {"request_id": approved.request_id, "target_id": approved.target_id})
    # Five shares: one watched while it ran, four moved back to last 20 minutes each.
    share(owners[1], alert[0], watcher=detective)
    for i in range(4):
        item = LiveShare.get(share(owners[1], alert[i % 2]))
        start = clock.now() - timedelta(hours=2, minutes=10 * i)
        item.update(actions=[LiveShare.started_at.set(start),
                             LiveShare.ends_at.set(start + timedelta(minutes=30)),
                             LiveShare.ended_at.set(start + timedelta(minutes=20))])
    for camera in Camera.scan(Camera.agency_id == agency_id):
        private += [str(v) for v in (camera.lat, camera.lon)]
        private += [f"{float(v):.3f}" for v in (camera.lat, camera.lon)]
    private += [f"{v:.3f}" for v in (*SCENE, *FAR)] + ["24-118223"]
    return Program(agency_id, owners, detective, private)


# ---------------------------------------------------------------- recounted from the raw tables


class Recount:
    """Every figure, counted straight from full Scans of the tables, with the totals."""

    def __init__(self, agency_id: str) -> None:
        self.zone = ZoneInfo(Agency.get(agency_id).timezone)
        self.counts: dict[tuple[str, str, str], float] = defaultdict(float)
        self.waits: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.cameras = {c.camera_id: c for c in Camera.scan() if c.agency_id == agency_id}
        self.requests = {r.request_id: r for r in FootageRequest.scan()
                         if r.agency_id == agency_id}
        self.targets = {t.target_id: t for t in RequestTarget.scan() if t.agency_id == agency_id}
        self.shares = {s.share_id: s for s in LiveShare.scan() if s.agency_id == agency_id}
        self.events = [e for e in AuditEvent.scan() if e.agency_id == agency_id]
        for camera in self.cameras.values():
            for figure in ("cameras", f"tier:{camera.tier}"):
                self.add(camera.created_at, self.camera_area(camera.camera_id), figure)
        for request in self.requests.values():
            for figure in ("requests", f"offense:{request.offense}"):
                self.add(request.created_at, self.request_area(request.request_id), figure)
        self.count_targets()
        for item in self.shares.values():
            self.add(item.started_at, self.camera_area(item.camera_ids[0]), "live_shares")
            self.add(item.started_at, self.camera_area(item.camera_ids[0]), "live_minutes",
                     (end_of(item) - item.started_at).total_seconds() / 60)
        for event in self.events:
            self.check(event)

    def add(self, moment: datetime, area: str, figure: str, amount: float = 1) -> None:
        month = moment.astimezone(self.zone).strftime("%Y-%m")
        for m in (month, ALL):
            for a in (area, ALL):
                self.counts[(m, a, figure)] += amount

    def camera_area(self, camera_id: str) -> str:
        camera = self.cameras[camera_id]
        return geo.geohash(float(camera.place_lat), float(camera.place_lon), 5)

    def request_area(self, request_id: str) -> str:
        request = self.requests[request_id]
        return geo.geohash(float(request.lat), float(request.lon), 5)

    def count_targets(self) -> None:
        first: dict[str, datetime] = {}
        for event in sorted(self.events, key=lambda e: e.at, reverse=True):
            if event.action in ("answer.approved", "answer.declined", "answer.no_footage"):
                first[json.loads(event.details)["target_id"]] = datetime.fromisoformat(event.at)
        for target in self.targets.values():
            request = self.requests[target.request_id]
            area = self.request_area(request.request_id)
            outcome = ("approved" if target.status in APPROVED else "unanswered"
                       if target.status in ("asked", "seen", "expired") else target.status)
            self.add(request.created_at, area, "asked")
            self.add(request.created_at, area, outcome)
            if outcome != "unanswered":
                month = request.created_at.astimezone(self.zone).strftime("%Y-%m")
                minutes = (first[target.target_id] - request.created_at).total_seconds() / 60
                for key in ((month, area), (month, ALL), (ALL, area), (ALL, ALL)):
                    self.waits[key].append(minutes)

    def check(self, event: AuditEvent) -> None:
        """A police play, download or live view the owner had not allowed counts."""
        details = json.loads(event.details)
        at = datetime.fromisoformat(event.at)
        if event.action in ("clip.viewed", "clip.downloaded"):
            target = self.targets.get(details["target_id"])
            if target is None:
                self.add(at, "unknown", "no_consent")
            elif target.status not in APPROVED:
                self.add(at, self.request_area(target.request_id), "no_consent")
        elif event.action == "live.viewed":
            item = self.shares.get(details["share"])
            if item is None:
                self.add(at, "unknown", "no_consent")
            elif not item.started_at - GRACE <= at <= end_of(item) + GRACE:
                self.add(at, self.camera_area(item.camera_ids[0]), "no_consent")


def end_of(item: LiveShare) -> datetime:
    return min(item.ends_at, item.ended_at or item.ends_at)


def published(client: Client, agency_id: str) -> tuple[dict[tuple[str, str, str], str], str]:
    got = client.get(f"/transparency.csv?program={agency_id}")
    assert got.status_code == 200, got.text
    assert got.headers["Content-Type"].startswith("text/csv")
    assert got.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    table = {(r["month"], r["area"], r["figure"]): r["value"] for r in rows}
    assert len(table) == len(rows)
    page = client.get(f"/transparency?program={agency_id}")
    assert page.status_code == 200
    return table, page.text


def words(page: str) -> str:
    """The page's text as a reader gets it: no tags, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def is_count(figure: str) -> bool:
    return figure not in NOT_ADDITIVE and figure != "live_minutes"


def groups(table: dict[tuple[str, str, str], str]
           ) -> list[tuple[tuple[str, str, str], list[tuple[str, str, str]]]]:
    """(total, the cells that add up to it), as the page describes the groups."""
    months = {m for m, _, _ in table}
    areas = {m: {a for mm, a, _ in table if mm == m} for m in months}
    figures = {f for _, _, f in table if f not in NOT_ADDITIVE}
    found = []
    for figure in figures:
        for month in months:
            found.append(((month, ALL, figure),
                          [(month, a, figure) for a in areas[month] - {ALL}]))
        for area in areas[ALL]:
            found.append(((ALL, area, figure),
                          [(m, area, figure) for m in months - {ALL} if area in areas[m]]))
    parts = {**PARTS, "requests": [f for f in figures if f.startswith("offense:")]}
    for month in months:
        for area in areas[month]:
            for total, members in parts.items():
                found.append(((month, area, total), [(month, area, f) for f in members]))
    return found


def given_away(total: tuple[str, str, str], members: list[tuple[str, str, str]],
               table: dict[tuple[str, str, str], str]) -> list[tuple[str, str, str]]:
    """The hidden cells a reader works out by subtraction ("<5" is 1 to 4, "hidden" any)."""
    hidden = [key for key in [*members, total] if table[key] in HIDDEN]
    if len(hidden) == 1:
        return hidden
    if not hidden or total in hidden:
        return []
    rest = float(table[total]) - sum(float(table[k]) for k in members if k not in hidden)
    span = {k: (1.0, 4.0) if table[k] == "<5" else (0.0, math.inf) for k in hidden}
    found = []
    for key in hidden:
        low = max(span[key][0], rest - sum(span[k][1] for k in hidden if k != key))
        high = min(span[key][1], rest - sum(span[k][0] for k in hidden if k != key))
        if low >= high:
            found.append(key)
    return found


def agrees(key: tuple[str, str, str], value: str, recounted: Recount) -> bool:
    """The published cell is the recounted figure, or hidden as the rules say."""
    month, area, figure = key
    expected = recounted.counts.get(key, 0)
    if figure == "no_consent":
        return value == str(round(expected))  # never hidden
    if figure == "median_answer":
        answered = recounted.waits.get((month, area), [])
        if len(answered) < 5:
            return value == "<5 answers"
        return value == str(round(statistics.median(answered)))
    if figure == "live_minutes":
        shares = recounted.counts.get((month, area, "live_shares"), 0)
        return value == "hidden" or (value == str(round(expected)) and not 1 <= shares <= 4)
    if value == "<5":
        return 1 <= expected <= 4
    return value == "hidden" or (int(value) == expected and not 1 <= expected <= 4)


def test_every_figure_equals_the_raw_tables(program: Program, base_url: str) -> None:
    table, page = published(Client(base_url), program.agency_id)
    recounted = Recount(program.agency_id)
    assert {k for k, v in recounted.counts.items() if v} <= set(table)
    assert not [(k, v) for k, v in table.items() if not agrees(k, v, recounted)]

    # What the fixture made, in the whole program: shown, exactly.
    everything = {f: table[(ALL, ALL, f)] for _, _, f in table}
    assert everything["cameras"] == "12" and everything["tier:on_request"] == "9"
    assert everything["tier:registered"] == everything["tier:on_alert"] == "<5"
    assert everything["tier:always"] == "0"
    assert (everything["requests"], everything["asked"], everything["approved"]) == ("8", "12", "7")
    # 8 requests, 1 burglary: the 7 robberies would give it away, so they are hidden too.
    assert (everything["offense:burglary"], everything["offense:robbery"]) == ("<5", "hidden")
    assert everything["live_shares"] == "5"
    assert 80 <= int(everything["live_minutes"]) <= 81
    assert everything["median_answer"] not in ("", "<5 answers")
    assert everything["no_consent"] == "0"
    assert "hidden" in table.values()  # complementary suppression had work to do
    said = words(page)
    assert "0 accesses without the owner's consent" in said and "None happened" in said


def test_the_page_shows_the_csv_cells_in_words(program: Program, base_url: str) -> None:
    table, page = published(Client(base_url), program.agency_id)
    cells = {tuple(k.split("|")): (state, text) for k, state, text in CELL_RE.findall(page)}
    assert set(cells) == set(table)
    for key, (state, text) in cells.items():
        if state in STATES:
            assert table[key] == STATES[state], key
        elif key[2] == "median_answer":
            assert text == duration_words(float(table[key])), key
        else:
            assert text.replace(",", "") == table[key], key


def test_no_count_from_1_to_4_and_no_lone_hidden_cell(program: Program, base_url: str) -> None:
    table, page = published(Client(base_url), program.agency_id)
    small = {"1", "2", "3", "4"}
    assert not [k for k, v in table.items() if is_count(k[2]) and v in small]
    shown = [(k, text) for k, _, text in CELL_RE.findall(page)
             if is_count(k.split("|")[2]) and text in small]
    assert not shown
    for chart in re.findall(r'<svg class="chart".*?</svg>', page, re.S):
        if 'id="chart-live-title"' not in chart:  # minutes, not a count
            assert not small & set(re.findall(r'class="chart-value"[^>]*>([^<]*)<', chart))
    for total, members in groups(table):
        assert not given_away(total, members, table), (total, members)


def test_nothing_names_or_places_a_person_or_a_camera(program: Program, base_url: str) -> None:
    table, page = published(Client(base_url), program.agency_id)
    text = Client(base_url).get(f"/transparency.csv?program={program.agency_id}").text
    for secret in program.private:
        assert secret not in page and secret not in text, secret
    assert "@" not in text and "@" not in page


def test_the_page_is_public_and_lists_the_programs(program: Program, base_url: str) -> None:
    anonymous = Client(base_url)
    page = anonymous.get(f"/transparency?program={program.agency_id}")
    assert page.status_code == 200
    assert f"Transparency test {program.agency_id}" in page.text
    assert 'role="img"' in page.text and "<caption" in page.text and 'scope="row"' in page.text
    assert anonymous.get("/transparency").status_code == 200  # the first program
    assert anonymous.get("/transparency?program=no-such-program").status_code == 404
    assert 'href="/transparency"' in anonymous.get("/").text  # the footer links it


def test_an_access_without_consent_is_counted_and_never_hidden(
        devstack: Any, base_url: str, settings: Any) -> None:
    agency_id = new_program("tq")
    private: list[str] = []
    owner, owner_account = person("owner", agency_id, base_url, settings, private)
    detective, detective_account = person("detective", agency_id, base_url, settings, private)
    camera_id = register(owner, private, SCENE, "on_request")
    target = send(detective, [camera_id], SCENE, "theft")["targets"][0]["id"]
    answer(owner, target, "decline")
    anonymous = Client(base_url)
    before = words(anonymous.get(f"/transparency?program={agency_id}").text)
    assert "0 accesses without the owner's consent" in before and "None happened" in before

    officer = audit.Actor(detective_account.user.user_id, "detective")
    audit.record(agency_id, officer, "clip.viewed", owner_account.user.user_id,
                 {"request_id": RequestTarget.get(target).request_id, "target_id": target})
    table, page = published(anonymous, agency_id)
    assert "1 access without the owner's consent" in words(page)
    assert "None happened" not in page
    assert table[(ALL, ALL, "no_consent")] == "1"
    area = geo.geohash(*SCENE, 5)
    assert [v for (m, a, f), v in table.items() if f == "no_consent" and a == area] == ["1", "1"]
    assert table[(ALL, ALL, "cameras")] == "<5"  # while the camera itself stays hidden

    # A live view logged for a share that is not running counts too.
    audit.record(agency_id, officer, "live.viewed", owner_account.user.user_id,
                 {"share": "0" * 32, "cameras": [camera_id]})
    table, page = published(anonymous, agency_id)
    assert table[(ALL, ALL, "no_consent")] == "2" and "2 accesses without" in words(page)
    assert counts_match(agency_id, table)


def counts_match(agency_id: str, table: dict[tuple[str, str, str], str]) -> bool:
    counts = Recount(agency_id).counts
    return all(table[key] == str(round(value)) for key, value in counts.items()
               if key[2] == "no_consent")
