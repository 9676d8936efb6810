"""How close can a detective's scripts get to hidden and approximate cameras, and is every probe
audited? Trilateration and edge walking through search counts, request refusals and search
results, over HTTP, with a budget of probes (docs/privacy.md bounds it; docs/benchmarks.md).
The attacks are those of tests/privacy/adversary.py, written again: benches import no tests.

    .venv/bin/python -m bench.privacy [--budget 200] [--cameras 3] [--seed 7] [--quick]
"""

from __future__ import annotations

import math
import random
import statistics
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if not __package__:  # docs/privacy.md runs `python bench/privacy.py`
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app.core.geo import M_PER_DEG_LAT as M  # noqa: E402
from bench.harness import Client, account, begin, finish, options, running, say  # noqa: E402

Point = tuple[float, float]
Probe = Callable[[Point, float], bool]
AGENCY, BASE, AREA_M, MAX_R = "bench-privacy", (36.05, -86.90), 12_000.0, 2000.0


class OutOfBudget(Exception):
    pass


def moved(p: Point, north: float, east: float) -> Point:
    return (p[0] + north / M, p[1] + east / (M * math.cos(math.radians(p[0]))))


def min_radius(probe: Probe, centre: Point, high: float, steps: int) -> float | None:
    """The smallest radius at which the camera shows from centre (binary search)."""
    if not probe(centre, high):
        return None
    low = 0.0
    for _ in range(steps):
        mid = (low + high) / 2
        low, high = (low, mid) if probe(centre, max(1.0, mid)) else (mid, high)
    return (low + high) / 2


def solve(circles: list[tuple[Point, float]]) -> Point | None:
    """The point whose distances to the centres best match the radii (least squares on the
    differences of the circle equations, on a flat map around the first centre)."""
    if len(circles) < 3:
        return None
    o = circles[0][0]
    xy = [((c[1] - o[1]) * M * math.cos(math.radians(o[0])), (c[0] - o[0]) * M, r)
          for c, r in circles]
    x0, y0, r0 = xy[0]
    rows = [(2 * (x - x0), 2 * (y - y0), r0 ** 2 - r ** 2 + x ** 2 - x0 ** 2 + y ** 2 - y0 ** 2)
            for x, y, r in xy[1:]]
    a, b, d = (sum(p * q for p, q, _ in ((r[i], r[j], 0) for r in rows)) for i, j in
               ((0, 0), (0, 1), (1, 1)))
    e, f = sum(r[0] * r[2] for r in rows), sum(r[1] * r[2] for r in rows)
    det = a * d - b * b
    return None if abs(det) < 1e-9 else moved(o, (a * f - b * e) / det, (e * d - f * b) / det)


def trilaterate(probe: Probe, tip: Point, steps: int) -> Point | None:
    guess, spread, high = None, 700.0, MAX_R
    for _ in range(2):
        around = guess or tip
        centres = [moved(around, spread * math.cos(math.radians(b)),
                         spread * math.sin(math.radians(b))) for b in (0.0, 120.0, 240.0)]
        circles = [(c, r) for c in centres if (r := min_radius(probe, c, high, steps))]
        if (found := solve(circles)) is None:
            return guess
        guess, spread, high = found, 250.0, 600.0
    return guess


def edges(probe: Probe, tip: Point, steps: int) -> Point | None:
    reach = min_radius(probe, tip, MAX_R, steps)
    if reach is None:
        return None
    radius, far = min(MAX_R, max(1.0, reach * 1.01 + 0.5)), {}
    for name, north, east in (("n", 1, 0), ("s", -1, 0), ("e", 0, 1), ("w", 0, -1)):
        low, high = 0.0, 2 * radius + 1500.0
        for _ in range(steps):
            mid = (low + high) / 2
            low, high = (mid, high) if probe(moved(tip, north * mid, east * mid), radius) \
                else (low, mid)
        far[name] = (low + high) / 2
    return moved(tip, (far["n"] - far["s"]) / 2, (far["e"] - far["w"]) / 2)


class Spy:
    """The detective's script: searches and request refusals over HTTP, counted."""

    def __init__(self, client: Client, budget: int, oracle: str) -> None:
        self.client, self.budget, self.oracle, self.probes = client, budget, oracle, 0

    def ask(self, path: str, body: dict[str, Any]) -> Any:
        if self.probes >= self.budget:
            raise OutOfBudget
        self.probes += 1
        return self.client.call("POST", path, body)

    def search(self, p: Point, radius: float) -> dict[str, Any]:
        answer = self.ask("/api/search", {
            "lat": round(p[0], 7), "lon": round(p[1], 7), "radius_m": round(radius, 2),
            "case_number": "RT-2026-0001", "incident_at": (datetime.now(UTC) - timedelta(
                days=1)).replace(minute=0, second=0, microsecond=0).isoformat()})
        if answer.status_code != 200:
            raise SystemExit(f"search: {answer.status_code} {answer.text[:300]}")
        return dict(answer.json())

    def hit(self, camera_id: str, p: Point, radius: float = MAX_R) -> dict[str, Any] | None:
        return next((c for c in self.search(p, radius)["cameras"]
                     if c["camera_id"] == camera_id), None)

    def refusal(self, p: Point, radius: float) -> bool:
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        answer = self.ask("/api/requests", {
            "camera_ids": [], "case_number": "RT-2026-0001", "offense": "not-an-offense",
            "window_start": start.isoformat(), "window_end": (start + timedelta(minutes=10))
            .isoformat(), "lat": round(p[0], 7), "lon": round(p[1], 7),
            "hidden_radius_m": round(radius, 2)})
        return "camera_ids" not in (answer.json().get("errors") or {})


