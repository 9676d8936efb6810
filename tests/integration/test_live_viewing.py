"""How long police watched a live share: each viewer's session runs from opening the share to
leaving it, the share's end, or the last piece they fetched, whichever came first; its length
is in the audit event and in the owner's activity."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from app.services import clock
from app.services.auditing import audit
from app.services.realtime import live
from tests.builders.bridges import paired_bridge, piece_body, send_piece
from tests.builders.cameras import camera_body
from tests.support import Client, TimeTravel

pytestmark = pytest.mark.slow  # about 9 s in all: left out of `make check`


@pytest.fixture(scope="module")
def video() -> bytes:
    from pathlib import Path
    from tempfile import TemporaryDirectory

    from tests.bridge.media import make_h264

    with TemporaryDirectory() as folder:
        return Path(make_h264(Path(folder) / "p.mp4", seconds=1.0, gop=30, bframes=0)
                    ).read_bytes()


def _ask(detective: Client, share_id: str, stream: str) -> None:
    answer = detective.get(f"/api/live/{share_id}/pieces?camera={stream}")
    assert answer.status_code == 200, answer.text


def _session(owner_id: str, viewer_id: str) -> dict[str, Any]:
    events = [e for e in audit.activity_of(owner_id)
              if e.action == "live.session" and e.actor_id == viewer_id]
    assert len(events) == 1, [e.action for e in events]
    return audit.event_json(events[0])["details"]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_each_viewers_session_has_its_real_length(signed_in: Any, base_url: str, video: bytes,
                                                  time_travel: TimeTravel) -> None:
    owner, account = signed_in("owner")
    cam = owner.send_json("POST", "/api/cameras", camera_body(
        nickname="Street", tier="on_alert")).json()["camera"]["id"]
    share_id = owner.send_json("POST", "/api/shares", {"camera_ids": [cam], "minutes": 10}
                               ).json()["share_id"]
    bridge, headers, _ = paired_bridge(owner, base_url)
    stored = send_piece(bridge, headers, share_id, piece_body(cam, video, clock.now()), video)
    assert stored.status_code == 200, stored.text

    # three detectives open it together: one watches to the end, one leaves after 2 s, and
    # one's tablet dies after its first second of pieces (it never says it left)
    watcher, watcher_account = signed_in("detective")
    leaver, leaver_account = signed_in("detective")
    gone, gone_account = signed_in("detective")
    for detective in (watcher, leaver, gone):
        view = detective.send_json("POST", f"/api/live/{share_id}/view", {})
        assert view.status_code == 200, view.text
        stream = view.json()["cameras"][0]["stream"]  # the camera's alias in the share
    opened = clock.now()
    left_at = None
    while clock.now() - opened < timedelta(seconds=8):
        _ask(watcher, share_id, stream)
        if clock.now() - opened < timedelta(seconds=1):
            _ask(gone, share_id, stream)
        if left_at is None:
            if clock.now() - opened < timedelta(seconds=2):
                _ask(leaver, share_id, stream)
            else:
                left = leaver.send_json("POST", f"/api/live/{share_id}/leave", {})
                assert left.status_code == 200, left.text
                left_at = clock.now()
                # leaving twice (a second tab, a retried beacon) changes nothing
                assert leaver.send_json("POST", f"/api/live/{share_id}/leave", {}
                                        ).status_code == 200
        time_travel.advance(0.4)
    ended = owner.send_json("DELETE", f"/api/shares/{share_id}")
    assert ended.status_code == 200
    ended_at = _at(ended.json()["ended_at"])
    assert left_at is not None

    owner_id = account.user.user_id
    to_end = _session(owner_id, watcher_account.user.user_id)
    assert _at(to_end["to"]) == ended_at and to_end["until"] == "the share ended"
    assert abs(_at(to_end["from"]) - opened) < timedelta(seconds=1.5)
    assert to_end["seconds"] == pytest.approx((ended_at - opened).total_seconds(), abs=1.5)
    assert to_end["seconds"] >= 7

    to_leave = _session(owner_id, leaver_account.user.user_id)
    assert to_leave["until"] == "they left"
    assert abs(_at(to_leave["to"]) - left_at) < timedelta(seconds=1)
    assert to_leave["seconds"] == pytest.approx(2, abs=1.2)

    to_last = _session(owner_id, gone_account.user.user_id)
    assert to_last["until"] == "the last piece they fetched"
    assert _at(to_last["to"]) < ended_at - timedelta(seconds=2)
    assert 0 <= to_last["seconds"] <= live.VIEWER_NOTE_SECONDS + 1.5

    # the owner reads each length in their activity
    page = owner.get("/account/activity").text
    assert f"watched: {live.duration_words(to_end['seconds'])}" in page
    assert f"watched: {live.duration_words(to_leave['seconds'])}" in page
    assert "until: they left" in page


def test_coming_back_after_leaving_counts_both_stretches(signed_in: Any,
                                                        time_travel: TimeTravel) -> None:
    owner, account = signed_in("owner")
    cam = owner.send_json("POST", "/api/cameras", camera_body(tier="on_alert")
                          ).json()["camera"]["id"]
    share_id = owner.send_json("POST", "/api/shares", {"camera_ids": [cam], "minutes": 10}
                               ).json()["share_id"]
    detective, detective_account = signed_in("detective")
    stream = detective.send_json("POST", f"/api/live/{share_id}/view", {}
                                 ).json()["cameras"][0]["stream"]
    _ask(detective, share_id, stream)
    time_travel.advance(1.5)
    detective.send_json("POST", f"/api/live/{share_id}/leave", {})
    time_travel.advance(2.0)  # away: not watching
    detective.send_json("POST", f"/api/live/{share_id}/view", {})
    time_travel.advance(1.5)
    _ask(detective, share_id, stream)
    owner.send_json("DELETE", f"/api/shares/{share_id}")
    session = _session(account.user.user_id, detective_account.user.user_id)
    assert session["seconds"] == pytest.approx(3, abs=1)  # 1.5 s + 1.5 s, not the 5 s span
    assert session["until"] == "the share ended"
    # leaving a share of another program is answered like one that does not exist
    assert detective.send_json("POST", "/api/live/nope/leave", {}).status_code == 404

