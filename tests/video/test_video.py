"""The clip worker's video layer on real video made by the tests (tests/video/samples.py).

Each sample frame carries its own number, so the tests check which source frames a clip holds,
not only how long it is.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from lambdas.clip_cutter import cutting, pictures, probing
from lambdas.clip_cutter.reading import UnusableVideo, WindowOutside, sha256_file
from lambdas.clip_cutter.times import window_in_file
from tests.video import samples
from tests.video.samples import H264_FPS, H264_GOP, H264_SECONDS, Samples

JARGON = ("codec", "container", "moov", "atom", "ffmpeg", "demux", "packet", "stream",
          "h264", "h.264", "keyframe", "bitstream", "invalid data")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return samples.build_all(tmp_path_factory.mktemp("samples"))


@pytest.fixture(scope="module")
def hashes(made: Samples) -> dict[str, str]:
    """The sources' SHA-256 as made, checked again at the end of the module."""
    return {path.name: sha256_file(path) for path in _sources(made)}


def _sources(made: Samples) -> list[Path]:
    return [made.h264, made.h264_faststart, made.phone_mov, made.trimmed_mov, made.vfr,
            made.mjpeg, made.hevc, *made.other_h264.values()]


@dataclass
class Clip:
    codec: str
    pix_fmt: str | None
    start_s: float
    duration_s: float
    numbers: list[int]  # the source frame number drawn on each picture, in display order
    times: list[float]  # each picture's time in the clip, seconds
    audio_streams: int
    rotation: int


def read_clip(path: Path) -> Clip:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        numbers: list[int] = []
        times: list[float] = []
        rotation = 0
        for frame in container.decode(stream):
            numbers.append(samples.read_frame_number(frame.to_ndarray(format="gray")))
            times.append(float(frame.time))
            rotation = frame.rotation
        return Clip(
            codec=stream.codec_context.name,
            pix_fmt=stream.codec_context.pix_fmt,
            start_s=float((stream.start_time or 0) * stream.time_base),
            duration_s=float((stream.duration or 0) * stream.time_base),
            numbers=numbers,
            times=times,
            audio_streams=len(container.streams.audio),
            rotation=rotation,
        )


def top_level_boxes(path: Path) -> Iterator[bytes]:
    data = path.read_bytes()
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset:offset + 4], "big")
        if size == 1:
            size = int.from_bytes(data[offset + 8:offset + 16], "big")
        yield data[offset + 4:offset + 8]
        if size < 8:
            return
        offset += size


def assert_browser_ready(path: Path) -> Clip:
    """H.264, yuv420p, moov before mdat (faststart), video only, timestamps from 0."""
    clip = read_clip(path)
    assert clip.codec == "h264"
    assert clip.pix_fmt == "yuv420p"
    boxes = list(top_level_boxes(path))
    assert b"moov" in boxes and b"mdat" in boxes
    assert boxes.index(b"moov") < boxes.index(b"mdat"), boxes
    assert clip.audio_streams == 0
    assert clip.times[0] == pytest.approx(0.0, abs=1e-6)
    assert clip.numbers == sorted(clip.numbers)
    return clip


def frame_times(source: Path) -> list[float]:
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        return sorted(float(p.pts * stream.time_base) for p in container.demux(stream)
                      if p.pts is not None and p.size)


# ---------------------------------------------------------------- probe


def test_probe_h264_with_b_frames(made: Samples) -> None:
    info = probing.probe(made.h264)
    assert info.container == "mov,mp4,m4a,3gp,3g2,mj2"
    assert info.codec == "h264"
    assert (info.width, info.height) == (640, 360)
    assert info.fps == pytest.approx(H264_FPS)
    assert info.duration_s == pytest.approx(H264_SECONDS, abs=1 / H264_FPS)
    assert info.start_s == pytest.approx(0.0, abs=1e-6)
    assert info.frames == H264_SECONDS * H264_FPS
    assert info.size_bytes == made.h264.stat().st_size
    assert info.variable_frame_rate is False
    assert info.has_audio is False


def test_probe_mjpeg_avi(made: Samples) -> None:
    info = probing.probe(made.mjpeg)
    assert (info.container, info.codec) == ("avi", "mjpeg")
    assert (info.width, info.height, info.fps, info.frames) == (320, 240, 15.0, 180)
    assert info.duration_s == pytest.approx(12.0, abs=1 / 15)
    assert not info.variable_frame_rate and not info.has_audio


