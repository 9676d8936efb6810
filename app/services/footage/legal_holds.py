"""Legal holds that S3 enforces: held evidence cannot be deleted by anyone.

The clips bucket has Object Lock. A supervisor's hold puts an S3 legal hold on each of the
evidence's files (clip, poster, contact sheet, manifest, package: the keys the Evidence item
names, all under evidence/<request>/<target>/), and S3 then refuses to delete a held version,
whoever asks: an administrator, the lifecycle backstop, Porchlight itself. The Evidence item's
`legal_hold` says what Porchlight claims; the two are written in an order that never lets the
item claim a hold S3 does not have (see app.services.footage.canvass.hold).

Order of the files. Holds go on in FILES order and come off in the reverse order, and deletion
goes in FILES order and stops at the first version S3 refuses. So whatever a failure part-way
leaves held is a leading run of FILES, and deletion stops at its first file: evidence is deleted
whole or kept whole.

The original upload stays in the uploads bucket, which has no Object Lock (Porchlight's own
retention skips it while the item is held); the package holds a byte-for-byte copy of it.

The package comes last, and later: the clip worker makes it after the clip is on the board
(lambdas/clip_cutter/handler.py), so the item names it (`package_key`) only once it is written.
A hold placed before that covers the files there are; the package is written held when the item
is held, and named on the item only while no hold change is under way and the hold is still
what it was written with (save_package). Retention waits for a package being made
(PACKAGE_GRACE) and, past that, deletes the package's place too (delete_files).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError, UpdateError

from app.aws import aws_client
from app.config import Settings
from app.core.errors import ConflictError, LegalHoldError
from app.models.base import condition_failed
from app.models.footage import Evidence
from app.services import clock

# The Evidence attributes naming files in the clips bucket, and what a supervisor calls them.
FILES = (("clip_key", "clip"), ("poster_key", "poster"), ("sheet_key", "contact sheet"),
         ("manifest_key", "manifest"), ("package_key", "evidence package"))
# One hold change at a time per clip; longer than the web Lambda's 30 s timeout, so a change
# whose Lambda died frees the clip by itself.
CHANGE_LEASE = timedelta(seconds=60)
PACKAGE_NAME = "evidence-package.zip"  # beside the clip, under evidence/<request>/<target>/
# How long retention leaves due evidence whose package is still being made (a 2 GB original
# takes minutes); past it, the package step is taken to have given up.
PACKAGE_GRACE = timedelta(hours=1)


class HeldInStorage(Exception):
    """S3 refused to delete a version of an evidence file: it is under a legal hold."""

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"the {what} ({key}) is held in S3")
        self.what, self.key = what, key


def files_of(evidence: Evidence) -> list[tuple[str, str]]:
    """(what, key) of each file the item names in the clips bucket, in FILES order."""
    found = [(what, getattr(evidence, attribute)) for attribute, what in FILES]
    return [(what, key) for what, key in found if key]


def package_key_of(evidence: Evidence) -> str:
    """Where the clip's package is (or will be) stored: beside its clip."""
    return evidence.clip_key.rsplit("/", 1)[0] + "/" + PACKAGE_NAME


def package_pending(evidence: Evidence) -> bool:
    """The package is still being made: retention leaves the evidence for a later pass."""
    return not evidence.package_key and evidence.made_at + PACKAGE_GRACE > clock.now()


def upload_args(held: bool) -> dict[str, str]:
    """ExtraArgs for a file written while its evidence is held: held from its first byte."""
    return {"ObjectLockLegalHoldStatus": "ON"} if held else {}


def _set_newest(s3: Any, bucket: str, keys: list[str], on: bool) -> None:
    """ON or OFF on the newest version of each key (botocore's ClientError when S3 refuses)."""
    for key in keys if on else reversed(keys):
        s3.put_object_legal_hold(Bucket=bucket, Key=key,
                                 LegalHold={"Status": "ON" if on else "OFF"})


def _versions(s3: Any, bucket: str, key: str, markers: bool = False) -> list[str]:
    """Every version id of exactly this key (and its delete markers, when asked)."""
    found: list[str] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        entries = page.get("Versions", []) + (page.get("DeleteMarkers", []) if markers else [])
        found.extend(entry["VersionId"] for entry in entries if entry["Key"] == key)
    return found


# ---------------------------------------------------------------- a supervisor's change


@contextmanager
def one_change_at_a_time(evidence: Evidence) -> Iterator[None]:
    """A lease on the clip's hold: a place and a lift interleaved could each write S3 and the
    item in an order that leaves the item claiming a hold S3 no longer has."""
    now = clock.now()
    try:
        evidence.update(
            actions=[Evidence.hold_changing_until.set(now + CHANGE_LEASE)],
            condition=Evidence.target_id.exists() & (
                Evidence.hold_changing_until.does_not_exist()
                | (Evidence.hold_changing_until < now)))
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        raise ConflictError("Another supervisor is changing this clip's legal hold, or the "
                            "clip was deleted, just now; reload and try again.") from exc
    try:
        yield
    finally:
        try:
            evidence.update(actions=[Evidence.hold_changing_until.remove()],
                            condition=Evidence.target_id.exists())
        except UpdateError:
            pass  # the lease runs out by itself within CHANGE_LEASE


def changing(evidence: Evidence) -> bool:
    """A supervisor is placing or lifting this clip's hold right now."""
    until = evidence.hold_changing_until
    return until is not None and until > clock.now()


