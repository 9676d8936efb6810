"""The runner: cameras keep recording through drops, gaps are marked, status tells the owner."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from bridge.runner import Backoff, Runner
from tests.bridge.conftest import make_config
from tests.bridge.helpers import wait_for
from tests.bridge.media import MjpegCamera, make_h264


def test_runner_reconnects_after_the_camera_drops_and_marks_the_gap(
        tmp_path: Path, mjpeg_camera: MjpegCamera, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bridge")
    config = make_config(tmp_path, [{"id": "yard", "source": mjpeg_camera.url}],
                         segment_seconds=1)
    runner = Runner(config, backoff=Backoff(first_s=0.5, max_s=30))
    buffer = runner.buffers["yard"]
    runner.start()
    try:
        wait_for(lambda: len(buffer.segments()) >= 2, 8, "two segments")
        status = runner.status()["cameras"][0]
        assert status["state"] == "live" and status["mode"] == "encode"
        assert status["last_segment_at"] is not None

        mjpeg_camera.stop()  # the camera drops (a reboot, a Wi-Fi cut)
        dropped_at = time.monotonic()
        wait_for(lambda: runner.status()["cameras"][0]["state"] == "reconnecting", 5,
                 "the runner to notice")
        status = runner.status()["cameras"][0]
        assert "camera at http://127.0.0.1" in status["problem"]
        before = len(buffer.segments())
        time.sleep(1.6)  # a few failed attempts: 0.5 s, then 1 s, then 2 s
        assert len(buffer.segments()) == before

        mjpeg_camera.start()  # back on the same port
        wait_for(lambda: len(buffer.segments()) >= before + 2, 10, "video after the drop")
        assert time.monotonic() - dropped_at < 10
        assert runner.status()["cameras"][0]["state"] == "live"
    finally:
        runner.stop()

    gaps = buffer.gaps()
    assert len(gaps) == 1
    gap = gaps[0]
    segments = buffer.segments()
    before_gap = [s for s in segments if s.end <= gap.start]
    after_gap = [s for s in segments if s.start >= gap.end]
    assert before_gap and after_gap and len(before_gap) + len(after_gap) == len(segments)
    assert gap.start == before_gap[-1].end and gap.end == after_gap[0].start
    assert 1.5 <= (gap.end - gap.start).total_seconds() <= 8
    assert before_gap[-1].run != after_gap[0].run
    lines = [json.loads(line) for line in buffer.index_path.read_text().splitlines()]
    assert [line for line in lines if line["kind"] == "gap"][0]["start"] == lines[
        len(before_gap) - 1]["end"]
    # plain words in the log: what happened, and that it came back
    text = caplog.text
    assert "Camera yard: " in text and "Trying again in" in text
    assert "video is back after" in text
    assert mjpeg_camera.connections == 2


def test_runner_status_and_a_paced_looping_file(tmp_path: Path,
                                                samples: dict[str, Path]) -> None:
    config = make_config(tmp_path, [
        {"id": "demo", "source": f"file://{samples['h264_short']}", "loop": True,
         "camera_id": "cam_demo"},
        {"id": "gone", "source": "rtsp://127.0.0.1:9/stream"},
    ], segment_seconds=1, buffer_minutes=1)
    runner = Runner(config)
    runner.start()
    try:
        wait_for(lambda: len(runner.buffers["demo"].segments()) >= 3, 8, "three segments")
        status = runner.status()
    finally:
        started = time.monotonic()
        runner.stop()
        assert time.monotonic() - started < 3  # stops promptly
    demo, gone = status["cameras"]
    assert demo["state"] == "live" and demo["mode"] == "copy"
    assert demo["porchlight_camera_id"] == "cam_demo"
    assert demo["keyframe_interval_s"] == pytest.approx(1.0)
    assert demo["buffer"]["segments"] >= 3 and demo["buffer"]["seconds"] >= 3
    assert gone["state"] == "reconnecting"
    assert "nothing answers at the camera at rtsp://127.0.0.1:9/stream" in gone["problem"]
    assert status["buffer_minutes"] == 1 and status["segment_seconds"] == 1
    json.dumps(status)  # what GET /status serves
    segments = runner.buffers["demo"].segments()
    # real time: starts about a second apart, and after the 2 s file the timeline went on
    spacing = [(b.start - a.start).total_seconds() for a, b in zip(segments, segments[1:],
                                                                    strict=False)]
    assert all(0.8 <= s <= 1.2 for s in spacing), spacing
    assert [s.media_start_s for s in segments[:3]] == pytest.approx([0, 1, 2])


def test_reconnect_waits_are_capped_with_jitter(tmp_path: Path,
                                                mjpeg_camera: MjpegCamera) -> None:
    """A camera that is down is tried again at most every 5 s: a 20 s outage costs at most a
    few seconds more, not the 33 s gap that waits growing to 16 and 30 s made."""
    config = make_config(tmp_path, [{"id": "yard", "source": mjpeg_camera.url}])
    backoff = Runner(config).workers["yard"].backoff  # what a camera gets by default
    delay, waits = backoff.first_s, []
    for _ in range(40):
        waits.append(backoff.jittered(delay))
        delay = backoff.after(delay)
    assert waits[0] <= 1.0
    assert max(waits) <= 5.0 and max(waits) >= 4.0
    assert len({round(w, 3) for w in waits[10:]}) > 20  # jitter: cameras do not retry in step

    # a camera that refuses at once during a 20 s outage is back on the first try after it
    for outage in (5.0, 20.0, 60.0):
        clock, delay = 0.0, backoff.first_s
        while clock < outage:
            clock += backoff.jittered(delay)
            delay = backoff.after(delay)
        assert clock - outage <= 5.0, (outage, clock)


def test_a_camera_with_a_substream_records_both_into_buffers_of_their_own(
        tmp_path: Path, samples: dict[str, Path]) -> None:
    small = make_h264(tmp_path / "sub.mp4", width=160, height=120, seconds=2.0, gop=15)
    config = make_config(tmp_path, [
        {"id": "demo", "source": f"file://{samples['h264_short']}", "loop": True,
         "substream": f"file://{small}", "camera_id": "cam_demo"}], segment_seconds=1)
    runner = Runner(config)
    main, sub = runner.buffers["demo"], runner.buffers["demo.sub"]
    assert sub.folder == config.buffer_dir / "demo.sub" != main.folder
    runner.start()
    try:
        wait_for(lambda: bool(main.segments() and sub.segments()), 5, "a piece of each stream")
        wait_for(lambda: runner.health()[0].get("substream") == "live", 2, "the sub is live")
        status, health = runner.status(), runner.health()
    finally:
        runner.stop()
    assert {s.width for s in main.segments()} == {320}
    assert {s.width for s in sub.segments()} == {160}
    assert {s.camera for s in sub.segments()} == {"demo.sub"}
    demo, demo_sub = status["cameras"]
    assert demo["camera"] == "demo" and "substream_of" not in demo
    assert demo_sub["camera"] == "demo.sub" and demo_sub["substream_of"] == "demo"
    assert demo_sub["porchlight_camera_id"] == "cam_demo"
    assert demo_sub["state"] == "live" and demo_sub["buffer"]["segments"] >= 1
    # one health entry per Porchlight camera, its substream's state in it
    assert [(h["camera_id"], h["state"], h["substream"]) for h in health] == [
        ("cam_demo", "live", "live")]
