"""Share logic against the Uplink protocol: pre-roll then live, in order; catching up after
network drops with nothing lost or doubled; revocation; answering approved requests.

FakeUplink below is a TEST DOUBLE of the bridge.uplink.Uplink interface, so these tests can
place a network drop, a refusal or a revocation at an exact upload (the timing the share logic
must get right) and run in milliseconds. It records every call in memory and can simulate
network drops (ConnectionError), a share ended by the server (ShareEnded), a refused upload
(ServerRefused) and revocation (UplinkRevoked). The real implementation, HttpUplink, is tested
against the real app in test_http_uplink.py.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest

from bridge import masking
from bridge.buffer import SegmentBuffer
from bridge.runner import Backoff, Runner
from bridge.segment import Segment
from bridge.share import SWITCH_SLACK_S, Outcome, RequestAnswer, ShareManager, ShareSession
from bridge.source_types import ClosedSegment
from bridge.uplink import (
    BridgeState,
    CameraInfo,
    ClipRequest,
    DeviceCredential,
    ServerRefused,
    ShareEnded,
    ShareInfo,
    TimeWindow,
    UplinkRevoked,
)
from tests.bridge.conftest import make_config
from tests.bridge.helpers import fill, wait_for

FAST = Backoff(first_s=0.02, max_s=0.1)


class FakeUplink:
    """In-memory test double of the Uplink protocol (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uploads: list[tuple[str, str, str]] = []  # (share_id, camera_id, segment name)
        self.sent: list[Segment] = []  # the segments uploaded (which buffer each came from)
        self.upload_attempts = 0
        self.down = threading.Event()  # while set, every call raises ConnectionError
        self.fail: Callable[[int], bool] = lambda _attempt: False  # fail this attempt?
        self.revoke_after: int | None = None  # uploads accepted before UplinkRevoked
        self.end_share_after: int | None = None  # uploads accepted before ShareEnded
        self.refuse: set[str] = set()  # segment names, clip targets or "share" to refuse
        self.fail_clip = False  # upload_clip breaks off (ConnectionError)
        self.state_answer = BridgeState()
        self.state_calls = 0
        self.started: list[tuple[list[str], int]] = []
        self.share_length_s = 0.5
        self.clips: list[dict[str, object]] = []
        self.sent_bytes: list[tuple[str, bytes]] = []  # (masks fingerprint, what was sent)
        self.unavailable: list[tuple[str, str]] = []

    def _network(self) -> None:
        if self.down.is_set():
            raise ConnectionError("network is unreachable")

    def pair(self, code: str, name: str) -> DeviceCredential:
        self._network()
        return DeviceCredential(device_id="dev_1", secret="s3cret", server_url="https://x")

    def state(self) -> BridgeState:
        self._network()
        self.state_calls += 1
        return self.state_answer

    def start_share(self, camera_ids: Sequence[str], minutes: int) -> ShareInfo:
        self._network()
        if "share" in self.refuse:
            raise ServerRefused("Front door is not set to share on alert.")
        self.started.append((list(camera_ids), minutes))
        now = datetime.now(UTC)
        return ShareInfo(share_id=f"share_{len(self.started)}", camera_ids=tuple(camera_ids),
                         started_at=now, ends_at=now + timedelta(seconds=self.share_length_s),
                         preroll_seconds=5)

    def upload_segment(self, share_id: str, camera_id: str, segment: Segment,
                       masks: str = "") -> None:
        with self.lock:
            self.upload_attempts += 1
            attempt = self.upload_attempts
            accepted = len(self.uploads)
        self._network()
        if self.fail(attempt):
            raise ConnectionError("connection reset by peer")
        if self.revoke_after is not None and accepted >= self.revoke_after:
            raise UplinkRevoked("device credential revoked")
        if self.end_share_after is not None and accepted >= self.end_share_after:
            raise ShareEnded(share_id)
        if segment.name in self.refuse:
            raise ServerRefused("start: outside the share's window")
        sent = segment.path.read_bytes()  # the file is there while it is being sent
        assert sent
        with self.lock:
            self.uploads.append((share_id, camera_id, segment.name))
            self.sent.append(segment)
            self.sent_bytes.append((masks, sent))

    def upload_clip(self, target_id: str, path: Path, window: TimeWindow,
                    gaps: Sequence[TimeWindow] = (), masks: str = "") -> None:
        self._network()
        if self.fail_clip:
            raise ConnectionError("connection reset by peer")
        if target_id in self.refuse:
            raise ServerRefused("ends_at: after the asked window")
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            assert stream.duration is not None and stream.time_base is not None
            duration = float(stream.duration * stream.time_base)
        self.clips.append({"target": target_id, "window": window, "gaps": list(gaps),
                           "duration": duration, "path": path, "masks": masks,
                           "bytes": path.read_bytes()})

    def clip_unavailable(self, target_id: str, reason: str) -> None:
        self._network()
        self.unavailable.append((target_id, reason))


def now() -> datetime:
    return datetime.now(UTC)


def add_segment(buffer: SegmentBuffer, start: datetime, seconds: float,
                run: str = "run1") -> Segment:
    """A stand-in segment file (the share logic moves files; it never decodes them)."""
    part = buffer.work_dir / f"{uuid.uuid4().hex}.part"
    part.write_bytes(f"segment of {buffer.camera} at {start.isoformat()}".encode())
    return buffer.add(ClosedSegment(path=part, start=start, duration_s=seconds, mode="copy",
                                    width=320, height=240, frames=30, run=run,
                                    media_start_s=0.0))


class LiveCamera:
    """Adds a segment of `step` seconds every `step` seconds, as a camera would, until `until`."""

    def __init__(self, buffer: SegmentBuffer, start: datetime, step: float,
                 until: datetime) -> None:
        self.buffer, self.start, self.step, self.until = buffer, start, step, until
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        begin = self.start
        while begin + timedelta(seconds=self.step) <= self.until:
            end = begin + timedelta(seconds=self.step)
            delay = (end - now()).total_seconds()
            if delay > 0:
                time.sleep(delay)
            add_segment(self.buffer, begin, self.step)
            begin = end

    def __enter__(self) -> LiveCamera:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.thread.join()


@pytest.fixture()
def buffer(tmp_path: Path) -> SegmentBuffer:
    return SegmentBuffer(tmp_path / "front", "front", 600)


def _with_history(buffer: SegmentBuffer, at: datetime, seconds: int = 10) -> None:
    for back in range(seconds, 0, -1):
        add_segment(buffer, at - timedelta(seconds=back), 1.0)


def test_the_live_edge_first_then_the_preroll_each_once(buffer: SegmentBuffer) -> None:
    started = now()
    _with_history(buffer, started)
    share = ShareInfo("share_1", ("cam_front",), started, started + timedelta(seconds=1.2),
                      preroll_seconds=4)
    uplink = FakeUplink()
    session = ShareSession(uplink, share, {"cam_front": buffer}, backoff=FAST, poll_s=0.02)
    with LiveCamera(buffer, started, 0.1, started + timedelta(seconds=0.8)):
        result = session.run(threading.Event())
    assert result.outcome is Outcome.ENDED
    assert now() >= share.ends_at  # it ran to the share's end, not longer
    sent = [name for _share, _camera, name in uplink.uploads]
    expected = [s.name for s in buffer.segments_between(started - timedelta(seconds=4),
                                                        share.ends_at)]
    assert sorted(sent) == expected  # the pre-roll and every live segment, each once
    assert sent[0] == expected[3]  # the newest at the start (the live edge) went first
    assert [n for n in sent if n in expected[:3]] == expected[:3]  # the rest of it in order
    live = [n for n in sent if n in expected[4:]]
    assert live == expected[4:]  # live segments in order as they closed
    preroll = [s for s in buffer.segments() if s.name in sent and s.start < started]
    assert [s.start for s in preroll] == [started - timedelta(seconds=n) for n in (4, 3, 2, 1)]
    assert len(sent) == 4 + 8
    assert {(share_id, camera) for share_id, camera, _ in uplink.uploads} == {
        ("share_1", "cam_front")}
    assert result.uploaded == 12 and result.not_sent == 0


def test_live_is_not_late_behind_a_long_preroll(buffer: SegmentBuffer) -> None:
    """Two minutes of pre-roll on a slow line: each live segment is sent as it closes, ahead
    of the backlog, which follows oldest first in between."""
    started = now()
    _with_history(buffer, started, 120)
    share = ShareInfo("share_3", ("cam_front",), started, started + timedelta(seconds=1.0),
                      preroll_seconds=120)
    uplink = FakeUplink()
    upload = uplink.upload_segment

    def slow(share_id: str, camera_id: str, segment: Segment) -> None:
        time.sleep(0.02)  # 120 segments take 2.4 s: longer than the share
        upload(share_id, camera_id, segment)

    uplink.upload_segment = slow  # type: ignore[method-assign]
    session = ShareSession(uplink, share, {"cam_front": buffer}, backoff=FAST, poll_s=0.01)
    with LiveCamera(buffer, started, 0.1, started + timedelta(seconds=0.8)):
        result = session.run(threading.Event())
    sent = [name for _share, _camera, name in uplink.uploads]
    live = [seg.name for seg in buffer.segments() if seg.start >= started]
    assert len(live) == 8 and set(live) <= set(sent)  # every live segment went
    assert sent.index(live[0]) < 10  # as it closed, not behind the two minutes of pre-roll
    assert result.not_sent > 0  # the pre-roll not sent by the end stays on the box
    backlog = [name for name in sent if name not in live]
    assert backlog[1:] == sorted(backlog[1:])  # after the first (the edge), oldest first


@pytest.mark.parametrize("drop", ["outage", "flaky"])
def test_catches_up_after_network_drops_with_nothing_lost_or_doubled(
        buffer: SegmentBuffer, drop: str, caplog: pytest.LogCaptureFixture) -> None:
    started = now()
    _with_history(buffer, started, 3)
    share = ShareInfo("share_2", ("cam_front",), started, started + timedelta(seconds=1.5),
                      preroll_seconds=3)
    uplink = FakeUplink()
    timers: list[threading.Timer] = []
    if drop == "outage":  # the network is gone for 0.5 s in the middle of the share
        timers = [threading.Timer(0.15, uplink.down.set), threading.Timer(0.65,
                                                                         uplink.down.clear)]
    else:  # every other attempt fails
        uplink.fail = lambda attempt: attempt % 2 == 0
    for timer in timers:
        timer.start()
    session = ShareSession(uplink, share, {"cam_front": buffer}, backoff=FAST, poll_s=0.02)
    try:
        with LiveCamera(buffer, started, 0.1, started + timedelta(seconds=1.0)):
            result = session.run(threading.Event())
    finally:
        for timer in timers:
            timer.cancel()
            timer.join()
    sent = [name for _share, _camera, name in uplink.uploads]
    expected = [s.name for s in buffer.segments_between(started - timedelta(seconds=3),
                                                        share.ends_at)]
    assert sorted(sent) == expected and len(sent) == 3 + 10
    assert len(set(sent)) == len(sent)
    assert uplink.upload_attempts > len(sent)  # some attempts failed and were retried
    assert result.outcome is Outcome.ENDED and result.not_sent == 0
    assert "could not send" in caplog.text


def test_queued_segments_are_pinned_until_sent_or_the_share_ends(
        tmp_path: Path) -> None:
    buffer = SegmentBuffer(tmp_path / "front", "front", 1.0)
    started = now()
    for back in (0.9, 0.6, 0.3):
        add_segment(buffer, started - timedelta(seconds=back), 0.3)
    uplink = FakeUplink()
    uplink.down.set()
    share = ShareInfo("share_3", ("cam_front",), started, started + timedelta(seconds=0.4),
                      preroll_seconds=1)
    session = ShareSession(uplink, share, {"cam_front": buffer}, backoff=FAST, poll_s=0.02)
    stop = threading.Event()
    thread = threading.Thread(target=lambda: results.append(session.run(stop)))
    results: list[object] = []
    thread.start()
    wait_for(lambda: uplink.upload_attempts >= 2, 2, "a failed upload")
    buffer.prune(now() + timedelta(minutes=5))  # long past the buffer's length
    assert len(buffer.segments()) == 3  # still waiting to be sent: kept
    thread.join()
    assert results[0].not_sent == 3  # type: ignore[attr-defined]
    buffer.prune(now() + timedelta(minutes=5))
    assert buffer.segments() == []  # the share is over: pruned as usual
    assert uplink.uploads == []


def _manager(tmp_path: Path, uplink: FakeUplink | None,
             cameras: list[dict[str, object]] | None = None,
             **bridge: object) -> tuple[ShareManager, Runner]:
    config = make_config(tmp_path, cameras or [
        {"id": "front", "source": "rtsp://127.0.0.1:9/a", "camera_id": "cam_front"},
        {"id": "yard", "source": "rtsp://127.0.0.1:9/b"}], **bridge)
    runner = Runner(config)  # not started: its buffers are used directly
    manager = ShareManager(uplink, config, runner.buffers, work_dir=tmp_path / "clips",
                           backoff=FAST, poll_s=0.02)
    return manager, runner


def test_revocation_stops_uploads_and_recording_goes_on(
        tmp_path: Path, samples: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    uplink = FakeUplink()
    uplink.revoke_after = 1
    uplink.share_length_s = 60
    manager, runner = _manager(tmp_path, uplink, [
        {"id": "front", "source": f"file://{samples['h264_short']}", "loop": True,
         "camera_id": "cam_front"}], segment_seconds=1)
    buffer = runner.buffers["front"]
    runner.start()
    try:
        wait_for(lambda: len(buffer.segments()) >= 1, 5, "a first segment")
        share = manager.start_share_now(["front"], 1)
        assert share is not None and uplink.started == [(["cam_front"], 1)]
        wait_for(lambda: manager.revoked, 6, "the revocation")
        asked = uplink.state_calls  # once, for the cameras' privacy masks before sending
        count = len(buffer.segments())
        wait_for(lambda: len(buffer.segments()) > count, 5, "recording after revocation")
        assert len(uplink.uploads) == 1
        # nothing more goes out: no polling, no new shares, no uploads
        assert manager.sync() is None and uplink.state_calls == asked <= 1
        assert manager.start_share_now(["front"], 5) is None and len(uplink.started) == 1
        assert manager.follow(share) is False
    finally:
        manager.close()
        runner.stop()
    assert manager.results[0].outcome is Outcome.REVOKED
    assert len(uplink.uploads) == 1
    assert "no longer accepts this bridge" in caplog.text
    assert "keep recording into the local buffer" in caplog.text
    buffer.prune(now() + timedelta(hours=1))
    assert buffer.segments() == []  # nothing left pinned


def test_share_ended_by_the_server_stops_only_that_share(buffer: SegmentBuffer) -> None:
    started = now()
    _with_history(buffer, started, 5)
    uplink = FakeUplink()
    uplink.end_share_after = 2
    share = ShareInfo("share_4", ("cam_front",), started, started + timedelta(seconds=5),
                      preroll_seconds=5)
    result = ShareSession(uplink, share, {"cam_front": buffer}, backoff=FAST,
                          poll_s=0.02).run(threading.Event())
    assert result.outcome is Outcome.SHARE_ENDED and result.uploaded == 2
    assert result.not_sent == 3


def test_sync_follows_shares_and_answers_requests(tmp_path: Path,
                                                  samples: dict[str, Path]) -> None:
    uplink = FakeUplink()
    manager, runner = _manager(tmp_path, uplink)
    buffer = runner.buffers["front"]
    t0 = now().replace(microsecond=0) - timedelta(seconds=20)
    fill(buffer, samples["h264"], t0)  # 8 s of video, 20 to 12 s ago
    at = t0.__add__
    live = ShareInfo("share_5", ("cam_front",), now(), now() + timedelta(seconds=0.3),
                     preroll_seconds=30)
    over = ShareInfo("share_old", ("cam_front",), at(timedelta(seconds=-90)),
                     at(timedelta(seconds=-60)), 0)
    uplink.state_answer = BridgeState(shares=(live, over), requests=(
        ClipRequest("t_ok", "cam_front", TimeWindow(at(timedelta(seconds=2)),
                                                    at(timedelta(seconds=5)))),
        ClipRequest("t_old", "cam_front", TimeWindow(at(timedelta(seconds=-600)),
                                                     at(timedelta(seconds=-590)))),
        ClipRequest("t_future", "cam_front", TimeWindow(now(), now() + timedelta(minutes=5))),
        ClipRequest("t_other", "cam_elsewhere", TimeWindow(at(timedelta(0)),
                                                           at(timedelta(seconds=1)))),
    ))
    try:
        manager.sync()
        wait_for(lambda: not manager.active_shares(), 3, "the live share to end")
        manager.sync()  # a second poll answers nothing twice
    finally:
        manager.close()
    assert [r.share_id for r in manager.results] == ["share_5"]  # the ended one not followed
    assert [name for _s, _c, name in uplink.uploads] == [s.name for s in buffer.segments()]
    assert [clip["target"] for clip in uplink.clips] == ["t_ok"]
    clip = uplink.clips[0]
    assert clip["window"] == TimeWindow(at(timedelta(seconds=2)), at(timedelta(seconds=5)))
    assert clip["duration"] == pytest.approx(3.0, abs=0.05) and clip["gaps"] == []
    assert not list((tmp_path / "clips").iterdir())  # the clip does not stay on the box
    reasons = dict(uplink.unavailable)
    assert set(reasons) == {"t_old"}  # t_other: another bridge of the owner may have it
    assert "keeps only the last 10 minutes" in reasons["t_old"]
    assert manager.answer(uplink.state_answer.requests[2]) is RequestAnswer.LATER
    assert manager.answer(uplink.state_answer.requests[3]) is RequestAnswer.NOT_MINE


def test_a_trigger_starts_a_share_through_the_uplink(tmp_path: Path) -> None:
    uplink = FakeUplink()
    uplink.share_length_s = 0.2
    manager, runner = _manager(tmp_path, uplink)
    _with_history(runner.buffers["front"], now(), 3)
    try:
        manager.trigger(None, None)  # as the LAN endpoint calls it
        wait_for(lambda: bool(manager.results), 3, "the share to run and end")
    finally:
        manager.close()
    # every paired camera (yard has no camera_id), the config's share length
    assert uplink.started == [(["cam_front"], 15)]
    assert len(uplink.uploads) == 3  # its 5 s pre-roll: what the buffer had


def test_network_down_at_trigger_time_is_said_plainly(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    uplink = FakeUplink()
    uplink.down.set()
    manager, _runner = _manager(tmp_path, uplink)
    assert manager.start_share_now(["front"], 5) is None
    assert "could not be reached" in caplog.text and "Press the trigger again" in caplog.text
    with pytest.raises(ConnectionError):
        manager.sync()  # run() waits and tries again


def test_without_an_uplink_a_trigger_only_logs(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    manager, _runner = _manager(tmp_path, None)
    assert manager.start_share_now(["front"], 5) is None
    assert "not paired with a Porchlight server yet: nothing was uploaded" in caplog.text
    assert manager.sync() is None


def test_refusals_are_logged_and_the_bridge_moves_on(
        tmp_path: Path, samples: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    uplink = FakeUplink()
    manager, runner = _manager(tmp_path, uplink)
    buffer = runner.buffers["front"]
    started = now()
    _with_history(buffer, started, 3)
    refused = buffer.segments()[1].name
    uplink.refuse = {refused, "t_ok", "share"}
    share = ShareInfo("share_6", ("cam_front",), started, started + timedelta(seconds=0.3),
                      preroll_seconds=3)
    result = ShareSession(uplink, share, {"cam_front": buffer}, backoff=FAST,
                          poll_s=0.02).run(threading.Event())
    assert result.outcome is Outcome.ENDED and result.uploaded == 2
    assert refused not in [name for _s, _c, name in uplink.uploads]  # skipped, not retried
    assert f"the server refused segment {refused} of camera cam_front" in caplog.text

    assert manager.start_share_now(["front"], 5) is None
    assert "the server refused: Front door is not set to share on alert" in caplog.text

    t0 = now().replace(microsecond=0) - timedelta(seconds=20)
    fill(buffer, samples["h264"], t0)
    request = ClipRequest("t_ok", "cam_front", TimeWindow(t0 + timedelta(seconds=2),
                                                          t0 + timedelta(seconds=4)))
    uplink.state_answer = BridgeState(requests=(request,))
    assert manager.answer(request) is RequestAnswer.REFUSED
    assert "Request t_ok: the server refused the answer (ends_at: after the asked window)" \
        in caplog.text
    manager.sync()
    assert uplink.clips == [] and uplink.unavailable == []  # not sent again


def test_a_camera_id_the_account_does_not_have_is_said_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    uplink = FakeUplink()
    uplink.state_answer = BridgeState(cameras=(CameraInfo("cam_other", "Till"),))
    manager, _runner = _manager(tmp_path, uplink)
    manager.sync()
    manager.sync()
    assert caplog.text.count("camera_id 'cam_front' in the config is not one of the cameras "
                             "of the account") == 1
    assert caplog.text.count("The account's cameras in Porchlight (camera_id, name): "
                             "cam_other Till.") == 1


def test_a_clip_cut_off_by_the_network_is_sent_again_though_no_longer_listed(
        tmp_path: Path, samples: dict[str, Path]) -> None:
    uplink = FakeUplink()
    manager, runner = _manager(tmp_path, uplink)
    t0 = now().replace(microsecond=0) - timedelta(seconds=20)
    fill(runner.buffers["front"], samples["h264"], t0)
    request = ClipRequest("t_cut", "cam_front", TimeWindow(t0 + timedelta(seconds=2),
                                                           t0 + timedelta(seconds=4)))
    uplink.state_answer = BridgeState(requests=(request,))
    uplink.fail_clip = True  # the network breaks while the clip is on its way
    assert manager.sync() is not None and uplink.clips == []
    # the server now counts the clip as on its way: it no longer lists the request
    uplink.state_answer = BridgeState()
    uplink.fail_clip = False
    manager.sync()
    assert [clip["target"] for clip in uplink.clips] == ["t_cut"]
    manager.sync()
    assert len(uplink.clips) == 1  # once sent, never again


SUBSTREAM_CAMERA = {"id": "front", "source": "rtsp://127.0.0.1:9/a",
                    "substream": "rtsp://127.0.0.1:9/b", "camera_id": "cam_front"}


def test_a_share_sends_the_substream_when_asked_and_switches_without_going_back(
        tmp_path: Path) -> None:
    """Viewers want the substream, then (mid-share) the main stream: each moment goes once,
    from one stream, in time order; both buffers' pins are released."""
    uplink = FakeUplink()
    manager, runner = _manager(tmp_path, uplink, [SUBSTREAM_CAMERA])
    main, sub = runner.buffers["front"], runner.buffers["front.sub"]
    started = now()
    ends = started + timedelta(seconds=1.5)
    share = ShareInfo("share_q", ("cam_front",), started, ends, preroll_seconds=1,
                      sub_camera_ids=("cam_front",))
    uplink.state_answer = BridgeState(shares=(share,))
    # the two streams' pieces start at other instants, as a camera's two encoders do
    with LiveCamera(main, started - timedelta(seconds=1), 0.25, ends), \
            LiveCamera(sub, started - timedelta(seconds=0.88), 0.25, ends):
        wait_for(lambda: len(sub.segments()) >= 3, 2, "the substream's pre-roll")
        manager.sync()
        wait_for(lambda: any(s.start > started for s in uplink.sent), 2, "live substream")
        time.sleep(0.3)
        uplink.state_answer = BridgeState(shares=(replace(share, sub_camera_ids=()),))
        manager.sync()  # the viewer enlarged the camera: the main stream from now on
    wait_for(lambda: bool(manager.results), 3, "the share to end")
    manager.close()
    assert manager.results[0].outcome is Outcome.ENDED and manager.results[0].not_sent == 0
    by_time = sorted(uplink.sent, key=lambda segment: segment.start)
    streams = [segment.camera for segment in by_time]
    switch = streams.index("front")
    assert switch >= 4 and streams == ["front.sub"] * switch + ["front"] * (len(streams) - switch)
    assert len(streams) - switch >= 2
    last_sub = by_time[switch - 1]
    # nothing lost: the substream's window up to the switch, the main stream's after it (up
    # to the last piece that closed before the share's end)
    assert [s.name for s in by_time[:switch]] == [
        s.name for s in sub.segments_between(started - timedelta(seconds=1), ends)
        if s.start <= last_sub.start]
    assert [s.name for s in by_time[switch:]] == [
        s.name for s in main.segments()
        if last_sub.end - timedelta(seconds=SWITCH_SLACK_S) < s.start and s.end < ends]
    # never both streams for one moment, never back in time
    assert by_time[switch].start >= last_sub.end - timedelta(seconds=SWITCH_SLACK_S)
    assert all(a.end <= b.start for a, b in zip(by_time, by_time[1:], strict=False))
    later = now() + timedelta(hours=1)
    main.prune(later)
    sub.prune(later)
    assert main.segments() == [] and sub.segments() == []  # nothing left pinned


def test_clips_come_from_the_main_stream(tmp_path: Path, samples: dict[str, Path]) -> None:
    uplink = FakeUplink()
    manager, runner = _manager(tmp_path, uplink, [SUBSTREAM_CAMERA])
    t0 = now().replace(microsecond=0) - timedelta(seconds=20)
    fill(runner.buffers["front"], samples["h264"], t0)
    for second in range(8):  # the substream holds the same window (stand-ins, not video)
        add_segment(runner.buffers["front.sub"], t0 + timedelta(seconds=second), 1.0)
    request = ClipRequest("t_main", "cam_front", TimeWindow(t0 + timedelta(seconds=2),
                                                            t0 + timedelta(seconds=5)))
    assert manager.answer(request) is RequestAnswer.SENT
    assert uplink.clips[0]["duration"] == pytest.approx(3.0, abs=0.05)


def _darkest_share(data: bytes, folder: Path, box: tuple[slice, slice]) -> tuple[float, float]:
    """The brightest pixel in `box` over every picture of `data`, and the mean elsewhere."""
    path = folder / f"{uuid.uuid4().hex}.mp4"
    path.write_bytes(data)
    brightest, elsewhere = 0.0, []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            picture = frame.to_ndarray(format="rgb24")
            brightest = max(brightest, float(picture[box].max()))
            elsewhere.append(float(picture[:, : picture.shape[1] // 4].mean()))
    return brightest, sum(elsewhere) / len(elsewhere)


def test_a_masked_camera_sends_only_masked_pieces_and_clips(tmp_path: Path,
                                                             samples: dict[str, Path]) -> None:
    uplink = FakeUplink()
    manager, runner = _manager(tmp_path, uplink)
    buffer = runner.buffers["front"]
    t0 = now().replace(microsecond=0) - timedelta(seconds=20)
    fill(buffer, samples["h264"], t0)
    drawn = [{"id": "m1", "points": [[0.5, 0.25], [1.0, 0.25], [1.0, 1.0], [0.5, 1.0]]}]
    masks = masking.from_json(drawn)
    share = ShareInfo("share_m", ("cam_front",), now(), now() + timedelta(seconds=0.3),
                      preroll_seconds=30)
    request = ClipRequest("t_m", "cam_front", TimeWindow(t0 + timedelta(seconds=2),
                                                         t0 + timedelta(seconds=5)))
    uplink.state_answer = BridgeState(shares=(share,), requests=(request,), cameras=(
        CameraInfo("cam_front", "Shop", masks=tuple(drawn)),))
    try:
        manager.sync()
        wait_for(lambda: not manager.active_shares(), 3, "the live share to end")
    finally:
        manager.close()
    assert uplink.sent_bytes and uplink.clips
    width, height = buffer.segments()[0].width, buffer.segments()[0].height
    inside = (slice(height // 4 + 6, height - 4), slice(width // 2 + 6, width - 4))
    for fingerprint, data in [*uplink.sent_bytes,
                              *((c["masks"], c["bytes"]) for c in uplink.clips)]:
        assert fingerprint == masks.fingerprint
        brightest, rest = _darkest_share(bytes(data), tmp_path, inside)
        assert brightest <= 24 and rest > 30
    originals = {s.path.read_bytes() for s in buffer.segments()}
    assert not originals & {data for _f, data in uplink.sent_bytes}  # the buffer keeps its own
    assert not list((tmp_path / "clips").rglob("*.mp4"))  # masked copies do not stay


def test_masks_the_bridge_cannot_read_stop_that_camera_being_sent(tmp_path: Path) -> None:
    uplink = FakeUplink()
    manager, _runner = _manager(tmp_path, uplink)
    uplink.state_answer = BridgeState(cameras=(
        CameraInfo("cam_front", "Shop", masks=({"id": "m1", "points": [[0, 0], [5, 0]]},)),))
    manager.sync()
    assert manager.masks_for("cam_front") is None
    uplink.state_answer = BridgeState(cameras=(CameraInfo("cam_front", "Shop"),))
    manager.sync()
    assert manager.masks_for("cam_front") == masking.Masks()
