"""The ring buffer: segments by start time, an index, pruning, pre-roll, cutting a window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest

from bridge.buffer import NoFootage, SegmentBuffer
from tests.bridge.helpers import fill
from tests.bridge.media import boxes, frame_number

T0 = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _decoded(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def _duration(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.duration is not None and stream.time_base is not None
        return float(stream.duration * stream.time_base)


@pytest.fixture()
def buffer(tmp_path: Path, samples: dict[str, Path]) -> SegmentBuffer:
    filled = SegmentBuffer(tmp_path / "buffer" / "door", "door", 600, clock=Clock(_at(8)))
    fill(filled, samples["h264"], T0)
    return filled


def test_segments_are_named_by_start_time_and_indexed(buffer: SegmentBuffer) -> None:
    names = [segment.name for segment in buffer.segments()]
    assert names == ["20260314T120000.000Z.mp4", "20260314T120002.000Z.mp4",
                     "20260314T120004.000Z.mp4", "20260314T120006.000Z.mp4"]
    assert sorted(p.name for p in buffer.folder.glob("*.mp4")) == names
    lines = [json.loads(line) for line in buffer.index_path.read_text().splitlines()]
    assert [line["name"] for line in lines] == names
    first = lines[0]
    assert first["start"] == "2026-03-14T12:00:00.000Z" and first["end"].startswith(
        "2026-03-14T12:00:02.000")
    assert first["mode"] == "copy" and first["codec"] == "h264" and len(first["sha256"]) == 64
    assert first["codecs"] == "avc1.4d400d"  # Main profile, level 1.3: for addSourceBuffer()
    assert buffer.segments()[0].mime == 'video/mp4; codecs="avc1.4d400d"'
    assert not list(buffer.work_dir.iterdir())  # nothing half-written left behind
    assert buffer.stats()["seconds"] == pytest.approx(8.0)


def test_prunes_beyond_the_buffer_length(tmp_path: Path, samples: dict[str, Path]) -> None:
    clock = Clock(_at(8))
    small = SegmentBuffer(tmp_path / "door", "door", 0.1 * 60, clock=clock)  # 0.1 min
    fill(small, samples["h264"], T0)
    # at 8 s, 6 s back is 2 s: the first segment (0-2 s) is gone, the rest kept
    assert [s.start for s in small.segments()] == [_at(2), _at(4), _at(6)]
    assert len(list(small.folder.glob("*.mp4"))) == 3
    clock.now = _at(13)
    assert small.prune() == 2
    assert [s.start for s in small.segments()] == [_at(6)]
    assert [p.name for p in small.folder.glob("*.mp4")] == [small.segments()[0].name]
    clock.now = _at(60)
    small.prune()
    assert not small.segments() and not list(small.folder.glob("*.mp4"))
    # a restart reads the index back and agrees
    again = SegmentBuffer(small.folder, "door", 6, clock=clock)
    assert again.segments() == []


def test_pinned_segments_outlive_the_buffer_until_released(buffer: SegmentBuffer) -> None:
    first = buffer.segments()[0]
    buffer.pin([first.name])
    buffer.keep_seconds = 1
    buffer.prune(_at(30))
    assert [s.name for s in buffer.segments()] == [first.name]
    assert first.path.exists()
    buffer.unpin([first.name])
    buffer.prune(_at(30))
    assert not buffer.segments() and not first.path.exists()


def test_segments_between_gives_the_preroll(buffer: SegmentBuffer) -> None:
    # a share started at 8 s with 3 s of pre-roll: the segments covering 5-8 s
    preroll = buffer.segments_between(_at(5), _at(8))
    assert [s.start for s in preroll] == [_at(4), _at(6)]
    assert buffer.segments_between(_at(8), _at(20)) == []
    assert [s.start for s in buffer.segments_after(_at(2))] == [_at(4), _at(6)]


def test_restart_drops_leftovers_and_damaged_lines(buffer: SegmentBuffer) -> None:
    (buffer.folder / "20260314T115959.000Z.mp4").write_bytes(b"left by a crash")
    (buffer.work_dir / "abc.part").write_bytes(b"half a segment")
    with open(buffer.index_path, "a") as handle:
        handle.write("{not json\n")
    buffer.segments()[1].path.unlink()  # a file gone missing
    again = SegmentBuffer(buffer.folder, "door", 600, clock=Clock(_at(8)))
    assert [s.start for s in again.segments()] == [_at(0), _at(4), _at(6)]
    assert not (buffer.folder / "20260314T115959.000Z.mp4").exists()
    assert not list(again.work_dir.iterdir())
    assert len(again.index_path.read_text().splitlines()) == 3


def test_concatenate_cuts_a_window_by_stream_copy(buffer: SegmentBuffer,
                                                  tmp_path: Path) -> None:
    clip = buffer.concatenate(_at(2.5), _at(5.5), tmp_path / "clip.mp4")
    # from the keyframe at or before 2.5 s to the keyframe at or after 5.5 s
    assert clip.method == "stream_copy"
    assert clip.start == _at(2) and clip.end == _at(6)
    assert clip.duration_s == pytest.approx(4.0)
    assert clip.segments == ("20260314T120002.000Z.mp4", "20260314T120004.000Z.mp4")
    top = boxes(clip.path)
    assert top.index("moov") < top.index("mdat")  # faststart: plays while downloading
    assert _duration(clip.path) == pytest.approx(4.0, abs=0.04)
    frames = _decoded(clip.path)
    assert len(frames) == 120 and frames[0].key_frame
    numbers = [frame_number(f.to_ndarray(format="gray")) for f in frames[::30]]
    assert numbers == [60, 90, 120, 150]
    with av.open(str(clip.path)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
    assert not list(tmp_path.glob("*.part"))


def test_a_camera_drop_inside_a_clip_is_a_gap_shown_as_no_video(
        tmp_path: Path, samples: dict[str, Path]) -> None:
    """The clip keeps real time across the drop, reports it as a gap, and shows a "NO VIDEO"
    picture for it: never the last picture standing still as if the camera still saw that."""
    buffer = SegmentBuffer(tmp_path / "door", "door", 600, clock=Clock(_at(30)))
    fill(buffer, samples["h264"], T0)  # 0-8 s
    buffer.add_gap(_at(8), _at(12), "the camera at rtsp://10.0.0.2/s did not answer in time")
    fill(buffer, samples["h264"], _at(12))  # 12-20 s, a new run
    assert len({s.run for s in buffer.segments()}) == 2
    clip = buffer.concatenate(_at(6), _at(14), tmp_path / "clip.mp4")
    assert clip.method == "reencode"
    assert clip.start == _at(6)
    assert abs(clip.end - _at(14)) < timedelta(seconds=0.04)
    assert [(g.start, g.end) for g in clip.gaps] == [(_at(8), _at(12))]
    assert _duration(clip.path) == pytest.approx(8.0, abs=0.05)  # the 4 s gap stays in
    frames = _decoded(clip.path)
    assert len(frames) == 60 + 1 + 60  # 6-8 s, the "no video" picture, 12-14 s
    numbers = [frame_number(f.to_ndarray(format="gray")) for f in frames]
    assert numbers[:60] == list(range(180, 240))
    card = frames[60].to_ndarray(format="gray")
    assert frames[60].time - frames[0].time == pytest.approx(2.0, abs=0.04)  # from 8 s
    assert card.mean() < 60 and card.max() > 200  # dark, with light letters
    assert frames[61].time - frames[0].time == pytest.approx(6.0, abs=0.04)  # 12 s - 6 s
    assert numbers[61:] == list(range(0, 60))


def test_gaps_are_cut_to_the_window_and_unmarked_holes_count(
        tmp_path: Path, samples: dict[str, Path]) -> None:
    buffer = SegmentBuffer(tmp_path / "door", "door", 600, clock=Clock(_at(60)))
    buffer.add_gap(_at(-10), _at(2), "the bridge was not running")
    fill(buffer, samples["h264"], _at(2))  # 2-10 s
    fill(buffer, samples["h264"], _at(13))  # 13-21 s: nobody marked the 3 s hole
    clip = buffer.concatenate(_at(0), _at(16), tmp_path / "clip.mp4")
    assert [(g.start, g.end, g.reason) for g in clip.gaps] == [
        (_at(0), _at(2), "the bridge was not running"),
        (_at(10), _at(13), "the camera sent no video")]
    assert clip.start == _at(2)  # the clip starts with the video; the gap before says why


def test_concatenate_reencodes_when_the_picture_format_changes(
        tmp_path: Path, samples: dict[str, Path]) -> None:
    buffer = SegmentBuffer(tmp_path / "door", "door", 600, clock=Clock(_at(30)))
    fill(buffer, samples["h264"], T0)  # copied H.264, 0-8 s
    fill(buffer, samples["mjpeg_avi"], _at(8), segment_seconds=1.0)  # re-encoded, 8-12 s
    assert {s.mode for s in buffer.segments()} == {"copy", "encode"}
    clip = buffer.concatenate(_at(6), _at(10), tmp_path / "clip.mp4")
    assert clip.method == "reencode"
    assert clip.duration_s == pytest.approx(4.0, abs=0.1)
    frames = _decoded(clip.path)
    assert len(frames) == 2 * 30 + 2 * 15
    assert frames[0].key_frame
    assert _duration(clip.path) == pytest.approx(4.0, abs=0.1)


def test_concatenate_outside_the_buffer_says_so(buffer: SegmentBuffer,
                                                tmp_path: Path) -> None:
    with pytest.raises(NoFootage, match="holds no video between"):
        buffer.concatenate(_at(-60), _at(-30), tmp_path / "clip.mp4")
    assert not (tmp_path / "clip.mp4").exists()
