"""Error oracles: invalid and refused queries around hidden cameras (docs/privacy.md, "errors").

The first probe found was a footage request with no cameras, a hidden radius and a bad offense:
it named `camera_ids` only when no hidden camera was inside the radius. Here every kind of bad
query is sent twice, once around a hidden camera and once in an area with none, and the two
answers must be the same; each refusal is one audit event for whoever sent it, with what they
asked, the status and why. Valid requests ask hidden cameras by their ~1 km cell only.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.core import geo
from app.models.audit import AuditEvent
from tests.privacy.adversary import (
    CASE,
    Detective,
    audit_counts,
    incident_at,
    moved,
    problem_gist,
    request_body,
    window,
    written,
)
from tests.privacy.conftest import AREAS, World, cell_spot
from tests.privacy.routes import covers

QUERY_ROUTES = {"search": ("POST", "/api/search"), "map": ("GET", "/api/map"),
                "export": ("GET", "/api/registry.geojson"), "ask": ("POST", "/api/requests")}
REFUSED = {"search": "registry.search_refused", "map": "registry.view_refused",
           "export": "registry.export_refused", "ask": "request.create_refused"}


def search_body(point: tuple[float, float], **changes: Any) -> dict[str, Any]:
    body = {"lat": round(point[0], 7), "lon": round(point[1], 7), "radius_m": 300,
            "case_number": CASE, "incident_at": incident_at()}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


FUTURE = (datetime.now(UTC) + timedelta(days=2)).isoformat()
BAD_REQUESTS: list[tuple[str, Callable[..., dict[str, Any]]]] = [
    *((f"the no-camera probe at {r} m", lambda p, r=r: request_body(
        p, offense="not-an-offense", hidden_radius_m=r)) for r in (5, 40, 300, 1500)),
    ("no camera, no radius, bad window", lambda p: request_body(
        p, hidden_radius_m=..., window_end="2020-01-01T00:00:00+00:00")),
    ("a radius under a metre", lambda p: request_body(p, hidden_radius_m=0.5, offense="x")),
    ("a radius over the program's limit", lambda p: request_body(p, hidden_radius_m=5000)),
    ("no case number", lambda p: request_body(p, case_number="")),
    ("a window in the future", lambda p: request_body(p, window_start=FUTURE)),
    ("an unknown field", lambda p: {**request_body(p), "visibility": "hidden"}),
    ("a place as text", lambda p: request_body(p, lat=str(p[0]))),
]
BAD_SEARCHES: list[tuple[str, Callable[..., dict[str, Any]]]] = [
    ("no case number", lambda p: search_body(p, case_number="")),
    ("a zero radius", lambda p: search_body(p, radius_m=0)),
    ("a radius over the limit", lambda p: search_body(p, radius_m=5000)),
    ("an incident in the future", lambda p: search_body(p, incident_at=FUTURE)),
    ("an unknown field", lambda p: {**search_body(p), "hidden_radius_m": 5}),
]


def page(text: str, *echoed: str) -> str:
    """A page as its reader sees it, less what differs on every load (nonces) and what the
    reader sent (echoed back)."""
    for value in echoed:
        text = text.replace(value, "<sent>")
    return re.sub(r'nonce="[^"]*"', 'nonce=""', text)


def twice(spy: Detective, send: Callable[[tuple[float, float]], Any],
          near: tuple[float, float], far: tuple[float, float]) -> tuple[Any, Any]:
    return problem_gist(send(near)), problem_gist(send(far))


@covers(("POST", "/api/requests"))
def test_invalid_requests_answer_the_same_around_a_hidden_camera(world: World) -> None:
    spy = world.police["detective"]
    near, far = world.spots["R"], AREAS["empty"]
    before = audit_counts(world.user_id("detective"))
    sent = 0
    for what, body in BAD_REQUESTS:
        at_r, elsewhere = twice(spy, lambda p, b=body: spy.call("POST", "/api/requests", b(p)),
                                near, far)
        sent += 2
        assert at_r[0] in (400, 422), (what, at_r)
        assert at_r == elsewhere, what
    # The no-camera probe names camera_ids nowhere now: the radius asks hidden cameras, and
    # whether any is there is not an error.
    assert all("camera_ids" not in str(spy.ask_hidden(near, r).json().get("errors"))
               for r in (5, 5000))
    sent += 2
    # Bodies that are not JSON objects are refused, and recorded, the same way.
    for data, kind in ((b"not json", "application/json"), (b"[1, 2]", "application/json"),
                       (b"lat=36", "text/plain")):
        answer = spy.call("POST", "/api/requests", data=data, headers={"Content-Type": kind})
        assert answer.status_code in (400, 415)
        sent += 1
    got = written(before, audit_counts(world.user_id("detective")))
    assert got == {"request.create_refused": sent}, got


@covers(("POST", "/api/search"))
def test_invalid_searches_answer_the_same_around_a_hidden_camera(world: World) -> None:
    spy = world.police["detective"]
    near, far = world.spots["R"], AREAS["empty"]
    before = audit_counts(world.user_id("detective"))
    for what, body in BAD_SEARCHES:
        at_r, elsewhere = twice(spy, lambda p, b=body: spy.call("POST", "/api/search", b(p)),
                                near, far)
        assert at_r[0] == 422 and at_r == elsewhere, what
    got = written(before, audit_counts(world.user_id("detective")))
    assert got == {"registry.search_refused": 2 * len(BAD_SEARCHES)}, got


@covers(("POST", "/cases/new"), ("GET", "/cases/new"))
def test_the_request_form_refuses_the_same_way_and_shows_no_hidden_id(world: World) -> None:
    spy = world.police["detective"]
    near, far = world.spots["R"], AREAS["empty"]
    before = audit_counts(world.user_id("detective"))
    pages = []
    asked = window()  # one window for both: built per post, the pages could differ by a second
    for point in (near, far):
        answer = spy.form("/cases/new", {
            "case_number": CASE, "offense": "not-an-offense", **asked, "lat": point[0],
            "lon": point[1], "hidden": "1", "radius_m": 300})
        assert answer.status_code == 422
        pages.append(page(answer.text, str(point[0]), str(point[1])))
    assert pages[0] == pages[1]
    # A hidden camera's id (police never hold one) offers nothing on a new case.
    hidden_id, made_up = world.cameras["R"], secrets.token_hex(16)
    offered = [spy.call("GET", f"/cases/new?camera_ids={cid}") for cid in (hidden_id, made_up)]
    assert [o.status_code for o in offered] == [200, 200]
    assert page(offered[0].text, hidden_id) == page(offered[1].text, made_up)
    assert written(before, audit_counts(world.user_id("detective"))) == {
        "request.create_refused": 2}


@covers(("POST", "/api/requests"))
def test_a_hidden_cameras_id_is_as_unknown_as_a_made_up_one(world: World) -> None:
    spy = world.police["detective"]
    hidden_id, made_up = world.cameras["R"], secrets.token_hex(16)
    answers = [spy.call("POST", "/api/requests", request_body(
        world.spots["R"], camera_ids=[cid], hidden_radius_m=...)) for cid in (hidden_id, made_up)]
    gists = [problem_gist(a) for a in answers]
    assert str(gists[0]).replace(hidden_id, made_up) == str(gists[1])
    assert answers[0].status_code == 422


def _rows(board: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((t["camera"], t["tier"], t["status"]) for t in board["targets"])


@covers(("POST", "/api/requests"), ("GET", "/api/requests/<request_id>"),
        ("GET", "/cases/<request_id>"), ("GET", "/cases"))
def test_the_hidden_cameras_asked_depend_on_their_cell_only(world: World) -> None:
    spy = world.police["detective"]
    area = AREAS["requests"]
    far_side = cell_spot(area, geo.HIDDEN_PRECISION, 0.75, 0.75)  # ~500 m from R, same cell
    before = audit_counts(world.user_id("detective"))
    boards, counts = [], []
    try:
        for spot in (cell_spot(area, geo.HIDDEN_PRECISION, 0.3, 0.3),
                     cell_spot(area, geo.HIDDEN_PRECISION, 0.6, 0.2)):
            world.move("R", spot)
            counts.append(spy.search(far_side, 30)["hidden_count"])
            made = spy.call("POST", "/api/requests",
                            request_body(far_side, hidden_radius_m=30))
            assert made.status_code == 201, made.text
            boards.append(made.json())
        assert counts == [1, 1]
        assert _rows(boards[0]) == _rows(boards[1]) == [
            ("A camera not shown on the map", "on_request", "asked")]
        # Every hidden camera inside the circle is asked: a 5 m circle on its very spot too.
        exact = spy.call("POST", "/api/requests", request_body(world.spots["R"],
                                                               hidden_radius_m=5))
        assert exact.status_code == 201 and len(exact.json()["targets"]) == 1
        # Moved into the next cell, it is not asked from the far side, as in an empty area.
        world.move("R", cell_spot(moved(area, 0, -1300), geo.HIDDEN_PRECISION, 0.9, 0.9))
        gone = spy.call("POST", "/api/requests", request_body(far_side, hidden_radius_m=30))
        empty = spy.call("POST", "/api/requests", request_body(AREAS["empty"],
                                                               hidden_radius_m=30))
        assert gone.status_code == 422 and problem_gist(gone) == problem_gist(empty)
    finally:
        world.move("R", cell_spot(area, geo.HIDDEN_PRECISION, 0.3, 0.3))
    got = written(before, audit_counts(world.user_id("detective")))
    assert got.get("request.created") == 3 and got.get("request.create_refused") == 2, got
    for board in boards:  # the board and the case pages never name it
        for path in (f"/api/requests/{board['id']}", f"/cases/{board['id']}", "/cases"):
            answer = spy.call("GET", path)
            assert answer.status_code == 200
            for secret in (world.cameras["R"], world.user_id("owner_r"), "R"):
                assert f'"{secret}"' not in answer.text and f">{secret}<" not in answer.text


@pytest.mark.parametrize("who", ["owner_l", "auditor", "admin", "supervisor"])
@covers(*QUERY_ROUTES.values())
def test_every_refused_police_query_is_audited(world: World, who: str) -> None:
    """Wrong roles, a missing CSRF token and a missing second factor: each refusal is an
    event for whoever tried, with the route, the status and why."""
    role_allowed = {"admin": {"export"}, "supervisor": {"search", "map", "export"}}
    spy = world.spy(who)
    user_id = world.user_id(who)
    before = audit_counts(user_id)
    expected: dict[str, int] = {}
    for name, (method, path) in QUERY_ROUTES.items():
        body = {"search": search_body(world.spots["R"]),
                "ask": request_body(world.spots["R"])}.get(name)
        if name in role_allowed.get(who, set()):
            # Allowed, but without the CSRF token (state-changing routes only) or MFA.
            if method == "POST":
                answer = spy.call(method, path, body, csrf=False)
                assert answer.status_code == 403, (name, answer.text)
                expected[REFUSED[name]] = expected.get(REFUSED[name], 0) + 1
            half_signed = Detective(world.client(who, mfa_ok=False))
            answer = half_signed.call(method, path, body)
            assert answer.status_code == 403 and "mfa" in answer.text.lower(), answer.text
        else:
            answer = spy.call(method, path, body)
            assert answer.status_code == 403, (name, answer.status_code)
        expected[REFUSED[name]] = expected.get(REFUSED[name], 0) + 1
    assert written(before, audit_counts(user_id)) == expected
    latest = next(iter(AuditEvent.actor_index.query(user_id, scan_index_forward=False,
                                                    limit=1)))
    assert latest.action.endswith("_refused")
    details = json.loads(latest.details)
    assert details["status"] == 403 and details["reason"] and details["route"]
