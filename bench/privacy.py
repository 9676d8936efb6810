"""How well can a detective's scripts locate hidden and approximate cameras? And is every probe
in the audit log?

The embedded stack starts in this process as the tests start it. A program of its own gets an
owner and a detective; each camera stands alone in its own area (12 km apart), at a random
spot, and the detective is given a start point a random 300 to 900 m from it (a tip: "the
camera is somewhere around here"). Then, over real HTTP, with at most --budget searches per
camera, the strategies of tests/privacy/adversary.py:

- hidden cameras, through `hidden_count` of `/api/search`: trilateration (shrink the radius
  around three centres, intersect, again from closer) and edge walking (find a spot where a
  small circle counts it, then binary-search north, south, east and west to where it stops);
- hidden cameras, through the errors of `POST /api/requests` with no cameras, a hidden radius
  and a bad offense (whether the answer named `camera_ids` told if one was near), with the
  same budget of requests;
- approximate cameras, through the search results: the shown place, trilateration on whether
  the camera is in the results, the rounded distances from a ring of centres, edge walking.

For each camera it prints the best guess's error (the strategy that came closest, which is
the attacker's luck at its best: a real attacker cannot tell which guess is best), the
camera's distance from the centre of its cell (what the bound says police may learn), and
the audit events the detective's probes wrote, which must equal the number of probes.

    .venv/bin/python bench/privacy.py [--budget 200] [--cameras 3] [--seed 7]

Figures are printed for people; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `python bench/privacy.py` puts only bench/ on the path

AGENCY = "bench-privacy"
BASE = (36.0500, -86.9000)  # south-west Nashville; each camera gets its own 12 km square
AREA_M = 12_000.0


def run_strategies(strategies: list[tuple[str, Callable[[dict[str, Any]], Any]]]
                   ) -> dict[str, Any]:
    """Each strategy in turn, given the guesses before it (edge walking starts from the
    trilateration's guess); one that runs out of budget guesses nothing."""
    from tests.privacy.adversary import OutOfBudget

    guesses: dict[str, Any] = {}
    for name, strategy in strategies:
        try:
            guesses[name] = strategy(guesses)
        except OutOfBudget:
            guesses[name] = None
    return guesses


def attack_hidden(client: Any, user_id: str, camera: tuple[float, float],
                  start: tuple[float, float], budget: int) -> dict[str, Any]:
    from tests.privacy.adversary import (
        Detective,
        audit_counts,
        edges,
        error_m,
        trilaterate,
        written,
    )

    out: dict[str, Any] = {}
    for oracle in ("search", "request_errors"):
        spy = Detective(client, budget=budget)
        probe = spy.hidden_probe() if oracle == "search" else spy.error_probe()
        before = audit_counts(user_id)
        started = time.perf_counter()
        guesses = run_strategies([
            ("trilaterate", lambda _, p=probe: trilaterate(p, start)),
            ("edges", lambda seen, p=probe: edges(p, seen["trilaterate"] or start))])
        seconds = time.perf_counter() - started
        errors = {name: round(error_m(g, camera), 1) for name, g in guesses.items()}
        out[oracle] = {"probes": spy.searches, "errors_m": errors,
                       "best_error_m": min(errors.values()), "seconds": round(seconds, 1),
                       "audit_events": written(before, audit_counts(user_id))}
    return out


def attack_approximate(client: Any, user_id: str, camera_id: str,
                       camera: tuple[float, float], start: tuple[float, float],
                       budget: int) -> dict[str, Any]:
    from tests.privacy.adversary import (
        Detective,
        audit_counts,
        edges,
        error_m,
        ring_distances,
        trilaterate,
        written,
    )

    spy = Detective(client, budget=budget)
    before = audit_counts(user_id)
    started = time.perf_counter()
    probe = spy.inclusion_probe(camera_id)
    guesses = run_strategies([
        ("shown_place", lambda _: spy.shown_place(camera_id, start)),
        ("trilaterate", lambda _: trilaterate(probe, start)),
        ("ring_distances", lambda _: ring_distances(spy.shown_distance(camera_id), start)),
        ("edges", lambda seen: edges(probe, seen["trilaterate"] or start))])
    seconds = time.perf_counter() - started
    errors = {name: round(error_m(g, camera), 1) for name, g in guesses.items()}
    return {"search": {"probes": spy.searches, "errors_m": errors,
                       "best_error_m": min(errors.values()), "seconds": round(seconds, 1),
                       "audit_events": written(before, audit_counts(user_id))}}


def cell_facts(camera: tuple[float, float], precision: int) -> dict[str, float]:
    from app.core import geo

    box = geo.decode(geo.geohash(*camera, precision))
    height = geo.distance_m(box.lat_lo, box.lon_lo, box.lat_hi, box.lon_lo)
    width = geo.distance_m(box.lat_lo, box.lon_lo, box.lat_lo, box.lon_hi)
    return {"precision": precision, "cell_m": [round(height), round(width)],
            "from_cell_centre_m": round(geo.distance_m(*camera, *box.centre), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=200, help="searches per camera (200)")
    parser.add_argument("--cameras", type=int, default=3,
                        help="hidden cameras, and as many approximate ones (3)")
    parser.add_argument("--seed", type=int, default=7, help="random placement seed (7)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from devstack import stack
    from tests.support import AppServer

    load = os.getloadavg()[0]
    print(f"privacy red team on devstack: {args.cameras} hidden and {args.cameras} approximate "
          f"cameras, at most {args.budget} probes each per oracle")
    print(f"load average (1 min) {load:.2f} on {os.cpu_count()} CPUs")
    server = AppServer()
    local = stack.start(extra_env={"PORCHLIGHT_PUBLIC_URL": server.url,
                                   "PORCHLIGHT_LOGIN_IP_LIMIT": "100000"})
    try:
        from app import create_app

        app = create_app()
        server.start(app)
        results = run(app, server.url, args)
    finally:
        server.stop()
        local.stop()
        for key in local.env:
            os.environ.pop(key, None)
    return report(results, args)


def run(app: Any, base_url: str, args: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    from app.core import roles
    from app.core.cameras import parse_camera
    from app.models.users import Agency
    from app.services import clock, registry
    from tests.privacy.adversary import camera_fields, moved
    from tests.support import make_user, session_client

    Agency(agency_id=AGENCY, name="Bench Privacy PD", city="Nashville, TN",
           created_at=clock.now()).save()
    owner = make_user(roles.OWNER, agency_id=AGENCY).user
    detective = make_user(roles.DETECTIVE, agency_id=AGENCY)
    client = session_client(base_url, app.config["SETTINGS"], detective)
    rng = random.Random(args.seed)
    results: dict[str, list[dict[str, Any]]] = {"hidden": [], "approximate": []}
    for row, visibility in enumerate(("hidden", "approximate")):
        for i in range(args.cameras):
            area = moved(BASE, row * AREA_M, i * AREA_M)
            spot = moved(area, rng.uniform(-1000, 1000), rng.uniform(-1000, 1000))
            bearing, reach = rng.uniform(0, 2 * math.pi), rng.uniform(300, 900)
            start = moved(spot, reach * math.cos(bearing), reach * math.sin(bearing))
            spec = parse_camera(camera_fields(spot, visibility, nickname=f"{visibility} {i}"))
            camera = registry.register(owner, spec, "127.0.0.1")
            spot = (float(camera.lat), float(camera.lon))
            if visibility == "hidden":
                found = attack_hidden(client, detective.user.user_id, spot, start, args.budget)
            else:
                found = attack_approximate(client, detective.user.user_id, camera.camera_id,
                                           spot, start, args.budget)
            found["cell_p6"] = cell_facts(spot, 6)
            found["cell_p7"] = cell_facts(spot, 7)
            results[visibility].append(found)
            show(visibility, i, found)
    return results


def show(visibility: str, index: int, found: dict[str, Any]) -> None:
    p6, p7 = found["cell_p6"], found["cell_p7"]
    print(f"\n{visibility} camera {index}: {p6['from_cell_centre_m']:.0f} m from its ~1 km "
          f"cell's centre ({p6['cell_m'][0]}x{p6['cell_m'][1]} m), "
          f"{p7['from_cell_centre_m']:.0f} m from its ~150 m cell's centre")
    for oracle in ("search", "request_errors"):
        if oracle not in found:
            continue
        data = found[oracle]
        guesses = ", ".join(f"{k} {v:.1f} m" for k, v in data["errors_m"].items())
        events = ", ".join(f"{k} {v}" for k, v in sorted(data["audit_events"].items()))
        print(f"  {oracle:15} {data['probes']:4d} probes in {data['seconds']:5.1f}s: best "
              f"{data['best_error_m']:.1f} m ({guesses}); audit: {events or 'none'}")


def report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> int:
    summary: dict[str, Any] = {"budget": args.budget, "cameras": args.cameras,
                               "seed": args.seed}
    for visibility, rows in results.items():
        for oracle in ("search", "request_errors"):
            data = [r[oracle] for r in rows if oracle in r]
            if not data:
                continue
            best = [d["best_error_m"] for d in data]
            probes = sum(d["probes"] for d in data)
            action = "registry.searched" if oracle == "search" else "request.create_refused"
            events = sum(d["audit_events"].get(action, 0) for d in data)
            summary[f"{visibility}_{oracle}"] = {
                "best_error_m_min": min(best), "best_error_m_median": statistics.median(best),
                "probes": probes, "audit_events": events, "every_probe_audited": events == probes,
                "from_p6_centre_m": [r["cell_p6"]["from_cell_centre_m"] for r in rows],
                "from_p7_centre_m": [r["cell_p7"]["from_cell_centre_m"] for r in rows]}
    print("\nsummary (metres between the attacker's best guess and the camera):")
    for key, value in summary.items():
        if isinstance(value, dict):
            print(f"  {key:28} best guess min {value['best_error_m_min']:7.1f}  median "
                  f"{value['best_error_m_median']:7.1f}   probes {value['probes']:4d}  audit "
                  f"events {value['audit_events']:4d}")
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
