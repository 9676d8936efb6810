"""What a photo's first bytes say it is: its kind and, when the header gives them, its size.

Pure: no I/O. The photo service reads the first bytes of an uploaded object and checks them
here, so a file that only claims to be a picture (random bytes, a zip, a web page with an image
content type) is refused, and so is a picture whose header claims more pixels than any phone
takes (a "decompression bomb": a few KB that unpack into gigabytes in the viewer's browser).
The app never decodes the picture itself.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEAD_BYTES = 256 * 1024  # enough to pass a JPEG's EXIF and XMP blocks to its frame header
MAX_SIDE = 16_384
MAX_PIXELS = 100_000_000  # 100 megapixels: more than phone cameras take
_JPEG_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                          0xCE, 0xCF})
_JPEG_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RSTn: markers without a length


@dataclass(frozen=True)
class Picture:
    content_type: str  # image/jpeg, image/png or image/webp
    width: int | None  # None when the header within HEAD_BYTES does not say
    height: int | None

    @property
    def too_large(self) -> bool:
        if self.width is None or self.height is None:
            return False
        return max(self.width, self.height) > MAX_SIDE or self.width * self.height > MAX_PIXELS


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _JPEG_NO_LENGTH:
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        if marker in _JPEG_FRAMES:
            if at + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        if marker in (0xD9, 0xDA) or length < 2:  # end, or the picture data began
            return None
        at += 2 + length
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def sniff(head: bytes) -> Picture | None:
    """The picture the first bytes of a file describe, or None when they are not a JPEG, PNG
    or WebP picture at all."""
    if head.startswith(b"\xff\xd8\xff"):
        kind, size = "image/jpeg", _jpeg_size(head)
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind, size = "image/png", _png_size(head)
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kind, size = "image/webp", _webp_size(head)
    else:
        return None
    width, height = size if size else (None, None)
    return Picture(kind, width, height)
