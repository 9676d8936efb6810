"""Cuts the asked window out of an owner's upload and packs the evidence.

Triggered by the clips queue when an upload completes: the app sends {"target_id", "key"}, and
on AWS the uploads bucket's ObjectCreated event for originals/ arrives too (whichever comes
second is a no-op, see below). One message per batch: a 2 GB original takes minutes.
For each upload it:

1. downloads the original to /tmp (streamed; Lambda's ephemeral storage is sized for 2 GB plus
   the clip and the package), probes it and takes its SHA-256;
2. turns the asked real-time window into seconds of the file, using the recorder time of the
   file's first frame and the recorder's clock offset the owner gave;
3. cuts the clip (video.cut: stream copy from the keyframe at or before the start when the
   source is H.264, otherwise re-encode to H.264), makes a poster frame and a contact sheet;
4. writes a manifest (request, case, camera, window, offset, codecs, both SHA-256s, tool
   versions, times) and the evidence package (zip: original, clip, manifest, SHA256SUMS, the
   request's audit excerpt), uploads them under evidence/<request>/<target>/, records the
   Evidence item with its deletion date, and marks the camera's row "ready".

A file that is not video, is corrupt, or does not cover the window is an answer, not an error:
the row becomes "failed" with a plain reason for the owner, the original stays where it is, and
the message is done (retrying cannot fix a file). Anything else raises: SQS retries, and after
the last attempt the row says "failed" and the message parks in the dead-letter queue.

Idempotent through Powertools' idempotency utility (records in the `idempotency` table, keyed by
target and upload key): a second delivery of a finished job returns the first result; a job
whose worker was killed holds an "in progress" record only until the Lambda's timeout, then the
redelivered message runs it again from the start (outputs are written under fixed keys). A worker
killed after the row moved to "ready" or "failed" but before the audit event went in leaves a job
whose redelivery finds the row already moved: it appends the missing event then (record_once,
keyed by target and upload, so never twice).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
import zipfile
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pynamodb.exceptions import DoesNotExist

from app.aws import aws_client
from app.config import Settings
from app.core import filenames
from app.core import requests as rules
from app.core.errors import ValidationError
from app.models.requests import Evidence, FootageRequest, RequestTarget
from app.services import activity, audit, clock, legal_holds
from app.services import requests as footage
from lambdas.clip_cutter import video
from lambdas.common import correlated, make_logger, settings
from lambdas.registry import QUEUES

logger = make_logger("clip-cutter")
# A whole batch failing is reported item by item, not raised: the second of the two messages
# one upload makes (the app's and S3's) often meets the first one "in progress", and a raise
# would count as a Lambda error and sound the Errors alarm for nothing. Real failures still
# retry and end in the dead-letter queue, whose alarm is the one that matters.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[target_id, key]",
                                expires_after_seconds=7 * 24 * 3600)
MAX_ATTEMPTS = next(q.max_receive_count for q in QUEUES if q.base_name == "clips")
# Reading and cutting the video may use most of the Lambda's time; the rest is for moving the
# files. Past it the owner is told why (video.TOO_SLOW) instead of the worker being killed.
VIDEO_SECONDS = 0.7 * next(q.timeout_seconds for q in QUEUES if q.base_name == "clips")
EVIDENCE_PREFIX = "evidence/"
GIVE_UP = ("We could not process this video. Try uploading it again; if that fails too, "
           "export it again from the recorder.")


class BadClipMessage(ValueError):
    """The queued message cannot be read; it ends in the dead-letter queue."""


def _jobs(body: str) -> list[dict[str, str]]:
    """The uploads a message names: the app's own {"target_id", "key"}, or S3's event records
    (ObjectCreated under originals/<request>/<target>/). S3's test event names none."""
    try:
        data = json.loads(body)
        if "Records" not in data:
            if data.get("Event") == "s3:TestEvent":
                return []
            return [{"target_id": str(data["target_id"]), "key": str(data["key"])}]
        jobs = []
        for record in data["Records"]:
            key = unquote_plus(str(record["s3"]["object"]["key"]))
            parts = key.split("/")
            if len(parts) != 4 or parts[0] != "originals" or not parts[3].startswith("original."):
                raise BadClipMessage(f"not an owner's upload: {key}")
            jobs.append({"target_id": parts[2], "key": key})
        return jobs
    except (ValueError, KeyError, TypeError) as exc:
        raise BadClipMessage(f"unreadable clip job: {exc}") from exc


