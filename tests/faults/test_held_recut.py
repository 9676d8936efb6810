"""Evidence written while a legal hold is on is held too: the clip worker killed after its
Evidence write, a supervisor holding the clip meanwhile, the redelivery cutting it again.

What the re-cut writes (new versions of the same keys in the versioned clips bucket) must be
held like what it replaces, the item must keep the hold, the package (made after the clip)
must be written held, and lifting the hold must release every version, or the older held ones
would outlive the evidence for good.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from app.core import footage
from app.models.footage import Evidence, RequestTarget
from app.services.footage.legal_holds import files_of
from tests.builders.footage import hold_status, put_hold, ready_events, staged_upload, versions
from tests.faults.conftest import Lane, assert_chain_whole
from tests.faults.proxy import Fault, mentioning
from tests.video.samples import make_h264


def test_a_recut_of_held_evidence_is_held_and_the_lift_releases_every_version(
        lane: Lane, signed_in: Any, devstack: Any, tmp_path: Path, outcome: Any) -> None:
    source = make_h264(tmp_path / "held.mp4", width=160, height=120, seconds=12, gop=30)
    target, body = staged_upload(signed_in, devstack, source)
    supervisor, _ = signed_in("supervisor")
    bucket, admin = devstack.env["PORCHLIGHT_CLIPS_BUCKET"], devstack.client("s3")
    lane.send("clips", body)
    table = devstack.env["PORCHLIGHT_TABLE_PREFIX"] + "evidence"
    lane.run_killed("clips", Fault("kill after the Evidence item",
                                   mentioning("dynamodb", "PutItem", table, target.target_id)),
                    timeout=2)
    assert RequestTarget.get(target.target_id).status == footage.PROCESSING
    files = files_of(Evidence.get(target.target_id))

    held = put_hold(supervisor, target.target_id, True, "Court order 24-13")
    assert held.status_code == 200, held.text
    first = {key: versions(admin, bucket, key)[0] for _, key in files}

    lane.wait_visible("clips")  # after the killed Lambda's timeout, as on AWS
    assert lane.run("clips", timeout=2) == {"handled": 1, "errors": []}
    assert RequestTarget.get(target.target_id).status == footage.READY
    assert ready_events(target) == 1
    evidence = Evidence.get(target.target_id)
    assert evidence.legal_hold is True and evidence.hold_reason == "Court order 24-13"
    for what, key in files:
        every = versions(admin, bucket, key)[0]
        assert len(every) == 2 and first[key][0] in every, what  # the re-cut's and the first
        assert {hold_status(admin, bucket, key, v) for v in every} == {"ON"}, what
        newest = next(v for v in every if v != first[key][0])
        with pytest.raises(ClientError) as refused:
            admin.delete_object(Bucket=bucket, Key=key, VersionId=newest)
        assert refused.value.response["Error"]["Code"] == "AccessDenied", what

    # The package, made after the clip (the worker queued it for itself), is held too.
    assert evidence.package_key is None and len(files) == 4
    assert lane.run("clips", timeout=10) == {"handled": 1, "errors": []}
    package = Evidence.get(target.target_id).package_key
    assert package is not None
    assert [hold_status(admin, bucket, package, v)
            for v in versions(admin, bucket, package)[0]] == ["ON"]

    assert put_hold(supervisor, target.target_id, False).status_code == 200
    for what, key in [*files, ("package", package)]:
        for version in versions(admin, bucket, key)[0]:
            assert hold_status(admin, bucket, key, version) == "OFF", what
            admin.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert_chain_whole(target.agency_id)
    outcome("the re-cut's files were written held and the item kept the hold; the package "
            "made after it was written held; the lift released both versions of each of the "
            "4 files and the package")
