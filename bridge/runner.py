"""Keeps every camera recording into its ring buffer, through drops and restarts.

One thread per camera runs the reader into the buffer. When a camera cannot be reached or
drops, the thread says so in the log in plain words, waits (1 s, then 2, 4, then every 5 s,
each a little shortened at random) and tries again; the first segment after the drop closes a
gap, written into the buffer's index, so a viewer or a clip can show that the video stopped
there and why. The wait starts again at 1 s after a connection that delivered video.

A small janitor thread prunes every buffer every few seconds, so old video leaves the box on
time even while a camera is down (a live camera prunes as each segment closes anyway).

Segments carry their pictures' capture time (bridge.capture). A camera that falls more than a
few seconds behind live says so in its status ("behind", with how far); when the reader skips
to live to catch up, the skipped stretch is marked as a gap like a drop.

A camera with a `substream` (its low-resolution stream) records that too, as a camera of its
own: its own thread and its own buffer, under the internal id "<id>.sub" (config.substream_id;
an owner's id cannot hold a "."). Shares send it when viewers ask for it (bridge.share);
evidence always comes from the main buffer. The status lists it after its camera (with
"substream_of"); health() reports its state in its camera's entry ("substream").
"""

from __future__ import annotations

import logging
import random
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bridge.buffer import SegmentBuffer, now_utc
from bridge.capture import Timing
from bridge.config import BridgeConfig, CameraConfig, substream_id
from bridge.segment import Segment, iso
from bridge.source_types import (
    ClosedSegment,
    ReaderOptions,
    SourceEnded,
    SourceError,
    SourceInfo,
)
from bridge.sources import read_camera

logger = logging.getLogger(__name__)

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0  # the server (bridge.share): thousands of bridges must not hammer it
# A camera is tried again at least every 5 s, so an outage costs at most ~5 s more than its
# length. Each wait is shortened by up to a fifth at random, so cameras that dropped together
# (a switch restarting) do not all try again at the same instant.
CAMERA_BACKOFF_MAX_S = 5.0
JITTER = 0.2
JANITOR_EVERY_S = 5.0
STOP_WAIT_S = 15.0  # a reader blocked on a silent camera gives up within its read timeout
BEHIND_SAY_S = 3.0  # a live camera further behind than this is "behind", not "live"

SegmentListener = Callable[[Segment], None]


@dataclass(frozen=True)
class Backoff:
    first_s: float = BACKOFF_FIRST_S
    max_s: float = BACKOFF_MAX_S
    jitter: float = JITTER

    def after(self, delay: float) -> float:
        return min(delay * 2, self.max_s)

    def jittered(self, delay: float) -> float:
        """How long to wait for a wait of `delay`: up to `jitter` of it shorter, never longer
        than max_s."""
        return min(delay, self.max_s) * (1 - self.jitter * random.random())


CAMERA_BACKOFF = Backoff(max_s=CAMERA_BACKOFF_MAX_S)


