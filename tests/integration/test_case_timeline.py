"""The case timeline's data and export: each clip's real start (its recorder's clock offset
applied), its motion, where its camera is as police may see it; the export says how to
reproduce the alignment and is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.models.audit import AuditEvent
from tests.builders.cameras import SCENE
from tests.builders.footage import case_with_clips
from tests.support import session_client
from tests.video.samples import make_h264

pytestmark = pytest.mark.slow


def test_the_timeline_places_each_clip_in_real_time_and_exports_it(
        signed_in: Any, devstack: Any, base_url: str, settings: Any, tmp_path: Path) -> None:
    start = (datetime.now(UTC) - timedelta(minutes=50)).replace(microsecond=0)
    specs = [{"video": make_h264(tmp_path / "a.mp4", width=160, height=120, fps=10,
                                 seconds=10, gop=10, bframes=0),
              "first": start - timedelta(seconds=1), "offset_s": 95.0,
              "camera": {"nickname": "Corner shop"}},
             {"video": make_h264(tmp_path / "b.mp4", width=160, height=120, fps=10,
                                 seconds=6, gop=10, bframes=0),
              "first": start + timedelta(seconds=2.5), "offset_s": -30.0,
              "camera": {"nickname": "Blue house", "visibility": "approximate",
                         "lon": SCENE[1] + 0.0004}}]
    request_id, detective, targets = case_with_clips(signed_in, devstack, specs, start, 8)
    client = session_client(base_url, settings, detective)
    answer = client.get(f"/api/requests/{request_id}/timeline")
    assert answer.status_code == 200, answer.text
    clips = answer.json()["clips"]
    assert [c["id"] for c in clips] == [t.target_id for t in targets]  # earliest first
    shop, house = clips
    assert datetime.fromisoformat(shop["start"]) == start  # cut at the asked start
    assert abs((datetime.fromisoformat(house["start"]) - specs[1]["first"]).total_seconds()) \
        < 0.001
    assert (shop["clock_offset_s"], house["clock_offset_s"]) == (95.0, -30.0)
    assert shop["seconds"] == pytest.approx(8.0, abs=0.11)
    assert shop["activity"], "the moving square is motion"
    first_move = datetime.fromisoformat(shop["activity"][0]["start"])
    assert start <= first_move < start + timedelta(seconds=1)
    assert shop["place"]["lat"] == pytest.approx(SCENE[0]) and shop["place"]["fov_deg"] == 90
    # approximate: its ~100 m cell's centre, not its spot
    assert house["place"]["approximate"] is True
    assert house["place"]["lon"] != pytest.approx(SCENE[1] + 0.0004, abs=1e-7)
    assert [g["kind"] for g in house["gaps"]] == ["before_file"]

    page = client.get(f"/cases/{request_id}/timeline")
    assert page.status_code == 200 and 'id="timeline-data"' in page.text

    exported = client.get(f"/api/requests/{request_id}/timeline/export")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"].startswith(
        'attachment; filename="case-24-118223-timeline.json"')
    record = exported.json()
    assert record["format"] == "porchlight-case-timeline/1" and "real_start" in record[
        "alignment"]
    assert [(c["id"], c["start"], c["clock_offset_s"], c["clip_sha256"]) for c in
            record["clips"]] == [(c["id"], c["start"], c["clock_offset_s"], c["clip_sha256"])
                                 for c in clips]
    assert "place" not in json.dumps(record)  # the case file: times, not where owners live
    events = [e for e in AuditEvent.actor_index.query(detective.user.user_id)
              if e.action == "case.timeline_exported"]
    assert len(events) == 1 and request_id in events[0].details
