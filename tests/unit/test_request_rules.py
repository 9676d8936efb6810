"""The pure rules of footage requests: what may be asked, how answers move, signed buttons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core import footage
from app.core.errors import ValidationError

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
GOOD = {"camera_ids": ["a" * 32], "case_number": "24-1", "offense": "robbery",
        "window_start": "2026-11-21T19:40:00-00:00", "window_end": "2026-11-21T19:55:00Z",
        "lat": 36.16, "lon": -86.78}


def errors_of(**changes: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        footage.parse_request({**GOOD, **changes}, footage.Policy(), NOW)
    return caught.value.errors


def test_a_good_request_parses() -> None:
    spec = footage.parse_request(GOOD, footage.Policy(), NOW)
    assert spec.window_end - spec.window_start == timedelta(minutes=15)
    assert spec.camera_ids == ("a" * 32,)


@pytest.mark.parametrize(("changes", "field"), [
    ({"window_end": "2026-11-21T22:00:00Z"}, "window_end"),  # longer than 2 h
    ({"window_end": "2026-11-21T19:00:00Z"}, "window_end"),  # ends before it starts
    ({"window_start": "2026-11-21T21:00:00Z", "window_end": "2026-11-21T21:10:00Z"},
     "window_start"),  # in the future
    ({"window_start": "2026-11-21T19:40:00"}, "window_start"),  # no zone
    ({"offense": "immigration"}, "offense"),  # not in the default program list
    ({"case_number": " "}, "case_number"),
    ({"lat": 91}, "lat"),
    ({"lon": True}, "lon"),
    ({"camera_ids": []}, "camera_ids"),
    ({"camera_ids": ["x" * 65]}, "camera_ids"),
    ({"camera_ids": [str(i) for i in range(51)]}, "camera_ids"),
    ({"hidden_radius_m": 0.5}, "hidden_radius_m"),
    ({"hidden_radius_m": 2001}, "hidden_radius_m"),
    ({"hidden_radius_m": "150"}, "hidden_radius_m"),
])
def test_bad_requests_name_the_field(changes: dict[str, object], field: str) -> None:
    assert field in errors_of(**changes)


def test_no_camera_is_fine_when_the_hidden_cameras_are_asked() -> None:
    spec = footage.parse_request({**GOOD, "camera_ids": [], "hidden_radius_m": 150},
                               footage.Policy(), NOW)
    assert spec.camera_ids == () and spec.hidden_radius_m == 150
    assert footage.parse_request({**GOOD, "hidden_radius_m": 0}, footage.Policy(),
                               NOW).hidden_radius_m == 0


def test_an_invalid_request_names_every_field_whatever_is_asked() -> None:
    """The error oracle: the errors of a request with no cameras depend only on what
    was sent (a hidden radius or not), never on which cameras exist."""
    bad = {"camera_ids": [], "offense": "not-an-offense"}
    assert set(errors_of(**bad, hidden_radius_m=150)) == {"offense"}
    assert set(errors_of(**bad)) == {"offense", "camera_ids"}
    assert set(errors_of(**bad, hidden_radius_m=-3)) == {"offense", "hidden_radius_m"}


def test_answers_move_only_forward() -> None:
    assert footage.can_move(footage.ASKED, footage.APPROVED)
    assert footage.can_move(footage.FAILED, footage.UPLOADING)  # the owner tries another file
    assert footage.can_move(footage.APPROVED, footage.UPLOADING)
    assert not footage.can_move(footage.READY, footage.DECLINED)
    assert not footage.can_move(footage.DECLINED, footage.APPROVED)
    assert not footage.can_move(footage.EXPIRED, footage.APPROVED)


def test_hidden_and_approximate_owners_are_named_only_once_they_send() -> None:
    assert footage.police_label("Back yard", "hidden", footage.DECLINED) != "Back yard"
    assert footage.police_label("Back yard", "hidden", footage.READY) == "Back yard"
    assert footage.police_label("41 Oak Lane", "approximate", footage.ASKED) != "41 Oak Lane"
    assert footage.police_label("41 Oak Lane", "approximate", footage.APPROVED) == "41 Oak Lane"
    assert footage.police_label("Front", "exact", footage.ASKED) == "Front"


@pytest.mark.parametrize(("visibility", "shown"), [
    ("exact", "Front door, 41 Oak Lane"),
    ("approximate", "A camera shown near its place"),
])
def test_the_new_case_form_names_a_camera_as_police_may_see_it(visibility: str,
                                                                shown: str) -> None:
    offer = footage.offered("c" * 32, "Front door, 41 Oak Lane", visibility, "on_request", False)
    assert offer == footage.Offered("c" * 32, shown, "on_request")


@pytest.mark.parametrize(("visibility", "paused"), [
    ("hidden", False),  # police never hold its id: one given anyway offers nothing
    ("hidden", True),
    ("exact", True),  # a paused camera would not be asked
    ("approximate", True),
])
def test_the_new_case_form_offers_no_hidden_or_paused_camera(visibility: str,
                                                              paused: bool) -> None:
    assert footage.offered("c" * 32, "Back yard", visibility, "always", paused) is None


def test_answer_tokens_cannot_be_turned_into_another_answer() -> None:
    token = footage.answer_token("secret", "t1", "decline", 2_000_000_000)
    assert footage.read_answer_token("secret", token, 1_900_000_000).action == "decline"
    target, action, expires, nonce, sig = token.split(".")
    for forged in (f"{target}.approve.{expires}.{nonce}.{sig}",
                   f"t2.{action}.{expires}.{nonce}.{sig}",
                   f"{target}.{action}.2100000000.{nonce}.{sig}"):
        with pytest.raises(ValidationError):
            footage.read_answer_token("secret", forged, 1_900_000_000)
    with pytest.raises(ValidationError):
        footage.read_answer_token("other-secret", token, 1_900_000_000)
    with pytest.raises(ValidationError):  # expired
        footage.read_answer_token("secret", token, 2_000_000_001)


def test_clock_offsets() -> None:
    assert footage.clock_offset(2220) == 2220.0
    assert footage.offset_words(2220) == "37 min ahead"
    assert footage.offset_words(-3725) == "1 h 2 min 5 s behind"
    for bad in (None, "10", True, float("nan"), 8 * 24 * 3600):
        with pytest.raises(ValidationError):
            footage.clock_offset(bad)


def test_a_clock_reading_counts_from_its_own_moment_not_the_uploads() -> None:
    """The owner read 20:00:37 on the recorder at 20:00:00.5 (their phone's clock, Chicago)
    and uploads minutes later: the offset is 37 s, whatever `now` is."""
    shows, read_at = "2026-11-21T20:00:37-06:00", "2026-11-22T02:00:00.500Z"
    for later in (0, 20, 600):
        offset, moment = footage.reading_offset(shows, read_at,
                                              NOW + timedelta(hours=6, seconds=later))
        assert offset == 37.0 and moment == datetime(2026, 11, 22, 2, 0, 0, 500000, UTC)
    # A screen shows whole seconds: the reading is the middle of its second (within 0.5 s).
    assert footage.reading_offset("2026-11-21T20:00:37Z", "2026-11-21T20:00:00Z", NOW)[0] == 37.5
    # A reading with a fraction (a program read the clock exactly) is taken as it is.
    assert footage.reading_offset("2026-11-21T20:00:37.25Z", "2026-11-21T20:00:00Z", NOW)[0] \
        == 37.25
    assert footage.reading_offset("2026-11-21T19:22:00Z", "2026-11-21T19:59:59.5Z", NOW)[0] \
        == -2279.0  # 37 min 59 s behind


@pytest.mark.parametrize(("shows", "read_at", "field"), [
    ("2026-11-21T20:00:37", "2026-11-21T20:00:00Z", "recorder_shows"),  # no zone
    ("20:00:37", "2026-11-21T20:00:00Z", "recorder_shows"),  # a time without its date
    (None, "2026-11-21T20:00:00Z", "recorder_shows"),
    ("2026-11-21T20:00:37Z", None, "read_at"),
    ("2026-11-21T20:00:37Z", 1763755200, "read_at"),
    ("2026-11-21T20:20:37Z", "2026-11-21T20:20:00Z", "read_at"),  # 20 min in the future
    ("2026-11-11T20:00:37Z", "2026-11-11T20:00:00Z", "read_at"),  # ten days old
    ("2026-12-21T20:00:37Z", "2026-11-21T19:59:00Z", "recorder_shows"),  # a month off
])
def test_bad_clock_readings_name_the_field(shows: object, read_at: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        footage.reading_offset(shows, read_at, NOW)
    assert field in caught.value.errors


@pytest.mark.parametrize(("status", "kinds", "no_other_file", "replacing", "whole"), [
    ("ready", [], False, False, True),
    ("ready", ["before_file"], False, False, False),  # the owner may still send a file
    ("ready", ["after_file"], True, False, True),  # they said they have none
    ("ready", ["camera_offline"], False, False, True),  # no file could cover an outage
    ("ready", ["before_file"], True, True, False),  # another file is on its way
    ("declined", [], False, False, True),
    ("processing", [], False, False, False),
])
def test_a_clip_missing_part_of_the_window_is_an_answer_in_part(
        status: str, kinds: list[str], no_other_file: bool, replacing: bool,
        whole: bool) -> None:
    assert footage.answered_in_full(status, kinds, no_other_file, replacing) is whole


def test_policy_form() -> None:
    policy = footage.parse_policy({"max_window_minutes": "60", "expire_days": "3",
                                 "remind_after_hours": "24", "retention_days": "30",
                                 "timezone": "America/Chicago", "needs_supervisor": "1"},
                                ["theft", "robbery"], True)
    assert policy.offenses == ("robbery", "theft") and policy.needs_supervisor
    with pytest.raises(ValidationError) as caught:
        footage.parse_policy({"max_window_minutes": "x", "expire_days": "1",
                            "remind_after_hours": "30", "retention_days": "0"}, [], False)
    assert set(caught.value.errors) == {"max_window_minutes", "remind_after_hours",
                                        "retention_days", "offenses", "timezone"}
