"""Police get the window the owner approved, to the picture: checked against the source's own
pixels at the asked times, for the smart cut, a pure copy and a re-encode.

Each sample frame carries its number (tests/video/samples.py), so the clip's first and last
pictures are named; their pixels are then compared with the source's pictures at those times:
identical where the recorder's pictures were copied, close (PSNR) where x264 made them.
"""

from __future__ import annotations

import io
import math
import os
import time
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
import pytest

from lambdas.clip_cutter import containers, cutting, pictures, probing
from tests.video import samples

FPS = 30
GOP_S = 4  # a recorder's usual keyframe interval
SECONDS = 80.0
REENCODED_PSNR_DB = 35.0  # x264 at crf 18 on these pictures gives 40+


@pytest.fixture(scope="module")
def recorder(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An 80 s recording with 4 s keyframe intervals and 3 B-frames (pyramid), and others."""
    folder = tmp_path_factory.mktemp("recorder")
    return {
        "gop4": samples.make_h264(folder / "gop4.mp4", width=320, height=240, fps=FPS,
                                  seconds=SECONDS, gop=GOP_S * FPS, bframes=3),
        "gop4_mkv": samples.make_h264(folder / "gop4.mkv", width=320, height=240, fps=FPS,
                                      seconds=30.0, gop=GOP_S * FPS, bframes=3),
        "hevc": samples.make_hevc_mkv(folder / "hevc.mkv", seconds=16.0),
        "mjpeg": samples.make_mjpeg_avi(folder / "mjpeg.avi", seconds=8.0),
        "phone": samples.make_h264(folder / "phone.mov", width=384, height=216, seconds=8.0,
                                   audio=True, rotation=90),
    }


def decoded(path: Path, wanted: set[int] | None = None) -> dict[int, np.ndarray]:
    """Each picture as RGB (so full-range sources compare with clips), by its position in
    display order (only `wanted` ones, if given)."""
    found: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if wanted is None or index in wanted:
                found[index] = frame.to_ndarray(format="rgb24")
    return found


def numbers(path: Path) -> list[int]:
    return [samples.read_frame_number(p) for p in decoded(path).values()]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if error == 0 else 10 * math.log10(255 ** 2 / error)


def ends_match(source: Path, clip: Path, first: int, last: int) -> tuple[float, float]:
    """PSNR of the clip's first and last pictures against the source's pictures `first`
    and `last` (the ones shown at the asked start and just before the asked end)."""
    theirs = decoded(source, {first, last})
    ours = decoded(clip)
    return psnr(ours[0], theirs[first]), psnr(ours[len(ours) - 1], theirs[last])


def first_at_or_after(seconds: float) -> int:
    return math.ceil(round(seconds * FPS, 6))


def test_a_60_s_window_is_60_s_of_pictures_by_smart_cut(recorder: dict[str, Path],
                                                         tmp_path: Path) -> None:
    """Asked 7.3 s to 67.3 s of a file with 4 s keyframe intervals: the copy starts at the
    keyframe at 8 s; 7.3..8 s is re-encoded; nothing before 7.3 s or after 67.3 s is in."""
    clip = tmp_path / "clip.mp4"
    result = cutting.cut(recorder["gop4"], clip, 7.3, 67.3)
    first, last = first_at_or_after(7.3), first_at_or_after(67.3) - 1
    assert result.method == "smart_cut", result.why
    assert (result.frames, result.duration_s) == (1800, pytest.approx(60.0, abs=1e-6))
    assert result.start_s == pytest.approx(first / FPS) and result.end_s == pytest.approx(60 + 7.3)
    assert numbers(clip) == list(range(first, last + 1))
    head = GOP_S * FPS * 2 - first  # 8 s keyframe: pictures 219..239 re-encoded
    assert head <= result.reencoded_frames <= head + 4  # and a B-frame group at the end
    assert "re-encoded the 21 pictures (0.70 s)" in result.why
    start_db, end_db = ends_match(recorder["gop4"], clip, first, last)
    assert start_db >= REENCODED_PSNR_DB and end_db >= REENCODED_PSNR_DB
    # The first copied picture is the recorder's own, bit for bit.
    copied = decoded(clip, {head})[head]
    assert psnr(copied, decoded(recorder["gop4"], {240})[240]) == math.inf
    # Seconds of the clip: what a player shows.
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        assert stream.duration is not None and stream.time_base is not None
        assert float(stream.duration * stream.time_base) == pytest.approx(60.0, abs=1 / FPS)


def test_a_window_on_keyframes_is_copied_bit_for_bit(recorder: dict[str, Path],
                                                     tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    result = cutting.cut(recorder["gop4"], clip, 8.0, 16.0)  # keyframe to keyframe
    assert (result.method, result.reencoded_frames, result.frames) == ("stream_copy", 0, 240)
    assert numbers(clip) == list(range(240, 480))
    assert ends_match(recorder["gop4"], clip, 240, 479) == (math.inf, math.inf)


def test_a_window_inside_one_keyframe_interval_is_re_encoded_and_says_why(
        recorder: dict[str, Path], tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    result = cutting.cut(recorder["gop4"], clip, 9.1, 11.5)
    assert result.method == "reencode"
    assert "holds no keyframe" in result.why
    first, last = first_at_or_after(9.1), first_at_or_after(11.5) - 1
    assert numbers(clip) == list(range(first, last + 1))
    start_db, end_db = ends_match(recorder["gop4"], clip, first, last)
    assert min(start_db, end_db) >= 30.0


@pytest.mark.parametrize(("name", "fps", "start", "end"), [("hevc", 25, 2.3, 9.1),
                                                           ("mjpeg", 15, 1.1, 6.6)])
def test_a_re_encoded_clip_matches_the_source_at_both_ends(recorder: dict[str, Path],
                                                           tmp_path: Path, name: str, fps: int,
                                                           start: float, end: float) -> None:
    clip = tmp_path / "clip.mp4"
    result = cutting.cut(recorder[name], clip, start, end)
    assert result.method == "reencode"
    first, last = math.ceil(start * fps), math.ceil(end * fps) - 1
    assert numbers(clip) == list(range(first, last + 1))
    start_db, end_db = ends_match(recorder[name], clip, first, last)
    assert min(start_db, end_db) >= 30.0, (start_db, end_db)


def test_a_window_wider_than_the_file_gives_the_whole_file_and_no_more(
        recorder: dict[str, Path], tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    result = cutting.cut(recorder["gop4_mkv"], clip, -20.0, 45.0)
    assert result.truncated is True and result.method == "stream_copy"
    assert (result.start_s, result.frames) == (0.0, 30 * FPS)
    assert numbers(clip) == list(range(0, 30 * FPS))


def test_matroska_without_decode_times_is_cut_to_the_picture(recorder: dict[str, Path],
                                                             tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    result = cutting.cut(recorder["gop4_mkv"], clip, 3.5, 21.7)
    assert result.method == "smart_cut", result.why
    assert numbers(clip) == list(range(first_at_or_after(3.5), first_at_or_after(21.7)))


# ---------------------------------------------------------------- timing


@pytest.mark.parametrize("name", ["gop4", "hevc"])
def test_constant_rate_with_b_frames_is_not_called_variable(recorder: dict[str, Path],
                                                            name: str) -> None:
    """Decode order is not display order: judged on display times, a constant rate stays
    constant (so the contact sheet seeks instead of reading every picture)."""
    assert probing.probe(recorder[name]).variable_frame_rate is False


def test_the_contact_sheet_of_a_smart_cut_clip_seeks(recorder: dict[str, Path],
                                                     tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    cutting.cut(recorder["gop4"], clip, 7.3, 67.3)
    assert probing.probe(clip).variable_frame_rate is False
    started = time.perf_counter()
    assert pictures.contact_sheet(clip, tmp_path / "sheet.jpg") == 6
    assert time.perf_counter() - started < 10  # seeks: reading all 1800 pictures is slower


# ---------------------------------------------------------------- sound


def audio_span(path: Path) -> tuple[int, float, float]:
    """(audio streams, first audio time, last audio end) of a clip."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return 0, 0.0, 0.0
        stream = container.streams.audio[0]
        assert stream.time_base is not None
        times = [(p.pts, p.duration) for p in container.demux(stream) if p.size]
        first = float(min(t for t, _ in times) * stream.time_base)
        last = float(max(t + d for t, d in times) * stream.time_base)
        return len(container.streams.audio), first, last


def test_the_sound_goes_in_only_when_asked_cut_to_the_same_window(recorder: dict[str, Path],
                                                                   tmp_path: Path) -> None:
    info = probing.probe(recorder["phone"])
    assert info.audio == {"codec": "aac", "channels": 2, "sample_rate": 48000}
    silent = cutting.cut(recorder["phone"], tmp_path / "silent.mp4", 2.5, 6.0)
    assert silent.audio is None and audio_span(tmp_path / "silent.mp4")[0] == 0
    loud = cutting.cut(recorder["phone"], tmp_path / "loud.mp4", 2.5, 6.0, audio=True)
    assert loud.audio is not None and loud.audio["made_from"] == "copied"
    count, first, last = audio_span(tmp_path / "loud.mp4")
    assert count == 1
    assert 0.0 <= first < 0.03  # within one AAC packet of the first picture
    assert loud.duration_s - 0.03 < last <= loud.duration_s + 1e-3
    assert numbers(tmp_path / "loud.mp4") == list(range(75, 180))


def test_a_recorders_g711_sound_is_made_aac(tmp_path: Path) -> None:
    source = tmp_path / "dvr.avi"
    with av.open(str(source), "w") as container:
        picture = container.add_stream("mjpeg", rate=10)
        picture.width, picture.height, picture.pix_fmt = 160, 120, "yuvj420p"
        sound = container.add_stream("pcm_mulaw", rate=8000)
        sound.layout = "mono"
        for index in range(50):
            frame = samples.video_frame(index, 160, 120, index, Fraction(1, 10))
            container.mux(picture.encode(frame.reformat(format="yuvj420p")))
        for second in range(5):
            tone = (np.sin(np.arange(8000) / 8000 * 2 * math.pi * 440) * 8000).astype(np.int16)
            chunk = av.AudioFrame.from_ndarray(tone[None, :], format="s16", layout="mono")
            chunk.sample_rate, chunk.pts = 8000, second * 8000
            container.mux(sound.encode(chunk))
        container.mux(picture.encode(None))
        container.mux(sound.encode(None))
    result = cutting.cut(source, tmp_path / "clip.mp4", 1.0, 4.0, audio=True)
    assert result.audio is not None and result.audio["codec"] == "aac"
    assert result.audio["made_from"] == "made AAC from pcm_mulaw"
    assert audio_span(tmp_path / "clip.mp4")[0] == 1


# ---------------------------------------------------------------- reading by ranges


class CountingFile:
    """A local file as a Source: read through handles that count the bytes they return."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.size = path.stat().st_size
        self.read = 0

    def open(self) -> BinaryIO:
        outer = self

        class Handle(io.FileIO):
            def readinto(self, buffer: object) -> int:  # type: ignore[override]
                count = super().readinto(buffer)  # type: ignore[arg-type]
                outer.read += count or 0
                return count or 0

        return Handle(os.fspath(self.path), "r")  # type: ignore[return-value]


def test_a_short_window_reads_a_small_part_of_a_long_file(recorder: dict[str, Path],
                                                          tmp_path: Path) -> None:
    source = CountingFile(recorder["gop4"])
    info = probing.probe(source)
    result = cutting.cut(source, tmp_path / "clip.mp4", 50.0, 53.0, info=info)
    assert result.frames == 90
    assert numbers(tmp_path / "clip.mp4") == list(range(1500, 1590))
    assert source.read < source.size * 0.3, (source.read, source.size)


@pytest.mark.parametrize(("name", "options", "indexed"), [
    ("moov_last.mp4", None, True),  # as recorders write it: the index after the pictures
    ("moov_first.mp4", {"movflags": "+faststart"}, True),
    ("fragments.mp4", {"movflags": "+frag_keyframe+empty_moov"}, False),
    ("cues.mkv", None, True),
    ("live.mkv", {"live": "1"}, False),  # Matroska written live: no Cues to seek by
    ("stream.ts", None, False),
    ("old.avi", None, False),
])
def test_only_a_file_with_an_index_is_read_by_ranges(tmp_path: Path, name: str,
                                                     options: dict[str, str] | None,
                                                     indexed: bool) -> None:
    """The worker reads the window's byte ranges only where the container has an index to find
    them by; any other file is downloaded whole (lambdas/clip_cutter/handler.py)."""
    path = samples.make_h264(tmp_path / name, width=160, height=120, seconds=3,
                             options=options)
    with path.open("rb") as handle:
        assert containers.indexed(handle, path.stat().st_size) is indexed


def _ts_part(path: Path, first: int, refs: int) -> bytes:
    """90 pictures from number `first` as MPEG-TS, x264 told to keep `refs` references (its
    SPS says so: two parts with different `refs` carry different picture settings)."""
    with av.open(str(path), "w", format="mpegts") as container:
        stream = container.add_stream("libx264", rate=FPS, options={
            "preset": "ultrafast", "x264-params": "keyint=30:min-keyint=30:scenecut=0:"
            f"bframes=2:b-adapt=0:ref={refs}:log-level=error"})
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for index in range(first, first + 90):
            container.mux(stream.encode(samples.video_frame(index, 320, 240, index,
                                                            Fraction(1, FPS))))
        container.mux(stream.encode(None))
    return path.read_bytes()


def test_pictures_whose_settings_change_inside_the_file_are_re_encoded_saying_why(
        tmp_path: Path) -> None:
    """A recorder that changed its encoder's settings mid-file (a DVR after a firmware update,
    two exports joined): its new SPS cannot share the clip's track with the first, so the
    whole window is re-encoded, still to the picture, and the manifest says why."""
    joined = tmp_path / "joined.ts"
    joined.write_bytes(_ts_part(tmp_path / "a.ts", 0, 1) + _ts_part(tmp_path / "b.ts", 90, 4))
    clip = tmp_path / "clip.mp4"
    result = cutting.cut(joined, clip, 3.5, 5.5)
    assert result.method == "reencode"
    assert result.why == ("the recorder changes its picture settings inside the file: every "
                          "picture is re-encoded")
    shown = numbers(clip)
    assert len(shown) == result.frames == 60
    assert shown == list(range(shown[0], shown[0] + 60)) and shown[0] > 90
    assert cutting.cut(joined, clip, 0.5, 2.5).method == "smart_cut"  # the first part alone
