"""Cuts the asked window out of an owner's upload, then packs the evidence.

Triggered by the clips queue when an upload completes: the app sends {"target_id", "key"}, and
on AWS the uploads bucket's ObjectCreated event for originals/ arrives too (whichever comes
second is a no-op, see below). One message per batch. Two steps, so that the detective sees
the clip within seconds of the upload whatever the original's size:

1. The clip. The original is read where it lies, by byte ranges (s3source.py): only the
   window's bytes and the file's index when its container has one (MP4/MOV with its moov, MKV
   with Cues); any other file is downloaded whole first. Meanwhile its SHA-256 is taken over
   every byte with parallel ranged reads. The asked real-time window becomes seconds of the
   file (the recorder time of its first frame, the clock offset the owner gave); cutting.cut()
   writes exactly the window's pictures (a smart cut, or a re-encode that says why), with the
   sound only if the owner chose to send it; then a poster frame and a contact sheet. Every
   part of the asked window with no video is a gap (before the file, after it, or the camera
   offline as the owner's bridge reported). The manifest (request, case, camera, window,
   offset, codecs, both SHA-256s, gaps, tool versions, times), the clip, poster and sheet go
   under evidence/<request>/<target>/, the Evidence item is stored with its deletion date and
   no package yet, the camera's row says "ready", and the worker queues step 2 for itself.
2. The package ({"target_id", "key", "package": <the clip's made_at>}): the original streamed
   from storage into a zip (hashed on the way: it must match the manifest) with the clip, the
   manifest, SHA256SUMS and the request's audit excerpt; stored beside the clip, then named on
   the Evidence item (legal_holds.save_package). Until then the board says it is being
   prepared. A package for a clip cut again meanwhile, or deleted, is not named.

A file that is not video, is corrupt, or does not cover the window is an answer, not an error:
the row becomes "failed" with a plain reason for the owner, the original stays where it is, and
the message is done (retrying cannot fix a file). Anything else raises (a storage read that
failed under the video reader too): SQS retries, and after the last attempt the row says
"failed" and the message parks in the dead-letter queue.

Idempotent through Powertools' idempotency utility (records in the `idempotency` table, keyed
by target and upload key, and for step 2 by the clip's made_at too): a second delivery of a
finished job returns the first result; a job whose worker was killed holds an "in progress"
record only until the Lambda's timeout, then the redelivered message runs it again from the
start (outputs are written under fixed keys). A worker killed after the row moved to "ready"
or "failed" but before the audit event went in leaves a job whose redelivery finds the row
already moved: it appends the missing event then (record_once, keyed by target and upload, so
never twice), and queues the package if the item names none.
"""

from __future__ import annotations

import json
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timedelta
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
from app.core import footage, localtime
from app.core import masks as mask_rules
from app.models.cameras import Camera
from app.models.footage import Evidence, FootageRequest, Gap, RequestTarget
from app.services import clock
from app.services.auditing import activity, audit
from app.services.footage import canvass, legal_holds
from app.services.governance.policy import policy_for
from bridge import masking
from bridge.masking import Masks
from lambdas.clip_cutter import activity as motion
from lambdas.clip_cutter import containers, cutting, pictures, probing
from lambdas.clip_cutter.manifest import (
    MOTION,
    activity_for_manifest,
    file_real_start,
    gaps_in,
    manifest_for,
)
from lambdas.clip_cutter.package import package_name, write_package
from lambdas.clip_cutter.reading import (
    Readable,
    UnusableVideo,
    WindowOutside,
    sha256_file,
    time_box,
)
from lambdas.clip_cutter.s3source import BLOCK, S3Object
from lambdas.clip_cutter.times import window_in_file
from lambdas.common import correlated, make_logger, settings
from lambdas.registry import QUEUES

__all__ = ["EVIDENCE_PREFIX", "GIVE_UP", "handler", "package_name"]

logger = make_logger("clip-cutter")
# A whole batch failing is reported item by item, not raised: the second of the two messages
# one upload makes (the app's and S3's) often meets the first one "in progress", and a raise
# would count as a Lambda error and sound the Errors alarm for nothing. Real failures still
# retry and end in the dead-letter queue, whose alarm is the one that matters.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[target_id, key]",
                                expires_after_seconds=7 * 24 * 3600)
PACKAGE_IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[target_id, key, package]",
                                        expires_after_seconds=7 * 24 * 3600)
