"""When a live camera's pictures were taken, and how far behind live the bridge is.

A piece is stamped with its first picture's **capture time**, never with when the bridge got
round to it: a converted camera on a busy box may be read minutes late, and its pictures must
still say when they were taken.

- **The camera's own clock** where it sends RTCP sender reports (RTSP cameras do): FFmpeg maps
  the first report's NTP time to the stream's timeline (`start_time_realtime`), so a picture's
  capture time is that plus its RTP timestamp. It is used while the camera's clock agrees with
  the bridge's (its pictures arrive between CAMERA_EARLY_S before and CAMERA_LATE_S after they
  say they were taken); a camera whose clock is off is timed as below, and status says by how
  much its clock is off.
- **Arrival** otherwise: each packet is read the moment it comes, on a thread of its own
  (LiveQueue), and the stream's own timestamps are anchored to the packet that came quickest
  (a minimum of arrival minus stream time, allowed to creep later by CLOCK_DRIFT so that a
  camera whose clock runs slow does not drift). A packet read late therefore cannot move the
  times: only the quickest arrivals count.

The reader works through the queue on its own thread; how long the oldest packet has waited
there is how far behind it is. Past `max_behind_s` it **skips to live**: the piece being
written is closed, everything before the newest keyframe is dropped, and the skipped stretch
becomes a gap in the buffer (Timing.skipped); a converted camera also encodes lighter from then
on (EncodeSegmenter.lighten). Timing holds what status pages show.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Generic, TypeVar

CLOCK_DRIFT = 1e-4  # the anchor may move later by 0.1 ms each second (clocks differ < 100 ppm)
CAMERA_EARLY_S = 1.0  # pictures arriving up to this long "before" the camera says it took them
CAMERA_LATE_S = 3.0  # ... or this long after, mean the camera's clock agrees with the bridge's

Item = TypeVar("Item")


class CaptureClock:
    """Capture times (seconds since the epoch, the bridge's clock) of one stream's pictures,
    from its timestamps (ticks of `time_base`). `observe` each packet as it arrives (the
    reading thread); `at` a picture's ticks (any thread)."""

    def __init__(self, time_base: Fraction, camera_base: Callable[[], int | None]) -> None:
        self.time_base = time_base
        self.camera_base = camera_base  # µs since the epoch at the stream's time 0 (RTCP)
        self._anchor: float | None = None  # arrival − stream time: a slowly leaking minimum
        self._camera_delay: float | None = None  # arrival − camera time, likewise
        self._base: float | None = None  # camera_base in seconds, read by the reading thread
        self._last = 0.0

    def observe(self, ticks: int, arrival: float) -> None:
        media = float(ticks * self.time_base)
        leak = CLOCK_DRIFT * max(arrival - self._last, 0.0) if self._last else 0.0
        self._last = arrival
        self._anchor = _leaky_min(self._anchor, leak, arrival - media)
        value = self.camera_base()
        self._base = base = value / 1e6 if value else None
        if base is not None:
            self._camera_delay = _leaky_min(self._camera_delay, leak, arrival - base - media)

    @property
    def uses_camera_clock(self) -> bool:
        delay = self._camera_delay
        return delay is not None and -CAMERA_EARLY_S <= delay <= CAMERA_LATE_S

    @property
    def camera_offset_s(self) -> float | None:
        """How far the camera's clock is ahead of the bridge's (None: it sends no reports)."""
        return None if self._camera_delay is None else -self._camera_delay

    def at(self, ticks: int) -> float:
        media = float(ticks * self.time_base)
        base = self._base
        if base is not None and self.uses_camera_clock:
            return base + media
        assert self._anchor is not None, "observe() a packet before asking for times"
        return self._anchor + media


def _leaky_min(current: float | None, leak: float, value: float) -> float:
    return value if current is None else min(current + leak, value)


@dataclass
class Queued(Generic[Item]):
    item: Item
    arrival: float  # the bridge's clock when it was read
    keyframe: bool


class QueueEnded(Exception):
    """The reading thread stopped: `error` is why (None: the stream ended)."""

    def __init__(self, error: BaseException | None) -> None:
        super().__init__(str(error) if error else "the stream ended")
        self.error = error


class LiveQueue(Generic[Item]):
    """Packets read by one thread as they arrive, worked through by another."""

    def __init__(self) -> None:
        self._items: deque[Queued[Item]] = deque()
        self._ready = threading.Condition()
        self._ended = False
        self._error: BaseException | None = None

    def put(self, item: Item, arrival: float, keyframe: bool) -> None:
        with self._ready:
            self._items.append(Queued(item, arrival, keyframe))
            self._ready.notify()

    def end(self, error: BaseException | None) -> None:
        with self._ready:
            self._ended, self._error = True, error
            self._ready.notify()

    def get(self, timeout: float) -> Queued[Item] | None:
        """The oldest item; None when none came within `timeout`. QueueEnded once the reading
        thread stopped and everything it read was taken."""
        with self._ready:
            if not self._items and not self._ended:
                self._ready.wait(timeout)
            if self._items:
                return self._items.popleft()
            if self._ended:
                raise QueueEnded(self._error)
            return None

    def skip_to_keyframe(self) -> tuple[int, bool]:
        """Drop what waits before the newest keyframe: (how many dropped, whether a keyframe
        is left to start on; if not, everything was dropped)."""
        with self._ready:
            keyframes = [i for i, queued in enumerate(self._items) if queued.keyframe]
            cut = keyframes[-1] if keyframes else len(self._items)
            for _ in range(cut):
                self._items.popleft()
            return cut, bool(keyframes)

    def __len__(self) -> int:
        with self._ready:
            return len(self._items)


class Timing:
    """How one camera's pictures are timed and how far behind live it is, for status pages.
    Written by the camera's reader, read by anyone (single values, no lock needed)."""

    def __init__(self, on_skip: Callable[[str], None] | None = None) -> None:
        self.on_skip = on_skip  # the runner marks the skipped stretch as a gap
        self.clock = ""  # "camera" (its RTCP sender reports) or "arrival"
        self.camera_offset_s: float | None = None
        self.behind_s: float | None = None  # now − capture time of the last picture taken in
        self.skips = 0
        self.skipped_s = 0.0
        self.lighter = ""  # how the conversion was made lighter to keep up ("" if not)

    def skipped(self, seconds: float, reason: str) -> None:
        self.skips += 1
        self.skipped_s += seconds
        if self.on_skip is not None:
            self.on_skip(reason)

    def status(self) -> dict[str, Any]:
        return {
            "clock": self.clock or None,
            "camera_clock_offset_s": (None if self.camera_offset_s is None
                                      else round(self.camera_offset_s, 3)),
            "behind_s": None if self.behind_s is None else round(self.behind_s, 2),
            "skips": self.skips,
            "skipped_s": round(self.skipped_s, 1),
            "lighter": self.lighter or None,
        }
