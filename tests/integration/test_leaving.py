"""Leaving the program: no personal data of the owner remains in any table or bucket (checked
by scanning every one), and the audit chain, and the checkpoint made before, still verify."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from app.aws import aws_client
from app.models.audit import AuditEvent
from app.models.base import registered_models
from app.services.auditing import audit, checkpoints
from app.services.people import accounts
from tests.builders.bridges import shown_code
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, wait_package, window
from tests.support import PASSWORD, Account, Client, form_token, session_client

pytestmark = pytest.mark.slow  # about 20 s in all: left out of `make check`


def everything_stored(settings: Any) -> str:
    """Every item of every table and every object of both buckets, as one big text."""
    dynamodb = aws_client(settings, "dynamodb")
    parts = []
    for model in registered_models():
        table = settings.table_prefix + model.base_name
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            parts.extend(str(item) for item in page["Items"])
    s3 = aws_client(settings, "s3")
    for bucket in (settings.uploads_bucket, settings.clips_bucket):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                parts.append(item["Key"] + body.decode("latin-1"))
    return "\n".join(parts)


def test_leaving_deletes_personal_data_and_keeps_the_log_whole(
        base_url: str, settings: Any, signed_in: Any, devstack: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    email, name = f"leaver-{tag}@example.org", f"Lee Leaver {tag}"
    user = accounts.create_user(email, PASSWORD, name, "owner", "demo-metro")
    owner = session_client(base_url, settings, Account(user, email, PASSWORD))
    personal = {"email": email, "name": name, "door": f"Door {tag}",
                "alley": f"Alley {tag}", "street": f"{tag} Elm Street",
                "reason": f"My neighbour {tag} is in it", "bridge": f"Shed {tag}"}
    door = owner.send_json("POST", "/api/cameras", camera_body(
        nickname=personal["door"], street=personal["street"])).json()["camera"]["id"]
    alley = owner.send_json("POST", "/api/cameras", camera_body(
        nickname=personal["alley"], tier="on_alert")).json()["camera"]["id"]
    detective, _ = signed_in("detective")
    targets = ask(detective, [door, alley], *window()).json()["targets"]
    declined = owner.send_json("POST", f"/api/targets/{targets[0]['id']}/answer",
                               {"action": "decline", "reason": personal["reason"]})
    assert declined.status_code == 200, declined.text
    share = owner.send_json("POST", "/api/shares", {"camera_ids": [alley], "minutes": 5,
                                                    "phone": True}).json()
    place = owner.send_json("POST", f"/api/shares/{share['share_id']}/phone",
                            {"mime": "video/webm", "duration_s": 1.0, "size": 11}).json()
    requests.put(place["url"], data=b"webm-bytes!", headers=place["headers"], timeout=10)
    owner.send_json("POST", f"/api/shares/{share['share_id']}/phone/{place['name']}/done", {})
    Client(base_url).send_json("POST", "/api/bridge/pair", {
        "code": shown_code(owner), "name": personal["bridge"]}, csrf=False)
    before = everything_stored(settings)
    assert all(value in before for value in personal.values()), "the fixture stored them all"
    checkpoints.make(settings)

    page = owner.get("/account/leave")
    assert "This cannot be undone" in page.text
    wrong = owner.post_form("/account/leave", {"password": "not it"},
                            token=form_token(page.text))
    assert wrong.status_code == 422 and "not your password" in wrong.text
    with devstack.loop.paused("erasure"):  # the erasure worker runs from its queue, here now
        left = owner.post_form("/account/leave", {"password": PASSWORD},
                               token=form_token(page.text))
        assert left.status_code == 200 and "You have left the program" in left.text, left.text
        assert "2 camera(s) withdrawn" in left.text
        assert owner.get("/account/activity").status_code in (302, 401)  # signed out for good
        assert devstack.loop.drain("erasure") == 1
    assert [e for e in AuditEvent.action_index.query("account.erased")
            if user.user_id in (e.details or "")], "no erasure recorded"

    after = everything_stored(settings)
    found = {k: v for k, v in personal.items() if v in after}
    assert not found, f"personal data left behind: {found}"
    assert user.user_id in after  # the pseudonym stays in the audit log
    chain = audit.chain_for("demo-metro")
    _count, _events, breaks = audit.verify_all(only=chain)
    assert breaks == [], breaks
    events_by_chain, _heads = audit.load_chains(only=chain)
    assert [p for p in checkpoints.verify(settings, events_by_chain) if chain in p] == []
    board = detective.get(f"/api/requests/{targets[0]['request_id']}").json() \
        if "request_id" in targets[0] else None
    assert board is None or personal["door"] not in str(board)


def test_an_owner_who_leaves_has_their_clips_deleted_by_the_next_retention_pass(
        base_url: str, settings: Any, signed_in: Any, devstack: Any, tmp_path: Any) -> None:
    """The web role may only read evidence: leaving makes the clip due now, and the retention
    worker (which alone may delete evidence) deletes every file and version of it."""
    from app.core import footage
    from app.models.footage import Evidence
    from lambdas.retention.handler import run_once
    from tests.builders.footage import OFFSET_S, upload, wait_status
    from tests.video.samples import make_h264

    email = f"clip-leaver-{uuid.uuid4().hex[:8]}@example.org"
    user = accounts.create_user(email, PASSWORD, "Clip Leaver", "owner", "demo-metro")
    owner = session_client(base_url, settings, Account(user, email, PASSWORD))
    camera = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    detective, _ = signed_in("detective")
    start, end = window(seconds=4)
    target_id = ask(detective, [camera], start, end).json()["targets"][0]["id"]
    owner.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})
    source = make_h264(tmp_path / "short.mp4", width=160, height=120, seconds=6, gop=30)
    upload(owner, target_id, source, start + timedelta(seconds=OFFSET_S))
    assert wait_status(owner, target_id, (footage.READY, footage.FAILED))["status"] == footage.READY
    evidence = wait_package(target_id)  # made after the clip; deleted with it

    page = owner.get("/account/leave")
    left = owner.post_form("/account/leave", {"password": PASSWORD},
                           token=form_token(page.text))
    assert "1 clip(s) deleted (their files within 15 minutes)" in left.text, left.text
    assert Evidence.get(target_id).delete_after <= datetime.now(UTC)
    run_once()
    with pytest.raises(Evidence.DoesNotExist):
        Evidence.get(target_id)
    s3 = devstack.client("s3")
    for bucket, key in ((settings.uploads_bucket, evidence.original_key),
                        (settings.clips_bucket, evidence.clip_key),
                        (settings.clips_bucket, evidence.package_key)):
        versions = s3.list_object_versions(Bucket=bucket, Prefix=key)
        assert not versions.get("Versions") and not versions.get("DeleteMarkers") \
            or bucket == settings.uploads_bucket, key
        assert s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) == 0, key