def test_probe_phone_mov_has_audio(made: Samples) -> None:
    info = probing.probe(made.phone_mov)
    assert (info.container, info.codec) == ("mov,mp4,m4a,3gp,3g2,mj2", "h264")
    assert (info.width, info.height) == (384, 216)  # as stored; the rotation is display-only
    assert info.has_audio is True
    assert info.duration_s == pytest.approx(8.0, abs=1 / 30)


def test_probe_variable_frame_rate(made: Samples) -> None:
    info = probing.probe(made.vfr)
    times = samples.vfr_times(12.0)
    assert info.variable_frame_rate is True
    assert info.frames == len(times)
    assert info.duration_s == pytest.approx(times[-1], abs=0.11)
    assert info.fps == pytest.approx(len(times) / info.duration_s, rel=0.02)


def test_probe_mpegts_starts_where_its_first_frame_is(made: Samples) -> None:
    info = probing.probe(made.other_h264["mpegts"])
    assert (info.container, info.codec, info.frames) == ("mpegts", "h264", None)
    assert info.start_s > 0  # the MPEG-TS muxer starts the clock ahead of the first frame
    assert info.duration_s == pytest.approx(10.0, abs=1 / 30)
    assert info.variable_frame_rate is False


def test_probe_hevc_in_matroska(made: Samples) -> None:
    info = probing.probe(made.hevc)
    assert (info.container, info.codec) == ("matroska,webm", "hevc")
    assert (info.width, info.height, info.fps) == (320, 180, 25.0)
    assert info.duration_s == pytest.approx(6.0, abs=1 / 25)
    assert info.frames is None  # Matroska does not count frames


@pytest.mark.parametrize("name", ["empty", "truncated_mp4", "truncated_faststart_mp4",
                                  "truncated_avi", "png_as_mp4", "jpeg_as_mp4", "random_bytes",
                                  "sound_only"])
def test_unusable_files_get_a_plain_reason(made: Samples, name: str, tmp_path: Path) -> None:
    with pytest.raises(UnusableVideo) as probed:
        probing.probe(made.bad[name])
    reason = probed.value.reason
    assert reason and reason.endswith(".") and reason[0].isupper()
    assert not any(word in reason.lower() for word in JARGON), reason
    with pytest.raises(UnusableVideo):
        cutting.cut(made.bad[name], tmp_path / "clip.mp4", 0.0, 5.0)
    assert list(tmp_path.iterdir()) == []  # no clip and no partial file left behind


def test_reasons_name_the_problem(made: Samples) -> None:
    def reason(name: str) -> str:
        with pytest.raises(UnusableVideo) as probed:
            probing.probe(made.bad[name])
        return probed.value.reason

    assert reason("empty") == "The file is empty."
    assert reason("truncated_mp4") == ("The file seems cut off part-way: export it again from "
                                       "the recorder and upload the new file.")
    assert reason("truncated_faststart_mp4") == reason("truncated_mp4") == reason(
        "truncated_avi")
    assert "still picture" in reason("png_as_mp4") and "still picture" in reason("jpeg_as_mp4")
    assert reason("random_bytes").startswith("This file is not a video we can read.")
    assert "no pictures" in reason("sound_only")


# ---------------------------------------------------------------- exactly the window


def first_at_or_after(seconds: float, fps: int) -> int:
    """The index of the first frame shown at or after `seconds` (constant frame rate)."""
    return math.ceil(round(seconds * fps, 6))


def last_before(seconds: float, fps: int) -> int:
    return math.ceil(round(seconds * fps, 6)) - 1