class CameraWorker:
    """Reads one camera into its buffer on its own thread, reconnecting after drops."""

    def __init__(self, camera: CameraConfig, buffer: SegmentBuffer, options: ReaderOptions,
                 backoff: Backoff = CAMERA_BACKOFF,
                 listener: SegmentListener | None = None) -> None:
        self.camera = camera
        self.buffer = buffer
        self.options = options
        self.backoff = backoff
        self.listener = listener
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"camera-{camera.id}",
                                       daemon=True)
        self._lock = threading.Lock()
        self.state = "starting"  # starting, live, reconnecting, ended, stopped
        self.since = now_utc()
        self.problem: str | None = None
        self.info: SourceInfo | None = None
        self.last_segment: Segment | None = None
        self.keyframe_interval_s: float | None = None
        self.attempts = 0
        self._gap_start: datetime | None = None
        self._gap_reason = ""
        self._got_video = False
        self.timing = Timing(on_skip=self._skipped)
        last = buffer.segments()[-1:]
        if last:  # video from before the bridge (re)started: a gap until the first new one
            self._gap_start = last[0].end
            self._gap_reason = "the bridge was not running"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float = STOP_WAIT_S) -> None:
        if self.thread.is_alive():
            self.thread.join(timeout)
            if self.thread.is_alive():
                logger.warning("Camera %s did not stop within %.0f s; leaving it behind.",
                               self.camera.id, timeout)

    def _set(self, state: str, problem: str | None = None) -> None:
        with self._lock:
            if state != self.state:
                self.since = now_utc()
            self.state = state
            self.problem = problem

    def _run(self) -> None:
        delay = self.backoff.first_s
        while not self.stop_event.is_set():
            self._got_video = False
            self.attempts += 1
            try:
                read_camera(self.camera, self.options, self.buffer.work_dir, self._take,
                            self.stop_event, self._take_info, self.timing)
            except SourceEnded as end:
                logger.info("Camera %s: %s; it stays in the buffer until pruned.",
                            self.camera.id, end)
                self._set("ended", str(end))
                return
            except SourceError as error:
                problem = error.reason
            except Exception as error:  # a bug or an FFmpeg surprise must not end the camera
                # (logged with its traceback, but scrubbed: FFmpeg's messages name the address
                # they opened, password included)
                trace = "".join(traceback.format_exception(error))
                logger.error("Camera %s: unexpected error while reading.\n%s", self.camera.id,
                             self.camera.scrub(trace).rstrip())
                problem = f"unexpected error: {self.camera.scrub(str(error))}"
            else:
                break  # stopped
            if self.stop_event.is_set():
                break
            delay = self._dropped(problem, delay)
        self._set("stopped")

    def _dropped(self, problem: str, delay: float) -> float:
        """Log the drop, open a gap, wait; the next wait's length."""
        if self._got_video:
            delay = self.backoff.first_s
            self.attempts = 1
        if self._gap_start is None:
            last = self.last_segment
            self._gap_start = last.end if last is not None else now_utc()
        self._gap_reason = problem
        repeated = self.state == "reconnecting" and problem == self.problem
        log = logger.info if repeated else logger.warning
        wait = self.backoff.jittered(delay)
        log("Camera %s: %s. Trying again in %.0f s (attempt %d).", self.camera.id, problem,
            wait, self.attempts + 1)
        self._set("reconnecting", problem)
        self.stop_event.wait(wait)
        return self.backoff.after(delay)

    def _take_info(self, info: SourceInfo) -> None:
        self.info = info

    def _skipped(self, reason: str) -> None:
        """The reader skipped video to catch up with live: a gap from the last segment on."""
        if self._gap_start is None and self.last_segment is not None:
            self._gap_start = self.last_segment.end
            self._gap_reason = reason

    def _take(self, closed: ClosedSegment) -> None:
        segment = self.buffer.add(closed)
        self._got_video = True
        if closed.keyframe_interval_s:
            self.keyframe_interval_s = closed.keyframe_interval_s
        if self._gap_start is not None:
            self._close_gap(segment)
        self.last_segment = segment
        if self.state != "live":
            logger.info("Camera %s is live: %s.", self.camera.id,
                        self.info.describe() if self.info else "video")
            self._set("live")
        if self.listener is not None:
            self.listener(segment)

    def _close_gap(self, segment: Segment) -> None:
        start, self._gap_start = self._gap_start, None
        assert start is not None
        if segment.start - start < timedelta(seconds=self.options.segment_seconds / 2):
            return  # reconnected within a picture or two: nothing worth marking
        self.buffer.add_gap(start, segment.start, self._gap_reason)
        logger.info("Camera %s: video is back after %.1f s without it; the gap is marked in "
                    "the buffer.", self.camera.id, (segment.start - start).total_seconds())

    def status(self) -> dict[str, Any]:
        with self._lock:
            state, since, problem = self.state, self.since, self.problem
        last = self.last_segment
        timing = self.timing.status()
        behind = self.timing.behind_s
        if state == "live" and behind is not None and behind > BEHIND_SAY_S:
            state = "behind"
            problem = (f"the video is {behind:.0f} s behind live: this box cannot "
                       f"{'convert' if self.info and self.info.mode == 'encode' else 'store'} "
                       "it fast enough")
        elif state == "live" and self.timing.skips:
            problem = (f"fell behind live {self.timing.skips} time(s) and skipped "
                       f"{self.timing.skipped_s:.0f} s of video to catch up (marked as gaps)")
        return {
            "camera": self.camera.id,
            "porchlight_camera_id": self.camera.camera_id,
            "source": self.camera.safe_source,
            "state": state,
            "since": iso(since),
            "problem": problem,
            "video": self.info.describe() if self.info else None,
            "mode": self.info.mode if self.info else None,
            "keyframe_interval_s": self.keyframe_interval_s,
            "last_segment_at": iso(last.end) if last else None,
            "timing": timing,
            "buffer": self.buffer.stats(),
        }


