"""Camera readers: stream-copied H.264 segments, re-encoded MJPEG segments, fMP4 for MSE."""

from __future__ import annotations

import io
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import pytest

from bridge.config import CameraConfig
from bridge.mjpeg_reader import multipart_parts
from bridge.source_types import (
    ClosedSegment,
    ReaderOptions,
    SourceEnded,
    SourceError,
    SourceInfo,
)
from bridge.sources import probe, read_camera
from tests.bridge.media import MjpegCamera, boxes, frame_number, packets

GOP_S = 1.0  # the samples' keyframe interval
FPS = 30


def _read_file(path: Path, work: Path, segment_seconds: float,
               loop: bool = False) -> tuple[list[ClosedSegment], list[SourceInfo]]:
    closed: list[ClosedSegment] = []
    infos: list[SourceInfo] = []
    camera = CameraConfig(id="cam", source=f"file://{path}", loop=loop)
    with pytest.raises(SourceEnded):
        read_camera(camera, ReaderOptions(segment_seconds=segment_seconds, pace=False), work,
                    closed.append, threading.Event(), infos.append)
    return closed, infos


def _check_fmp4(path: Path) -> None:
    """A fragmented MP4 a browser's MediaSource can append: ftyp, moov (with mvex), then
    moof+mdat pairs, and no mfra index at the end."""
    top = boxes(path)
    assert top[:2] == ["ftyp", "moov"], top
    assert top[2:] and all(kind in ("moof", "mdat") for kind in top[2:]), top
    assert top[2] == "moof" and top.count("moof") == top.count("mdat")
    assert b"mvex" in path.read_bytes()[:4096]


