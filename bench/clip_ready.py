"""clip_ready_s for bench/clips.py: how long after a large upload completes the detective has
the clip, with the clip worker run as the tests run it (devstack: moto's S3, SQS and DynamoDB
on loopback in this process, and devstack's loop feeding the clips queue to the handler).

The request and the asked camera are written as the app writes them; the original is uploaded
to the uploads bucket by multipart upload, as a phone uploads it. From the moment that upload is
complete, what the app does on "upload complete" runs (the row moves to processing, the clips
queue gets the job), and the clock stops when the row says "ready" with its Evidence item (clip,
poster, contact sheet and manifest written), then again when the evidence package is named.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

POLL_S = 0.05
PACKAGE_WAIT_S = 900


def clip_ready(original: Path, window: tuple[float, float]) -> dict[str, Any]:
    from boto3.s3.transfer import TransferConfig

    from devstack import stack
    from devstack.worker_loop import WorkerLoop
    from lambdas.common import settings
    from lambdas.registry import QUEUES

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    local = stack.start(visibility_seconds=1)
    clips = next(q for q in QUEUES if q.base_name == "clips")
    loop = None
    try:
        config = settings()
        from app.core import requests as rules
        from app.models.requests import Evidence, FootageRequest, RequestTarget
        from app.models.users import Agency
        from app.services import clock

        now = clock.now()
        Agency(agency_id="bench-metro", name="Bench Police Department", city="Bench",
               max_window_minutes=120, timezone="America/Chicago", created_at=now).save()
        recorder_start = now - timedelta(hours=2)  # the recorder's clock is right (offset 0)
        request = FootageRequest(
            request_id=uuid.uuid4().hex, agency_id="bench-metro", detective_id="bench-det",
            detective_name="Det. Bench", case_number="BENCH-1", offense="robbery",
            window_start=recorder_start + timedelta(seconds=window[0]),
            window_end=recorder_start + timedelta(seconds=window[1]), lat=36.16, lon=-86.78,
            state="open", created_at=now, expires_at=now + timedelta(days=7))
        request.save()
        target = RequestTarget(
            target_id=uuid.uuid4().hex, request_id=request.request_id, agency_id="bench-metro",
            owner_id="bench-owner", camera_id="bench-camera", nickname="Bench door",
            visibility="exact", tier="request", status=rules.UPLOADING, created_at=now,
            updated_at=now, clock_offset_s=0, video_starts_at=recorder_start,
            upload_name=original.name, upload_bytes=original.stat().st_size)
        target.save()
        key = f"originals/{request.request_id}/{target.target_id}/original.mp4"
        loop = WorkerLoop(local.client("sqs"), local.queue_urls(), stack.REGION,
                          specs=(clips,), wait_seconds=1).start()

        s3 = local.client("s3")
        started = time.perf_counter()
        s3.upload_file(str(original), config.uploads_bucket, key, Config=TransferConfig(
            multipart_threshold=16 * 1024 * 1024, multipart_chunksize=16 * 1024 * 1024))
        complete = time.perf_counter()  # the phone's CompleteMultipartUpload has returned
        target.update(actions=[RequestTarget.status.set(rules.PROCESSING),
                               RequestTarget.upload_key.set(key)])
        local.client("sqs").send_message(
            QueueUrl=config.clips_queue_url,
            MessageBody=json.dumps({"target_id": target.target_id, "key": key}))
        while True:
            found = RequestTarget.get(target.target_id, consistent_read=True)
            if found.status in (rules.READY, rules.FAILED):
                break
            if time.perf_counter() - complete > PACKAGE_WAIT_S:
                raise RuntimeError("the clip was not ready within 15 minutes")
            time.sleep(POLL_S)
        ready = time.perf_counter()
        if found.status != rules.READY:
            raise RuntimeError(f"the clip failed: {found.reason}")
        evidence = Evidence.get(target.target_id)
        while not evidence.package_key:
            if time.perf_counter() - complete > PACKAGE_WAIT_S:
                raise RuntimeError("the package was not made within 15 minutes")
            time.sleep(POLL_S * 4)
            evidence = Evidence.get(target.target_id, consistent_read=True)
        packaged = time.perf_counter()
        manifest = json.loads(s3.get_object(Bucket=config.clips_bucket,
                                            Key=evidence.manifest_key)["Body"].read())
        return {
            "original_bytes": original.stat().st_size,
            "upload_s": round(complete - started, 2),
            "clip_ready_s": round(ready - complete, 2),
            "package_ready_s": round(packaged - complete, 2),
            "window_s": window[1] - window[0],
            "method": evidence.method,
            "clip_seconds": float(evidence.clip_seconds),
            "read": manifest["original"]["read"],
        }
    finally:
        if loop is not None:
            loop.stop()
        local.stop()

