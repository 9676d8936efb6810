"""The owner's video upload: straight from the phone to S3 in parts, resumable, up to 2 GB.

The app never carries video bytes. It starts an S3 multipart upload under one key, hands out
presigned URLs for the parts the phone still needs, and, when the phone says it is done, asks
S3 which parts it really holds (never trusting the phone's list), completes the upload and
queues the clip worker. A lost connection loses at most the part in flight: the page asks
which parts S3 already has and sends the rest.

An original is written once. Each attempt (a phone's upload, or a bridge's clip, which comes
the same way in one part) gets a key of its own, and S3 assembles it only where nothing is
stored yet (`If-None-Match: *` on CompleteMultipartUpload). Once complete, its upload id is
gone, so its part URLs, though signed for an hour, have nothing left to write to (S3 answers
NoSuchUpload); the app moves the request on and never opens another attempt on it unless the
clip worker failed it, or the clip misses part of the window because the file started late or
ended early (the owner may send another file: the first original is kept, listed in
`earlier_uploads`, and deleted with the evidence). A failed attempt's original, never evidence,
is deleted when the next attempt starts. Upload names are stored normalised (`app.core.filenames`).
"""

from __future__ import annotations

import json
import math
import re
import secrets
from datetime import datetime
from typing import Any

from app.aws import aws_client
from app.config import Settings
from app.core import footage
from app.core.errors import ConflictError, ValidationError
from app.core.filenames import upload_name
from app.core.texts import gettext
from app.models.footage import Evidence, RequestTarget
from app.models.users import User
from app.services import clock
from app.services.auditing import audit
from app.services.auditing.audit import Actor
from app.services.footage.canvass import evidence_of, move, owner_target, request_of, stamp

PART_BYTES = 16 * 1024 * 1024  # 2 GB in 128 parts; S3 wants at least 5 MiB but the last
MAX_PARTS_PER_CALL = 64
URL_SECONDS = 3600
EXTENSIONS = {"mp4": "video/mp4", "mov": "video/quicktime", "avi": "video/x-msvideo",
              "mkv": "video/x-matroska", "m4v": "video/mp4"}
PREFIX = "originals/"


def _extension(filename: str) -> str:
    match = re.search(r"\.([A-Za-z0-9]{2,4})$", filename or "")
    extension = match.group(1).lower() if match else ""
    if extension not in EXTENSIONS:
        raise ValidationError(
            gettext("Choose the video file your recorder exported: MP4, MOV, AVI or MKV."),
            {"filename": gettext("not an MP4, MOV, AVI or MKV file")})
    return extension


def _starts_at(value: Any) -> datetime:
    problem = ValidationError(gettext("Say what time the recorder shows at the start of the "
                                      "video."),
                              {"video_starts_at": gettext("a date and time with its zone")})
    if not isinstance(value, str):
        raise problem
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise problem from exc
    if moment.tzinfo is None:
        raise problem
    return moment


# The statuses in which a request takes a new original (an answer not yet given, approved, an
# attempt under way, or one the clip worker failed); never once an original is complete, except
# a file covering parts of the window a ready clip misses (replacing(), below).
TAKES_UPLOAD = (*footage.WAITING, footage.APPROVED, footage.UPLOADING, footage.FAILED)


def recorder_offset(data: dict[str, Any], now: datetime) -> float:
    """The recorder's clock minus real time: from a reading (what the recorder showed, and
    when), or an offset the caller computed; never from the moment the upload starts."""
    reading = "recorder_shows" in data or "read_at" in data
    if reading and "clock_offset_s" in data:
        raise ValidationError(gettext("Give what the recorder showed and when, or its offset, "
                                      "not both."),
                              {"clock_offset_s": gettext("not with recorder_shows and read_at")})
    if reading:
        return footage.reading_offset(data.get("recorder_shows"), data.get("read_at"), now)[0]
    return footage.clock_offset(data.get("clock_offset_s"))


def replacing(target: RequestTarget, evidence: Evidence | None) -> bool:
    """Whether this upload is another file for a ready clip that misses part of the window
    because the owner's first file started late or ended early. The first clip stays with
    police until the new one is cut; a clip under legal hold is never replaced."""
    return (target.status == footage.READY and evidence is not None
            and not evidence.legal_hold and not target.no_other_file
            and any(g.kind in footage.FILE_GAPS for g in evidence.gaps or []))