@pytest.mark.parametrize("segment_seconds", [2.0, 1.5, 1.0])
def test_h264_is_stream_copied_into_keyframe_aligned_fmp4_segments(
        samples: dict[str, Path], tmp_path: Path, segment_seconds: float) -> None:
    source = samples["h264"]
    closed, infos = _read_file(source, tmp_path, segment_seconds)
    assert infos[0].mode == "copy" and infos[0].codec == "h264"
    assert all(segment.mode == "copy" for segment in closed)
    # ≈ segment_seconds, at most one keyframe interval more (the last one may be shorter)
    for segment in closed[:-1]:
        assert segment_seconds - 0.01 <= segment.duration_s <= segment_seconds + GOP_S + 0.01
    assert sum(segment.duration_s for segment in closed) == pytest.approx(8.0, abs=0.01)
    # one run: each segment starts where the last ended, on the file timeline and on the clock
    assert len({segment.run for segment in closed}) == 1
    for before, after in zip(closed, closed[1:], strict=False):
        assert after.media_start_s == pytest.approx(before.media_start_s + before.duration_s)
        assert (after.start - before.end).total_seconds() == pytest.approx(0, abs=0.002)
    total_frames = 0
    for segment in closed:
        _check_fmp4(segment.path)
        with av.open(str(segment.path)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert stream.codec_context.pix_fmt == "yuv420p"
            decoded = list(container.decode(stream))
        assert decoded[0].key_frame  # starts on a keyframe, decodes on its own
        assert len(decoded) == segment.frames
        total_frames += len(decoded)
        first = frame_number(decoded[0].to_ndarray(format="gray"))
        assert first == round(segment.media_start_s * FPS)  # the right pictures, in order
    assert total_frames == 8 * FPS  # nothing lost, nothing doubled


def test_copied_packets_are_the_sources_bytes(samples: dict[str, Path],
                                              tmp_path: Path) -> None:
    source = list(packets(samples["h264"]))
    closed, _ = _read_file(samples["h264"], tmp_path, 2.0)
    second = closed[1]
    copied = list(packets(second.path))
    at = round(second.media_start_s * FPS)
    assert copied[0].is_keyframe and source[at].is_keyframe
    for offset in (0, 1, 2, 5, 17):
        assert bytes(copied[offset]) == bytes(source[at + offset])
    # the B-frame order (decode order differs from display order) is kept as it was
    order = [packet.pts or 0 for packet in copied[:6]]
    assert order != sorted(order)


def test_timestamps_continue_across_segments_for_mse(samples: dict[str, Path],
                                                     tmp_path: Path) -> None:
    closed, _ = _read_file(samples["h264"], tmp_path, 2.0)
    starts = []
    for segment in closed:
        with av.open(str(segment.path)) as container:
            stream = container.streams.video[0]
            first = next(p for p in container.demux(stream) if p.size)
            assert first.dts is not None and stream.time_base is not None
            starts.append(float(first.dts * stream.time_base))
    assert starts == pytest.approx([segment.media_start_s for segment in closed])


def test_non_h264_files_are_encoded_with_libx264(samples: dict[str, Path],
                                                  tmp_path: Path) -> None:
    closed, infos = _read_file(samples["mjpeg_avi"], tmp_path, 1.0)
    assert infos[0].codec == "mjpeg" and infos[0].mode == "encode"
    assert len(closed) == 4
    for segment in closed:
        assert segment.mode == "encode"
        assert segment.duration_s == pytest.approx(1.0, abs=1 / 15 + 0.001)
        _check_fmp4(segment.path)
        assert b"x264 - core" in segment.path.read_bytes()
        with av.open(str(segment.path)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.pix_fmt == "yuv420p"
            frames = list(container.decode(stream))
        assert frames[0].key_frame
        assert sum(frame.key_frame for frame in frames) == 1  # one keyframe, at the start
        assert len(frames) == 15


def test_mjpeg_over_http_is_encoded_to_h264(mjpeg_camera: MjpegCamera,
                                            tmp_path: Path) -> None:
    closed: list[ClosedSegment] = []
    infos: list[SourceInfo] = []
    stop = threading.Event()

    def take(segment: ClosedSegment) -> None:
        closed.append(segment)
        if len(closed) >= 2:
            stop.set()

    camera = CameraConfig(id="yard", source=mjpeg_camera.url)
    started = time.monotonic()
    read_camera(camera, ReaderOptions(segment_seconds=1.0), tmp_path, take, stop,
                infos.append)
    assert time.monotonic() - started < 6
    assert infos[0].kind == "mjpeg" and infos[0].mode == "encode"
    assert (infos[0].width, infos[0].height) == (320, 240)
    assert len(closed) >= 2
    for segment in closed[:2]:
        assert segment.duration_s == pytest.approx(1.0, abs=0.25)
        _check_fmp4(segment.path)
        assert b"x264 - core" in segment.path.read_bytes()
        with av.open(str(segment.path)) as container:
            frames = list(container.decode(video=0))
        assert frames[0].key_frame
        assert 8 <= len(frames) <= 22  # ~15 fps
        assert 0 <= frame_number(frames[0].to_ndarray(format="gray")) < 30
    assert (closed[1].start - closed[0].start).total_seconds() == pytest.approx(1.0, abs=0.25)


def test_looping_file_plays_at_real_time_and_continues_its_timeline(
        samples: dict[str, Path], tmp_path: Path) -> None:
    closed: list[ClosedSegment] = []
    stop = threading.Event()

    def take(segment: ClosedSegment) -> None:
        closed.append(segment)
        if len(closed) >= 3:
            stop.set()

    camera = CameraConfig(id="demo", source=f"file://{samples['h264_short']}", loop=True)
    started = time.monotonic()
    read_camera(camera, ReaderOptions(segment_seconds=1.0), tmp_path, take, stop)
    elapsed = time.monotonic() - started
    # three 1 s segments close when the 4th second's keyframe arrives: about 3 s of real time
    assert 2.8 <= elapsed <= 4.5
    starts = [segment.media_start_s for segment in closed[:3]]
    assert starts == pytest.approx([0.0, 1.0, 2.0])  # the 2 s file looped, timeline went on
    gaps = [(b.start - a.start).total_seconds() for a, b in zip(closed, closed[1:],
                                                                 strict=False)]
    assert all(0.85 <= gap <= 1.15 for gap in gaps[:2]), gaps
    with av.open(str(closed[2].path)) as container:
        assert next(container.decode(video=0)).key_frame


def test_multipart_parser_copes_with_camera_quirks() -> None:
    jpeg_a, jpeg_b = b"\xff\xd8AAA\r\n--notboundary\xff\xd9", b"\xff\xd8B\nB\xff\xd9"
    # no Content-Length, boundary quoted in the header, more dashes in the body
    body = (b"----frame\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg_a + b"\r\n"
            b"----frame\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg_b + b"\r\n----frame--\r\n")
    assert list(multipart_parts(io.BytesIO(body), '"--frame"')) == [jpeg_a, jpeg_b]
    # no boundary in the header: the first "--" line names it; Content-Length given
    body = (b"\r\n--xyz\r\nContent-Length: %d\r\n\r\n%s\r\n--xyz\r\n"
            b"content-length: %d\r\n\r\n%s\r\n") % (len(jpeg_a), jpeg_a, len(jpeg_b), jpeg_b)
    assert list(multipart_parts(io.BytesIO(body), None)) == [jpeg_a, jpeg_b]
    # cut off in the middle of a picture: stops without a half picture
    assert list(multipart_parts(io.BytesIO(body[:-6]), None)) == [jpeg_a]


def test_unreachable_cameras_give_plain_reasons(tmp_path: Path,
                                                mjpeg_camera: MjpegCamera) -> None:
    port = mjpeg_camera.port
    mjpeg_camera.stop()
    options = ReaderOptions(open_timeout_s=2, read_timeout_s=2)
    for source in (f"http://127.0.0.1:{port}/video.mjpg", f"rtsp://127.0.0.1:{port}/live"):
        camera = CameraConfig(id="gone", source=source)
        with pytest.raises(SourceError) as caught:
            read_camera(camera, options, tmp_path, lambda _s: None, threading.Event())
        assert "connection refused" in caught.value.reason
        assert caught.value.reason.startswith("nothing answers at the camera at ")


def test_http_that_is_not_mjpeg_is_refused_plainly(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Snapshot(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"\xff\xd8\xff\xd9")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Snapshot)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        camera = CameraConfig(id="snap", source=f"http://127.0.0.1:{server.server_port}/a.jpg")
        with pytest.raises(SourceError, match="gives a single picture"):
            read_camera(camera, ReaderOptions(), tmp_path, lambda _s: None, threading.Event())
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_probe_reports_what_it_found(samples: dict[str, Path]) -> None:
    camera = CameraConfig(id="demo", source=f"file://{samples['h264']}")
    report = probe(camera, segment_seconds=1.0, timeout_s=10)
    assert report.ok and report.info is not None
    assert report.info.mode == "copy"
    assert report.keyframe_interval_s == pytest.approx(GOP_S)
    assert report.segment_seconds == pytest.approx(1.0)
    assert "H.264 320x240 at 30 fps, kept as the camera sends it (stream copy)" in report.describe()
    gone = probe(CameraConfig(id="gone", source="http://127.0.0.1:9/x.mjpg"), timeout_s=3)
    assert not gone.ok and "PROBLEM: nothing answers" in gone.describe()


def test_encoded_timestamps_use_a_fine_clock() -> None:
    from bridge.segment_writers import ENCODE_TIME_BASE

    assert Fraction(1, 90_000) == ENCODE_TIME_BASE  # MJPEG arrival times to 11 µs


def test_a_buffer_that_cannot_be_written_is_not_blamed_on_the_camera(
        samples: dict[str, Path], tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")  # the work folder's place is taken by a file (like a full disk)
    camera = CameraConfig(id="cam", source=f"file://{samples['h264']}")
    with pytest.raises(SourceError, match="the buffer cannot be written in"):
        read_camera(camera, ReaderOptions(pace=False), blocked / "incoming", lambda _s: None,
                    threading.Event())


@pytest.mark.parametrize(("body", "content_type"), [
    # what ffmpeg's own server sends: its mpjpeg muxer's parts, as application/octet-stream
    ("mpjpeg", "application/octet-stream"),
    # bare JPEGs one after another (ffmpeg -f mjpeg, some cameras), with or without a type
    ("jpegs", "application/octet-stream"),
    ("jpegs", "image/jpeg"),
    # multipart parts under a type that says otherwise
    ("multipart", "text/plain"),
])
def test_mjpeg_is_judged_by_its_body_not_its_header(
        body: str, content_type: str, jpeg_frames: list[bytes], tmp_path: Path) -> None:
    from tests.bridge.camera_servers import AuthMjpegCamera

    server = AuthMjpegCamera(jpeg_frames, body=body, content_type=content_type).start()
    closed: list[ClosedSegment] = []
    stop = threading.Event()

    def take(segment: ClosedSegment) -> None:
        closed.append(segment)
        if len(closed) >= 2:
            stop.set()

    try:
        camera = CameraConfig(id="ffmpeg", source=server.url)
        read_camera(camera, ReaderOptions(segment_seconds=1.0, read_timeout_s=5), tmp_path,
                    take, stop)
    finally:
        server.stop()
    assert len(closed) >= 2
    with av.open(str(closed[0].path)) as container:
        frames = list(container.decode(video=0))
    assert 8 <= len(frames) <= 22 and (frames[0].width, frames[0].height) == (320, 240)


def test_a_web_page_is_still_refused_whatever_its_type(jpeg_frames: list[bytes],
                                                       tmp_path: Path) -> None:
    from tests.bridge.camera_servers import AuthMjpegCamera

    server = AuthMjpegCamera(jpeg_frames, body="page",
                             content_type="application/octet-stream").start()
    try:
        camera = CameraConfig(id="page", source=server.url)
        with pytest.raises(SourceError, match="does not send an MJPEG stream"):
            read_camera(camera, ReaderOptions(read_timeout_s=5), tmp_path, lambda _s: None,
                        threading.Event())
    finally:
        server.stop()


def test_jpeg_pictures_are_split_at_their_markers() -> None:
    from bridge.mjpeg_reader import jpeg_pictures

    # an EOI-like pair inside a header segment (a thumbnail) must not end the picture
    app1 = b"\xff\xe1\x00\x08THU\xff\xd9M"
    sos = b"\xff\xda\x00\x04\x01\x02"
    first = b"\xff\xd8" + app1 + sos + b"\x12\xff\x00\x34\xff\xd0\x56" + b"\xff\xd9"
    second = b"\xff\xd8" + sos + b"\x99" * 70_000 + b"\xff\xd9"
    stream = io.BytesIO(b"junk" + first + second + b"\xff\xd8" + sos + b"\x01")
    assert list(jpeg_pictures(stream)) == [first, second]  # the cut-off third is left out