class Runner:
    """Every camera of a configuration, each recording into its own buffer."""

    def __init__(self, config: BridgeConfig, *, options: ReaderOptions | None = None,
                 backoff: Backoff = CAMERA_BACKOFF, keep_seconds: float | None = None) -> None:
        self.config = config
        self.options = replace(options or ReaderOptions(),
                               segment_seconds=config.segment_seconds)
        keep = keep_seconds if keep_seconds is not None else config.buffer_minutes * 60
        # every recorded stream by its local id: each camera, then its substream ("<id>.sub")
        streams = [stream for camera in config.cameras
                   for stream in (camera, camera.substream_camera) if stream is not None]
        self.buffers: dict[str, SegmentBuffer] = {
            stream.id: SegmentBuffer(config.buffer_dir / stream.id, stream.id, keep)
            for stream in streams}
        self._listeners: list[SegmentListener] = []
        self.workers: dict[str, CameraWorker] = {
            stream.id: CameraWorker(stream, self.buffers[stream.id], self.options, backoff,
                                    self._notify)
            for stream in streams}
        self._backoff = backoff
        self._stop = threading.Event()
        self._janitor = threading.Thread(target=self._prune_loop, name="buffer-janitor",
                                         daemon=True)
        self.started_at = now_utc()

    def add_listener(self, listener: SegmentListener) -> None:
        """Call `listener(segment)` (on the camera's thread) as each segment closes."""
        self._listeners.append(listener)

    def _notify(self, segment: Segment) -> None:
        for listener in list(self._listeners):
            try:
                listener(segment)
            except Exception:
                logger.exception("A segment listener failed.")

    def buffers_by_porchlight_id(self) -> Mapping[str, SegmentBuffer]:
        """The main buffers of the paired cameras (evidence comes from these)."""
        return {camera.camera_id: self.buffers[camera.id] for camera in self.config.cameras
                if camera.camera_id}

    def substream_worker(self, local_id: str) -> CameraWorker | None:
        """The worker recording camera `local_id`'s substream, if it has one."""
        return self.workers.get(substream_id(local_id))

    def add_camera(self, camera: CameraConfig) -> None:
        """Record one more camera (and its substream) from now on: one set up in the owner's
        app (bridge/camera_setup.py). A camera of the same local id is stopped and replaced."""
        streams = [stream for stream in (camera, camera.substream_camera) if stream is not None]
        for old in (camera.id, substream_id(camera.id)):
            worker = self.workers.pop(old, None)
            if worker is not None:
                worker.stop()
                worker.join()
        keep = next(iter(self.buffers.values())).keep_seconds if self.buffers \
            else self.config.buffer_minutes * 60
        for stream in streams:
            self.buffers[stream.id] = SegmentBuffer(self.config.buffer_dir / stream.id,
                                                    stream.id, keep)
            self.workers[stream.id] = CameraWorker(stream, self.buffers[stream.id],
                                                   self.options, self._backoff, self._notify)
        self.config = replace(self.config, cameras=tuple(
            c for c in self.config.cameras if c.id != camera.id) + (camera,))
        if self._janitor.is_alive():
            for stream in streams:
                self.workers[stream.id].start()

    def start(self) -> Runner:
        subs = len(self.workers) - len(self.config.cameras)
        logger.info("Bridge %r starting %d camera(s)%s; buffer %g min in %s.", self.config.name,
                    len(self.config.cameras), f" and {subs} substream(s)" if subs else "",
                    self.config.buffer_minutes, self.config.buffer_dir)
        for worker in self.workers.values():
            worker.start()
        self._janitor.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self.workers.values():
            worker.stop()
        for worker in self.workers.values():
            worker.join()
        if self._janitor.is_alive():
            self._janitor.join()
        logger.info("Bridge stopped; the buffer stays on disk until the next start prunes it.")

    def _prune_loop(self) -> None:
        while not self._stop.wait(JANITOR_EVERY_S):
            for camera, buffer in self.buffers.items():
                try:
                    buffer.prune()
                except OSError as error:
                    logger.warning("Camera %s: pruning the buffer failed: %s", camera,
                                   error.strerror)

    def health(self) -> list[dict[str, Any]]:
        """Each paired camera's health as the owner's Bridges page shows it (the server hears
        it with every state call): recording or not and why, how far behind live, its last
        segment, and how many minutes the buffer holds. A camera with a substream says how
        that is too ("substream": its state), in the same entry."""
        out = []
        for camera in self.config.cameras:
            if not camera.camera_id:
                continue
            worker = self.workers[camera.id]
            status = worker.status()
            behind = worker.timing.behind_s
            entry: dict[str, Any] = {
                "camera_id": camera.camera_id, "state": status["state"],
                "problem": (status["problem"] or "")[:160],
                "behind_s": round(behind, 1) if behind is not None else None,
                "last_at": status["last_segment_at"], "buffer_s": status["buffer"]["seconds"]}
            sub = self.substream_worker(camera.id)
            if sub is not None:
                entry["substream"] = sub.status()["state"]
            out.append(entry)
        return out

    def status(self) -> dict[str, Any]:
        return {
            "bridge": self.config.name,
            "now": iso(now_utc()),
            "started_at": iso(self.started_at),
            "buffer_minutes": self.config.buffer_minutes,
            "segment_seconds": self.config.segment_seconds,
            "cameras": [self._status_of(worker) for worker in self.workers.values()],
        }

    def _status_of(self, worker: CameraWorker) -> dict[str, Any]:
        """A worker's status; a substream's names its camera ("substream_of") and the
        Porchlight camera it serves."""
        status = worker.status()
        for camera in self.config.cameras:
            if camera.substream is not None and worker.camera.id == substream_id(camera.id):
                status["substream_of"] = camera.id
                status["porchlight_camera_id"] = camera.camera_id
        return status