def start(settings: Settings, owner: User, target_id: str, data: dict[str, Any], ip: str
          ) -> dict[str, Any]:
    """Approve-and-upload: check the file's name and size, open a multipart upload."""
    target = owner_target(owner, target_id)
    name = upload_name(data.get("filename"))
    extension = _extension(name)
    size = data.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ValidationError(gettext("The file is empty."),
                              {"size": gettext("must be more than 0 bytes")})
    if size > footage.MAX_UPLOAD_BYTES:
        raise ValidationError(gettext("The file is larger than 2 GB. Export a shorter stretch "
                                      "around the asked time."),
                              {"size": gettext("more than 2 GB")})
    offset = recorder_offset(data, clock.now())
    starts_at = _starts_at(data.get("video_starts_at"))
    include_audio = data.get("include_audio", False) is True
    if request_of(target).state != "open":
        raise ValidationError(gettext("This request is closed."), {"target": gettext("closed")})
    another = target.status == footage.READY and replacing(target, evidence_of(target.target_id))
    if target.status not in TAKES_UPLOAD and not another:
        raise ConflictError(f"This request is already {footage.STATUS_WORDS[target.status]}; "
                            "its video cannot be replaced.")
    key, upload_id = open_original(settings, target, extension)
    fields = {"upload_key": key, "upload_id": upload_id, "upload_name": name,
              "upload_bytes": size, "clock_offset_s": offset, "video_starts_at": starts_at,
              "include_audio": include_audio,
              # a bridge's outages belong to the bridge's clip, not to the owner's own file
              "source_gaps": []}
    if another:  # the ready clip stays with police meanwhile; complete() moves it on
        stamp(target, *(getattr(RequestTarget, k).set(v) for k, v in fields.items()))
    else:
        if target.status in footage.WAITING or target.status == footage.FAILED:
            move(target, footage.APPROVED)
        move(target, footage.UPLOADING, reason="", **fields)
    audit.record(target.agency_id, Actor(owner.user_id, owner.role, ip), "upload.started",
                 owner.user_id, {"request_id": target.request_id, "target_id": target.target_id,
                                 "bytes": size, "clock_offset_s": offset})
    return state(settings, owner, target_id)


def open_original(settings: Settings, target: RequestTarget, extension: str
                  ) -> tuple[str, str]:
    """A new attempt at a request's original: (its own key, a multipart upload id there).

    An attempt under way is aborted (its part URLs die with it); a failed attempt's original,
    which never became evidence, is deleted. Nothing else is ever stored under the new key."""
    s3 = aws_client(settings, "s3")
    if target.status in (footage.UPLOADING, footage.READY) and target.upload_id:
        _abort(s3, settings, target)  # a new file replaces an unfinished one
    elif target.status == footage.FAILED and target.upload_key and not target.upload_id:
        s3.delete_object(Bucket=settings.uploads_bucket, Key=target.upload_key)
    key = (f"{PREFIX}{target.request_id}/{target.target_id}/"
           f"original.{secrets.token_hex(8)}.{extension}")
    upload = s3.create_multipart_upload(Bucket=settings.uploads_bucket, Key=key,
                                        ContentType=EXTENSIONS[extension])
    return key, str(upload["UploadId"])


def part_url(s3: Any, settings: Settings, target: RequestTarget, number: int,
             seconds: int = URL_SECONDS) -> str:
    """A presigned PUT for one part of the target's upload under way."""
    return str(s3.generate_presigned_url(
        "upload_part", ExpiresIn=seconds,
        Params={"Bucket": settings.uploads_bucket, "Key": target.upload_key,
                "UploadId": target.upload_id, "PartNumber": number}))


def assemble(s3: Any, settings: Settings, target: RequestTarget,
             held: list[dict[str, Any]]) -> None:
    """Complete the upload from these parts, only where no object is stored yet."""
    try:
        s3.complete_multipart_upload(
            Bucket=settings.uploads_bucket, Key=target.upload_key, UploadId=target.upload_id,
            IfNoneMatch="*",
            MultipartUpload={"Parts": [{"PartNumber": int(p["PartNumber"]), "ETag": p["ETag"]}
                                       for p in held]})
    except s3.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchUpload"):
            raise ConflictError("This upload is complete already; its video cannot be "
                                "replaced.") from exc
        raise


def parts_held(s3: Any, settings: Settings, target: RequestTarget) -> list[dict[str, Any]]:
    """The parts S3 holds of the target's upload under way, in order (never the sender's
    word for it)."""
    return sorted(_parts_held(s3, settings, target), key=lambda p: int(p["PartNumber"]))


def _parts_held(s3: Any, settings: Settings, target: RequestTarget) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    marker = 0
    while True:
        page = s3.list_parts(Bucket=settings.uploads_bucket, Key=target.upload_key,
                             UploadId=target.upload_id, PartNumberMarker=marker)
        parts.extend(page.get("Parts", []))
        if not page.get("IsTruncated"):
            return parts
        marker = int(page["NextPartNumberMarker"])


