"""The case timeline in Chromium: three clips of cameras along a street, from recorders whose
clocks are off by known amounts, cut by the clip worker. Sent to a chosen real second (typed
in the program's time, as a detective would), every clip that covers it shows the picture
captured at that second: each picture's number, burnt into it, read back from the video
element, gives its real time, which must be within one frame of the second asked. Played,
the clips stay in step with the clock; the map lights the cameras that cover the moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from app.services.governance.policy import policy_for
from tests.builders.cameras import SCENE
from tests.builders.footage import case_with_clips
from tests.e2e.helpers import collect_page_errors, log_in
from tests.support import AGENCY_ID, Account
from tests.video.samples import make_h264

pytestmark = pytest.mark.e2e

FPS = 10
# Read every video's burnt-in picture number (tests/video/samples.py: 12 blocks of 16 px in
# the top rows, white for 1), as a detective's screen shows it now.
READ = """() => {
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const read = (video) => {
    if (video.readyState < 2 || !video.videoWidth) return null;
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    let number = 0;
    for (let bit = 0; bit < 12; bit += 1) {
      const px = context.getImageData(bit * 16 + 4, 6, 8, 8).data;
      let sum = 0;
      for (let i = 0; i < px.length; i += 4) sum += (px[i] + px[i + 1] + px[i + 2]) / 3;
      number = number * 2 + (sum / (px.length / 4) > 128 ? 1 : 0);
    }
    return number;
  };
  const timeline = window.caseTimeline;
  return { at: timeline.at, clips: timeline.clips.map((clip) => ({
    id: clip.data.id, covered: clip.covers(timeline.at), number: read(clip.video) })) };
}"""


@pytest.fixture()
def street_case(signed_in: Any, devstack: Any, tmp_path: Path) -> dict[str, Any]:
    start = (datetime.now(UTC) - timedelta(minutes=40)).replace(microsecond=0)
    specs = []
    # The shop's recorder runs 2 min 7 s fast, the house's 41.5 s slow, the bar's is right;
    # their files start at different moments; the house's and the bar's end early.
    for name, (lead_s, offset_s, seconds, east_m) in {
            "Shop": (2.0, 127.0, 16, 0), "House": (0.5, -41.5, 12, 40),
            "Bar": (6.3, 0.0, 8, 80)}.items():
        video = make_h264(tmp_path / f"{name}.mp4", width=320, height=240, fps=FPS,
                          seconds=seconds, gop=FPS, bframes=0)
        specs.append({"video": video, "first": start - timedelta(seconds=3) + timedelta(
            seconds=lead_s), "offset_s": offset_s, "camera": {
                "nickname": name, "lon": SCENE[1] + east_m / 90_000, "heading_deg": 0}})
    request_id, detective, targets = case_with_clips(signed_in, devstack, specs, start, 14)
    return {"request_id": request_id, "start": start, "specs": specs, "targets": targets,
            "detective": detective}


def real_time(spec: dict[str, Any], _near: datetime, number: int) -> datetime:
    """When picture `number` of a recording was captured (its first picture's real time)."""
    return spec["first"] + timedelta(seconds=number / FPS)


def test_every_clip_shows_the_chosen_real_second_within_one_frame(
        phone: Page, base_url: str, street_case: dict[str, Any], devstack: Any) -> None:
    detective: Account = street_case["detective"]  # the case is theirs
    errors = collect_page_errors(phone)
    log_in(phone, detective)
    phone.goto(f"{base_url}/cases/{street_case['request_id']}/timeline")
    phone.wait_for_function("() => window.caseTimeline && window.caseTimeline.ready")
    phone.evaluate("() => window.caseTimeline.ready")
    zone = ZoneInfo(policy_for(AGENCY_ID).timezone)
    rows = phone.locator(".timeline-row")
    expect(rows).to_have_count(3)

    chosen = street_case["start"] + timedelta(seconds=5)  # all three cover it
    phone.get_by_label("Go to a time (hh:mm:ss)").fill(chosen.astimezone(zone).strftime(
        "%H:%M:%S"))
    phone.get_by_role("button", name="Go", exact=True).click()
    phone.wait_for_function(
        f"() => Math.abs(window.caseTimeline.at - {chosen.timestamp() * 1000}) < 1 "
        "&& window.caseTimeline.clips.every((c) => !c.video.seeking)")
    shown = phone.evaluate(READ)
    by_id = {t.target_id: spec for t, spec in zip(street_case["targets"], street_case["specs"],
                                                  strict=True)}
    for clip in shown["clips"]:
        assert clip["covered"], clip
        captured = real_time(by_id[clip["id"]], chosen, clip["number"])
        late = (chosen - captured).total_seconds()
        assert 0 <= late < 1 / FPS + 0.002, (clip, late)  # the picture on screen at `chosen`

    # The map lights all three; a moment only the Shop covers lights one.
    expect(phone.locator(".timeline-clip.timeline-on")).to_have_count(3)
    alone = street_case["start"] + timedelta(seconds=12)
    phone.evaluate(f"() => window.caseTimeline.goTo({alone.timestamp() * 1000})")
    expect(phone.locator(".timeline-clip.timeline-on")).to_have_count(1)
    expect(phone.locator(".timeline-clip.timeline-idle")).to_have_count(2)

    # Played, each clip keeps to the clock (read together with it, in one task).
    phone.evaluate(f"() => window.caseTimeline.goTo({chosen.timestamp() * 1000})")
    phone.get_by_role("button", name="Play").click()
    phone.wait_for_timeout(2500)
    # read while every covering clip is playing, not while one waits for data or seeks (a
    # busy machine stalls a decoder now and then; the timeline seeks it back)
    phone.wait_for_function(
        "() => window.caseTimeline.clips.every((c) => !c.covers(window.caseTimeline.at)"
        " || (!c.video.paused && !c.video.seeking && c.video.readyState >= 3))")
    during = phone.evaluate(READ)
    phone.get_by_role("button", name="Pause").click()
    at = datetime.fromtimestamp(during["at"] / 1000, UTC)
    for clip in during["clips"]:
        if clip["covered"] and clip["number"] is not None:
            captured = real_time(by_id[clip["id"]], at, clip["number"])
            assert abs((at - captured).total_seconds()) <= 2.5 / FPS, (clip, at, captured)
    assert not errors
