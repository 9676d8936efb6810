"""The detective's board in Chromium says, in plain words and the program's time zone, which
parts of the asked window a clip has no video for, gives the clip's delivered length, and
offers the evidence package once it is made.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.core import gaps
from app.models.footage import FootageRequest
from app.services.governance.policy import policy_for
from tests.builders.footage import deliver, staged_upload
from tests.e2e.helpers import collect_page_errors, log_in
from tests.support import make_user
from tests.video.samples import make_h264

pytestmark = pytest.mark.e2e


def test_the_board_says_where_the_clip_has_no_video(tablet: Page, signed_in: Any,
                                                    devstack: Any, tmp_path: Path) -> None:
    # 30 s asked; the owner's file starts 8 s late and runs 15 s.
    source = make_h264(tmp_path / "late.mp4", width=160, height=120, seconds=15, gop=30)
    target, body = staged_upload(signed_in, devstack, source, seconds=30, file_starts_s=8.0)
    assert deliver(body) == {"batchItemFailures": []}
    start = FootageRequest.get(target.request_id).window_start
    zone = policy_for(target.agency_id).timezone

    errors = collect_page_errors(tablet)
    log_in(tablet, make_user("supervisor"))
    tablet.goto(f"/cases/{target.request_id}")
    row = tablet.locator(".js-rows .card")
    expect(row).to_contain_text("ready")
    expect(row).to_contain_text(re.compile(r"\b15 s clip"))
    late = gaps.words(start, start + timedelta(seconds=8), gaps.BEFORE_FILE, zone)
    early = gaps.words(start + timedelta(seconds=23), start + timedelta(seconds=30),
                       gaps.AFTER_FILE, zone)
    shown = [words[0].upper() + words[1:] for words in (late, early)]
    expect(row.locator(".js-gap")).to_have_text(shown)
    assert "the video starts later than the asked time" in late and "(Chicago time, 8 s)" in late
    # The package follows the clip: being prepared, then offered (the board updates itself).
    expect(row.get_by_role("button", name=re.compile("^Download evidence package"))
           ).to_be_visible(timeout=30_000)
    expect(row).not_to_contain_text("being prepared")
    assert errors == []
