"""Reading an RTSP camera or a video file with PyAV, into the copy or the encode segmenter.

Opening tries the RTSP transports in turn and says any FFmpeg error in one plain sentence,
without the password. A live camera is read on a thread of its own that stamps each packet's
arrival, and a reader more than `max_behind_s` behind skips to live. A file plays at real time
(paced by its timestamps) and, with `loop`, starts again with its timeline continuing.
"""


from __future__ import annotations

import errno
import logging
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.container import InputContainer
from av.packet import Packet
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from bridge.capture import CaptureClock, LiveQueue, Queued, QueueEnded, Timing
from bridge.config import CameraConfig
from bridge.segmenters import LIGHTER, CopySegmenter, EncodeSegmenter
from bridge.source_types import (
    InfoSink,
    ReaderOptions,
    SegmentSink,
    SourceEnded,
    SourceError,
    SourceInfo,
)

logger = logging.getLogger(__name__)

COPYABLE_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})


def _plain_av_error(error: Exception, where: str) -> str:
    """A plain sentence for an FFmpeg error while opening or reading a camera."""
    if isinstance(error, av.error.HTTPUnauthorizedError):
        return f"{where} refused the user name or password (user and password in the config)"
    if isinstance(error, av.error.HTTPForbiddenError):
        return f"{where} refused access (forbidden)"
    if isinstance(error, av.error.HTTPNotFoundError | av.error.FileNotFoundError):
        return f"{where} has no stream at that path"
    if isinstance(error, av.error.ConnectionRefusedError):
        return f"nothing answers at {where} (connection refused; is the camera on?)"
    if isinstance(error, av.error.ExitError | av.error.TimeoutError | TimeoutError):
        return f"{where} did not answer in time"
    if isinstance(error, av.error.InvalidDataError):
        return f"{where} sends something that is not video the bridge can read"
    # (strerror: FFmpeg's message without the address it opened, which holds the password)
    message = getattr(error, "strerror", None) or type(error).__name__
    return f"{where} cannot be read: {message}"


def _open_pyav(camera: CameraConfig, options: ReaderOptions) -> InputContainer:
    where = f"the camera at {camera.safe_source}"
    if camera.kind == "file":
        where = f"the file {camera.file_path}"
        try:
            return av.open(str(camera.file_path), "r")
        except (av.error.FFmpegError, OSError) as error:
            raise SourceError(_plain_av_error(error, where)) from error
    failed: list[str] = []
    for transport in _transports(camera):
        ffmpeg_options = {
            "rtsp_transport": transport,
            "timeout": str(int(options.read_timeout_s * 1_000_000)),  # socket I/O, microseconds
            "max_delay": "500000",
        }
        if transport == "udp":
            ffmpeg_options["buffer_size"] = str(4 * 1024 * 1024)  # a 1080p keyframe's burst
        try:
            # (connect_url holds the password: FFmpeg's exceptions name the address they
            # opened, so they are never chained on; the reason is scrubbed of the password too)
            container = av.open(camera.connect_url, "r", options=ffmpeg_options,
                                timeout=(options.open_timeout_s, options.read_timeout_s))
        except (av.error.FFmpegError, OSError) as error:
            failed.append(camera.scrub(_plain_av_error(error, f"{where} over {transport.upper()}")))
            if getattr(error, "errno", None) == errno.EPROTONOSUPPORT:
                # the server refuses this transport: start with the other one next time (a
                # server may still be setting up after the refusal and fail the other at once)
                _PREFERRED[camera.id, camera.source] = "udp" if transport == "tcp" else "tcp"
            if not _other_transport_may_help(error):
                break
            continue
        _PREFERRED[camera.id, camera.source] = transport
        return container
    raise SourceError("; ".join(failed)) from None


# (camera id, address) → the RTSP transport to try first ("auto")
_PREFERRED: dict[tuple[str, str], str] = {}


def _transports(camera: CameraConfig) -> tuple[str, ...]:
    """RTSP transports to try, in order: the camera's `transport`, or for "auto" TCP (which
    loses no packets through home routers and Wi-Fi) then UDP, the one that worked last first."""
    if camera.transport in ("tcp", "udp"):
        return (camera.transport,)
    if _PREFERRED.get((camera.id, camera.source)) == "udp":
        return ("udp", "tcp")
    return ("tcp", "udp")