def _once(target: RequestTarget, action: str) -> str:
    """One event of this kind per upload (a re-upload gets a new multipart upload id)."""
    return f"{action}#{target.target_id}#{target.upload_id or target.upload_key}"


def _announce_failed(target: RequestTarget) -> None:
    audit.record_once(_once(target, "clip.failed"), target.agency_id, audit.SYSTEM,
                      "clip.failed", target.owner_id,
                      {"request_id": target.request_id, "target_id": target.target_id,
                       "reason": target.reason or ""})


def _announce_ready(target: RequestTarget, evidence: Evidence) -> None:
    audit.record_once(_once(target, "clip.ready"), target.agency_id, audit.SYSTEM,
                      "clip.ready", target.owner_id, {
                          "request_id": evidence.request_id, "target_id": target.target_id,
                          "clip_sha256": evidence.clip_sha256,
                          "original_sha256": evidence.original_sha256,
                          "method": evidence.method,
                          "delete_after": evidence.delete_after.isoformat()})


def _announce(target: RequestTarget) -> None:
    """The row moved but its worker died before the audit event: append it now (once)."""
    if target.status == rules.FAILED:
        _announce_failed(target)
        return
    try:
        evidence = Evidence.get(target.target_id, consistent_read=True)
    except DoesNotExist:
        return
    _announce_ready(target, evidence)
    footage.close_if_done(FootageRequest.get(target.request_id))


def fail(target: RequestTarget, reason: str) -> dict[str, Any]:
    """The owner reads the reason on their request page; the original stays untouched."""
    footage.move(target, rules.FAILED, reason=reason)
    _announce_failed(target)
    logger.info("upload unusable", extra={"target": target.target_id, "reason": reason})
    return {"target_id": target.target_id, "status": rules.FAILED, "reason": reason}


def audit_excerpt(request: FootageRequest, target: RequestTarget) -> list[dict[str, Any]]:
    """The request's trail as it concerns this camera (made, approved, answered, uploaded, cut),
    as police may read it: no owner's id, notice or address, nothing of other cameras."""
    return activity.package_excerpt(request, target)


def camera_for_police(target: RequestTarget) -> dict[str, Any]:
    """The camera as the status board shows it: the owner never named, a hidden camera's id
    never given (its name only because the owner chose to send its footage)."""
    camera: dict[str, Any] = {"target_id": target.target_id,
                              "nickname": rules.police_label(target.nickname, target.visibility,
                                                             target.status)}
    if target.visibility != "hidden":
        camera["camera_id"] = target.camera_id
    return camera


def manifest_for(request: FootageRequest, target: RequestTarget, probe: video.ProbeResult,
                 cut: video.CutResult, original_sha: str, clip_sha: str,
                 window: tuple[float, float], offset_s: float) -> dict[str, Any]:
    starts = target.video_starts_at
    assert starts is not None
    real = starts - timedelta(seconds=offset_s)  # real time of the file's first frame
    return {
        "format": "porchlight-evidence-manifest/1",
        "request": {"id": request.request_id, "case_number": request.case_number,
                    "offense": request.offense, "agency_id": request.agency_id,
                    "asked_by": request.detective_id, "message": request.message,
                    "place": {"lat": float(request.lat), "lon": float(request.lon)},
                    "window": {"start": request.window_start.isoformat(),
                               "end": request.window_end.isoformat()}},
        "camera": camera_for_police(target),
        "recorder": {"clock_offset_s": offset_s, "offset_words": rules.offset_words(offset_s),
                     "file_starts_at_recorder_time": starts.isoformat(),
                     "file_starts_at_real_time": real.isoformat()},
        "original": {"key": target.upload_key, "name": target.upload_name,
                     "bytes": probe.size_bytes, "sha256": original_sha,
                     "container": probe.container, "codec": probe.codec,
                     "width": probe.width, "height": probe.height, "fps": probe.fps,
                     "duration_s": probe.duration_s,
                     "variable_frame_rate": probe.variable_frame_rate},
        "clip": {"sha256": clip_sha, "method": cut.method, "codec": cut.codec,
                 "width": cut.width, "height": cut.height, "fps": cut.fps,
                 "frames": cut.frames, "duration_s": cut.duration_s,
                 "asked_seconds_in_file": list(window),
                 "seconds_in_file": [cut.start_s, cut.end_s],
                 "real_start": (real + timedelta(seconds=cut.start_s)).isoformat(),
                 "real_end": (real + timedelta(seconds=cut.end_s)).isoformat(),
                 "truncated": cut.truncated},
        "tools": video.tool_versions(),
        "made_at": clock.now().isoformat(),
    }


