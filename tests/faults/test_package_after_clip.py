"""The detective sees the clip before the evidence package is made: the clip worker's first
step ends with the clip on the board and queues the package for itself; until that second
step has run, the board says the package is being prepared and its link is refused (409),
never a link to nothing. The fault lane's queue is only read when the test says so, so the
moment between the two steps can be looked at.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import requests

from app.core import footage
from app.models.footage import Evidence, RequestTarget
from tests.builders.footage import staged_upload
from tests.faults.conftest import Lane
from tests.video.samples import make_h264


def test_the_clip_is_on_the_board_before_its_package(lane: Lane, signed_in: Any,
                                                     devstack: Any, tmp_path: Path,
                                                     outcome: Any) -> None:
    source = make_h264(tmp_path / "export.mp4", width=160, height=120, seconds=12, gop=30)
    target, body = staged_upload(signed_in, devstack, source)
    supervisor, _ = signed_in("supervisor")
    lane.send("clips", body)
    assert lane.run("clips", timeout=10) == {"handled": 1, "errors": []}  # step 1: the clip

    assert RequestTarget.get(target.target_id).status == footage.READY
    assert Evidence.get(target.target_id).package_key is None
    row = supervisor.get(f"/api/requests/{target.request_id}").json()["targets"][0]
    assert row["status"] == footage.READY and row["clip"]["package_ready"] is False
    assert row["clip"]["seconds"] == 8.0
    assert supervisor.send_json("POST", f"/api/evidence/{target.target_id}/clip",
                                {}).status_code == 200
    early = supervisor.send_json("POST", f"/api/evidence/{target.target_id}/package", {})
    assert early.status_code == 409 and "being prepared" in early.json()["detail"]

    assert lane.run("clips", timeout=10) == {"handled": 1, "errors": []}  # step 2: the package
    evidence = Evidence.get(target.target_id)
    assert evidence.package_key is not None
    row = supervisor.get(f"/api/requests/{target.request_id}").json()["targets"][0]
    assert row["clip"]["package_ready"] is True
    link = supervisor.send_json("POST", f"/api/evidence/{target.target_id}/package", {})
    assert link.status_code == 200
    package = zipfile.ZipFile(io.BytesIO(requests.get(link.json()["url"], timeout=30).content))
    assert package.read(f"original/{source.name}") == source.read_bytes()
    for line in package.read("SHA256SUMS").decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256(package.read(name)).hexdigest() == digest, name
    assert lane.counts("clips") == (0, 0)
    outcome("step 1 left the clip playable and the package link refused (409, being "
            "prepared); step 2 made the package the worker had queued for itself")