def _other_transport_may_help(error: Exception) -> bool:
    """A camera that is off, or refuses the password, or has no such stream, answers the
    same over either transport (RTSP's own connection is TCP either way)."""
    return not isinstance(error, av.error.ConnectionRefusedError | av.error.HTTPUnauthorizedError
                          | av.error.HTTPForbiddenError | av.error.HTTPNotFoundError
                          | av.error.FileNotFoundError)


def _video_stream(container: InputContainer, where: str) -> VideoStream:
    if not container.streams.video:
        raise SourceError(f"{where} sends no video")
    stream = container.streams.video[0]
    if not stream.codec_context.width:
        raise SourceError(f"{where} sends video the bridge cannot read (no picture size)")
    return stream


def _info_of(camera: CameraConfig, stream: VideoStream) -> SourceInfo:
    ctx = stream.codec_context
    pix_fmt = ctx.pix_fmt
    copy = stream.codec_context.name == "h264" and (pix_fmt is None
                                                    or pix_fmt in COPYABLE_PIX_FMTS)
    rate = stream.average_rate or stream.guessed_rate
    return SourceInfo(kind=camera.kind, codec=ctx.name, width=ctx.width, height=ctx.height,
                      fps=float(rate) if rate else None, mode="copy" if copy else "encode",
                      pix_fmt=pix_fmt)


class _Pacer:
    """Waits until a packet's time has come (file sources), or makes up arrival times."""

    def __init__(self, options: ReaderOptions, stop: threading.Event) -> None:
        self.options = options
        self.stop = stop
        self.mono0: float | None = None
        self.wall0 = 0.0

    def arrive(self, media_s: float, live: bool = False) -> float:
        """Wall-clock arrival (seconds) of something at `media_s` on the run's timeline.

        A live camera paces itself: its packets are stamped as they come."""
        if live:
            return self.options.clock()
        if self.mono0 is None:
            self.mono0 = time.monotonic() - media_s
            self.wall0 = self.options.clock() - media_s
        if not self.options.pace:
            return self.wall0 + media_s  # as fast as possible, stamped as if in real time
        delay = self.mono0 + media_s - time.monotonic()
        if delay > 0:
            self.stop.wait(delay)
        return self.options.clock()


