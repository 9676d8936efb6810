"""Locust users for `python -m bench.load`: owners, detectives and supervisors on the JSON API.

Run by bench/load.py in its own process (locust patches the standard library with gevent, so
nothing of the app is imported here). It needs, from the environment:

    PORCHLIGHT_LOAD_ACCOUNTS  a JSON file: {"police": [{"email", "password", "totp_secret",
                              "role"}...], "offenses": [...], "center": [lat, lon]}
    PORCHLIGHT_LOAD_LEDGER    where to write, on quitting, every write the server acknowledged
    PORCHLIGHT_LOAD_DETECTIVES, PORCHLIGHT_LOAD_SUPERVISORS  how many of each (fixed counts;
                              the rest of the users are camera owners)

Owners sign up (the emailed link, read from the devstack outbox, finishes it), log in, register
cameras (at most MAX_CAMERAS each), edit, pause and resume them, now and then withdraw one, read
their activity, and answer the footage requests that reach their cameras. Detectives log in with a
TOTP code, search, read the map, send requests for cameras found by a search and follow their
boards; supervisors approve (or refuse) the requests waiting for them (the program's policy is set
to need approval for the run).

The board names an asked camera by its nickname only, so the owner a request reaches is found
through the ledger's nicknames (every one the load gave a camera); that stands in for the
owner's push notification. Answers that the rules refuse because of a race the load itself
makes (a detective asking for cameras their owners paused or withdrew a moment before) are
counted as expected refusals, not failures; any other status than the one a call expects is a
failure, and every 5xx is one.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import time
import uuid
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from locust import HttpUser, between, events, task

MAX_CAMERAS = 3
SEARCH_RADIUS_M = 300
WINDOW_MINUTES = 30
DECISION_APPROVE_SHARE = 0.85
ANSWERS = ("approve", "decline", "no_footage")
MOUNTS = ("doorbell", "wall", "pole", "window")
FACINGS = ("street", "sidewalk", "parking", "entrance", "storefront")
SIGNUP_LINK = re.compile(r"/signup/finish/([A-Za-z0-9_-]+)")
ASKABLE_TIERS = ("on_request", "on_request", "on_alert", "always", "registered")


def _load_accounts() -> dict[str, Any]:
    path = os.environ.get("PORCHLIGHT_LOAD_ACCOUNTS")
    if not path:
        return {"police": [], "offenses": ["theft"], "center": [36.1615, -86.7770]}
    with open(path, encoding="utf-8") as handle:
        return dict(json.load(handle))


ACCOUNTS = _load_accounts()
CENTER: tuple[float, float] = (float(ACCOUNTS["center"][0]), float(ACCOUNTS["center"][1]))


class Ledger:
    """What the server acknowledged, for the after-run check; one per locust process."""

    def __init__(self) -> None:
        self.owners: dict[str, dict[str, Any]] = {}  # email -> {user_id}
        self.cameras: dict[str, dict[str, Any]] = {}  # camera id -> last acknowledged state
        self.nicknames: dict[str, str] = {}  # every nickname given -> camera id
        self.requests: dict[str, dict[str, Any]] = {}  # request id -> acknowledged facts
        self.answers: dict[str, dict[str, Any]] = {}  # target id -> acknowledged answer
        self.inbox: dict[str, deque[str]] = {}  # owner email -> target ids to answer
        self.awaiting: deque[str] = deque()  # request ids waiting for a supervisor
        self.expected: Counter[str] = Counter()  # refusals caused by the load's own races
        self.police_pool = list(ACCOUNTS["police"])

    def police_account(self, role: str) -> dict[str, Any]:
        for account in self.police_pool:
            if account["role"] == role:
                self.police_pool.remove(account)
                return dict(account)
        raise RuntimeError(f"bench/load.py made too few {role} accounts")

    def deliver(self, board: dict[str, Any]) -> None:
        """Hand each asked camera of an open request to its owner (the push, in effect)."""
        for target in board.get("targets", []):
            camera_id = self.nicknames.get(target.get("camera", ""))
            camera = self.cameras.get(camera_id or "")
            if camera is not None and target.get("status") in ("asked", "seen"):
                self.inbox.setdefault(camera["owner"], deque()).append(target["id"])

    def dump(self) -> dict[str, Any]:
        return {"owners": self.owners, "cameras": self.cameras, "requests": self.requests,
                "answers": self.answers, "expected_refusals": dict(self.expected),
                "undelivered_targets": sum(len(q) for q in self.inbox.values()),
                "awaiting_approval": len(self.awaiting)}


LEDGER = Ledger()


def entry_json(entry: Any) -> dict[str, Any]:
    timed = entry.num_requests > 0
    return {"name": entry.name or "Aggregated", "requests": entry.num_requests,
            "failures": entry.num_failures, "rps": round(entry.total_rps, 2),
            "p50_ms": entry.get_response_time_percentile(0.5) if timed else None,
            "p95_ms": entry.get_response_time_percentile(0.95) if timed else None,
            "max_ms": round(entry.max_response_time) if timed else None}


@events.quitting.add_listener
def write_ledger(environment: Any, **_kwargs: Any) -> None:
    """The ledger and the final figures, once every user has stopped (locust's CSV files are
    written before the last users' calls end)."""
    path = os.environ.get("PORCHLIGHT_LOAD_LEDGER")
    if not path:
        return
    stats = environment.stats
    found = LEDGER.dump()
    found["stats"] = [entry_json(e) for _, e in sorted(stats.entries.items())]
    found["stats"].append(entry_json(stats.total))
    found["failures"] = [{"name": e.name, "error": str(e.error), "occurrences": e.occurrences}
                         for e in stats.errors.values()]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(found, handle)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def near_center(spread_m: float) -> tuple[float, float]:
    """A random place within about spread_m of the seeded downtown grid."""
    dlat = random.uniform(-spread_m, spread_m) / 111_320
    dlon = random.uniform(-spread_m, spread_m) / 89_700  # metres per degree at 36° N
    return round(CENTER[0] + dlat, 6), round(CENTER[1] + dlon, 6)


class ApiUser(HttpUser):
    """Calls the JSON API as a browser would: session cookie plus X-CSRF-Token."""

    abstract = True
    csrf = ""

    def call(self, method: str, path: str, name: str, expect: int,
             body: Any = None, refusals: tuple[tuple[int, str], ...] = ()) -> Any:
        """The parsed answer when the status is `expect`; None otherwise. A (status, word)
        of `refusals` whose body has the word is an expected refusal, not a failure."""
        headers = {"X-CSRF-Token": self.csrf} if method != "GET" else {}
        with self.client.request(method, path, name=name, json=body, headers=headers,
                                 catch_response=True) as response:
            if response.status_code == expect:
                response.success()
                if not response.content:
                    return {}
                try:
                    return response.json()
                except ValueError:
                    response.failure(f"{expect} without a JSON body")
                    return None
            for status, word in refusals:
                if response.status_code == status and word in response.text:
                    response.success()
                    LEDGER.expected[f"{name} {status} {word}"] += 1
                    return None
            response.failure(f"{response.status_code} (wanted {expect}): "
                             f"{response.text[:300]}")
            return None

    def fresh_csrf(self) -> None:
        found = self.call("GET", "/api/csrf", "GET /api/csrf", 200)
        if found:
            self.csrf = found["csrf_token"]

    def log_in(self, email: str, password: str) -> dict[str, Any] | None:
        self.client.cookies.clear()
        self.fresh_csrf()
        found = self.call("POST", "/api/session", "POST /api/session", 201,
                          {"email": email, "password": password})
        if found is not None:
            self.fresh_csrf()  # the token binds to the new session (police: before the code)
        return found

    def log_out(self) -> None:
        self.call("DELETE", "/api/session", "DELETE /api/session", 204)
        self.csrf = ""


# ---------------------------------------------------------------- camera owners


def camera_body(nickname: str, lat: float, lon: float) -> dict[str, Any]:
    return {"nickname": nickname, "lat": lat, "lon": lon,
            "heading_deg": random.randrange(0, 360), "fov_deg": random.choice((60, 90, 110)),
            "range_m": random.choice((20, 30, 45)), "mount": random.choice(MOUNTS),
            "facing": random.choice(FACINGS), "retention_days": random.choice((7, 14, 30)),
            "tier": random.choice(ASKABLE_TIERS),
            "visibility": random.choice(("exact", "exact", "approximate")),
            "attested": True, "refused_offenses": random.choice(([], [], ["immigration"])),
            "street": "Downtown, Nashville"}


class Owner(ApiUser):
    """A resident or shop owner on a phone."""

    weight = 1
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.tag = uuid.uuid4().hex[:8]
        self.email = f"load-{self.tag}@example.org"
        self.password = "porch-" + secrets.token_urlsafe(12)
        self.mine: dict[str, dict[str, Any]] = {}  # camera id -> the body last acknowledged
        self.made = 0
        self.fresh_csrf()
        self.call("POST", "/api/accounts", "POST /api/accounts", 202,
                  {"email": self.email, "password": self.password,
                   "display_name": f"Load owner {self.tag}"})
        token = self.signup_token()
        signed = None if token is None else self.call(
            "POST", "/api/accounts/confirm", "POST /api/accounts/confirm", 201,
            {"token": token, "password": self.password})
        if signed is not None:
            LEDGER.owners[self.email] = {"user_id": signed["user"]["id"]}
        self.log_in(self.email, self.password)
        self.register()

    def signup_token(self) -> str | None:
        """The token of the link that finishes the sign-up, from the devstack outbox (the mail
        worker delivers it within seconds)."""
        deadline = time.time() + 60
        while time.time() < deadline:
            page = self.client.get("/outbox", name="GET /outbox (sign-up link)")
            for mail in page.text.split('<article class="card mail">'):
                found = SIGNUP_LINK.search(mail)
                if self.email in mail and found:
                    return found.group(1)
            time.sleep(1)
        return None

    def nickname(self) -> str:
        self.made += 1
        return f"{random.choice(('Porch', 'Shop', 'Gate', 'Yard'))} {self.tag}-{self.made}"

    @task(4)
    def register(self) -> None:
        if len(self.mine) >= MAX_CAMERAS:
            self.edit()
            return
        body = camera_body(self.nickname(), *near_center(450))
        found = self.call("POST", "/api/cameras", "POST /api/cameras", 201, body)
        if found is None:
            return
        camera_id = found["camera"]["id"]
        self.mine[camera_id] = body
        LEDGER.nicknames[body["nickname"]] = camera_id
        LEDGER.cameras[camera_id] = {"owner": self.email, "nickname": body["nickname"],
                                     "paused": False, "withdrawn": False, "certain": True}

    def pick(self) -> str | None:
        return random.choice(list(self.mine)) if self.mine else None

    @task(6)
    def list_cameras(self) -> None:
        self.call("GET", "/api/cameras", "GET /api/cameras", 200)

    @task(4)
    def view_camera(self) -> None:
        camera_id = self.pick()
        if camera_id:
            self.call("GET", f"/api/cameras/{camera_id}", "GET /api/cameras/[id]", 200)

    @task(6)
    def edit(self) -> None:
        camera_id = self.pick()
        if not camera_id:
            return
        body = dict(self.mine[camera_id], nickname=self.nickname(),
                    heading_deg=random.randrange(0, 360))
        found = self.call("PUT", f"/api/cameras/{camera_id}", "PUT /api/cameras/[id]", 200, body)
        record = LEDGER.cameras[camera_id]
        if found is None:
            record["certain"] = False  # the server may or may not have kept it
            return
        self.mine[camera_id] = body
        LEDGER.nicknames[body["nickname"]] = camera_id
        record["nickname"] = body["nickname"]

    @task(4)
    def pause_or_resume(self) -> None:
        camera_id = self.pick()
        if not camera_id:
            return
        record = LEDGER.cameras[camera_id]
        paused = not record["paused"]
        found = self.call("PUT", f"/api/cameras/{camera_id}/paused",
                          "PUT /api/cameras/[id]/paused", 200, {"paused": paused})
        if found is None:
            record["certain"] = False
            return
        record["paused"] = paused

    @task(1)
    def withdraw(self) -> None:
        if len(self.mine) < MAX_CAMERAS or random.random() > 0.3:
            return
        camera_id = self.pick()
        if not camera_id:
            return
        record = LEDGER.cameras[camera_id]
        del self.mine[camera_id]
        if self.call("DELETE", f"/api/cameras/{camera_id}", "DELETE /api/cameras/[id]",
                     204) is None:
            record["certain"] = False
            return
        record["withdrawn"] = True

    @task(6)
    def activity(self) -> None:
        self.call("GET", "/api/me/activity", "GET /api/me/activity", 200)

    @task(12)
    def answer(self) -> None:
        inbox = LEDGER.inbox.get(self.email)
        if not inbox:
            return
        target_id = inbox.popleft()
        self.call("GET", f"/api/targets/{target_id}", "GET /api/targets/[id]", 200)
        action = random.choice(ANSWERS)
        found = self.call("POST", f"/api/targets/{target_id}/answer",
                          "POST /api/targets/[id]/answer", 200, {"action": action})
        if found is not None:
            LEDGER.answers[target_id] = {"owner": self.email, "status": found["status"]}

    @task(1)
    def log_in_again(self) -> None:
        self.log_out()
        self.log_in(self.email, self.password)


# ---------------------------------------------------------------- police


class Police(ApiUser):
    abstract = True
    role = ""

    def on_start(self) -> None:
        self.account = LEDGER.police_account(self.role)
        self.totp = pyotp.TOTP(self.account["totp_secret"])
        self.last_step = -1
        self.hits: list[dict[str, Any]] = []
        self.log_in_with_code()

    def log_in_with_code(self) -> None:
        if self.log_in(self.account["email"], self.account["password"]) is None:
            return
        step = int(time.time()) // 30
        if step <= self.last_step:  # each code works once: wait for the next one
            time.sleep((self.last_step + 1) * 30 - time.time() + 0.5)
            step = int(time.time()) // 30
        self.last_step = step
        found = self.call("POST", "/api/session/mfa", "POST /api/session/mfa", 200,
                          {"code": self.totp.now()})
        if found:
            self.csrf = found["csrf_token"]

    def search(self) -> None:
        lat, lon = near_center(300)
        incident = datetime.now(UTC) - timedelta(minutes=random.randrange(20, 240))
        found = self.call("POST", "/api/search", "POST /api/search", 200,
                          {"lat": lat, "lon": lon, "radius_m": SEARCH_RADIUS_M,
                           "incident_at": iso(incident),
                           "case_number": f"LOAD-{random.randrange(10_000, 99_999)}"})
        if found is not None:
            self.hits = [dict(hit, incident_at=iso(incident), lat0=lat, lon0=lon)
                         for hit in found["cameras"]]

    def map(self) -> None:
        self.call("GET", "/api/map", "GET /api/map", 200)

    def log_in_again(self) -> None:
        self.log_out()
        self.log_in_with_code()


class Detective(Police):
    """A detective on a tablet."""

    role = "detective"
    fixed_count = int(os.environ.get("PORCHLIGHT_LOAD_DETECTIVES", "1"))
    wait_time = between(3, 8)

    @task(6)
    def search_scene(self) -> None:
        self.search()

    @task(3)
    def read_map(self) -> None:
        self.map()

    @task(3)
    def send_request(self) -> None:
        """Ask for footage from up to three cameras the last search found, the load's own
        owners' first (someone answers those)."""
        ours = [h for h in self.hits if h["camera_id"] in LEDGER.cameras
                and not LEDGER.cameras[h["camera_id"]]["withdrawn"]]
        chosen = random.sample(ours, min(3, len(ours))) or self.hits[:1]
        if not chosen:
            return
        incident = datetime.fromisoformat(chosen[0]["incident_at"])
        body = {"camera_ids": [h["camera_id"] for h in chosen],
                "case_number": f"LOAD-{random.randrange(10_000, 99_999)}",
                "offense": random.choice(ACCOUNTS["offenses"]),
                "window_start": iso(incident - timedelta(minutes=WINDOW_MINUTES // 2)),
                "window_end": iso(incident + timedelta(minutes=WINDOW_MINUTES // 2)),
                "lat": chosen[0]["lat0"], "lon": chosen[0]["lon0"],
                "message": "Load test: a person seen running from the scene."}
        self.hits = []
        board = self.call("POST", "/api/requests", "POST /api/requests", 201, body,
                          refusals=((422, "all paused"), (422, "withdrawn")))
        if board is None:
            return
        LEDGER.requests[board["id"]] = {"detective": self.account["email"],
                                        "state": board["state"],
                                        "targets": len(board["targets"]), "decided": False}
        if board["state"] == "awaiting_approval":
            LEDGER.awaiting.append(board["id"])
        else:
            LEDGER.deliver(board)

    @task(3)
    def follow_board(self) -> None:
        mine = [rid for rid, r in LEDGER.requests.items()
                if r["detective"] == self.account["email"]]
        if mine:
            self.call("GET", f"/api/requests/{random.choice(mine)}", "GET /api/requests/[id]",
                      200)

    @task(1)
    def me(self) -> None:
        self.call("GET", "/api/me", "GET /api/me", 200)

    @task(1)
    def sign_in_again(self) -> None:
        if random.random() < 0.2:
            self.log_in_again()


class Supervisor(Police):
    """A sergeant approving requests."""

    role = "supervisor"
    fixed_count = int(os.environ.get("PORCHLIGHT_LOAD_SUPERVISORS", "1"))
    wait_time = between(2, 5)

    @task(8)
    def decide(self) -> None:
        if not LEDGER.awaiting:
            return
        request_id = LEDGER.awaiting.popleft()
        self.call("GET", f"/api/requests/{request_id}", "GET /api/requests/[id]", 200)
        approve = random.random() < DECISION_APPROVE_SHARE
        board = self.call("POST", f"/api/requests/{request_id}/decision",
                          "POST /api/requests/[id]/decision", 200, {"approve": approve})
        if board is None:
            return
        record = LEDGER.requests[request_id]
        record.update(state=board["state"], decided=True)
        if board["state"] == "open":
            LEDGER.deliver(board)

    @task(2)
    def read_map(self) -> None:
        self.map()

    @task(2)
    def search_scene(self) -> None:
        self.search()
