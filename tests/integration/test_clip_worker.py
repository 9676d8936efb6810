"""The clip worker's promises: a message delivered twice makes one clip; a worker killed
mid-job leaves an "in progress" record that expires with the Lambda's timeout, after which the
redelivered message finishes the job. Real video, real DynamoDB records, a real SIGKILL."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest

from app.core import footage, gaps
from app.models.footage import Evidence, FootageRequest, RequestTarget
from app.services import clock
from app.services.governance.policy import policy_for
from tests.builders.footage import deliver, ready_events, staged_upload, wait_package
from tests.video.samples import make_h264, make_mjpeg_avi

pytestmark = pytest.mark.slow  # about 22 s in all: left out of `make check`

RUN_ONE = """
import json, sys
from devstack.worker_loop import LambdaContext, sqs_event
from lambdas.clip_cutter.handler import handler
event = sqs_event([{"MessageId": "m1", "ReceiptHandle": "r1", "Body": sys.argv[1],
                    "Attributes": {"ApproximateReceiveCount": "1"}}],
                  "arn:aws:sqs:us-east-1:123456789012:clips", "us-east-1")
print(json.dumps(handler(event, LambdaContext("devstack-clips", timeout_seconds=4))))
"""


def refused(body: str, receives: int = 1) -> None:
    """The record failed: reported back to SQS, which retries it and then parks it in the DLQ
    (not raised, so a duplicate meeting an "in progress" record is no Lambda error)."""
    assert len(deliver(body, receives)["batchItemFailures"]) == 1


def test_the_same_message_twice_makes_one_clip(signed_in: Any, devstack: Any,
                                               tmp_path: Path) -> None:
    source = make_h264(tmp_path / "twice.mp4", width=160, height=120, seconds=12, gop=30)
    target, body = staged_upload(signed_in, devstack, source)
    assert deliver(body) == {"batchItemFailures": []}
    first = Evidence.get(target.target_id)
    assert RequestTarget.get(target.target_id).status == footage.READY
    assert deliver(body) == {"batchItemFailures": []}  # SQS delivers at least once
    again = Evidence.get(target.target_id)
    assert again.made_at == first.made_at and again.clip_sha256 == first.clip_sha256
    assert ready_events(target) == 1
    assert int(RequestTarget.get(target.target_id).attempts) == 1


def test_a_worker_killed_mid_job_is_finished_by_the_next_delivery(
        signed_in: Any, devstack: Any, tmp_path: Path) -> None:
    # MJPEG is re-encoded frame by frame: long enough to be killed in the middle.
    source = make_mjpeg_avi(tmp_path / "long.avi", width=640, height=480, seconds=20)
    target, body = staged_upload(signed_in, devstack, source)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    worker = subprocess.Popen([sys.executable, "-c", RUN_ONE, body], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while RequestTarget.get(target.target_id).attempts == 0:  # the job has begun
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.05)
        time.sleep(0.3)  # into the cut
        assert worker.poll() is None, "the job finished before it could be killed"
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(timeout=10)
        for stream in (worker.stdout, worker.stderr):
            if stream:
                stream.close()
    assert RequestTarget.get(target.target_id).status == footage.PROCESSING

    # At once, the record still says "in progress": this delivery fails and SQS keeps it.
    refused(body)
    # After the killed Lambda's timeout (4 s here), the next delivery does the whole job.
    time.sleep(4.5)
    assert deliver(body) == {"batchItemFailures": []}
    finished = RequestTarget.get(target.target_id)
    assert finished.status == footage.READY and int(finished.attempts) == 2
    evidence = Evidence.get(target.target_id)
    assert evidence.method == "reencode"
    assert ready_events(target) == 1
    assert clock.now() - evidence.made_at < timedelta(minutes=1)


def test_a_message_nobody_can_read_goes_to_the_dead_letter_queue() -> None:
    refused("not json")


@pytest.mark.parametrize("receives", [3])
def test_the_last_failed_attempt_tells_the_owner(signed_in: Any, devstack: Any, tmp_path: Path,
                                                 receives: int) -> None:
    source = make_h264(tmp_path / "gone.mp4", width=160, height=120, seconds=4, gop=30)
    target, body = staged_upload(signed_in, devstack, source)
    # The original vanished from S3 (a broken deploy, a bucket policy): a fault no retry cures.
    devstack.client("s3").delete_object(Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"],
                                        Key=target.upload_key)
    refused(body, receives=1)
    assert RequestTarget.get(target.target_id).status == footage.PROCESSING  # retried first
    refused(body, receives=receives)  # then the dead-letter queue
    failed = RequestTarget.get(target.target_id)
    assert failed.status == footage.FAILED and "could not process" in failed.reason


def test_the_buckets_own_event_and_the_apps_message_make_one_clip(
        signed_in: Any, devstack: Any, tmp_path: Path) -> None:
    """On AWS the uploads bucket also tells the clips queue; S3's record and the app's message
    name the same upload, so the second is a no-op. S3's test event names no upload."""
    source = make_h264(tmp_path / "event.mp4", width=160, height=120, seconds=12, gop=30)
    target, body = staged_upload(signed_in, devstack, source)
    key = json.loads(body)["key"]
    s3_event = json.dumps({"Records": [{
        "eventSource": "aws:s3", "eventName": "ObjectCreated:CompleteMultipartUpload",
        "s3": {"bucket": {"name": devstack.env["PORCHLIGHT_UPLOADS_BUCKET"]},
               "object": {"key": key, "size": source.stat().st_size}}}]})
    assert deliver(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == {
        "batchItemFailures": []}
    assert deliver(s3_event) == {"batchItemFailures": []}
    assert RequestTarget.get(target.target_id).status == footage.READY
    assert deliver(body) == {"batchItemFailures": []}
    assert ready_events(target) == 1
    refused(json.dumps({"Records": [{"s3": {"object": {"key": "camera-photos/x/y"}}}]}))


def manifest_of(devstack: Any, evidence: Evidence) -> dict[str, Any]:
    got = devstack.client("s3").get_object(Bucket=devstack.env["PORCHLIGHT_CLIPS_BUCKET"],
                                           Key=evidence.manifest_key)
    manifest: dict[str, Any] = json.loads(got["Body"].read())
    return manifest


def clip_of(devstack: Any, evidence: Evidence, folder: Path) -> Path:
    path = folder / "delivered.mp4"
    devstack.client("s3").download_file(devstack.env["PORCHLIGHT_CLIPS_BUCKET"],
                                        evidence.clip_key, str(path))
    return path


def test_every_part_of_the_window_without_video_is_said(signed_in: Any, devstack: Any,
                                                       tmp_path: Path) -> None:
    """30 s asked; the file starts 8 s in and runs 15 s; the owner's bridge saw the camera
    offline from 10 s to 12 s and from 28 s on: four gaps, in the manifest, on the item and on
    the board, and the clip is the 15 s there are (not "truncated: false")."""
    source = make_h264(tmp_path / "late.mp4", width=160, height=120, seconds=15, gop=30)
    target, body = staged_upload(signed_in, devstack, source, seconds=30, file_starts_s=8.0,
                                 source_gaps=((10.0, 12.0), (28.0, 45.0)))
    assert deliver(body) == {"batchItemFailures": []}
    evidence = Evidence.get(target.target_id)
    asked = FootageRequest.get(target.request_id)
    start = asked.window_start
    expected = [(gaps.BEFORE_FILE, 0.0, 8.0), (gaps.CAMERA_OFFLINE, 10.0, 12.0),
                (gaps.AFTER_FILE, 23.0, 30.0), (gaps.CAMERA_OFFLINE, 28.0, 30.0)]
    found = [(g.kind, (g.start - start).total_seconds(), (g.end - start).total_seconds())
             for g in evidence.gaps]
    assert found == expected
    assert evidence.truncated is True
    assert float(evidence.clip_seconds) == pytest.approx(15.0, abs=1e-6)

    manifest = manifest_of(devstack, evidence)
    assert manifest["clip"]["truncated"] is True
    assert manifest["clip"]["gaps"] == [
        gaps.as_dict(start + timedelta(seconds=a), start + timedelta(seconds=b), kind)
        for kind, a, b in expected]
    assert manifest["clip"]["gaps"][0]["seconds"] == 8.0
    assert manifest["clip"]["duration_s"] == pytest.approx(15.0, abs=1e-6)

    supervisor, _ = signed_in("supervisor")
    row = supervisor.get(f"/api/requests/{target.request_id}").json()["targets"][0]
    clip = row["clip"]
    assert clip["seconds"] == pytest.approx(15.0, abs=1e-6) and clip["truncated"] is True
    zone = policy_for(target.agency_id).timezone
    assert [g["kind"] for g in clip["gaps"]] == [kind for kind, _, _ in expected]
    first = clip["gaps"][0]
    assert datetime.fromisoformat(first["start"]) == start
    assert first["words"] == gaps.words(start, start + timedelta(seconds=8),
                                        gaps.BEFORE_FILE, zone)
    assert "starts later than the asked time" in first["words"]
    assert "(Chicago time, 8 s)" in first["words"]
    assert "camera offline" in clip["gaps"][1]["words"]


@pytest.mark.parametrize("include", [False, True])
def test_sound_reaches_police_only_when_the_owner_chose_to_send_it(
        signed_in: Any, devstack: Any, tmp_path: Path, include: bool) -> None:
    source = make_h264(tmp_path / "talk.mp4", width=160, height=120, seconds=12, gop=30,
                       audio=True)
    target, body = staged_upload(signed_in, devstack, source, include_audio=include)
    assert deliver(body) == {"batchItemFailures": []}
    evidence = Evidence.get(target.target_id)
    manifest = manifest_of(devstack, evidence)
    assert manifest["original"]["audio"] == {"codec": "aac", "channels": 2,
                                             "sample_rate": 48000}
    with av.open(str(clip_of(devstack, evidence, tmp_path))) as delivered:
        sound = len(delivered.streams.audio)
    if include:
        assert manifest["clip"]["audio"]["codec"] == "aac" and sound == 1
    else:
        assert manifest["clip"]["audio"] == "left out: the owner did not choose to send sound"
        assert sound == 0


@pytest.mark.parametrize(("name", "read"), [("mp4", "by byte ranges"),
                                            ("avi", "downloaded whole")])
def test_the_original_is_read_by_its_index_where_it_has_one_and_hashed_whole(
        signed_in: Any, devstack: Any, tmp_path: Path, name: str, read: str) -> None:
    source = (make_h264(tmp_path / "export.mp4", width=160, height=120, seconds=12, gop=30)
              if name == "mp4" else make_mjpeg_avi(tmp_path / "export.avi", seconds=12))
    target, body = staged_upload(signed_in, devstack, source)
    assert deliver(body) == {"batchItemFailures": []}
    evidence = Evidence.get(target.target_id)
    manifest = manifest_of(devstack, evidence)
    assert manifest["original"]["read"].startswith(read)
    assert manifest["original"]["sha256"] == evidence.original_sha256 == hashlib.sha256(
        source.read_bytes()).hexdigest()
    packaged = wait_package(target.target_id)
    assert packaged.package_key == f"evidence/{target.request_id}/{target.target_id}/" \
        "evidence-package.zip"