@pytest.mark.parametrize(("start", "end", "method"), [
    (10.0, 20.0, "stream_copy"),  # a keyframe to a keyframe: nothing re-encoded
    (10.5, 20.02, "smart_cut"),  # ends one picture after a keyframe
    (10.5, 20.06, "smart_cut"),  # ends on a B-frame whose P-frame is past the end
    (13.3, 17.1, "smart_cut"),
    (0.0, 0.5, "smart_cut"),  # from a keyframe; B-frames at the end lean past it
    (0.5, 1.9, "reencode"),  # no keyframe inside: the whole window is re-encoded
    (38.2, 39.9, "reencode"),
])
def test_h264_clips_hold_exactly_the_asked_pictures(made: Samples, tmp_path: Path,
                                                     start: float, end: float,
                                                     method: str) -> None:
    frame = 1 / H264_FPS
    result = cutting.cut(made.h264, tmp_path / "clip.mp4", start, end)
    assert result.method == method, result.why
    assert (result.codec, result.width, result.height) == ("h264", 640, 360)
    assert result.truncated is False
    first, last = first_at_or_after(start, H264_FPS), last_before(end, H264_FPS)
    assert result.start_s == pytest.approx(first * frame, abs=1e-6)
    assert result.end_s == pytest.approx((last + 1) * frame, abs=1e-6)
    assert result.frames == last - first + 1
    assert result.duration_s == pytest.approx((last - first + 1) * frame, abs=1e-6)

    clip = assert_browser_ready(tmp_path / "clip.mp4")
    assert clip.numbers == list(range(first, last + 1))  # not one picture more, none missing
    assert clip.duration_s == pytest.approx(result.duration_s, abs=frame)
    assert result.fps == pytest.approx(H264_FPS)


def test_stream_copy_of_a_window_across_the_end_is_truncated(made: Samples,
                                                              tmp_path: Path) -> None:
    result = cutting.cut(made.h264, tmp_path / "clip.mp4", 30.0, 45.0)
    assert (result.truncated, result.method) == (True, "stream_copy")
    assert result.start_s == pytest.approx(30.0)
    assert result.end_s == pytest.approx(H264_SECONDS)
    assert result.duration_s == pytest.approx(10.0, abs=1 / H264_FPS)
    clip = assert_browser_ready(tmp_path / "clip.mp4")
    assert clip.numbers[-1] == H264_SECONDS * H264_FPS - 1


@pytest.mark.parametrize(("start", "end"), [(40.0, 50.0), (41.0, 42.0), (-10.0, 0.0),
                                            (-20.0, -5.0)])
def test_a_window_outside_the_video_is_refused(made: Samples, tmp_path: Path, start: float,
                                               end: float) -> None:
    with pytest.raises(WindowOutside) as refused:
        cutting.cut(made.h264, tmp_path / "clip.mp4", start, end)
    assert refused.value.file_duration_s == pytest.approx(H264_SECONDS, abs=1 / H264_FPS)
    assert refused.value.reason and not any(w in refused.value.reason.lower() for w in JARGON)
    assert isinstance(refused.value, UnusableVideo)
    assert list(tmp_path.iterdir()) == []


def test_a_window_starting_before_the_file_starts_at_its_first_frame(made: Samples,
                                                                     tmp_path: Path) -> None:
    result = cutting.cut(made.h264, tmp_path / "clip.mp4", -5.0, 2.0)
    assert (result.start_s, result.truncated) == (0.0, False)
    assert read_clip(tmp_path / "clip.mp4").numbers == list(range(0, 2 * H264_FPS))


@pytest.mark.parametrize(("start", "end"), [(5.0, 5.0), (6.0, 5.0), (math.nan, 5.0),
                                            (0.0, math.inf)])
def test_a_window_that_is_not_a_window_is_a_value_error(made: Samples, tmp_path: Path,
                                                        start: float, end: float) -> None:
    with pytest.raises(ValueError):
        cutting.cut(made.h264, tmp_path / "clip.mp4", start, end)


def test_phone_mov_leaves_sound_out_unless_asked_and_keeps_rotation(made: Samples,
                                                                    tmp_path: Path) -> None:
    copied = cutting.cut(made.phone_mov, tmp_path / "copy.mp4", 2.0, 5.0)
    encoded = cutting.cut(made.phone_mov, tmp_path / "encoded.mp4", 2.0, 5.0, reencode=True)
    assert (copied.method, encoded.method) == ("smart_cut", "reencode")
    assert copied.audio is None and encoded.audio is None
    for name in ("copy.mp4", "encoded.mp4"):
        clip = assert_browser_ready(tmp_path / name)
        assert clip.rotation == 90
        assert clip.numbers == list(range(60, 150))


def test_faststart_source_is_cut_to_the_picture(made: Samples, tmp_path: Path) -> None:
    result = cutting.cut(made.h264_faststart, tmp_path / "clip.mp4", 3.0, 6.0)
    assert (result.method, result.start_s, result.frames) == ("smart_cut", 3.0, 90)
    assert assert_browser_ready(tmp_path / "clip.mp4").numbers == list(range(90, 180))


