"""The picture a clip shows where its camera sent none: dark, with "NO VIDEO / CAMERA OFFLINE"
in large letters, so an outage inside a clip never looks like a frozen picture of the scene.

Drawn with a 5x7 pixel font straight into the frame's planes: no font files, no numpy.
"""

from __future__ import annotations

from av.video.frame import VideoFrame

LINES = ("NO VIDEO", "CAMERA OFFLINE")
DARK, LIGHT, GREY_CHROMA = 24, 220, 128
FONT = {
    "N": ("X...X", "XX..X", "X.X.X", "X..XX", "X...X", "X...X", "X...X"),
    "O": (".XXX.", "X...X", "X...X", "X...X", "X...X", "X...X", ".XXX."),
    "V": ("X...X", "X...X", "X...X", "X...X", "X...X", ".X.X.", "..X.."),
    "I": (".XXX.", "..X..", "..X..", "..X..", "..X..", "..X..", ".XXX."),
    "D": ("XXXX.", "X...X", "X...X", "X...X", "X...X", "X...X", "XXXX."),
    "E": ("XXXXX", "X....", "X....", "XXXX.", "X....", "X....", "XXXXX"),
    "C": (".XXX.", "X...X", "X....", "X....", "X....", "X...X", ".XXX."),
    "A": (".XXX.", "X...X", "X...X", "XXXXX", "X...X", "X...X", "X...X"),
    "M": ("X...X", "XX.XX", "X.X.X", "X.X.X", "X...X", "X...X", "X...X"),
    "R": ("XXXX.", "X...X", "X...X", "XXXX.", "X.X..", "X..X.", "X...X"),
    "F": ("XXXXX", "X....", "X....", "XXXX.", "X....", "X....", "X...."),
    "L": ("X....", "X....", "X....", "X....", "X....", "X....", "XXXXX"),
    " ": (".....",) * 7,
}


def no_video_card(width: int, height: int) -> VideoFrame:
    """A yuv420p picture of the given size saying that there is no video here."""
    longest = max(len(line) for line in LINES)
    scale = max(1, min(width * 8 // 10 // (longest * 6), height // (len(LINES) * 10 + 2)))
    luma = bytearray(bytes([DARK]) * (width * height))
    top = (height - len(LINES) * 10 * scale) // 2
    for number, text in enumerate(LINES):
        left = (width - len(text) * 6 * scale) // 2
        y0 = top + number * 10 * scale
        for index, char in enumerate(text):
            for row, bits in enumerate(FONT[char]):
                for column, bit in enumerate(bits):
                    if bit != "X":
                        continue
                    x = left + (index * 6 + column) * scale
                    for y in range(y0 + row * scale, y0 + (row + 1) * scale):
                        luma[y * width + x: y * width + x + scale] = bytes([LIGHT]) * scale
    frame = VideoFrame(width, height, "yuv420p")
    _fill(frame, 0, bytes(luma))
    for index in (1, 2):
        plane = frame.planes[index]
        _fill(frame, index, bytes([GREY_CHROMA]) * (plane.width * plane.height))
    return frame


def _fill(frame: VideoFrame, index: int, data: bytes) -> None:
    """Write a plane's pixels (rows of its width, no padding) into the frame's padded rows."""
    plane = frame.planes[index]
    width, stride = plane.width, plane.line_size
    rows = [data[row * width:(row + 1) * width].ljust(stride, b"\0")
            for row in range(plane.height)]
    plane.update(b"".join(rows).ljust(plane.buffer_size, b"\0"))