def package_name(name: str | None, fallback: str) -> str:
    """The original's name inside the zip: its last part only, with nothing a Windows unzip
    reads as a folder, a drive or a control character. The upload check refuses such names
    already; this also covers names stored before it."""
    last = re.split(r"[\\/]", name or "")[-1]
    last = "".join("_" if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in last)
    try:
        return filenames.upload_name(last)  # the upload rule (bidi controls dropped too)
    except ValidationError:
        return fallback


def write_package(path: Path, original: Path, clip: Path, manifest: dict[str, Any],
                  excerpt: list[dict[str, Any]], original_name: str) -> None:
    """Stored, not deflated: video does not compress, and anyone can check the hashes."""
    sums = (f"{manifest['original']['sha256']}  original/{original_name}\n"
            f"{manifest['clip']['sha256']}  clip.mp4\n")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as package:
        package.write(original, f"original/{original_name}")
        package.write(clip, "clip.mp4")
        package.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
        package.writestr("SHA256SUMS", sums)
        package.writestr("audit-excerpt.json", json.dumps(excerpt, indent=2))
        package.writestr("README.txt", (
            "Porchlight evidence package.\n"
            "Check the files with: sha256sum -c SHA256SUMS\n"
            "manifest.json says who asked for what window, the recorder's clock offset, and how\n"
            "the clip was cut. audit-excerpt.json is this request's part of the agency's\n"
            "hash-chained audit log as police may read it: owners' ids, other cameras and IP\n"
            "addresses are withheld. An auditor shows each event whole by its chain, seq and\n"
            "hash; the full chain is verified with 'audit verify'.\n"))


def cut_job(job: dict[str, str]) -> dict[str, Any]:
    config = settings()
    try:
        target = RequestTarget.get(job["target_id"], consistent_read=True)
    except DoesNotExist:
        return {"target_id": job["target_id"], "status": "gone"}
    if target.upload_key == job["key"] and target.status in (rules.READY, rules.FAILED):
        _announce(target)
    if target.status != rules.PROCESSING or target.upload_key != job["key"]:
        return {"target_id": target.target_id, "status": target.status, "skipped": True}
    footage.stamp(target, RequestTarget.attempts.add(1))
    request = FootageRequest.get(target.request_id)
    with tempfile.TemporaryDirectory(prefix="clip-", dir=os.environ.get("TMPDIR")) as work:
        return _cut_in(config, Path(work), request, target)


