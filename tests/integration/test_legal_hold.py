"""A supervisor's legal hold is enforced by S3 (Object Lock on the clips bucket): nobody can
delete a held evidence file, an administrator with the bucket's keys included, until the hold
is lifted; retention deletes unheld evidence for real (every version) and leaves held evidence
alone; a hold S3 refuses is not recorded, and the supervisor is told.

What moto 5.2.5 enforces, and these tests rely on: put/get_object_legal_hold (per version too),
AccessDenied on delete_object with a held VersionId (governance bypass or not), a plain delete
on a versioned bucket only adding a delete marker (held or not), ObjectLockLegalHoldStatus on a
single-part upload. What it does not: the same header on a multipart upload (ignored), and a
hold on a missing key answers 500 where S3 answers NoSuchKey; either way S3 refuses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from app.core import footage
from app.models.footage import Evidence, RequestTarget
from app.services.auditing import audit
from app.services.footage.legal_holds import files_of
from tests.builders.cameras import camera_body
from tests.builders.footage import (
    OFFSET_S,
    ask,
    hold_status,
    put_hold,
    upload,
    versions,
    wait_package,
    wait_status,
    window,
)
from tests.video.samples import make_h264

pytestmark = pytest.mark.slow  # about 31 s in all: left out of `make check`

PROBLEM = "application/problem+json"


@pytest.fixture
def people(signed_in: Any) -> dict[str, Any]:
    owner, owner_account = signed_in("owner")
    detective, _ = signed_in("detective")
    supervisor, _ = signed_in("supervisor")
    return {"owner": owner, "owner_id": owner_account.user.user_id, "detective": detective,
            "supervisor": supervisor}


def ready_clips(people: dict[str, Any], tmp_path: Path, count: int = 1) -> list[str]:
    """`count` cameras asked in one request, each owner's upload cut: their target ids."""
    owner, detective = people["owner"], people["detective"]
    cameras = [owner.send_json("POST", "/api/cameras", camera_body(nickname=f"Door {n}")
                               ).json()["camera"]["id"] for n in range(count)]
    start, end = window(seconds=4)
    targets = [t["id"] for t in ask(detective, cameras, start, end).json()["targets"]]
    source = make_h264(tmp_path / "short.mp4", width=160, height=120, seconds=6, gop=30)
    for target_id in targets:
        owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})
        assert upload(owner, target_id, source, start + timedelta(seconds=OFFSET_S)
                      ).status_code == 200
    for target_id in targets:
        assert wait_status(owner, target_id, (footage.READY, footage.FAILED))["status"] == \
            footage.READY
        wait_package(target_id)  # all five files, the package made after the clip
    return targets


def refusal(call: Any) -> str:
    """The error code S3 answers `call()` with."""
    with pytest.raises(ClientError) as refused:
        call()
    return str(refused.value.response["Error"]["Code"])


def events_about(user_id: str, target_id: str) -> list[str]:
    return [e.action for e in audit.activity_of(user_id, limit=300)
            if target_id in (e.details or "")]


def test_nobody_deletes_held_evidence_until_the_hold_is_lifted(
        people: dict[str, Any], tmp_path: Path, devstack: Any) -> None:
    (target_id,) = ready_clips(people, tmp_path)
    supervisor, bucket = people["supervisor"], devstack.env["PORCHLIGHT_CLIPS_BUCKET"]
    admin = devstack.client("s3")  # the account's administrator, straight to S3
    evidence = Evidence.get(target_id)
    files = dict(files_of(evidence))
    assert set(files) == {"clip", "poster", "contact sheet", "manifest", "evidence package"}
    assert all(key.startswith(f"evidence/{evidence.request_id}/{target_id}/")
               for key in files.values())
    assert {hold_status(admin, bucket, key) for key in files.values()} == {"OFF"}

    held = put_hold(supervisor, target_id, True, "Court order 24-7")
    assert held.status_code == 200, held.text
    assert held.json()["legal_hold"] is True
    first = {what: versions(admin, bucket, key)[0] for what, key in files.items()}
    for what, key in files.items():
        assert len(first[what]) == 1, what
        assert hold_status(admin, bucket, key) == "ON", what
        assert refusal(lambda k=key, v=first[what][0]: admin.delete_object(
            Bucket=bucket, Key=k, VersionId=v)) == "AccessDenied", what
    # A delete without a version only hides the file behind a delete marker: the held version
    # stays, whole, and a lifted hold can still be deleted for real.
    admin.delete_object(Bucket=bucket, Key=files["poster"])
    kept, markers = versions(admin, bucket, files["poster"])
    assert kept == first["poster"] and len(markers) == 1
    assert hold_status(admin, bucket, files["poster"], kept[0]) == "ON"
    row = people["detective"].get(f"/api/requests/{evidence.request_id}").json()["targets"][0]
    assert row["clip"]["legal_hold"] is True

    lifted = put_hold(supervisor, target_id, False)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["legal_hold"] is False and not Evidence.get(target_id).legal_hold
    for what, key in files.items():
        assert hold_status(admin, bucket, key, first[what][0]) == "OFF", what
        admin.delete_object(Bucket=bucket, Key=key, VersionId=first[what][0])
        assert versions(admin, bucket, key)[0] == [], what
    assert {"clip.held", "clip.released"} <= set(events_about(people["owner_id"], target_id))