def attack(spy: Spy, camera: Point, strategies: dict[str, Callable[[], Point | None]],
           user_id: str) -> dict[str, Any]:
    from app.core import geo
    from app.models.audit import AuditEvent

    def audited() -> int:
        return sum(Counter(e.action for e in AuditEvent.actor_index.query(user_id)).values())

    before, errors = audited(), {}
    for name, strategy in strategies.items():
        try:
            guess = strategy()
        except OutOfBudget:
            guess = None
        errors[name] = round(geo.distance_m(*guess, *camera), 1) if guess else None
    found = [e for e in errors.values() if e is not None]
    return {"probes": spy.probes, "errors_m": errors, "best_error_m": min(found, default=None),
            "audit_events": audited() - before}


def attacks(spy: Spy, visibility: str, camera_id: str, tip: Point, steps: int
            ) -> dict[str, Callable[[], Point | None]]:
    """The strategies for one camera and oracle (edge walking starts from trilateration's)."""
    seen: dict[str, Point | None] = {}
    if visibility == "hidden":
        probe: Probe = spy.refusal if spy.oracle == "request_errors" else (
            lambda p, r: spy.search(p, r)["hidden_count"] > 0)
        return {"trilaterate": lambda: seen.setdefault("t", trilaterate(probe, tip, steps)),
                "edges": lambda: edges(probe, seen.get("t") or tip, steps + 1)}

    def listed(p: Point, r: float) -> bool:
        return spy.hit(camera_id, p, r) is not None

    def shown() -> Point | None:
        h = spy.hit(camera_id, tip)
        return (float(h["lat"]), float(h["lon"])) if h else None

    def ring() -> Point | None:
        circles = []
        for k in range(12):
            centre = moved(tip, 500 * math.cos(k * math.pi / 6), 500 * math.sin(k * math.pi / 6))
            if h := spy.hit(camera_id, centre):
                circles.append((centre, float(h["distance_m"])))
        return solve(circles)

    return {"shown_place": shown, "trilaterate": lambda: trilaterate(listed, tip, steps),
            "ring_distances": ring, "edges": lambda: edges(listed, tip, steps + 1)}


def main() -> int:
    args = options(__doc__, {"budget": (200, 60, "probes per camera and oracle"),
                             "cameras": (3, 1, "hidden cameras, and as many approximate ones"),
                             "seed": (7, 7, "random placement seed"),
                             "steps": (11, 1, "binary-search steps per radius or edge")})
    started = begin("privacy", args, f"{args.cameras} hidden and {args.cameras} approximate "
                    f"cameras, at most {args.budget} probes each per oracle")
    rows: dict[str, list[dict[str, Any]]] = {}
    with running(seed=False) as stack:
        from app.core import geo
        from app.core.cameras import parse_camera
        from app.models.users import Agency
        from app.services import clock
        from app.services.cameras import registry

        Agency(agency_id=AGENCY, name="Bench Privacy PD", city="Nashville, TN",
               created_at=clock.now()).save()
        owner, detective = account("owner", AGENCY).user, account("detective", AGENCY)
        client = Client(stack.url).signed_in(detective)
        rng = random.Random(args.seed)
        for row, visibility in enumerate(("hidden", "approximate")):
            for i in range(args.cameras):
                spot = moved(moved(BASE, row * AREA_M, i * AREA_M), rng.uniform(-1000, 1000),
                             rng.uniform(-1000, 1000))
                bearing, reach = rng.uniform(0, 2 * math.pi), rng.uniform(300, 900)
                tip = moved(spot, reach * math.cos(bearing), reach * math.sin(bearing))
                cam = registry.register(owner, parse_camera({
                    "nickname": f"{visibility} {i}", "lat": round(spot[0], 7),
                    "lon": round(spot[1], 7), "heading_deg": 270, "fov_deg": 90, "range_m": 40,
                    "mount": "doorbell", "facing": "street", "retention_days": 14,
                    "tier": "on_request", "visibility": visibility, "attested": True}),
                    "127.0.0.1")
                at = (float(cam.lat), float(cam.lon))
                found: dict[str, Any] = {"from_cell_centre_m": {
                    p: round(geo.distance_m(*at, *geo.decode(geo.geohash(*at, p)).centre), 1)
                    for p in (6, 7)}}
                for oracle in ("search", "request_errors")[:2 if visibility == "hidden" else 1]:
                    spy = Spy(client, args.budget, oracle)
                    found[oracle] = attack(spy, at, attacks(spy, visibility, cam.camera_id, tip,
                                                            args.steps), detective.user.user_id)
                say(f"{visibility} camera {i}: {found}")
                rows.setdefault(visibility, []).append(found)
    figures: dict[str, Any] = {}
    for visibility, found_rows in rows.items():
        for oracle in ("search", "request_errors"):
            data = [r[oracle] for r in found_rows if oracle in r]
            best = [d["best_error_m"] for d in data if d["best_error_m"] is not None]
            key = f"{visibility}_{oracle}"
            if data:  # -1: no strategy guessed within the budget
                figures[f"{key}_best_error_m_min"] = min(best, default=-1.0)
                figures[f"{key}_best_error_m_median"] = statistics.median(best) if best else -1.0
                figures[f"{key}_probes"] = sum(d["probes"] for d in data)
                figures[f"{key}_audit_events"] = sum(d["audit_events"] for d in data)
    return finish("privacy", args, {**figures, "budget": args.budget, "cameras": rows},
                  started)


if __name__ == "__main__":
    sys.exit(main())