MAX_ATTEMPTS = next(q.max_receive_count for q in QUEUES if q.base_name == "clips")
# Reading and cutting the video may use most of the Lambda's time; the rest is for moving the
# files. Past it the owner is told why (reading.TOO_SLOW) instead of the worker being killed.
VIDEO_SECONDS = 0.7 * next(q.timeout_seconds for q in QUEUES if q.base_name == "clips")
EVIDENCE_PREFIX = "evidence/"
GIVE_UP = ("We could not process this video. Try uploading it again; if that fails too, "
           "export it again from the recorder.")
READ_BY_RANGES = ("by byte ranges where it is stored: the asked window and the file's index "
                  "only")
READ_WHOLE = "downloaded whole (its container has no index to read the window by)"


class BadClipMessage(ValueError):
    """The queued message cannot be read; it ends in the dead-letter queue."""


def _jobs(body: str) -> list[dict[str, str]]:
    """The uploads a message names: the app's own {"target_id", "key"} (with "package" for
    step 2), or S3's event records (ObjectCreated under originals/<request>/<target>/). S3's
    test event names none."""
    try:
        data = json.loads(body)
        if "Records" not in data:
            if data.get("Event") == "s3:TestEvent":
                return []
            job = {"target_id": str(data["target_id"]), "key": str(data["key"])}
            if "package" in data:
                job["package"] = str(data["package"])
            return [job]
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


def _announce(config: Settings, target: RequestTarget) -> None:
    """The row moved but its worker died before the audit event (or before queueing the
    package): do what is missing now (the event once)."""
    if target.status == footage.FAILED:
        _announce_failed(target)
        return
    try:
        evidence = Evidence.get(target.target_id, consistent_read=True)
    except DoesNotExist:
        return
    _announce_ready(target, evidence)
    canvass.close_if_done(FootageRequest.get(target.request_id))
    if not evidence.package_key:
        _queue_package(config, target, evidence)


def fail(target: RequestTarget, reason: str) -> dict[str, Any]:
    """The owner reads the reason on their request page; the original stays untouched."""
    canvass.move(target, footage.FAILED, reason=reason)
    _announce_failed(target)
    logger.info("upload unusable", extra={"target": target.target_id, "reason": reason})
    return {"target_id": target.target_id, "status": footage.FAILED, "reason": reason}


def audit_excerpt(request: FootageRequest, target: RequestTarget) -> list[dict[str, Any]]:
    """The request's trail as it concerns this camera (made, approved, answered, uploaded, cut),
    as police may read it: no owner's id, notice or address, nothing of other cameras."""
    return activity.package_excerpt(request, target)


# ---------------------------------------------------------------- step 1: the clip


def cut_job(job: dict[str, str]) -> dict[str, Any]:
    config = settings()
    try:
        target = RequestTarget.get(job["target_id"], consistent_read=True)
    except DoesNotExist:
        return {"target_id": job["target_id"], "status": "gone"}
    if target.upload_key == job["key"] and target.status in (footage.READY, footage.FAILED):
        _announce(config, target)
    if target.status != footage.PROCESSING or target.upload_key != job["key"]:
        return {"target_id": target.target_id, "status": target.status, "skipped": True}
    canvass.stamp(target, RequestTarget.attempts.add(1))
    request = FootageRequest.get(target.request_id)
    with tempfile.TemporaryDirectory(prefix="clip-", dir=os.environ.get("TMPDIR")) as work:
        return _cut_in(config, Path(work), request, target)


def masks_of(target: RequestTarget) -> Masks:
    """The owner's privacy masks on the camera now: every picture of the clip has them
    blacked out (the original upload stays as it was, with the owner)."""
    try:
        camera = Camera.get(target.camera_id)
    except DoesNotExist:
        return Masks()
    return masking.from_json(mask_rules.loads(camera.masks))


def _original(config: Settings, target: RequestTarget, work: Path, remote: S3Object,
              jobs: ExitStack) -> tuple[Readable, str, Future[str]]:
    """Where the cut reads the original, how, and its SHA-256 (being taken meanwhile)."""
    with remote.open() as handle:
        indexed = containers.indexed(handle, remote.size)
    if indexed:
        hasher = jobs.enter_context(ThreadPoolExecutor(1, thread_name_prefix="sha256"))
        return remote, READ_BY_RANGES, hasher.submit(remote.sha256)
    suffix = Path(target.upload_key or "original").suffix or ".bin"
    path = work / f"original{suffix}"
    aws_client(config, "s3").download_file(config.uploads_bucket, target.upload_key, str(path))
    done: Future[str] = Future()
    done.set_result(sha256_file(path))
    return path, READ_WHOLE, done


