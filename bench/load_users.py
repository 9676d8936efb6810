"""The users of bench.load: owners, detectives and supervisors on the JSON API, as threads that
share the calls' times and the ledger of every write the server acknowledged.

Owners sign up (the emailed link from the devstack outbox finishes it), register up to three
cameras, edit, pause and resume and now and then withdraw them, read their activity and answer
the requests that reach them; detectives search, read the map, send requests and follow their
boards; supervisors approve 85 % and refuse the rest. The board names an asked camera by its
nickname only, so the owner it reaches is found through the ledger (standing in for the push).
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import Client, map_path

SIGNUP_LINK = re.compile(r"/signup/finish/([A-Za-z0-9_-]+)")
AN_ID = re.compile(r"/[0-9a-f]{16,}")
CENTRE = (36.1615, -86.7770)  # the seeded downtown grid


class Shared:
    """The calls' times and failures, and the ledger of acknowledged writes; one lock."""

    def __init__(self, police: list[dict[str, Any]], offenses: list[str]) -> None:
        self.lock = threading.Lock()
        self.times: defaultdict[str, list[float]] = defaultdict(list)
        self.failures: Counter[str] = Counter()
        self.expected: Counter[str] = Counter()
        self.owners: dict[str, str] = {}  # email -> user id
        self.cameras: dict[str, dict[str, Any]] = {}  # id -> last acknowledged state
        self.nicknames: dict[str, str] = {}
        self.requests: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, str] = {}  # target id -> acknowledged status
        self.inbox: defaultdict[str, deque[str]] = defaultdict(deque)
        self.awaiting: deque[str] = deque()
        self.police, self.offenses = police, offenses

    def deliver(self, board: dict[str, Any]) -> None:
        """Hand each asked camera to its owner (what the push does), found by its nickname."""
        for target in board.get("targets", []):
            camera = self.cameras.get(self.nicknames.get(target.get("camera", ""), ""))
            if camera and target.get("status") in ("asked", "seen"):
                self.inbox[camera["owner"]].append(target["id"])


class User:
    think, tasks = (2.0, 6.0), {"": 1}

    def __init__(self, base: str, shared: Shared, rng: random.Random) -> None:
        self.client, self.shared, self.rng = Client(base), shared, rng

    def call(self, method: str, path: str, body: Any = None, expect: int = 200,
             refusals: tuple[str, ...] = ()) -> Any:
        """The JSON answer when the status is `expect`, else None: a failure, or a 422 naming
        one of `refusals` (a race the load itself makes), counted apart. Named by route."""
        name, t0 = f"{method} {AN_ID.sub('/[id]', path.split('?')[0])}", time.perf_counter()
        try:
            answer = self.client.call(method, path, body)
            status, text = answer.status_code, answer.text
        except OSError as error:
            status, text = 0, str(error)
        with self.shared.lock:
            self.shared.times[name].append(time.perf_counter() - t0)
            if status == expect:
                return answer.json() if text else {}
            if status == 422 and any(word in text for word in refusals):
                self.shared.expected[name] += 1
            else:
                self.shared.failures[f"{name}: {status} {text[:120]}"] += 1
        return None

    def log_in(self, email: str, password: str, secret: str | None = None) -> None:
        import pyotp

        self.client.token = ""
        self.call("POST", "/api/session", {"email": email, "password": password}, 201)
        self.client.token = ""
        if secret:
            self.call("POST", "/api/session/mfa", {"code": pyotp.TOTP(secret).now()})
            self.client.token = ""

    def run(self, deadline: float, scale: float) -> None:
        self.begin()
        names, weights = list(self.tasks), list(self.tasks.values())
        while time.monotonic() < deadline:
            getattr(self, self.rng.choices(names, weights)[0])()
            time.sleep(min(self.rng.uniform(*self.think) * scale,
                           max(0.0, deadline - time.monotonic())))

    def begin(self) -> None:
        pass


