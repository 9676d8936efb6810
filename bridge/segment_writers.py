"""Segment files: one fragmented MP4 each, of copied H.264 packets (CopyWriter) or of pictures
encoded by a libx264 of its own (EncodeWriter), so that every segment starts with a keyframe.

A failure to write one (a full disk) is reported as a SourceError naming the buffer's folder,
not as a camera problem.
"""


from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.container import OutputContainer
from av.packet import Packet
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream

from bridge.source_types import SourceError

FMP4_OPTIONS = {
    # fragmented MP4 that MSE can append: an empty moov, one fragment per keyframe, fragment
    # offsets from their own moof, and no mfra index at the end.
    "movflags": "frag_keyframe+empty_moov+default_base_moof+skip_trailer+frag_discont",
    # ... and at least every second, so the muxer never holds more than ~1 s of video even
    # when a camera sends keyframes rarely
    "frag_duration": "1000000",
    # keep the run's timeline in the file (tfdt) instead of restarting every file at 0
    "avoid_negative_ts": "disabled",
    "use_editlist": "0",
}
ENCODE_TIME_BASE = Fraction(1, 90_000)
CLIP_OPTIONS = {"movflags": "+faststart"}  # a clip: one MP4 with its index first
X264_OPTIONS = {"preset": "veryfast", "tune": "zerolatency", "crf": "23"}


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Report a failure to write the buffer (a full disk) as such, not as a camera problem."""
    try:
        yield
    except (av.error.FFmpegError, OSError) as error:
        message = getattr(error, "strerror", None) or str(error)
        raise SourceError(f"the buffer cannot be written in {path.parent} ({message})") from error


def _open_output(path: Path, options: dict[str, str] | None = None) -> OutputContainer:
    with _writing(path):
        return av.open(str(path), "w", format="mp4", options=options or FMP4_OPTIONS)


def new_part(work_dir: Path) -> Path:
    path = work_dir / f"{uuid.uuid4().hex}.part"
    with _writing(path):
        work_dir.mkdir(parents=True, exist_ok=True)
    return path


class CopyWriter:
    """One fMP4 segment of copied H.264 packets, on the run's timeline (stream ticks)."""

    def __init__(self, path: Path, template: VideoStream, origin: int) -> None:
        self.path = path
        self.output = _open_output(path)
        self.stream = self.output.add_stream_from_template(template)
        self.time_base = template.time_base or Fraction(1, 90_000)
        self.stream.time_base = self.time_base
        self.origin = origin
        self.frames = 0

    def write(self, packet: Packet) -> None:
        assert packet.pts is not None and packet.dts is not None
        packet.pts -= self.origin
        packet.dts -= self.origin
        packet.stream = self.stream
        with _writing(self.path):
            self.output.mux_one(packet)
        self.frames += 1

    def close(self) -> None:
        with _writing(self.path):
            self.output.close()


class EncodeWriter:
    """One fMP4 segment encoded with its own libx264 (so it starts with a keyframe)."""

    def __init__(self, path: Path, width: int, height: int, fps: float | None,
                 options: dict[str, str] = X264_OPTIONS,
                 container: dict[str, str] | None = None) -> None:
        self.path = path
        self.width = width
        self.height = height
        self.output = _open_output(path, container)  # None: a segment (fragmented MP4)
        rate = Fraction(round(fps)) if fps and fps >= 1 else Fraction(15)
        self.stream = self.output.add_stream("libx264", rate=rate, options=options)
        self.stream.width = width
        self.stream.height = height
        self.stream.pix_fmt = "yuv420p"
        self.stream.time_base = ENCODE_TIME_BASE
        self.stream.codec_context.time_base = ENCODE_TIME_BASE
        self.pending: Packet | None = None  # held back until the next picture gives its length
        self.frames = 0

    def encode(self, frame: VideoFrame, pts: int) -> None:
        picture = frame.reformat(width=self.width, height=self.height, format="yuv420p")
        # A decoded JPEG comes marked as an I picture, and libx264 obeys that mark: left as it
        # is, every picture would become a keyframe (and the stream ten times bigger).
        picture.pict_type = PictureType.NONE
        picture.pts = pts
        picture.time_base = ENCODE_TIME_BASE
        for packet in self.stream.encode(picture):
            self._hold(packet)

    def _hold(self, packet: Packet) -> None:
        if self.pending is not None:
            if self.pending.dts is not None and packet.dts is not None:
                self.pending.duration = max(packet.dts - self.pending.dts, 1)
            self._mux(self.pending)
        self.pending = packet

    def _mux(self, packet: Packet) -> None:
        with _writing(self.path):
            self.output.mux_one(packet)
        self.frames += 1

    def close(self, end_pts: int | None) -> None:
        for packet in self.stream.encode(None):
            self._hold(packet)
        if self.pending is not None:
            if end_pts is not None and self.pending.dts is not None and end_pts > self.pending.dts:
                self.pending.duration = end_pts - self.pending.dts
            elif not self.pending.duration:
                self.pending.duration = ENCODE_TIME_BASE.denominator // 15
            self._mux(self.pending)
            self.pending = None
        with _writing(self.path):
            self.output.close()