def _cut_in(config: Settings, work: Path, request: FootageRequest, target: RequestTarget
            ) -> dict[str, Any]:
    s3 = aws_client(config, "s3")
    suffix = Path(target.upload_key or "original").suffix or ".bin"
    original = work / f"original{suffix}"
    s3.download_file(config.uploads_bucket, target.upload_key, str(original))
    offset = float(target.clock_offset_s or 0)
    if target.video_starts_at is None:
        return fail(target, "We do not know when the video starts. Upload it again and say "
                            "what time the recorder shows at its start.")
    clip, poster, sheet = work / "clip.mp4", work / "poster.jpg", work / "sheet.jpg"
    try:
        with video.time_box(VIDEO_SECONDS):
            probe = video.probe(original)
            window = video.window_in_file(request.window_start, request.window_end,
                                          target.video_starts_at, offset)
            cut = video.cut(original, clip, *window)
        video.poster(clip, poster)
        video.contact_sheet(clip, sheet)
    except video.WindowOutside as exc:
        return fail(target, _outside_words(exc, request, target, offset))
    except video.UnusableVideo as exc:
        return fail(target, exc.reason)
    original_sha, clip_sha = video.sha256_file(original), video.sha256_file(clip)
    manifest = manifest_for(request, target, probe, cut, original_sha, clip_sha, window, offset)
    package = work / "package.zip"
    write_package(package, original, clip, manifest, audit_excerpt(request, target),
                  package_name(target.upload_name, original.name))
    prefix = f"{EVIDENCE_PREFIX}{request.request_id}/{target.target_id}/"
    keys = {"clip": prefix + "clip.mp4", "poster": prefix + "poster.jpg",
            "sheet": prefix + "contact-sheet.jpg", "manifest": prefix + "manifest.json",
            "package": prefix + "evidence-package.zip"}
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    # A re-cut (a redelivery after a worker died past its Evidence write) of evidence a
    # supervisor holds: the new files are written held, and the item keeps the hold.
    earlier = footage.evidence_of(target.target_id)
    held = bool(earlier is not None and earlier.legal_hold)
    for kind, path, content_type in (
            ("clip", clip, "video/mp4"), ("poster", poster, "image/jpeg"),
            ("sheet", sheet, "image/jpeg"), ("manifest", work / "manifest.json",
                                             "application/json"),
            ("package", package, "application/zip")):
        s3.upload_file(str(path), config.clips_bucket, keys[kind],
                       ExtraArgs={"ContentType": content_type, **legal_holds.upload_args(held)})
    policy = footage.policy_for(target.agency_id)
    now = clock.now()
    evidence = Evidence(target_id=target.target_id, request_id=request.request_id,
                        agency_id=target.agency_id, owner_id=target.owner_id,
                        original_key=target.upload_key, original_sha256=original_sha,
                        clip_key=keys["clip"], clip_sha256=clip_sha, poster_key=keys["poster"],
                        sheet_key=keys["sheet"], manifest_key=keys["manifest"],
                        package_key=keys["package"], method=cut.method, clip_seconds=cut.duration_s,
                        truncated=cut.truncated, made_at=now,
                        delete_after=now + timedelta(days=policy.retention_days),
                        legal_hold=held, hold_reason=earlier.hold_reason if earlier else "")
    legal_holds.save_cut(config, evidence)
    footage.move(target, rules.READY, reason="")
    _announce_ready(target, evidence)
    footage.close_if_done(request)
    logger.info("clip ready", extra={"target": target.target_id, "method": cut.method,
                                     "seconds": cut.duration_s})
    return {"target_id": target.target_id, "status": rules.READY, "clip_sha256": clip_sha}


def _outside_words(exc: video.WindowOutside, request: FootageRequest, target: RequestTarget,
                   offset: float) -> str:
    zone = footage.policy_for(target.agency_id).timezone
    from zoneinfo import ZoneInfo

    starts = target.video_starts_at
    assert starts is not None
    first = (starts - timedelta(seconds=offset)).astimezone(ZoneInfo(zone))
    last = first + timedelta(seconds=exc.file_duration_s)
    asked = footage.local_window(request, zone)
    return (f"This video covers {first:%H:%M}–{last:%H:%M} (after correcting the recorder's "
            f"clock), but police asked for {asked}. Export the asked time from the recorder "
            "and upload it again.")


@lru_cache(maxsize=1)
def _idempotent_cut() -> Any:
    config = settings()
    store = DynamoDBPersistenceLayer(table_name=config.table_prefix + "idempotency",
                                     boto3_client=aws_client(config, "dynamodb"))
    return idempotent_function(data_keyword_argument="job", persistence_store=store,
                               config=IDEMPOTENCY)(cut_job)


def record_handler(record: SQSRecord) -> list[dict[str, Any]]:
    """Each upload once: the app's message and S3's event for the same upload share one
    idempotency record (target and key), so whichever comes second returns the first's result."""
    results = []
    for job in _jobs(record.body):
        try:
            results.append(_idempotent_cut()(job=job))
        except Exception:
            _give_up_if_last(job, int(record.attributes.approximate_receive_count or 1))
            raise
    return results


def _give_up_if_last(job: dict[str, str], receives: int) -> None:
    """On the last attempt, tell the owner before the message parks in the DLQ."""
    if receives < MAX_ATTEMPTS:
        return
    try:
        target = RequestTarget.get(job["target_id"], consistent_read=True)
        if target.status == rules.PROCESSING:
            fail(target, GIVE_UP)
    except Exception:  # noqa: BLE001 - the original error is the one to report
        logger.exception("could not mark the upload failed")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    IDEMPOTENCY.register_lambda_context(context)
    return process_partial_response(event=event,
                                    record_handler=correlated(logger, record_handler),
                                    processor=processor, context=context)