def test_retention_deletes_unheld_evidence_for_real_and_leaves_held_evidence(
        people: dict[str, Any], tmp_path: Path, devstack: Any) -> None:
    from lambdas.retention.handler import run_once

    kept_id, gone_id = ready_clips(people, tmp_path, count=2)
    bucket, admin = devstack.env["PORCHLIGHT_CLIPS_BUCKET"], devstack.client("s3")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for target_id in (kept_id, gone_id):
        Evidence.get(target_id).update(actions=[Evidence.delete_after.set(yesterday)])
    assert put_hold(people["supervisor"], kept_id, True, "Open case").status_code == 200
    kept, gone = Evidence.get(kept_id), Evidence.get(gone_id)
    before = {key: versions(admin, bucket, key)[0] for _, key in files_of(kept)}

    run_once()

    for what, key in files_of(gone):
        assert versions(admin, bucket, key) == ([], []), what  # no version, no marker left
    assert refusal(lambda: admin.head_object(
        Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"], Key=gone.original_key)) == "404"
    with pytest.raises(Evidence.DoesNotExist):
        Evidence.get(gone_id)
    assert RequestTarget.get(gone_id).status == footage.DELETED
    assert "clip.deleted" in events_about(people["owner_id"], gone_id)

    assert Evidence.get(kept_id).legal_hold is True
    for what, key in files_of(kept):
        assert versions(admin, bucket, key) == (before[key], []), what
        assert hold_status(admin, bucket, key) == "ON", what
    assert RequestTarget.get(kept_id).status == footage.READY
    assert "clip.deleted" not in events_about(people["owner_id"], kept_id)


def test_a_hold_storage_refuses_is_not_recorded_and_the_supervisor_is_told(
        people: dict[str, Any], tmp_path: Path, devstack: Any) -> None:
    from lambdas.retention.handler import run_once

    (target_id,) = ready_clips(people, tmp_path)
    supervisor, bucket = people["supervisor"], devstack.env["PORCHLIGHT_CLIPS_BUCKET"]
    admin = devstack.client("s3")
    evidence = Evidence.get(target_id)
    files = dict(files_of(evidence))
    for version in versions(admin, bucket, files["poster"])[0]:  # the poster is gone
        admin.delete_object(Bucket=bucket, Key=files["poster"], VersionId=version)

    refused = put_hold(supervisor, target_id, True, "Court order 24-9")
    assert refused.status_code == 409, refused.text
    assert refused.headers["Content-Type"] == PROBLEM
    problem = refused.json()
    assert problem["type"] == "/problems/legal-hold-failed"
    assert "poster" in problem["detail"] and "not on legal hold" in problem["detail"]
    assert Evidence.get(target_id).legal_hold is False  # nothing recorded
    assert "clip.held" not in events_about(people["owner_id"], target_id)
    row = people["detective"].get(f"/api/requests/{evidence.request_id}").json()["targets"][0]
    assert row["clip"]["legal_hold"] is False

    # The clip, held before S3 refused the poster, stays held: more than Porchlight claims,
    # never less. Retention, when it is due, keeps the evidence whole rather than half of it.
    assert hold_status(admin, bucket, files["clip"]) == "ON"
    Evidence.get(target_id).update(
        actions=[Evidence.delete_after.set(datetime.now(UTC) - timedelta(days=1))])
    run_once()
    assert Evidence.get(target_id).clip_key == files["clip"]
    for what in ("clip", "contact sheet", "manifest", "evidence package"):
        assert len(versions(admin, bucket, files[what])[0]) == 1, what
    # Lifting clears it, and the next pass deletes what is left, for real.
    assert put_hold(supervisor, target_id, False).status_code == 200
    run_once()
    with pytest.raises(Evidence.DoesNotExist):
        Evidence.get(target_id)
    assert all(versions(admin, bucket, key) == ([], []) for key in files.values())


def test_one_hold_change_at_a_time(people: dict[str, Any], tmp_path: Path,
                                   devstack: Any) -> None:
    (target_id,) = ready_clips(people, tmp_path)
    bucket, admin = devstack.env["PORCHLIGHT_CLIPS_BUCKET"], devstack.client("s3")
    evidence = Evidence.get(target_id)
    # Another supervisor's change is under way (its lease has not run out).
    busy = datetime.now(UTC) + timedelta(seconds=30)
    evidence.update(actions=[Evidence.hold_changing_until.set(busy)])
    answer = put_hold(people["supervisor"], target_id, True, "Court order 24-11")
    assert answer.status_code == 409 and answer.headers["Content-Type"] == PROBLEM
    assert "changing this clip's legal hold" in answer.json()["detail"]
    assert hold_status(admin, bucket, evidence.clip_key) == "OFF"  # S3 untouched
    assert Evidence.get(target_id).legal_hold is False
    # A lease whose change died with its Lambda runs out by itself.
    evidence.update(actions=[Evidence.hold_changing_until.set(
        datetime.now(UTC) - timedelta(seconds=1))])
    assert put_hold(people["supervisor"], target_id, True, "Court order 24-11"
                    ).status_code == 200
    assert hold_status(admin, bucket, evidence.clip_key) == "ON"
    assert Evidence.get(target_id).hold_changing_until is None
