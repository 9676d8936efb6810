"""How much room the buffer needs, from the cameras' bitrates and the buffer's length.

The buffer holds `buffer_minutes` of every camera, plus, for a moment, what has not been pruned
yet (the segment being written, the one that just closed, up to one janitor round). An
approved request cuts one clip into `state_dir/clips` while the buffer keeps recording: at most
the whole buffer of one camera. A RAM disk (tmpfs) that is too small loses video when it fills,
so the answer rounds up, with a tenth more for what this does not count (the fMP4 boxes of
very short fragments, the index, a bitrate that rises at night when the picture is noisy).

The size of a converted camera (MJPEG, H.265) is what the bridge's encoder makes, not what the
camera sends: measure it (`python -m bridge size` probes each camera) rather than guess.

Not counted: pieces of a live share kept after their buffer time because the internet was
down (they go once it is back, or when the share ends); give that room too if the box's line is
unreliable and shares are long.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

FMP4_OVERHEAD = 1.01  # measured 0.5 % over what the camera sends; 1 % for short fragments
HEADROOM = 1.10
FIXED_BYTES = 16 * 1024 * 1024  # index files, the pairing, half-written pieces
JANITOR_S = 5.0  # bridge.runner.JANITOR_EVERY_S
TMPFS_STEP = 64  # MiB: a RAM disk's size is given rounded up to this


@dataclass(frozen=True)
class Room:
    """What the state folder needs, in bytes."""

    buffers: int  # every camera's buffer at its fullest
    clip: int  # one clip being cut for a request
    total: int  # both, with headroom

    @property
    def tmpfs_size(self) -> str:
        """The size to give a tmpfs RAM disk for the state folder (`size=` in /etc/fstab)."""
        mib = math.ceil(self.total / (1024 * 1024) / TMPFS_STEP) * TMPFS_STEP
        return f"{mib}m"


def camera_bytes(bitrate_bps: float, buffer_minutes: float, segment_seconds: float) -> float:
    """One camera's buffer at its fullest: its minutes plus what waits to be pruned."""
    seconds = buffer_minutes * 60 + 2 * segment_seconds + JANITOR_S
    return bitrate_bps / 8 * seconds * FMP4_OVERHEAD


def needed(bitrates_bps: Mapping[str, float], buffer_minutes: float,
           segment_seconds: float) -> Room:
    """The room the state folder needs for these cameras (bits per second each)."""
    if any(rate < 0 or not math.isfinite(rate) for rate in bitrates_bps.values()):
        raise ValueError("a bitrate must be a positive number")
    buffers = sum(camera_bytes(rate, buffer_minutes, segment_seconds)
                  for rate in bitrates_bps.values())
    clip = max(bitrates_bps.values(), default=0.0) / 8 * buffer_minutes * 60 * FMP4_OVERHEAD
    total = (buffers + clip) * HEADROOM + FIXED_BYTES
    return Room(buffers=math.ceil(buffers), clip=math.ceil(clip), total=math.ceil(total))


def describe(room: Room, bitrates_bps: Mapping[str, float], buffer_minutes: float,
             state_dir: str) -> list[str]:
    """The answer in plain words, with the line for /etc/fstab."""
    lines = [f"  {name}: {rate / 1e6:.2f} Mbit/s" for name, rate in bitrates_bps.items()]
    lines += [
        f"{buffer_minutes:g} min of every camera: {room.buffers / 1e9:.2f} GB; one clip being "
        f"cut for a request: up to {room.clip / 1e9:.2f} GB.",
        f"The state folder needs about {room.total / 1e9:.2f} GB. For a RAM disk, in "
        "/etc/fstab:",
        f"  tmpfs {state_dir} tmpfs size={room.tmpfs_size},mode=0700,uid=porchlight-bridge,"
        "gid=porchlight-bridge 0 0",
        "The box needs that much free memory besides about 300 MB for the system and the "
        "bridge.",
    ]
    return lines