class Owner(User):
    tasks = {"register": 4, "cameras": 6, "edit": 6, "pause": 4, "withdraw": 1, "activity": 6,
             "answer": 12}

    def begin(self) -> None:
        self.email, self.password = f"load-{uuid.uuid4().hex[:8]}@example.org", uuid.uuid4().hex
        self.mine: dict[str, dict[str, Any]] = {}
        self.call("POST", "/api/accounts", {"email": self.email, "password": self.password,
                                            "display_name": "Load owner"}, 202)
        for _ in range(60):  # the mail worker puts the link in the devstack outbox
            page = self.client.http.get(self.client.base + "/outbox", timeout=60).text
            found = [SIGNUP_LINK.search(m) for m in page.split('<article class="card mail">')
                     if self.email in m]
            if found and found[0]:
                if done := self.call("POST", "/api/accounts/confirm", {
                        "token": found[0][1], "password": self.password}, 201):
                    self.shared.owners[self.email] = done["user"]["id"]
                break
            time.sleep(1)
        self.log_in(self.email, self.password)
        self.register()

    def body(self) -> dict[str, Any]:
        return {"nickname": f"Porch {uuid.uuid4().hex[:10]}", "lat": round(
            CENTRE[0] + self.rng.uniform(-450, 450) / 111_320, 6), "lon": round(
            CENTRE[1] + self.rng.uniform(-450, 450) / 89_700, 6),
            "heading_deg": self.rng.randrange(360), "fov_deg": 90, "range_m": 30,
            "mount": "doorbell", "facing": "street", "retention_days": 14,
            "tier": self.rng.choice(("on_request", "on_alert", "always", "registered")),
            "visibility": self.rng.choice(("exact", "exact", "approximate")), "attested": True}

    def register(self) -> None:
        if len(self.mine) >= 3:
            return self.edit()
        body = self.body()
        if found := self.call("POST", "/api/cameras", body, 201):
            self.mine[found["camera"]["id"]] = body
            with self.shared.lock:
                self.shared.nicknames[body["nickname"]] = found["camera"]["id"]
                self.shared.cameras[found["camera"]["id"]] = {
                    "owner": self.email, "nickname": body["nickname"], "paused": False,
                    "withdrawn": False, "certain": True}

    def cameras(self) -> None:
        self.call("GET", "/api/cameras")

    def activity(self) -> None:
        self.call("GET", "/api/me/activity")

    def change(self, method: str, suffix: str, body: Any, expect: int,
               acknowledged: dict[str, Any]) -> None:
        """A write to one of my cameras; what the ledger holds once it is acknowledged (when
        the answer is lost, the camera's name and pause are no longer compared)."""
        camera_id = self.rng.choice(list(self.mine))
        found = self.call(method, f"/api/cameras/{camera_id}{suffix}", body, expect)
        with self.shared.lock:
            self.shared.cameras[camera_id].update(acknowledged if found is not None
                                                  else {"certain": False})
            if "nickname" in acknowledged and found is not None:
                self.shared.nicknames[acknowledged["nickname"]] = camera_id
                self.mine[camera_id] = body

    def edit(self) -> None:
        if self.mine:
            body = dict(self.rng.choice(list(self.mine.values())), nickname=self.body()[
                "nickname"])
            self.change("PUT", "", body, 200, {"nickname": body["nickname"]})

    def pause(self) -> None:
        if self.mine:
            paused = self.rng.random() < 0.5
            self.change("PUT", "/paused", {"paused": paused}, 200, {"paused": paused})

    def withdraw(self) -> None:
        if len(self.mine) == 3 and self.rng.random() < 0.3:
            self.change("DELETE", "", None, 204, {"withdrawn": True})
            self.mine = {k: v for k, v in self.mine.items()
                         if not self.shared.cameras[k]["withdrawn"]}

    def answer(self) -> None:
        with self.shared.lock:
            target = self.shared.inbox[self.email].popleft() \
                if self.shared.inbox[self.email] else None
        if target:
            self.call("GET", f"/api/targets/{target}")
            if found := self.call("POST", f"/api/targets/{target}/answer", {
                    "action": self.rng.choice(("approve", "decline", "no_footage"))}):
                self.shared.answers[target] = found["status"]


