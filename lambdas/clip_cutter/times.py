"""Times in the clip worker: a window asked in real time as seconds of the file, seconds as a
stream's ticks and back, and minutes:seconds for people.

A window is given in the source file's own seconds, counted from its first video frame
(ProbeResult.start_s is that frame's timestamp in the container, often 0). window_in_file()
turns a real-time window and the owner's stated recorder clock offset into those seconds.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction


def window_in_file(asked_start: datetime, asked_end: datetime, file_starts_at: datetime,
                   offset_s: float) -> tuple[float, float]:
    """Seconds into the file (from its first frame) of a window asked in real time.

    Sign convention: `offset_s` is how far the recorder's clock runs AHEAD of real time, so
    recorder time = real time + offset_s. An owner who says "the recorder shows 20:37 when it is
    really 20:00" gives offset_s = +2220; a recorder that is behind gives a negative offset.
    `file_starts_at` is the recorder's time (as the recorder shows it, for example in the file
    name or the burnt-in clock) of the file's first frame; `asked_start` and `asked_end` are real
    times. All three datetimes must be alike: all naive or all timezone-aware.

    The result may be negative or past the file's end; cut() decides what that means.
    """
    start = (asked_start - file_starts_at).total_seconds() + offset_s
    end = (asked_end - file_starts_at).total_seconds() + offset_s
    return start, end


def in_ticks(seconds: float, time_base: Fraction) -> Fraction:
    """Seconds (to the microsecond, as datetimes give them) in the stream's ticks: 0.4 s is
    exactly frame 12 at 30 fps, not a hair after it."""
    return Fraction(round(seconds * 1_000_000), 1_000_000) / time_base


def in_seconds(ticks: int | Fraction, time_base: Fraction) -> float:
    return float(ticks * time_base)


def mmss(seconds: float) -> str:
    whole = max(int(seconds), 0)
    return f"{whole // 60:02d}:{whole % 60:02d}"