@pytest.mark.parametrize(("name", "method"), [
    ("mkv", "smart_cut"),  # Matroska gives no decode times for B-frames: worked out
    ("mpegts", "smart_cut"),  # its first frame is not at 0: times count from it
    ("avi_no_b_frames", "smart_cut"),
    ("avi", "reencode"),  # AVI keeps no presentation times to put B-frames in order by
])
@pytest.mark.parametrize(("start", "end"), [(0.0, 3.0), (2.5, 6.1), (1.0, 9.5)])
def test_h264_in_other_containers(made: Samples, tmp_path: Path, name: str, method: str,
                                  start: float, end: float) -> None:
    fps = H264_FPS
    result = cutting.cut(made.other_h264[name], tmp_path / "clip.mp4", start, end)
    expected = method
    if method == "smart_cut" and start == 0.0 and name == "avi_no_b_frames":
        expected = "stream_copy"  # from a keyframe, and no B-frame leans past the end
    assert result.method == expected, result.why
    clip = assert_browser_ready(tmp_path / "clip.mp4")
    assert clip.numbers == list(range(first_at_or_after(start, fps), last_before(end, fps) + 1))
    assert result.frames == len(clip.numbers)


def test_pictures_hidden_by_an_edit_list_stay_hidden(made: Samples, tmp_path: Path) -> None:
    hidden = round(samples.TRIM_S * H264_FPS)  # frames 0..44 are in the file but not shown
    info = probing.probe(made.trimmed_mov)
    assert info.start_s == 0.0 and not info.variable_frame_rate
    assert info.duration_s == pytest.approx(10.0 - samples.TRIM_S, abs=1 / H264_FPS)
    # The keyframe before 0.4 s is hidden (frame 0): the pictures up to the next keyframe
    # (frame 60, shown at 0.5 s) are decoded from it and re-encoded; none hidden shows.
    early = cutting.cut(made.trimmed_mov, tmp_path / "early.mp4", 0.4, 1.0)
    assert early.method == "smart_cut"
    clip = assert_browser_ready(tmp_path / "early.mp4")
    assert clip.numbers == list(range(hidden + 12, hidden + 30))
    later = cutting.cut(made.trimmed_mov, tmp_path / "later.mp4", 0.5, 3.0)
    assert (later.method, later.start_s) == ("smart_cut", 0.5)  # the end leans past 3.0
    assert assert_browser_ready(tmp_path / "later.mp4").numbers[0] == H264_GOP


# ---------------------------------------------------------------- variable frame rate


def test_vfr_smart_cut_keeps_every_gap(made: Samples, tmp_path: Path) -> None:
    times = samples.vfr_times(12.0)
    result = cutting.cut(made.vfr, tmp_path / "clip.mp4", 3.3, 7.7)
    assert result.method == "smart_cut", result.why
    first = min(i for i, t in enumerate(times) if t >= 3.3 - 1e-9)
    last = max(i for i, t in enumerate(times) if t < 7.7)
    clip = assert_browser_ready(tmp_path / "clip.mp4")
    assert clip.numbers == list(range(first, last + 1))
    expected = [t - times[first] for t in times[first:last + 1]]
    assert clip.times == pytest.approx(expected, abs=1e-3)


def test_vfr_reencode_keeps_every_gap(made: Samples, tmp_path: Path) -> None:
    times = samples.vfr_times(12.0)
    result = cutting.cut(made.vfr, tmp_path / "clip.mp4", 3.3, 7.7, reencode=True)
    assert result.method == "reencode"
    first = min(i for i, t in enumerate(times) if t >= 3.3 - 1e-9)
    last = max(i for i, t in enumerate(times) if t < 7.7)
    clip = assert_browser_ready(tmp_path / "clip.mp4")
    assert clip.numbers == list(range(first, last + 1))
    expected = [t - times[first] for t in times[first:last + 1]]
    assert clip.times == pytest.approx(expected, abs=1e-3)
    longest_gap = max(samples.VFR_INTERVALS_MS) / 1000
    assert result.duration_s == pytest.approx(7.7 - 3.3, abs=longest_gap)


# ---------------------------------------------------------------- re-encode