def _uploading(owner: User, target_id: str) -> RequestTarget:
    """The owner's target with an upload under way: a first one (uploading), or another file
    for a ready clip (ready, with an upload id: the first clip stays meanwhile)."""
    target = owner_target(owner, target_id)
    if target.status not in (footage.UPLOADING, footage.READY) or not target.upload_id:
        raise ValidationError(gettext("There is no upload in progress for this request. "
                                      "Choose the file again."),
                              {"upload": gettext("none in progress")})
    return target


def state(settings: Settings, owner: User, target_id: str) -> dict[str, Any]:
    """Which parts S3 already holds: what a resumed page still has to send."""
    target = _uploading(owner, target_id)
    held = _parts_held(aws_client(settings, "s3"), settings, target)
    size = int(target.upload_bytes or 0)
    return {"upload_id": target.upload_id, "filename": target.upload_name, "size": size,
            "part_bytes": PART_BYTES, "part_count": max(1, math.ceil(size / PART_BYTES)),
            "parts_done": sorted(int(p["PartNumber"]) for p in held),
            "bytes_done": sum(int(p["Size"]) for p in held)}


def part_urls(settings: Settings, owner: User, target_id: str, numbers: Any
              ) -> dict[str, str]:
    target = _uploading(owner, target_id)
    count = max(1, math.ceil(int(target.upload_bytes or 0) / PART_BYTES))
    if not isinstance(numbers, list) or not numbers or len(numbers) > MAX_PARTS_PER_CALL or not all(
            isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= count for n in numbers):
        raise ValidationError(gettext("Ask for 1 to %(max)s part numbers between 1 and "
                                      "%(count)s.", max=MAX_PARTS_PER_CALL, count=count),
                              {"parts": gettext("out of range")})
    s3 = aws_client(settings, "s3")
    return {str(n): part_url(s3, settings, target, n) for n in numbers}


def complete(settings: Settings, owner: User, target_id: str, ip: str) -> RequestTarget:
    """Finish the upload from the parts S3 holds, then hand the video to the clip worker."""
    target = _uploading(owner, target_id)
    s3 = aws_client(settings, "s3")
    held = parts_held(s3, settings, target)
    count = max(1, math.ceil(int(target.upload_bytes or 0) / PART_BYTES))
    missing = sorted(set(range(1, count + 1)) - {int(p["PartNumber"]) for p in held})
    total = sum(int(p["Size"]) for p in held)
    if missing:
        raise ValidationError(gettext("%(count)s part(s) of the file have not arrived yet; the "
                                      "upload resumes where it stopped.", count=len(missing)),
                              {"parts": gettext("missing")})
    if total > footage.MAX_UPLOAD_BYTES or total != int(target.upload_bytes or 0):
        _abort(s3, settings, target)
        if target.status == footage.READY:  # another file: the ready clip stays as it was
            stamp(target, RequestTarget.upload_id.remove())
        else:
            move(target, footage.FAILED, reason="The uploaded file was not the size the phone "
                 "announced. Choose the file and upload it again.")
        raise ValidationError(gettext("The file that arrived is not the one announced; upload "
                                      "it again."), {"size": gettext("does not match")})
    key = target.upload_key
    earlier: list[str] = [str(k) for k in target.earlier_uploads or []]
    if target.status == footage.READY:  # another file: the first original is kept, written once
        evidence = evidence_of(target.target_id)
        if evidence is not None and evidence.original_key not in earlier:
            earlier.append(evidence.original_key)
    assemble(s3, settings, target, held)
    # The key goes with the move: had another attempt started meanwhile, the request still
    # names the original just completed, never a key that holds nothing.
    move(target, footage.PROCESSING, upload_id=None, upload_key=key, earlier_uploads=earlier)
    audit.record(target.agency_id, Actor(owner.user_id, owner.role, ip), "upload.completed",
                 owner.user_id, {"request_id": target.request_id, "target_id": target.target_id,
                                 "bytes": total})
    queue_clip(settings, target)
    return target


def queue_clip(settings: Settings, target: RequestTarget) -> None:
    aws_client(settings, "sqs").send_message(
        QueueUrl=settings.clips_queue_url,
        MessageBody=json.dumps({"target_id": target.target_id, "key": target.upload_key,
                                "queued_at": clock.now().isoformat()}))


def abandon(settings: Settings, target: RequestTarget) -> None:
    """Abort the target's upload under way, if any (its part URLs die with it)."""
    if target.upload_id and target.upload_key:
        _abort(aws_client(settings, "s3"), settings, target)


def _abort(s3: Any, settings: Settings, target: RequestTarget) -> None:
    try:
        s3.abort_multipart_upload(Bucket=settings.uploads_bucket, Key=target.upload_key,
                                  UploadId=target.upload_id)
    except s3.exceptions.NoSuchUpload:
        pass
