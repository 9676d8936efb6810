"""A camera that goes dark for 30 s inside an asked window: the evidence says so.

A real RTSP camera (GStreamer's server, tests/bridge/rtsp.py) recorded by a paired bridge; the
camera is switched off for 30 s and on again; a detective asks for a window around the outage,
the owner approves, the bridge answers from its buffer, and the devstack's clip worker makes the
evidence. The outage is on the request (source_gaps, real UTC times), in the manifest and on the
detective's board, and the clip shows "NO VIDEO" for it, never the last picture standing still.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest

from app.aws import aws_client
from app.models.footage import RequestTarget
from app.services.footage.canvass import evidence_of
from bridge import config as bridge_config
from bridge.__main__ import main
from bridge.http_uplink import HttpUplink, load_credential
from bridge.runner import Backoff, Runner
from bridge.share import RequestAnswer, ShareManager
from tests.bridge.conftest import KEY
from tests.bridge.helpers import wait_for
from tests.bridge.rtsp import RtspCamera, require_gstreamer
from tests.builders.bridges import shown_code
from tests.builders.cameras import camera_body
from tests.builders.footage import ask

OUTAGE_S = 30.0
FAST = Backoff(first_s=0.2, max_s=1.0)
TOLERANCE_S = 1.5  # the gap's ends against when the camera went off and came back


def _kinds(value: Any) -> Iterator[dict[str, Any]]:
    """Every object with a `kind` anywhere in a JSON document."""
    if isinstance(value, dict):
        if "kind" in value:
            yield value
        for item in value.values():
            yield from _kinds(item)
    elif isinstance(value, list):
        for item in value:
            yield from _kinds(item)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_30_s_camera_outage_is_a_gap_in_the_evidence(
        signed_in: Any, base_url: str, settings: Any, tmp_path: Path) -> None:
    require_gstreamer()
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    made = owner.send_json("POST", "/api/cameras", camera_body(nickname="Side gate"))
    camera_id = made.json()["camera"]["id"]
    camera = RtspCamera("h264", "tcp").start()
    path = tmp_path / "bridge.toml"
    path.write_text("\n".join([
        "[bridge]", 'name = "Back office"', f'state_dir = "{tmp_path / "state"}"',
        f'trigger_key = "{KEY}"', "segment_seconds = 1", "buffer_minutes = 5",
        "[[camera]]", 'id = "gate"', f'source = "{camera.url}"', f'camera_id = "{camera_id}"',
        "[server]", f'url = "{base_url}/"']) + "\n")
    assert main(["pair", shown_code(owner), "-c", str(path)]) == 0
    config = bridge_config.load(path)
    credential = load_credential(config.state_dir)
    assert credential is not None
    runner = Runner(config, backoff=FAST).start()
    buffer = runner.buffers["gate"]
    manager = ShareManager(HttpUplink(base_url, credential, timeout_s=5, camera_ids=[camera_id]),
                           config, runner.buffers, work_dir=tmp_path / "clips", poll_s=0.1)
    try:
        wait_for(lambda: len(buffer.segments()) >= 4, 20, "four seconds of video")
        camera.stop()  # the camera loses power
        off = datetime.now().astimezone()
        time.sleep(OUTAGE_S)
        camera = RtspCamera("h264", "tcp", port=camera.port).start()
        on = datetime.now().astimezone()
        wait_for(lambda: buffer.segments()[-1].start > on + timedelta(seconds=3), 30,
                 "three seconds of video after the outage")
        window_start = (off - timedelta(seconds=3)).replace(microsecond=0)
        window_end = (on + timedelta(seconds=3)).replace(microsecond=0) + timedelta(seconds=1)
        asked = ask(detective, [camera_id], window_start, window_end)
        assert asked.status_code == 201, asked.text
        target_id = asked.json()["targets"][0]["id"]
        approved = owner.send_json("POST", f"/api/targets/{target_id}/answer",
                                   {"action": "approve"})
        assert approved.status_code == 200, approved.text
        state = manager.sync()
        assert state is not None and [r.target_id for r in state.requests] == [target_id]
        assert manager.answer(state.requests[0]) in (RequestAnswer.SENT, RequestAnswer.LATER)
    finally:
        manager.close()
        runner.stop()
        camera.stop()

    # on the request: the outage in real time, inside the asked window
    target = RequestTarget.get(target_id, consistent_read=True)
    request_id = target.request_id
    assert [g.kind for g in target.source_gaps] == ["camera_offline"]
    gap = target.source_gaps[0]
    assert abs((gap.start - off).total_seconds()) < TOLERANCE_S, (gap.start, off)
    assert abs((gap.end - on).total_seconds()) < TOLERANCE_S + 1.0, (gap.end, on)
    assert window_start < gap.start < gap.end < window_end

    deadline = time.monotonic() + 150  # the clip worker, on a box busy with other tests
    while time.monotonic() < deadline and target.status not in ("ready", "failed"):
        time.sleep(0.5)
        target.refresh(consistent_read=True)
    assert target.status == "ready", target.reason
    evidence = evidence_of(target_id)
    assert evidence is not None

    # in the manifest ...
    s3 = aws_client(settings, "s3")
    manifest = json.loads(s3.get_object(Bucket=settings.clips_bucket,
                                        Key=evidence.manifest_key)["Body"].read())
    offline = [g for g in _kinds(manifest) if g["kind"] == "camera_offline"]
    assert offline, manifest
    assert abs((_parse(offline[0]["start"]) - gap.start).total_seconds()) < 0.01
    assert abs((_parse(offline[0]["end"]) - gap.end).total_seconds()) < 0.01
    # ... and on the detective's board
    board = detective.get(f"/api/requests/{request_id}").json()
    row = next(t for t in board["targets"] if t["id"] == target_id)
    assert any(g["kind"] == "camera_offline" for g in _kinds(row)), row

    # the clip shows no video there, not the last picture standing still
    clip = tmp_path / "clip.mp4"
    s3.download_file(settings.clips_bucket, evidence.clip_key, str(clip))
    real_start = _parse(manifest["clip"]["real_start"])
    middle = (gap.start + (gap.end - gap.start) / 2 - real_start).total_seconds()
    with av.open(str(clip)) as container:
        shown = None
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time > middle:
                break
            shown = frame
    assert shown is not None
    picture = shown.to_ndarray(format="gray")
    assert picture.mean() < 60 and picture.max() > 200, "the outage should read NO VIDEO"
    assert (gap.end - gap.start).total_seconds() == pytest.approx(OUTAGE_S, abs=3.0)