@pytest.mark.parametrize(("sample", "fps", "start", "end"), [
    ("mjpeg", 15, 2.5, 6.5),
    ("mjpeg", 15, 0.0, 4.0),
    ("hevc", 25, 1.1, 3.3),
])
def test_reencode_cuts_the_window_to_the_frame(made: Samples, tmp_path: Path, sample: str,
                                               fps: int, start: float, end: float) -> None:
    source: Path = getattr(made, sample)
    result = cutting.cut(source, tmp_path / "clip.mp4", start, end)
    assert result.method == "reencode" and result.reencoded_frames == result.frames
    assert "browsers do not play" in result.why
    assert result.codec == "h264"
    first, last = first_at_or_after(start, fps), last_before(end, fps)
    assert result.start_s == pytest.approx(first / fps, abs=1e-6)
    assert result.duration_s == pytest.approx((last - first + 1) / fps, abs=1e-6)
    assert result.fps == pytest.approx(fps, rel=0.01)
    clip = assert_browser_ready(tmp_path / "clip.mp4")
    assert clip.numbers == list(range(first, last + 1))
    assert clip.duration_s == pytest.approx(result.duration_s, abs=1 / fps)
    assert result.frames == len(clip.numbers)


def test_reencode_of_a_window_across_the_end_is_truncated(made: Samples,
                                                          tmp_path: Path) -> None:
    result = cutting.cut(made.mjpeg, tmp_path / "clip.mp4", 10.0, 20.0)
    assert result.truncated is True
    assert result.end_s == pytest.approx(12.0)
    assert read_clip(tmp_path / "clip.mp4").numbers[-1] == 179


def test_odd_dimensions_become_even(tmp_path: Path) -> None:
    source = tmp_path / "odd.avi"
    with av.open(str(source), "w") as container:
        stream = container.add_stream("mjpeg", rate=10)
        stream.width, stream.height, stream.pix_fmt = 321, 241, "yuvj420p"
        for index in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((241, 321, 3), index * 10, np.uint8),
                                               format="rgb24").reformat(format="yuvj420p")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    result = cutting.cut(source, tmp_path / "clip.mp4", 0.0, 1.5)
    assert (result.width, result.height, result.frames) == (320, 240, 15)
    assert_browser_ready(tmp_path / "clip.mp4")


def test_one_thread_gives_the_same_clip(made: Samples, tmp_path: Path) -> None:
    result = cutting.cut(made.hevc, tmp_path / "clip.mp4", 1.0, 2.0, threads=1)
    assert (result.method, result.frames) == ("reencode", 25)


# ---------------------------------------------------------------- evidence


def test_sources_are_never_changed(made: Samples, hashes: dict[str, str],
                                   tmp_path: Path) -> None:
    for source in _sources(made):
        before = sha256_file(source)
        stat = source.stat()
        cutting.cut(source, tmp_path / "clip.mp4", 1.0, 3.0)
        assert sha256_file(source) == before == hashes[source.name]
        assert source.stat().st_mtime_ns == stat.st_mtime_ns


def test_a_clip_may_not_overwrite_its_source(made: Samples) -> None:
    with pytest.raises(ValueError):
        cutting.cut(made.h264, made.h264, 1.0, 2.0)


def test_sha256_file_matches_hashlib(made: Samples) -> None:
    assert made.h264.stat().st_size > 1024 * 1024  # more than one chunk
    expected = hashlib.sha256(made.h264.read_bytes()).hexdigest()
    assert sha256_file(made.h264) == expected
    assert sha256_file(made.bad["empty"]) == hashlib.sha256(b"").hexdigest()


def test_window_in_file_applies_the_recorder_clock_offset() -> None:
    # The owner says the recorder shows 20:37 when it is really 20:00: it runs 37 minutes ahead.
    offset_s = 37 * 60.0
    file_starts_at = datetime(2026, 11, 20, 20, 30, tzinfo=UTC)  # recorder time
    asked = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # real time
    # Real 20:00 is recorder 20:37, seven minutes into the file.
    assert window_in_file(asked, asked + timedelta(minutes=5), file_starts_at,
                          offset_s) == (420.0, 720.0)
    # A recorder running 90 s behind: real 20:31:30 is recorder 20:30:00, the file's start.
    assert window_in_file(datetime(2026, 11, 20, 20, 31, 30, tzinfo=UTC),
                          datetime(2026, 11, 20, 20, 32, tzinfo=UTC),
                          file_starts_at, -90.0) == (0.0, 30.0)


