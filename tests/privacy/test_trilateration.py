"""Trilateration: a detective moves centres and radii to find where hidden and approximate
cameras stand (docs/privacy.md, "search results and counts").

Each case runs the attacks of adversary.py with the camera at one spot, then with the camera
at another spot of the same cell, and compares: the same questions get the same answers, so
every strategy makes the same guess for both spots, and that guess is at least half the
distance between the spots away from one of them. With the spots near opposite corners of the
cell, that is the stated bound. A control spot in the next cell shows the questions do see
cells (the bound is not met by answering nothing). Every search is one audit event.
"""

from __future__ import annotations

from typing import Any

from app.core import geo
from tests.privacy.adversary import (
    Detective,
    audit_counts,
    edges,
    error_m,
    moved,
    ring_distances,
    trilaterate,
    written,
)
from tests.privacy.conftest import AREAS, World, cell_centre, cell_spot
from tests.privacy.routes import covers

STEPS = 9  # binary-search steps per radius or edge: about 4 m over 2 km (the bench uses more)
HIDDEN_BOUND_M = 450.0  # docs/privacy.md: half the distance between opposite spots of a cell
APPROX_BOUND_M = 75.0


def attack_hidden(world: World, start: tuple[float, float]) -> dict[str, Any]:
    spy = world.spy("detective")
    before = audit_counts(world.user_id("detective"))
    probe = spy.hidden_probe()
    near = trilaterate(probe, start, steps=STEPS, rounds=1)
    walked = edges(probe, near or start, steps=STEPS)
    after = audit_counts(world.user_id("detective"))
    return {"spy": spy, "guesses": {"trilaterate": near, "edges": walked},
            "audit": written(before, after)}


def attack_approximate(world: World, start: tuple[float, float]) -> dict[str, Any]:
    camera_id = world.cameras["A"]
    spy = world.spy("detective")
    before = audit_counts(world.user_id("detective"))
    guesses = {"shown_place": spy.shown_place(camera_id, start),
               "trilaterate": trilaterate(spy.inclusion_probe(camera_id), start, steps=8,
                                          rounds=1),
               "ring_distances": ring_distances(spy.shown_distance(camera_id), start, count=6)}
    after = audit_counts(world.user_id("detective"))
    return {"spy": spy, "guesses": guesses, "audit": written(before, after)}


def only_searches(run: dict[str, Any]) -> None:
    spy: Detective = run["spy"]
    assert run["audit"].get("registry.searched") == spy.searches, run["audit"]
    assert not any(k.endswith("_refused") for k in run["audit"]), run["audit"]


@covers(("POST", "/api/search"))
def test_a_hidden_camera_is_never_placed_better_than_its_cell(world: World) -> None:
    area = AREAS["hidden"]
    one = cell_spot(area, geo.HIDDEN_PRECISION, 0.1, 0.1)
    two = cell_spot(area, geo.HIDDEN_PRECISION, 0.9, 0.9)
    centre = cell_centre(area, geo.HIDDEN_PRECISION)
    start = moved(centre, -350, 420)  # the detective's tip: "somewhere around here"
    runs = {}
    for name, spot in (("one", one), ("two", two)):
        world.move("H", spot)
        runs[name] = attack_hidden(world, start)
        only_searches(runs[name])
    first, second = runs["one"], runs["two"]
    assert first["spy"].transcript == second["spy"].transcript  # same questions, same answers
    assert first["guesses"] == second["guesses"]
    half = geo.distance_m(*one, *two) / 2
    assert half >= HIDDEN_BOUND_M
    for strategy, guess in first["guesses"].items():
        assert guess is not None, strategy
        worst = max(error_m(guess, one), error_m(guess, two))
        assert worst >= half - 1, (strategy, worst)
    # The attack is competent: it finds the cell (what the bound allows), no more.
    assert error_m(first["guesses"]["edges"], centre) < 30

    # Control: in the next cell east the same questions get other answers.
    world.move("H", cell_spot(moved(area, 0, 1300), geo.HIDDEN_PRECISION, 0.1, 0.1))
    try:
        spy = world.spy("detective")
        trilaterate(spy.hidden_probe(), start, steps=STEPS, rounds=1)
        assert spy.transcript != first["spy"].transcript[:len(spy.transcript)]
    finally:
        world.move("H", one)


@covers(("POST", "/api/search"))
def test_an_approximate_camera_is_never_placed_better_than_its_cell(world: World) -> None:
    area = AREAS["approximate"]
    one = cell_spot(area, geo.APPROX_PRECISION, 0.1, 0.1)
    two = cell_spot(area, geo.APPROX_PRECISION, 0.9, 0.9)
    centre = cell_centre(area, geo.APPROX_PRECISION)
    start = moved(centre, 260, -310)
    runs = {}
    for name, spot in (("one", one), ("two", two)):
        world.move("A", spot)
        runs[name] = attack_approximate(world, start)
        only_searches(runs[name])
    first, second = runs["one"], runs["two"]
    assert first["spy"].transcript == second["spy"].transcript
    assert first["guesses"] == second["guesses"]
    half = geo.distance_m(*one, *two) / 2
    assert half >= APPROX_BOUND_M
    for strategy, guess in first["guesses"].items():
        assert guess is not None, strategy
        assert max(error_m(guess, one), error_m(guess, two)) >= half - 1, strategy
    shown = first["guesses"]["shown_place"]
    assert error_m(shown, centre) < 1  # shown at its cell's centre, as documented
    assert max(error_m(shown, one), error_m(shown, two)) <= 110  # "about 100 m"

    world.move("A", cell_spot(moved(area, 0, 200), geo.APPROX_PRECISION, 0.1, 0.1))
    try:
        moved_away = world.spy("detective")
        assert moved_away.shown_place(world.cameras["A"], start) != shown
    finally:
        world.move("A", one)


@covers(("POST", "/search"), ("GET", "/search"))
def test_the_search_page_counts_as_the_api_does(world: World) -> None:
    """The page's "N more camera(s) ... hidden" sentence is the same count, by cell."""
    spy = world.police["detective"]
    page = spy.call("GET", "/search")
    assert page.status_code == 200 and world.cameras["H"] not in page.text
    area = AREAS["hidden"]
    centre = cell_centre(area, geo.HIDDEN_PRECISION)
    before = audit_counts(world.user_id("detective"))
    counts = []
    for spot in (cell_spot(area, geo.HIDDEN_PRECISION, 0.1, 0.1),
                 cell_spot(area, geo.HIDDEN_PRECISION, 0.8, 0.7)):
        world.move("H", spot)
        answer = spy.form("/search", {"lat": centre[0], "lon": centre[1], "radius_m": 40,
                                      "case_number": "RT-PAGE-1",
                                      "incident_at": "2026-01-10T10:00:00+00:00"})
        assert answer.status_code == 200
        assert "1 more camera(s) in the ~1 km area" in answer.text, answer.text[-3000:]
        counts.append(answer.text.count(world.cameras["H"]))
    world.move("H", cell_spot(area, geo.HIDDEN_PRECISION, 0.1, 0.1))
    assert counts == [0, 0]
    assert written(before, audit_counts(world.user_id("detective"))) == {"registry.searched": 2}