class PyAVReader:
    """Reads an RTSP camera or a file with PyAV, feeding the copy or encode segmenter.

    A live camera is read on a thread of its own (`_demux`), which only stamps each packet
    with its arrival and queues it; this thread works through the queue, skipping to live when
    it falls more than `max_behind_s` behind (bridge.capture).
    """

    def __init__(self, camera: CameraConfig, options: ReaderOptions, work_dir: Path,
                 sink: SegmentSink, stop: threading.Event, timing: Timing | None = None) -> None:
        self.camera = camera
        self.timing = timing or Timing()
        self.demuxer: threading.Thread | None = None
        self.options = options
        self.work_dir = work_dir
        self.sink = sink
        self.stop = stop
        self.is_file = camera.kind == "file"
        self.pacer = _Pacer(options, stop)
        self.shift = 0  # ticks added to every timestamp (a looping file continues its timeline)
        self.next_dts: int | None = None  # where the next loop's first packet goes
        self.copy: CopySegmenter | None = None
        self.encode: EncodeSegmenter | None = None
        self.origin: int | None = None

    def run(self, on_info: InfoSink | None) -> None:
        where = (f"the file {self.camera.file_path}" if self.is_file
                 else f"the camera at {self.camera.safe_source}")
        container = _open_pyav(self.camera, self.options)
        try:
            stream = _video_stream(container, where)
            info = _info_of(self.camera, stream)
            if on_info:
                on_info(info)
            if info.mode == "copy":
                self.copy = CopySegmenter(stream, self.options.segment_seconds, self.work_dir,
                                          self.sink, self.camera.id)
            else:
                stream.thread_type = "AUTO"
                self.encode = EncodeSegmenter(self.options.segment_seconds, self.work_dir,
                                              self.sink, self.camera.id, info.fps)
            if not self.is_file:
                self._read_live(container, stream, where)
                return
            while True:
                self._read_through(container, stream, where)
                if self.stop.is_set():
                    return
                if not self.camera.loop:
                    raise SourceEnded(f"{where} has reached its end")
                container.close()
                container = _open_pyav(self.camera, self.options)
                stream = _video_stream(container, where)
                if self.copy is not None:
                    self.copy.template = stream
                self.shift = 0
        finally:
            self._finish()
            if self.demuxer is None or not self.demuxer.is_alive():
                container.close()
            else:  # still inside FFmpeg (its read timeout ends it): closing now would crash
                logger.warning("Camera %s: its reading thread did not stop in time.",
                               self.camera.id)

    # ------------------------------------------------------------ live cameras

    def _read_live(self, container: InputContainer, stream: VideoStream, where: str) -> None:
        time_base = stream.time_base or Fraction(1, 90_000)
        capture = CaptureClock(time_base, lambda: container.start_time_realtime)
        queue: LiveQueue[Packet] = LiveQueue()
        halt = threading.Event()
        if self.copy is not None:
            self.copy.stamp = capture.at
        if self.encode is not None:
            self.encode.stamp = lambda media_s: capture.at(
                (self.origin or 0) + round(Fraction(media_s) / time_base))
        self.demuxer = threading.Thread(target=self._demux, name=f"camera-{self.camera.id}-read",
                                        args=(container, stream, capture, queue, halt),
                                        daemon=True)
        self.demuxer.start()
        skipped_from: float | None = None  # capture time of the first packet left out
        try:
            while not self.stop.is_set():
                try:
                    queued = queue.get(0.5)
                except QueueEnded as ended:
                    if self.stop.is_set():
                        return
                    raise SourceError(self._ended(ended, where)) from None
                if queued is None:
                    continue
                packet = queued.item
                ticks = packet.pts if packet.pts is not None else packet.dts
                if ticks is None:
                    continue
                now = self.options.clock()
                if now - queued.arrival > self.options.max_behind_s:
                    if skipped_from is None:
                        skipped_from = capture.at(ticks)
                    self._fall_back(stream, queue, now - queued.arrival)
                    continue
                if skipped_from is not None:
                    if not queued.keyframe:
                        continue  # nothing decodes before the next keyframe
                    self._skipped(skipped_from, capture.at(ticks))
                    skipped_from = None
                self._live_packet(queued, stream, time_base)
                self._note(capture, ticks)
        finally:
            halt.set()
            self.demuxer.join(self.options.read_timeout_s + 2)

    def _note(self, capture: CaptureClock, ticks: int) -> None:
        """For status pages: how pictures are timed, how far behind live this one was."""
        self.timing.behind_s = self.options.clock() - capture.at(ticks)
        self.timing.clock = "camera" if capture.uses_camera_clock else "arrival"
        self.timing.camera_offset_s = capture.camera_offset_s
        if self.encode is not None:
            self.timing.lighter = LIGHTER[self.encode.lighter][0]

    def _demux(self, container: InputContainer, stream: VideoStream, capture: CaptureClock,
               queue: LiveQueue[Packet], halt: threading.Event) -> None:
        """The reading thread: every packet, the moment it comes, stamped and queued."""
        error: BaseException | None = None
        try:
            for packet in container.demux(stream):
                if halt.is_set() or self.stop.is_set():
                    break
                if not packet.size:
                    continue
                arrival = self.options.clock()
                ticks = packet.pts if packet.pts is not None else packet.dts
                if ticks is not None:
                    capture.observe(ticks, arrival)
                queue.put(packet, arrival, packet.is_keyframe)
        except av.error.EOFError:
            pass
        except Exception as failure:  # handed to the camera's thread, which says it
            error = failure
        finally:
            queue.end(error)

    def _ended(self, ended: QueueEnded, where: str) -> str:
        error = ended.error
        if error is None:
            return f"{where} closed the stream"
        if isinstance(error, av.error.FFmpegError | OSError):
            return self.camera.scrub(_plain_av_error(error, where))
        return f"unexpected error while reading {where}: {type(error).__name__}"

    def _fall_back(self, stream: VideoStream, queue: LiveQueue[Packet], behind: float) -> None:
        """Too far behind live: close the piece being written, drop what waits before the
        newest keyframe, and (converting) encode lighter from now on."""
        logger.warning("Camera %s: %.1f s behind live (this box cannot %s it fast enough); "
                       "skipping to live video. The skipped time is marked as a gap.",
                       self.camera.id, behind, "convert" if self.encode else "store")
        self._finish()
        self.origin = None  # the next run's timeline starts at 0 again
        if self.encode is not None:
            stream.codec_context.flush_buffers()
            self.encode.lighten(self.options.clock())
        queue.skip_to_keyframe()

    def _skipped(self, start: float, end: float) -> None:
        seconds = max(end - start, 0.0)
        logger.info("Camera %s: live again after skipping %.1f s of video.", self.camera.id,
                    seconds)
        work = "converting" if self.encode else "storing"
        self.timing.skipped(seconds, f"the bridge fell behind {work} this camera and skipped "
                                     f"{seconds:.0f} s of its video to catch up with live")

    def _live_packet(self, queued: Queued[Packet], stream: VideoStream,
                     time_base: Fraction) -> None:
        packet = queued.item
        when = packet.dts if packet.dts is not None else packet.pts
        if when is None:
            return
        self._media_s(when, time_base)
        self._feed(packet, stream, time_base, queued.arrival)

    # ------------------------------------------------------------ files

    def _finish(self) -> None:
        if self.copy is not None:
            self.copy.close(None)
        if self.encode is not None:
            self.encode.close(None)

    def _read_through(self, container: InputContainer, stream: VideoStream, where: str) -> None:
        time_base = stream.time_base or Fraction(1, 90_000)
        first = True
        try:
            for packet in container.demux(stream):
                if self.stop.is_set():
                    return
                if not packet.size:
                    continue
                if first and self.next_dts is not None and packet.dts is not None:
                    self.shift = self.next_dts - packet.dts
                first = False
                self._move(packet)
                self._packet(packet, stream, time_base)
            if self.encode is not None:
                self._frames(stream.decode(None), time_base)
        except (av.error.FFmpegError, OSError) as error:
            if isinstance(error, av.error.EOFError):
                return
            reason = self.camera.scrub(_plain_av_error(error, where))
        else:
            return
        raise SourceError(reason)  # outside the except: FFmpeg's error (the address) not kept

    def _move(self, packet: Packet) -> None:
        if self.shift:
            if packet.pts is not None:
                packet.pts += self.shift
            if packet.dts is not None:
                packet.dts += self.shift
        if packet.dts is not None:
            self.next_dts = packet.dts + (packet.duration or 1)

    def _media_s(self, ticks: int, time_base: Fraction) -> float:
        if self.origin is None:
            self.origin = ticks
        return float((ticks - self.origin) * time_base)

    def _packet(self, packet: Packet, stream: VideoStream, time_base: Fraction) -> None:
        when = packet.dts if packet.dts is not None else packet.pts
        if when is None:
            return
        wall = self.pacer.arrive(self._media_s(when, time_base), live=not self.is_file)
        self._feed(packet, stream, time_base, wall)

    def _feed(self, packet: Packet, stream: VideoStream, time_base: Fraction,
              arrival: float) -> None:
        """One packet to the segmenter: copied as it is, or decoded for conversion."""
        if self.copy is not None:
            self.copy.feed(packet, arrival)
            return
        try:
            frames = stream.decode(packet)
        except av.error.InvalidDataError:
            logger.debug("Camera %s: a damaged picture was skipped.", self.camera.id)
            return
        self._frames(frames, time_base, arrival)

    def _frames(self, frames: list[VideoFrame], time_base: Fraction,
                wall: float | None = None) -> None:
        assert self.encode is not None
        for frame in frames:
            if frame.pts is None:
                continue
            media_s = self._media_s(frame.pts, time_base)
            arrival = wall if wall is not None else self.pacer.arrive(media_s,
                                                                      live=not self.is_file)
            self.encode.feed(frame, media_s, arrival)