def test_clock_offset_window_cuts_the_right_source_seconds(made: Samples,
                                                           tmp_path: Path) -> None:
    # The file's first frame shows 20:37:00 on a recorder running 37 minutes ahead, so it was
    # recorded at 20:00:00 real time. The detective asks for 20:00:10 to 20:00:20 real time.
    recorder_start = datetime(2026, 11, 20, 20, 37, 0)
    window = window_in_file(datetime(2026, 11, 20, 20, 0, 10),
                            datetime(2026, 11, 20, 20, 0, 20), recorder_start, 2220.0)
    assert window == (10.0, 20.0)
    result = cutting.cut(made.h264, tmp_path / "clip.mp4", *window)
    numbers = read_clip(tmp_path / "clip.mp4").numbers
    assert (numbers[0], numbers[-1]) == (10 * H264_FPS, 20 * H264_FPS - 1)
    assert result.start_s == 10.0


# ---------------------------------------------------------------- pictures


@pytest.fixture(scope="module")
def whole_clip(made: Samples, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole 40 s H.264 sample, stream-copied: a clip of exactly 40.0 s."""
    clip = tmp_path_factory.mktemp("whole") / "whole.mp4"
    result = cutting.cut(made.h264, clip, 0.0, H264_SECONDS)
    assert result.duration_s == pytest.approx(H264_SECONDS)
    return clip


def test_contact_sheet_of_a_40_s_clip_every_10_s_has_4_tiles(whole_clip: Path,
                                                            tmp_path: Path) -> None:
    # Rule: tiles at 0, 10, 20, 30 s: each multiple of every_s strictly before the clip's end.
    sheet = tmp_path / "sheet.jpg"
    assert pictures.contact_sheet(whole_clip, sheet) == 4
    picture = cv2.imread(str(sheet))
    assert picture is not None
    assert picture.shape == (180, 4 * 320, 3)  # one row of four 320x180 tiles


def test_contact_sheet_tiles_show_the_right_moments(whole_clip: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.jpg"
    assert pictures.contact_sheet(whole_clip, sheet, every_s=3.0, columns=5) == 14
    picture = cv2.imread(str(sheet))
    assert picture is not None
    assert picture.shape == (3 * 180, 5 * 320, 3)
    first_row = picture[:180]
    tiles = [first_row[:, i * 320:(i + 1) * 320] for i in range(5)]
    # The frame number blocks are half size in a tile: scale back up to read them.
    numbers = [samples.read_frame_number(cv2.resize(t, (640, 360),
                                                    interpolation=cv2.INTER_NEAREST))
               for t in tiles]
    assert numbers == [0, 90, 180, 270, 360]
    assert picture[2 * 180 + 8:, 4 * 320 + 8:].max() < 24  # the last row is padded with black


def test_contact_sheet_counts_a_clip_past_a_multiple(made: Samples, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    result = cutting.cut(made.h264, clip, 10.5, 20.6)  # 10.1 s
    assert result.duration_s > 10.0
    assert pictures.contact_sheet(clip, tmp_path / "sheet.jpg", every_s=5.0) == 3


def test_contact_sheet_of_variable_frame_rate(made: Samples, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.jpg"
    assert pictures.contact_sheet(made.vfr, sheet, every_s=2.0) == 6
    picture = cv2.imread(str(sheet))
    assert picture is not None and picture.shape == (2 * 240, 4 * 320, 3)


def test_poster_is_the_clips_first_picture_as_jpeg(made: Samples, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    cutting.cut(made.h264, clip, 13.3, 17.1)
    poster = tmp_path / "poster.jpg"
    pictures.poster(clip, poster)
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"
    picture = cv2.imread(str(poster))
    assert picture is not None and picture.shape == (360, 640, 3)
    assert samples.read_frame_number(picture) == round(13.3 * H264_FPS)  # 399: at 13.3 s
    rotated = tmp_path / "rotated.jpg"
    cutting.cut(made.phone_mov, clip, 1.0, 2.0)
    pictures.poster(clip, rotated)
    upright = cv2.imread(str(rotated))
    assert upright is not None and upright.shape == (384, 216, 3)  # turned as the phone shows


def test_tool_versions() -> None:
    versions = pictures.tool_versions()
    assert set(versions) >= {"pyav", "ffmpeg", "opencv", "libx264"}
    assert versions["pyav"] == av.__version__
    assert versions["opencv"] == cv2.__version__
    assert versions["libx264"].startswith("core ")
    assert all(versions.values())
