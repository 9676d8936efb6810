"""An owner's upload survives a dropped connection: the phone goes offline in the middle of the
second 16 MB part, comes back, and the page sends only what S3 still lacks. The file is not a
video, so the owner then reads why it cannot be used, and the original is kept."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from app.models.footage import RequestTarget
from app.services import clock
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.e2e.helpers import collect_page_errors, log_in
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e


def test_upload_resumes_after_the_network_drops(phone: Page, base_url: str, settings: Any,
                                                devstack: Any, tmp_path: Path) -> None:
    owner = make_user("owner")
    owner_client = session_client(base_url, settings, owner)
    cam = owner_client.send_json("POST", "/api/cameras", camera_body(nickname="Garage"))
    detective = session_client(base_url, settings, make_user("detective"))
    target_id = ask(detective, [cam.json()["camera"]["id"]], *window()).json()["targets"][0]["id"]
    owner_client.send_json("POST", f"/api/targets/{target_id}/answer", {"action": "approve"})

    # 17 MiB: two parts. Not a video: the worker will say so once it has it all.
    export = tmp_path / "export.mp4"
    export.write_bytes(os.urandom(17 * 1024 * 1024))

    errors = collect_page_errors(phone)
    context: BrowserContext = phone.context
    log_in(phone, owner)
    phone.goto(f"/requests/{target_id}")
    dropped: list[str] = []

    def flaky_part_two(route: Route) -> None:
        """Part 2 fails while the network is flaky; the page retries it meanwhile."""
        if not dropped or dropped[-1] != "back":
            dropped.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    phone.route(re.compile(r"partNumber=2"), flaky_part_two)
    part_one_puts: list[str] = []
    phone.on("request", lambda r: part_one_puts.append(r.url) if "partNumber=1" in r.url
             and r.method == "PUT" else None)
    phone.get_by_label("Video file").set_input_files(str(export))
    phone.get_by_label("What time did the recorder show?").fill(clock.now().strftime("%H:%M:%S"))
    with phone.expect_request_finished(lambda r: "partNumber=1" in r.url):
        phone.get_by_role("button", name="Upload").click()
    context.set_offline(True)  # then the phone loses the network altogether
    alert = phone.locator(".js-upload-error")
    expect(alert).to_contain_text("goes on by itself when you are back online")
    state = owner_client.get(f"/api/targets/{target_id}/upload").json()
    assert state["parts_done"] == [1], state  # part 1 arrived before the drop

    dropped.append("back")
    context.set_offline(False)  # back online: the page resumes with part 2 only
    expect(phone.locator(".status")).to_have_text("failed", timeout=60_000)
    # Random bytes: FFmpeg calls them "not a video" or, when they happen to look like some
    # format's header, "pictures cannot be read"; both tell the owner to export it again.
    expect(phone.locator(".js-reason")).to_contain_text("Export it again from the recorder")
    assert len(dropped) >= 2  # at least one failed try of part 2 before the resume
    assert len(part_one_puts) == 1  # the resume did not send part 1 again

    target = RequestTarget.get(target_id)
    stored = devstack.client("s3").get_object(Bucket=devstack.env["PORCHLIGHT_UPLOADS_BUCKET"],
                                              Key=target.upload_key)["Body"].read()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(export.read_bytes()).digest()
    assert errors == [] or all("Failed to load resource" in e for e in errors), errors
