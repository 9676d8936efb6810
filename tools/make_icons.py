"""Draw the app icons (a porch light on navy) as PNGs with the standard library only.

Run once when the design changes: `python tools/make_icons.py`; the PNGs are committed.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

NAVY = (31, 58, 95)
AMBER = (242, 182, 50)
WHITE = (255, 255, 255)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    t = max(0.0, min(1.0, t))
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t),
            round(a[2] + (b[2] - a[2]) * t))


def pixel(x: float, y: float) -> tuple[int, int, int]:
    """Colour at (x, y) in a unit square: a glowing lamp over a porch roof line."""
    cx, cy = 0.5, 0.47
    d = math.hypot(x - cx, y - cy)
    colour = NAVY
    if d < 0.42:
        colour = _mix(AMBER, NAVY, (d - 0.16) / 0.26 * 1.0 + 0.25)  # glow
    if d < 0.16:
        colour = AMBER
    if 0.70 < y < 0.76 and 0.2 < x < 0.8:
        colour = WHITE  # porch floor
    if 0.22 < y < 0.28 and abs(x - 0.5) < 0.3:
        colour = WHITE  # porch roof
    return colour


def png(size: int) -> bytes:
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            row.extend(pixel((i + 0.5) / size, (j + 0.5) / size))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "frontend" / "static" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (out / f"icon-{size}.png").write_bytes(png(size))
        print(f"wrote icon-{size}.png")
