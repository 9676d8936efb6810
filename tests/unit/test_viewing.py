"""How long an officer watched a live share, from the notes the app takes (app.core.viewing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core import viewing

T0 = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def watched(*asks: float, left: float | None = None) -> viewing.Seen:
    """A viewer who opened the share at 0 and asked (and was noted) at these seconds."""
    seen = viewing.noted(None, at(0), "Det. Ray", "detective")
    for moment in asks:
        seen = viewing.noted(seen, at(moment), "Det. Ray", "detective")
    return viewing.leaving(seen, at(left)) if left is not None else seen


@pytest.mark.parametrize(("seen", "ended", "start", "end", "seconds", "until"), [
    # watched until the owner ended it (noted every 5 s)
    (watched(5, 10, 15, 20), 22, 0, 22, 22, "the share ended"),
    # left after 12 s; the share ran on
    (watched(5, 10, left=12), 60, 0, 12, 12, "they left"),
    # the tablet died after the note at 10 s: ended at the last piece fetched
    (watched(5, 10), 60, 0, 10, 10, "the last piece they fetched"),
    # left at 8 s, before the share ended at 20 s
    (watched(5, left=8), 20, 0, 8, 8, "they left"),
    # opened and the share ended a second later
    (watched(), 1, 0, 1, 1, "the share ended"),
])
def test_sessions(seen: viewing.Seen, ended: float, start: float, end: float, seconds: float,
                  until: str) -> None:
    session = viewing.session(seen, at(ended))
    assert (session.start, session.end, session.seconds, session.until) == (
        at(start), at(end), seconds, until)
    assert session.details()["watched"] == viewing.duration_words(seconds)


def test_stretches_add_up_and_a_quiet_gap_is_not_watching() -> None:
    back = viewing.noted(watched(5, left=8), at(38), "Det. Ray", "detective")
    back = viewing.noted(back, at(43), "Det. Ray", "detective")
    assert viewing.session(back, at(48)).seconds == 8 + 10
    # no leave said, asks stopped at 10 s and came back at 100 s: 10 s + 5 s
    quiet = viewing.noted(watched(5, 10), at(100), "Det. Ray", "detective")
    quiet = viewing.noted(quiet, at(105), "Det. Ray", "detective")
    assert viewing.session(quiet, at(105)).seconds == 10 + 5
    # leaving twice changes nothing; leaving long after the last ask ends at that ask
    once = watched(5, left=6)
    assert viewing.leaving(once, at(50)) == once
    assert viewing.session(viewing.leaving(watched(5), at(50)), at(60)).end == at(5)
    # an entry noted before stretches existed (first and last only) watched from first
    legacy = {"first": at(0).isoformat(), "last": at(10).isoformat(), "name": "x", "role": "y"}
    assert viewing.session(legacy, at(12)).seconds == 12
    assert viewing.session(viewing.noted(legacy, at(15), "x", "y"), at(16)).seconds == 16


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "0 s"), (8, "8 s"), (59.6, "1 min 0 s"), (125, "2 min 5 s"), (3600, "1 h 0 min"),
    (3725, "1 h 2 min")])
def test_duration_words(seconds: float, words: str) -> None:
    assert viewing.duration_words(seconds) == words
