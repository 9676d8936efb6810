"""What `make run` keeps between starts, in its data folder (.devstack-data/, git-ignored).

- `dynamodb/`: DynamoDB Local's own files (`-dbPath`): every table, written as it goes.
- `s3/`: every object of both buckets, with its type, metadata, legal hold and retention
  (`manifest.json` + one file per object). moto keeps S3 in memory, so the Keeper copies what
  changed every SAVE_EVERY_S seconds and at stop, and puts it all back at the next start: a
  table item never points at an upload the restart lost (after a crash, at most the last few
  seconds' objects are missing; an upload still in progress at stop must be sent again).
- `sqs.json`: the messages still queued or dead-lettered at stop, sent again at the next start.
- `keys.json` (mode 0600): the session secret, the VAPID keys and the checkpoint signing key,
  so sessions and phones' push subscriptions survive and checkpoints signed before a restart
  still verify.

`make run FRESH=1` starts from an empty folder; `make reset` deletes it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

SAVE_EVERY_S = 5.0
log = logging.getLogger("devstack.persist")


def load_keys(data_dir: Path) -> dict[str, str]:
    path = data_dir / "keys.json"
    if not path.exists():
        return {}
    kept: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return kept


def save_keys(data_dir: Path, keys: dict[str, str]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "keys.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(keys, out)


def _write_json(path: Path, value: Any) -> None:
    """Whole or not at all: a crash mid-write leaves the previous file."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(value, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(path)


class Keeper:
    """Copies devstack's S3 objects and queued messages to its data folder and back."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.folder: Path = stack.data_dir / "s3"
        self.objects = self.folder / "objects"
        self.manifest_path = self.folder / "manifest.json"
        self.sqs_path: Path = stack.data_dir / "sqs.json"
        self.buckets = [stack.env["PORCHLIGHT_UPLOADS_BUCKET"],
                        stack.env["PORCHLIGHT_CLIPS_BUCKET"]]
        self.s3, self.sqs = stack.client("s3"), stack.client("sqs")
        self.manifest: dict[str, dict[str, Any]] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- start ------------------------------------------------------------------------------

    def restore(self) -> Keeper:
        """Put back the objects and messages kept by the previous run."""
        s3 = self.s3
        if self.manifest_path.exists():
            self.manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        for name, entry in self.manifest.items():
            extra: dict[str, Any] = {"ContentType": entry["content_type"],
                                     "Metadata": entry["metadata"]}
            if entry.get("legal_hold") == "ON":
                extra["ObjectLockLegalHoldStatus"] = "ON"
            if entry.get("retention_mode"):
                extra["ObjectLockMode"] = entry["retention_mode"]
                extra["ObjectLockRetainUntilDate"] = datetime.fromisoformat(
                    entry["retain_until"])
            path = self.objects / name
            if not path.exists():
                log.warning("kept object %s/%s has no file; skipped", entry["bucket"],
                            entry["key"])
                continue
            with path.open("rb") as body:
                s3.put_object(Bucket=entry["bucket"], Key=entry["key"], Body=body, **extra)
            entry["etag"] = s3.head_object(Bucket=entry["bucket"], Key=entry["key"])["ETag"]
        if self.sqs_path.exists():
            sqs = self.sqs
            kept = json.loads(self.sqs_path.read_text(encoding="utf-8"))
            for env_key, messages in kept.items():
                url = self.stack.env.get(env_key)
                for message in messages if url else []:
                    sqs.send_message(QueueUrl=url, MessageBody=message["body"],
                                     **({"MessageAttributes": message["attributes"]}
                                        if message["attributes"] else {}))
            self.sqs_path.unlink()
        return self

    def start(self) -> Keeper:
        self._thread = threading.Thread(target=self._run, daemon=True, name="devstack-keeper")
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(SAVE_EVERY_S):
            try:
                self.save_objects()
            except Exception:  # noqa: BLE001 - keep trying; stop() saves once more
                log.exception("could not copy devstack's objects to %s", self.folder)

    # -- while running and at stop ----------------------------------------------------------

    def save_objects(self) -> int:
        """Copy every object new or changed since the last copy; forget deleted ones. Returns
        how many objects were copied."""
        with self._lock:
            s3 = self.s3
            self.objects.mkdir(parents=True, exist_ok=True)
            seen: set[str] = set()
            copied = 0
            for bucket in self.buckets:
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                    for item in page.get("Contents", []):
                        name = hashlib.sha256(f"{bucket}/{item['Key']}".encode()).hexdigest()
                        seen.add(name)
                        if self.manifest.get(name, {}).get("etag") == item["ETag"]:
                            continue
                        if self._copy(s3, bucket, item["Key"], name):
                            copied += 1
            for name in set(self.manifest) - seen:
                del self.manifest[name]
                (self.objects / name).unlink(missing_ok=True)
            _write_json(self.manifest_path, self.manifest)
            return copied

    def _copy(self, s3: Any, bucket: str, key: str, name: str) -> bool:
        try:
            got = s3.get_object(Bucket=bucket, Key=key)
        except ClientError:  # deleted since the listing
            return False
        partial = self.objects / (name + ".partial")
        with partial.open("wb") as out:
            for chunk in got["Body"].iter_chunks(1 << 20):
                out.write(chunk)
        partial.replace(self.objects / name)
        retain = got.get("ObjectLockRetainUntilDate")
        self.manifest[name] = {
            "bucket": bucket, "key": key, "etag": got["ETag"],
            "content_type": got.get("ContentType", "binary/octet-stream"),
            "metadata": got.get("Metadata", {}),
            "legal_hold": got.get("ObjectLockLegalHoldStatus", ""),
            "retention_mode": got.get("ObjectLockMode", ""),
            "retain_until": retain.isoformat() if retain else "",
        }
        return True

    def save_messages(self) -> int:
        """Every message still in a queue or dead-letter queue, to be sent again at the next
        start. Run with the workers stopped."""
        sqs = self.sqs
        kept: dict[str, list[dict[str, Any]]] = {}
        total = 0
        for env_key, url in self.stack.env.items():
            if not env_key.startswith(("DEVSTACK_QUEUE_", "DEVSTACK_DLQ_")):
                continue
            while True:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                          MessageAttributeNames=["All"], VisibilityTimeout=300,
                                          WaitTimeSeconds=0).get("Messages", [])
                if not got:
                    break
                kept.setdefault(env_key, []).extend(
                    {"body": m["Body"], "attributes": m.get("MessageAttributes", {})}
                    for m in got)
                total += len(got)
        _write_json(self.sqs_path, kept)
        return total

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
        copied = self.save_objects()
        queued = self.save_messages()
        log.info("kept %d objects (%d copied now) and %d queued messages in %s",
                 len(self.manifest), copied, queued, self.stack.data_dir)