def _cut_in(config: Settings, work: Path, request: FootageRequest, target: RequestTarget
            ) -> dict[str, Any]:
    if target.video_starts_at is None:
        return fail(target, "We do not know when the video starts. Upload it again and say "
                            "what time the recorder shows at its start.")
    offset = float(target.clock_offset_s or 0)
    masks = masks_of(target)
    s3 = aws_client(config, "s3")
    clip, poster, sheet = work / "clip.mp4", work / "poster.jpg", work / "sheet.jpg"
    with ExitStack() as jobs:
        remote = S3Object(s3, config.uploads_bucket, str(target.upload_key))
        jobs.callback(remote.close)
        source, read, hashing = _original(config, target, work, remote, jobs)
        jobs.callback(remote.stop)  # first out: a hash still running stops at its next read
        try:
            with time_box(VIDEO_SECONDS):
                probe = probing.probe(source)
                window = window_in_file(request.window_start, request.window_end,
                                        target.video_starts_at, offset)
                cut = cutting.cut(source, clip, *window, audio=bool(target.include_audio),
                                  info=probe, masks=masks)
            pictures.poster(clip, poster)
            pictures.contact_sheet(clip, sheet)
        except WindowOutside as exc:
            remote.raise_if_failed()
            return fail(target, _outside_words(exc, request, target, offset))
        except UnusableVideo as exc:
            remote.raise_if_failed()  # a storage error under the reader is not the file's
            return fail(target, exc.reason)
        original_sha = hashing.result()
        logger.info("original read", extra={
            "target": target.target_id, "read": read, "bytes": remote.size,
            "ranged_gets": remote.requests, "read_for_the_cut": remote.blocks_fetched * BLOCK})
    gaps = gaps_in(request, target, probe, offset)
    clip_sha = sha256_file(clip)
    manifest = manifest_for(request, target, probe, cut, original_sha, clip_sha, window, offset,
                            gaps, read, masks)
    clip_start = file_real_start(target, offset) + timedelta(seconds=cut.start_s)
    moving = [(clip_start + timedelta(seconds=a), clip_start + timedelta(seconds=b))
              for a, b in motion.markers(clip)]
    manifest["clip"]["activity"] = activity_for_manifest(moving)
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    prefix = f"{EVIDENCE_PREFIX}{request.request_id}/{target.target_id}/"
    keys = {"clip": prefix + "clip.mp4", "poster": prefix + "poster.jpg",
            "sheet": prefix + "contact-sheet.jpg", "manifest": prefix + "manifest.json"}
    # A re-cut (a redelivery after a worker died past its Evidence write, or another file the
    # owner sent) of evidence a supervisor holds: the new files are written held, and the
    # item keeps the hold.
    earlier = canvass.evidence_of(target.target_id)
    held = bool(earlier is not None and earlier.legal_hold)
    for kind, path, content_type in (
            ("clip", clip, "video/mp4"), ("poster", poster, "image/jpeg"),
            ("sheet", sheet, "image/jpeg"),
            ("manifest", work / "manifest.json", "application/json")):
        s3.upload_file(str(path), config.clips_bucket, keys[kind],
                       ExtraArgs={"ContentType": content_type, **legal_holds.upload_args(held)})
    policy = policy_for(target.agency_id)
    now = clock.now()
    evidence = Evidence(target_id=target.target_id, request_id=request.request_id,
                        agency_id=target.agency_id, owner_id=target.owner_id,
                        original_key=target.upload_key, original_sha256=original_sha,
                        clip_key=keys["clip"], clip_sha256=clip_sha, poster_key=keys["poster"],
                        sheet_key=keys["sheet"], manifest_key=keys["manifest"],
                        package_key=None, method=cut.method, clip_seconds=cut.duration_s,
                        truncated=bool(gaps),
                        gaps=[Gap(start=start, end=end, kind=kind) for start, end, kind in gaps],
                        made_at=now, delete_after=now + timedelta(days=policy.retention_days),
                        legal_hold=held, hold_reason=earlier.hold_reason if earlier else "",
                        mask_ids=masks.ids, real_start=clip_start, clock_offset_s=offset,
                        activity=[Gap(start=a, end=b, kind=MOTION) for a, b in moving])
    legal_holds.save_cut(config, evidence)
    canvass.move(target, footage.READY, reason="")
    _announce_ready(target, evidence)
    canvass.close_if_done(request)
    _queue_package(config, target, evidence)
    logger.info("clip ready", extra={"target": target.target_id, "method": cut.method,
                                     "seconds": cut.duration_s, "gaps": len(gaps)})
    return {"target_id": target.target_id, "status": footage.READY, "clip_sha256": clip_sha}