def place(settings: Settings, evidence: Evidence) -> None:
    """ON on the newest version of each file. Nothing is recorded here: the caller writes the
    item only after this returns."""
    s3 = aws_client(settings, "s3")
    for what, key in files_of(evidence):
        try:
            s3.put_object_legal_hold(Bucket=settings.clips_bucket, Key=key,
                                     LegalHold={"Status": "ON"})
        except ClientError as exc:
            raise LegalHoldError(
                f"Storage refused to hold the clip's {what}, so nothing was recorded: the clip "
                "is not on legal hold. Try again; if it fails again, ask your administrator to "
                "check the clip's files.") from exc


def lift(settings: Settings, evidence: Evidence) -> None:
    """OFF on every version of each file, in reverse FILES order: a re-cut made while the clip
    was held left held older versions that only a listing finds."""
    s3 = aws_client(settings, "s3")
    for what, key in reversed(files_of(evidence)):
        try:
            for version in _versions(s3, settings.clips_bucket, key):
                s3.put_object_legal_hold(Bucket=settings.clips_bucket, Key=key,
                                         VersionId=version, LegalHold={"Status": "OFF"})
        except ClientError as exc:
            raise LegalHoldError(
                f"The hold is lifted in Porchlight, but storage still holds the clip's {what}: "
                "lift the hold again to release it.") from exc


def note(evidence: Evidence, on: bool, reason: str) -> None:
    """Record the hold on the item, unless the clip worker replaced the files meanwhile (then
    the files just held are not the clip's any more)."""
    try:
        evidence.update(actions=[Evidence.legal_hold.set(on), Evidence.hold_reason.set(reason)],
                        condition=Evidence.made_at == evidence.made_at)
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        raise ConflictError("The clip was made again meanwhile; reload and try again.") from exc


# ---------------------------------------------------------------- the workers


def save_cut(settings: Settings, evidence: Evidence) -> None:
    """Store the clip worker's Evidence item (a first cut, or a re-cut of held evidence whose
    files were written with `upload_args(evidence.legal_hold)`).

    The S3 header holds a file from its first byte on AWS; moto ignores it on multipart
    uploads, so a held cut's files are held once more here (idempotent). The item is written
    only if the hold is still what the cut was written with; if a supervisor changed it
    meanwhile, the new files get the hold as it is now, and the item says so.
    """
    s3 = aws_client(settings, "s3")
    keys = [key for _, key in files_of(evidence)]
    if evidence.legal_hold:
        _set_newest(s3, settings.clips_bucket, keys, True)
    for _ in range(4):
        try:
            evidence.save(condition=Evidence.target_id.does_not_exist()
                          | (Evidence.legal_hold == bool(evidence.legal_hold)))
            return
        except PutError as exc:
            if not condition_failed(exc):
                raise
        now = Evidence.get(evidence.target_id, consistent_read=True)
        _set_newest(s3, settings.clips_bucket, keys, bool(now.legal_hold))
        evidence.legal_hold, evidence.hold_reason = bool(now.legal_hold), now.hold_reason
    raise ConflictError("The clip's legal hold kept changing while it was cut; cut it again.")


def save_package(settings: Settings, evidence: Evidence, key: str) -> bool:
    """Name the package on the item once its file is written (with `upload_args` of the hold
    the item had then). Written only if the item is still the cut the package was made for,
    no hold change is under way, and the hold is what the file was written with; a hold changed
    meanwhile is put on the file as it is now. False when the evidence was deleted or cut
    again meanwhile: the file then belongs to nothing (the retention backstop removes it)."""
    s3 = aws_client(settings, "s3")
    held = bool(evidence.legal_hold)
    for _ in range(8):
        now = clock.now()
        try:
            evidence.update(
                actions=[Evidence.package_key.set(key)],
                condition=(Evidence.made_at == evidence.made_at)
                & (Evidence.legal_hold == held)
                & (Evidence.hold_changing_until.does_not_exist()
                   | (Evidence.hold_changing_until < now)))
            return True
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
        try:
            current = Evidence.get(evidence.target_id, consistent_read=True)
        except Evidence.DoesNotExist:
            return False
        if current.made_at != evidence.made_at:
            return False
        if changing(current):
            raise ConflictError("A supervisor is changing this clip's legal hold: the package "
                                "is named once that is done.")
        held = bool(current.legal_hold)
        _set_newest(s3, settings.clips_bucket, [key], held)
    raise ConflictError("The clip's legal hold kept changing while its package was made.")


def delete_files(settings: Settings, evidence: Evidence) -> None:
    """Delete every version (and delete marker) of each file, for real: on a versioned bucket
    a plain delete only hides the newest version, and would succeed on a held one. A package
    the item does not name yet (its step gave up, or died before naming it) is looked for in
    its place too. HeldInStorage at the first version S3 refuses (AccessDenied: Object Lock)."""
    s3 = aws_client(settings, "s3")
    files = files_of(evidence)
    if not evidence.package_key:
        files.append(("evidence package", package_key_of(evidence)))
    for what, key in files:
        for version in _versions(s3, settings.clips_bucket, key, markers=True):
            try:
                s3.delete_object(Bucket=settings.clips_bucket, Key=key, VersionId=version)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "AccessDenied":
                    raise
                raise HeldInStorage(what, key) from exc
