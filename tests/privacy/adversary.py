"""A detective acting in bad faith: the strategies, and the HTTP client they drive.

The strategies are plain functions over what a detective observes through the JSON API. They
know nothing of how Porchlight counts or places cameras: each asks questions a script could ask
(a search's hidden count at a centre and radius, whether a camera is in a search's results, an
error that does or does not name a field) and turns the answers into a best guess of where a
camera stands. They are deterministic: two runs that get the same answers ask the same
questions and guess the same place, which is what lets the suite prove that two places the
answers cannot tell apart stay apart by the distance between them (test_trilateration.py).

`bench/privacy.py` runs the same strategies with a larger budget and prints the figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core import geo
from tests.support import Client

Point = tuple[float, float]  # (lat, lon)
Probe = Callable[[Point, float], bool]  # is the target within this circle, as far as we see?

MAX_RADIUS_M = 2000.0  # the program's limit (registry.MAX_RADIUS_M)
MIN_RADIUS_M = 1.0
CASE = "RT-2026-0001"


SENT: list[tuple[str, str, int]] = []  # every request any red-team session sent


class OutOfBudget(Exception):
    """The strategy used every search it was given."""


def moved(point: Point, north_m: float, east_m: float) -> Point:
    lat, lon = point
    return (lat + north_m / geo.M_PER_DEG_LAT,
            lon + east_m / (geo.M_PER_DEG_LAT * math.cos(math.radians(lat))))


def offset_m(origin: Point, point: Point) -> tuple[float, float]:
    """(north, east) metres from origin to point, on a local flat map."""
    north = (point[0] - origin[0]) * geo.M_PER_DEG_LAT
    east = (point[1] - origin[1]) * geo.M_PER_DEG_LAT * math.cos(math.radians(origin[0]))
    return north, east


def error_m(guess: Point | None, truth: Point) -> float:
    return math.inf if guess is None else geo.distance_m(*guess, *truth)


# ---------------------------------------------------------------- strategies


def min_radius(probe: Probe, centre: Point, high: float, steps: int) -> float | None:
    """Binary search for the smallest radius at which the target shows from `centre`."""
    if not probe(centre, high):
        return None
    low = 0.0
    for _ in range(steps):
        mid = (low + high) / 2
        if probe(centre, max(MIN_RADIUS_M, mid)):
            high = mid
        else:
            low = mid
    return (low + high) / 2


def solve_circles(circles: list[tuple[Point, float]]) -> Point | None:
    """The point whose distances to the centres best match the radii (linear least squares
    on the differences of the circle equations, on a flat map around the first centre)."""
    if len(circles) < 3:
        return None
    origin = circles[0][0]
    xy = [(offset_m(origin, c)[1], offset_m(origin, c)[0], r) for c, r in circles]
    x0, y0, r0 = xy[0]
    rows = [(2 * (x - x0), 2 * (y - y0), r0 ** 2 - r ** 2 + x ** 2 - x0 ** 2 + y ** 2 - y0 ** 2)
            for x, y, r in xy[1:]]
    a11 = sum(a * a for a, _, _ in rows)
    a12 = sum(a * b for a, b, _ in rows)
    a22 = sum(b * b for _, b, _ in rows)
    b1 = sum(a * c for a, _, c in rows)
    b2 = sum(b * c for _, b, c in rows)
    det = a11 * a22 - a12 * a12
    if abs(det) < 1e-9:
        return None
    east = (b1 * a22 - b2 * a12) / det
    north = (a11 * b2 - a12 * b1) / det
    return moved(origin, north, east)


def trilaterate(probe: Probe, start: Point, steps: int = 11, rounds: int = 2) -> Point | None:
    """Trilateration: shrink the radius around three centres until the target drops out,
    intersect the three circles, then do it again from closer around the guess."""
    guess: Point | None = None
    spread, high = 700.0, MAX_RADIUS_M
    for _ in range(rounds):
        around = guess or start
        circles = []
        for bearing in (0.0, 120.0, 240.0):
            centre = moved(around, spread * math.cos(math.radians(bearing)),
                           spread * math.sin(math.radians(bearing)))
            radius = min_radius(probe, centre, high, steps)
            if radius is not None:
                circles.append((centre, radius))
        found = solve_circles(circles)
        if found is None:
            return guess
        guess, spread, high = found, 250.0, 600.0
    return guess


def edges(probe: Probe, start: Point, steps: int = 12) -> Point | None:
    """The other attack: the smallest circle around `start` that shows the target, then a walk
    north, south, east and west with that circle (binary search) to where the target stops
    showing. Each walk crosses a chord of the shapes the answers draw (a disc around a point,
    a rounded box around a region); the middle of the chords is the middle of the shape."""
    reach = min_radius(probe, start, MAX_RADIUS_M, steps)
    if reach is None:
        return None
    radius = min(MAX_RADIUS_M, max(MIN_RADIUS_M, reach * 1.01 + 0.5))
    far = {}
    for name, north, east in (("n", 1, 0), ("s", -1, 0), ("e", 0, 1), ("w", 0, -1)):
        low, high = 0.0, 2 * radius + 1500.0
        for _ in range(steps):
            mid = (low + high) / 2
            if probe(moved(start, north * mid, east * mid), radius):
                low = mid
            else:
                high = mid
        far[name] = (low + high) / 2
    return moved(start, (far["n"] - far["s"]) / 2, (far["e"] - far["w"]) / 2)


def ring_distances(distance: Callable[[Point], float | None], start: Point,
                   count: int = 12, spread: float = 500.0) -> Point | None:
    """Approximate cameras: read the (rounded) distance police are shown from a ring of
    centres and solve for the place."""
    circles = []
    for k in range(count):
        bearing = 360.0 * k / count
        centre = moved(start, spread * math.cos(math.radians(bearing)),
                       spread * math.sin(math.radians(bearing)))
        shown = distance(centre)
        if shown is not None:
            circles.append((centre, shown))
    return solve_circles(circles)


# ---------------------------------------------------------------- the detective over HTTP


@dataclass
class Detective:
    """A signed-in detective's browser session driven by a script. Every request it makes is
    noted (method and path), so the suite knows which routes its cases reached."""

    client: Client
    budget: int = 10_000
    searches: int = 0
    sent: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)
    transcript: list[tuple[Any, ...]] = field(default_factory=list)
    _token: str = ""

    def token(self) -> str:
        if not self._token:
            self._token = self.client.csrf()
        return self._token

    def call(self, method: str, path: str, body: Any = None, csrf: bool = True,
             **kw: Any) -> Any:
        """One request as the app's pages send it (JSON bodies with the CSRF header), or
        without the token when `csrf` is false."""
        headers = dict(kw.pop("headers", {}))
        if method == "GET":
            answer = self.client.get(path, headers=headers, **kw)
        else:
            if csrf:
                headers.setdefault("X-CSRF-Token", self.token())
            if body is not None:
                kw["json"] = body
            answer = self.client.http.request(method, self.client.base + path, timeout=30,
                                              headers=headers, allow_redirects=False, **kw)
        self.sent.append((method, path.split("?")[0], answer.status_code))
        SENT.append(self.sent[-1])
        return answer

    def form(self, path: str, data: dict[str, Any]) -> Any:
        answer = self.client.post_form(path, {k: str(v) for k, v in data.items()},
                                       token=self.token())
        self.sent.append(("POST", path, answer.status_code))
        SENT.append(self.sent[-1])
        return answer

    # -------------------------------------------------------------- searches

    def search(self, point: Point, radius_m: float, case: str = CASE) -> dict[str, Any]:
        if self.searches >= self.budget:
            raise OutOfBudget(f"{self.budget} searches used")
        self.searches += 1
        body = {"lat": round(point[0], 7), "lon": round(point[1], 7),
                "radius_m": round(float(radius_m), 2), "case_number": case,
                "incident_at": incident_at()}
        answer = self.call("POST", "/api/search", body)
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        self.transcript.append(("search", body["lat"], body["lon"], body["radius_m"],
                                data["hidden_count"], _hits_seen(data)))
        return data

    def hidden_probe(self) -> Probe:
        """The target shows when the hidden count is not zero (one hidden camera per area)."""
        return lambda point, radius: self.search(point, radius)["hidden_count"] > 0

    def inclusion_probe(self, camera_id: str) -> Probe:
        return lambda point, radius: _hit(self.search(point, radius), camera_id) is not None

    def shown_distance(self, camera_id: str) -> Callable[[Point], float | None]:
        def read(point: Point) -> float | None:
            hit = _hit(self.search(point, MAX_RADIUS_M), camera_id)
            return None if hit is None else float(hit["distance_m"])
        return read

    def shown_place(self, camera_id: str, near: Point) -> Point | None:
        hit = _hit(self.search(near, MAX_RADIUS_M), camera_id)
        return None if hit is None else (float(hit["lat"]), float(hit["lon"]))

    # -------------------------------------------------------------- the request error oracle

    def ask_hidden(self, point: Point, radius_m: float, **changes: Any) -> Any:
        """The error-oracle probe: no cameras, a hidden radius, and a deliberately bad offense."""
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        body = {"camera_ids": [], "case_number": CASE, "offense": "not-an-offense",
                "window_start": start.isoformat(),
                "window_end": (start + timedelta(minutes=10)).isoformat(),
                "lat": round(point[0], 7), "lon": round(point[1], 7),
                "hidden_radius_m": round(float(radius_m), 2), **changes}
        answer = self.call("POST", "/api/requests", body)
        self.transcript.append(("ask", body["lat"], body["lon"], body["hidden_radius_m"],
                                answer.status_code, problem_gist(answer)))
        return answer

    def error_probe(self) -> Probe:
        """The target shows when the refusal does not complain about camera_ids."""
        def probe(point: Point, radius: float) -> bool:
            if self.searches >= self.budget:
                raise OutOfBudget(f"{self.budget} probes used")
            self.searches += 1
            answer = self.ask_hidden(point, radius)
            errors = answer.json().get("errors", {}) if answer.status_code >= 400 else {}
            return "camera_ids" not in errors
        return probe


def incident_at() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).replace(
        minute=0, second=0, microsecond=0).isoformat()


def window() -> dict[str, str]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    return {"window_start": start.isoformat(),
            "window_end": (start + timedelta(minutes=15)).isoformat()}


def request_body(point: tuple[float, float], **changes: Any) -> dict[str, Any]:
    body = {"camera_ids": [], "case_number": CASE, "offense": "robbery", **window(),
            "lat": round(point[0], 7), "lon": round(point[1], 7), "hidden_radius_m": 40}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def _hit(data: dict[str, Any], camera_id: str) -> dict[str, Any] | None:
    return next((c for c in data["cameras"] if c["camera_id"] == camera_id), None)


def _hits_seen(data: dict[str, Any]) -> tuple[Any, ...]:
    return tuple((c["camera_id"], c["lat"], c["lon"], c["distance_m"], c["covers"],
                  c["approximate"]) for c in data["cameras"])


def problem_gist(answer: Any) -> tuple[Any, ...]:
    """What a caller learns from a refusal: status, title, detail and the fields it names
    (not `instance`, which only echoes the path)."""
    if "json" not in answer.headers.get("Content-Type", ""):
        return (answer.status_code,)
    data = answer.json()
    return (answer.status_code, data.get("title"), data.get("detail"),
            tuple(sorted((data.get("errors") or {}).items())))


# ---------------------------------------------------------------- the world, seen from the stack


def camera_fields(point: Point, visibility: str, **changes: Any) -> dict[str, Any]:
    """An owner's camera form: a doorbell looking west, 40 m range."""
    body = {"nickname": "Red team camera", "lat": round(point[0], 7), "lon": round(point[1], 7),
            "heading_deg": 270, "fov_deg": 90, "range_m": 40, "mount": "doorbell",
            "facing": "street", "retention_days": 14, "tier": "on_request",
            "visibility": visibility, "attested": True}
    body.update(changes)
    return body


def audit_counts(user_id: str) -> dict[str, int]:
    """How many audit events of each action name this user as their actor (read from the
    stack, as an auditor's export would show them)."""
    from collections import Counter

    from app.models.audit import AuditEvent

    return dict(Counter(e.action for e in AuditEvent.actor_index.query(user_id)))


def written(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after
            if after.get(k, 0) != before.get(k, 0)}