def _queue_package(config: Settings, target: RequestTarget, evidence: Evidence) -> None:
    aws_client(config, "sqs").send_message(
        QueueUrl=config.clips_queue_url,
        MessageBody=json.dumps({"target_id": target.target_id, "key": evidence.original_key,
                                "package": evidence.made_at.isoformat()}))


def _outside_words(exc: WindowOutside, request: FootageRequest, target: RequestTarget,
                   offset: float) -> str:
    zone = policy_for(target.agency_id).timezone
    starts = target.video_starts_at
    assert starts is not None
    first = starts - timedelta(seconds=offset)
    covers = localtime.window(first, first + timedelta(seconds=exc.file_duration_s), zone)
    asked = canvass.local_window(request, zone)
    return (f"This video covers {covers} (after correcting the recorder's clock), but police "
            f"asked for {asked}. Export the asked time from the recorder and upload it again.")


# ---------------------------------------------------------------- step 2: the package


def package_job(job: dict[str, str]) -> dict[str, Any]:
    """Make the evidence package of the clip cut at job["package"] (its made_at)."""
    config = settings()
    evidence = canvass.evidence_of(job["target_id"])
    made_at = datetime.fromisoformat(job["package"])
    if evidence is None or evidence.made_at != made_at or evidence.original_key != job["key"]:
        return {"target_id": job["target_id"], "package": "not this clip's any more"}
    if evidence.package_key:
        return {"target_id": job["target_id"], "package": evidence.package_key}
    target = RequestTarget.get(evidence.target_id)
    request = FootageRequest.get(evidence.request_id)
    s3 = aws_client(config, "s3")
    key = legal_holds.package_key_of(evidence)
    with tempfile.TemporaryDirectory(prefix="package-", dir=os.environ.get("TMPDIR")) as work:
        folder = Path(work)
        clip = folder / "clip.mp4"
        s3.download_file(config.clips_bucket, evidence.clip_key, str(clip))
        manifest = s3.get_object(Bucket=config.clips_bucket,
                                 Key=evidence.manifest_key)["Body"].read()
        package = folder / "package.zip"
        with S3Object(s3, config.uploads_bucket, evidence.original_key) as original:
            write_package(package, original.parts(), clip, manifest,
                          audit_excerpt(request, target),
                          package_name(target.upload_name,
                                       "original" + Path(evidence.original_key).suffix))
        s3.upload_file(str(package), config.clips_bucket, key, ExtraArgs={
            "ContentType": "application/zip",
            **legal_holds.upload_args(bool(evidence.legal_hold))})
    named = legal_holds.save_package(config, evidence, key)
    logger.info("package ready" if named else "package not named: the clip changed",
                extra={"target": evidence.target_id})
    return {"target_id": evidence.target_id, "package": key if named else None}


# ---------------------------------------------------------------- the queue


def _store() -> DynamoDBPersistenceLayer:
    """A store per idempotent function: a store takes the first configuration it is given
    (key expression, function name), so two functions sharing one would share their keys."""
    config = settings()
    return DynamoDBPersistenceLayer(table_name=config.table_prefix + "idempotency",
                                    boto3_client=aws_client(config, "dynamodb"))


@lru_cache(maxsize=1)
def _idempotent_cut() -> Any:
    return idempotent_function(data_keyword_argument="job", persistence_store=_store(),
                               config=IDEMPOTENCY)(cut_job)


@lru_cache(maxsize=1)
def _idempotent_package() -> Any:
    return idempotent_function(data_keyword_argument="job", persistence_store=_store(),
                               config=PACKAGE_IDEMPOTENCY)(package_job)


def record_handler(record: SQSRecord) -> list[dict[str, Any]]:
    """Each upload once: the app's message and S3's event for the same upload share one
    idempotency record (target and key), so whichever comes second returns the first's result.
    A package job has its own (target, key and the clip's made_at)."""
    results = []
    for job in _jobs(record.body):
        if "package" in job:
            results.append(_idempotent_package()(job=job))
            continue
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
        if target.status == footage.PROCESSING:
            fail(target, GIVE_UP)
    except Exception:  # noqa: BLE001 - the original error is the one to report
        logger.exception("could not mark the upload failed")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    IDEMPOTENCY.register_lambda_context(context)
    PACKAGE_IDEMPOTENCY.register_lambda_context(context)
    return process_partial_response(event=event,
                                    record_handler=correlated(logger, record_handler),
                                    processor=processor, context=context)