class Police(User):
    role = ""

    def begin(self) -> None:
        with self.shared.lock:
            me = next(p for p in self.shared.police if p["role"] == self.role and "taken" not in p)
            me["taken"] = True
        self.me, self.hits = me["email"], []
        self.log_in(me["email"], me["password"], me["secret"])

    def search(self) -> None:
        at = datetime.now(UTC) - timedelta(minutes=self.rng.randrange(20, 240))
        lat = CENTRE[0] + self.rng.uniform(-300, 300) / 111_320
        lon = CENTRE[1] + self.rng.uniform(-300, 300) / 89_700
        if found := self.call("POST", "/api/search", {
                "lat": lat, "lon": lon, "radius_m": 300, "incident_at": at.isoformat(),
                "case_number": f"LOAD-{self.rng.randrange(10_000, 99_999)}"}):
            self.hits = [dict(h, at=at, lat0=lat, lon0=lon) for h in found["cameras"]]

    def map(self) -> None:
        """The map page's view of a few streets (as a phone at zoom 15 asks for it), then,
        one time in three, the district zoomed out (its areas counted)."""
        lat = CENTRE[0] + self.rng.uniform(-500, 500) / 111_320
        lon = CENTRE[1] + self.rng.uniform(-500, 500) / 89_700
        for half in (600, 2400) if self.rng.random() < 1 / 3 else (600,):
            self.call("GET", map_path(lat, lon, half))


class Detective(Police):
    role, think, tasks = "detective", (3.0, 8.0), {"search": 6, "map": 3, "send": 3, "board": 3}

    def send(self) -> None:
        ours = [h for h in self.hits if h["camera_id"] in self.shared.cameras]
        chosen, self.hits = self.rng.sample(ours, min(3, len(ours))) or self.hits[:1], []
        if not chosen:
            return
        board = self.call("POST", "/api/requests", {
            "camera_ids": [h["camera_id"] for h in chosen], "case_number": "LOAD-1",
            "offense": self.rng.choice(self.shared.offenses), "lat": chosen[0]["lat0"],
            "lon": chosen[0]["lon0"], "message": "Someone seen running from the scene.",
            "window_start": (chosen[0]["at"] - timedelta(minutes=15)).isoformat(),
            "window_end": (chosen[0]["at"] + timedelta(minutes=15)).isoformat()}, 201,
            refusals=("all paused", "withdrawn"))
        if board is not None:
            with self.shared.lock:
                self.shared.requests[board["id"]] = {"by": self.me, "state": board["state"],
                                                     "targets": len(board["targets"]),
                                                     "decided": False}
                if board["state"] == "awaiting_approval":
                    self.shared.awaiting.append(board["id"])
                else:
                    self.shared.deliver(board)

    def board(self) -> None:
        if mine := [r for r, v in list(self.shared.requests.items()) if v["by"] == self.me]:
            self.call("GET", f"/api/requests/{self.rng.choice(mine)}")


class Supervisor(Police):
    role, think, tasks = "supervisor", (2.0, 5.0), {"decide": 8, "map": 2, "search": 2}

    def decide(self) -> None:
        with self.shared.lock:
            request = self.shared.awaiting.popleft() if self.shared.awaiting else None
        if request is not None:
            self.call("GET", f"/api/requests/{request}")
            if board := self.call("POST", f"/api/requests/{request}/decision",
                                  {"approve": self.rng.random() < 0.85}):
                with self.shared.lock:
                    self.shared.requests[request].update(state=board["state"], decided=True)
                    if board["state"] == "open":
                        self.shared.deliver(board)
