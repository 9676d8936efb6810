"""Footage: a detective's request, the owner's upload in parts, the clip worker's output, and
the legal hold on evidence files."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from app.core import footage, gaps
from app.models.audit import AuditEvent
from app.models.footage import Evidence, Gap, RequestTarget
from app.services import clock
from app.services.footage.canvass import stamp
from devstack.worker_loop import LambdaContext, sqs_event
from tests.builders.cameras import SCENE, camera_body
from tests.support import Client

OFFSET_S = 37 * 60  # the recorder runs 37 minutes fast


def window(minutes_ago: int = 30, seconds: int = 20) -> tuple[datetime, datetime]:
    start = (clock.now() - timedelta(minutes=minutes_ago)).replace(microsecond=0)
    return start, start + timedelta(seconds=seconds)


def ask(detective: Client, camera_ids: list[str], start: datetime, end: datetime,
        **changes: Any) -> requests.Response:
    body = {"camera_ids": camera_ids, "case_number": "24-118223", "offense": "robbery",
            "window_start": start.isoformat(), "window_end": end.isoformat(),
            "lat": SCENE[0], "lon": SCENE[1], "message": "Two people ran north on 7th."}
    body.update(changes)
    return detective.send_json("POST", "/api/requests", body)


def upload(owner: Client, target_id: str, path: Path, starts_at: datetime,
           offset_s: float = OFFSET_S) -> requests.Response:
    data = path.read_bytes()
    started = owner.send_json("POST", f"/api/targets/{target_id}/upload", {
        "filename": path.name, "size": len(data), "clock_offset_s": offset_s,
        "video_starts_at": starts_at.isoformat()})
    assert started.status_code == 201, started.text
    state = started.json()
    numbers = list(range(1, state["part_count"] + 1))
    urls = owner.send_json("POST", f"/api/targets/{target_id}/upload/parts",
                           {"parts": numbers}).json()["urls"]
    size = state["part_bytes"]
    for n in numbers:
        put = requests.put(urls[str(n)], data=data[(n - 1) * size:n * size], timeout=30)
        assert put.status_code == 200, put.text
    return owner.send_json("POST", f"/api/targets/{target_id}/upload/complete", {})


def wait_status(owner: Client, target_id: str, wanted: tuple[str, ...],
                timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        data: dict[str, Any] = owner.get(f"/api/targets/{target_id}").json()
        if data["status"] in wanted or time.monotonic() > deadline:
            return data
        time.sleep(0.2)


# ---------------------------------------------------------------- the clip worker


def staged_upload(signed_in: Any, devstack: Any, source: Path, *, seconds: int = 8,
                  file_starts_s: float = -2.0, include_audio: bool = False,
                  source_gaps: tuple[tuple[float, float], ...] = ()
                  ) -> tuple[RequestTarget, str]:
    """A request for `seconds` whose owner's upload sits in S3, waiting for the clip worker
    (no queue). The file's first frame is `file_starts_s` after the asked start (real time);
    `source_gaps` are stretches (seconds from the asked start) a bridge reported offline."""
    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    cam = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    start, end = window(seconds=seconds)
    target_id = ask(detective, [cam], start, end).json()["targets"][0]["id"]
    target = RequestTarget.get(target_id)
    key = f"originals/{target.request_id}/{target_id}/original{source.suffix}"
    devstack.client("s3").put_object(Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"], Key=key,
                                     Body=source.read_bytes())
    stamp(target,
        RequestTarget.status.set(footage.PROCESSING), RequestTarget.upload_key.set(key),
        RequestTarget.upload_name.set(source.name),
        RequestTarget.clock_offset_s.set(OFFSET_S),
        RequestTarget.include_audio.set(include_audio),
        RequestTarget.source_gaps.set([
            Gap(start=start + timedelta(seconds=a), end=start + timedelta(seconds=b),
                kind=gaps.CAMERA_OFFLINE) for a, b in source_gaps]),
        RequestTarget.video_starts_at.set(start + timedelta(seconds=file_starts_s)
                                          + timedelta(seconds=OFFSET_S)))
    return RequestTarget.get(target_id), json.dumps({"target_id": target_id, "key": key})


def wait_package(target_id: str, timeout: float = 60) -> Evidence:
    """The Evidence item once its package is made (the clip worker's second step, which the
    devstack loop runs from the clips queue after the clip)."""
    deadline = time.monotonic() + timeout
    while True:
        evidence = Evidence.get(target_id, consistent_read=True)
        if evidence.package_key:
            return evidence
        assert time.monotonic() < deadline, "the evidence package was never made"
        time.sleep(0.2)


def deliver(body: str, receives: int = 1) -> dict[str, Any]:
    from lambdas.clip_cutter.handler import handler

    event = sqs_event([{"MessageId": uuid.uuid4().hex, "ReceiptHandle": "r", "Body": body,
                        "Attributes": {"ApproximateReceiveCount": str(receives)}}],
                      "arn:aws:sqs:us-east-1:123456789012:clips", "us-east-1")
    result: dict[str, Any] = handler(event, LambdaContext("devstack-clips", timeout_seconds=60))
    return result


def ready_events(target: RequestTarget) -> int:
    return sum(1 for e in AuditEvent.subject_index.query(target.owner_id)
               if e.action == "clip.ready" and target.target_id in e.details)


# ---------------------------------------------------------------- legal holds (S3)


def put_hold(supervisor: Client, target_id: str, on: bool, reason: str = "") -> Any:
    return supervisor.send_json("PUT", f"/api/evidence/{target_id}/hold",
                                {"hold": on, "reason": reason})


def versions(s3: Any, bucket: str, key: str) -> tuple[list[str], list[str]]:
    """(version ids, delete marker ids) of exactly this key."""
    page = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return ([v["VersionId"] for v in page.get("Versions", []) if v["Key"] == key],
            [m["VersionId"] for m in page.get("DeleteMarkers", []) if m["Key"] == key])


def hold_status(s3: Any, bucket: str, key: str, version: str | None = None) -> str:
    kwargs = {"VersionId": version} if version else {}
    answer = s3.get_object_legal_hold(Bucket=bucket, Key=key, **kwargs)
    return str(answer.get("LegalHold", {}).get("Status", "OFF"))


def case_with_clips(signed_in: Any, devstack: Any, clips: list[dict[str, Any]],
                    start: datetime, seconds: int) -> tuple[str, Any, list[RequestTarget]]:
    """One request for several cameras along a street, each answered with its own recording
    and recorder clock, cut by the clip worker (run here, as Lambda would). Each of `clips`
    gives `video` (a path), `first` (the real time of its first picture), `offset_s` (its
    recorder's clock minus real time) and may give camera_body changes (`camera`). Returns
    the request id, the detective's account and the targets (in `clips`' order)."""
    owner, _ = signed_in("owner")
    detective, account = signed_in("detective")
    cams = [owner.send_json("POST", "/api/cameras", camera_body(**spec.get("camera", {}))
                            ).json()["camera"]["id"] for spec in clips]
    asked = ask(detective, cams, start, start + timedelta(seconds=seconds)).json()
    by_camera = {RequestTarget.get(t["id"]).camera_id: t["id"] for t in asked["targets"]}
    targets = []
    for cam, spec in zip(cams, clips, strict=True):
        target = RequestTarget.get(by_camera[cam])
        source = Path(spec["video"])
        key = f"originals/{target.request_id}/{target.target_id}/original{source.suffix}"
        devstack.client("s3").put_object(Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"],
                                         Key=key, Body=source.read_bytes())
        stamp(target, RequestTarget.status.set(footage.PROCESSING),
              RequestTarget.upload_key.set(key), RequestTarget.upload_name.set(source.name),
              RequestTarget.clock_offset_s.set(spec["offset_s"]),
              RequestTarget.video_starts_at.set(spec["first"]
                                                + timedelta(seconds=spec["offset_s"])))
        result = deliver(json.dumps({"target_id": target.target_id, "key": key}))
        assert result == {"batchItemFailures": []}, result
        targets.append(RequestTarget.get(target.target_id))
    return asked["id"], account, targets
