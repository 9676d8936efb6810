"""What a container's own structure says, read from a few of its bytes: whether the file is
cut off, whether it is a video container at all, and whether it has an index that lets a
reader jump to the asked window (so the worker reads byte ranges instead of the whole file).

MP4/MOV are boxes (size, kind); Matroska is EBML (variable-length ids and sizes); AVI is RIFF.
"""

from __future__ import annotations

from typing import BinaryIO

EBML = b"\x1a\x45\xdf\xa3"
SEGMENT = 0x18538067
SEEK_HEAD = 0x114D9B74
CUES = 0x1C53BB6B
CLUSTER = 0x1F43B675
HEAD_BYTES = 64 * 1024  # enough for a Matroska header up to its first cluster
MP4_FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")


def _vint(data: bytes, at: int, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at `at`: (value, length), None if unreadable.

    A size whose value bits are all ones means "unknown" and is returned as -1.
    """
    if at >= len(data) or data[at] == 0:
        return None
    first = data[at]
    length = 8 - first.bit_length() + 1
    if at + length > len(data):
        return None
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[at + 1:at + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return -1, length
    return value, length


def _segment(head: bytes) -> tuple[int, int] | None:
    """(where the Segment's content starts, its declared size or -1) after the EBML header."""
    ebml_id = _vint(head, 0, True)
    ebml_size = _vint(head, 4, False) if ebml_id else None
    if not ebml_size or ebml_size[0] < 0:
        return None
    at = 4 + ebml_size[1] + ebml_size[0]
    segment_id = _vint(head, at, True)
    if not segment_id or segment_id[0] != SEGMENT:
        return None
    segment_size = _vint(head, at + segment_id[1], False)
    if not segment_size:
        return None
    return at + segment_id[1] + segment_size[1], segment_size[0]


def _matroska_cut_off(head: bytes, size: int) -> bool:
    """True when the Segment says it is longer than the file (EBML header, then Segment)."""
    found = _segment(head)
    if found is None or found[1] < 0:  # unknown size: a live recording
        return False
    return found[0] + found[1] > size


def _matroska_has_cues(head: bytes) -> bool:
    """Whether the Segment's elements before its first cluster include the Cues (the index)
    or a SeekHead that points to them."""
    found = _segment(head)
    if found is None:
        return False
    at = found[0]
    while at < len(head):
        element = _vint(head, at, True)
        size = _vint(head, at + element[1], False) if element else None
        if not element or not size or size[0] < 0:
            return False
        body = at + element[1] + size[1]
        if element[0] == CUES:
            return True
        if element[0] == SEEK_HEAD and CUES.to_bytes(4, "big") in head[body:body + size[0]]:
            return True
        if element[0] == CLUSTER:
            return False
        at = body + size[0]
    return False


def _mp4_boxes(handle: BinaryIO, size: int) -> tuple[set[bytes], bool]:
    """The kinds of an MP4/MOV's top-level boxes, and whether one runs past the file's end."""
    offset = 0
    kinds: set[bytes] = set()
    while offset + 8 <= size:
        handle.seek(offset)
        head = handle.read(16)
        box_size = int.from_bytes(head[0:4], "big")
        kind = head[4:8]
        if box_size == 1:
            if len(head) < 16:
                return kinds, True
            box_size = int.from_bytes(head[8:16], "big")
        elif box_size == 0:  # the last box runs to the end of the file
            box_size = size - offset
        if box_size < 8:
            kinds.add(b"?")  # not a box structure we understand: let FFmpeg judge
            return kinds, False
        kinds.add(kind)
        if offset + box_size > size:
            return kinds, True
        offset += box_size
    return kinds, False


def is_mp4(head: bytes) -> bool:
    return head[4:8] == b"ftyp"


def cut_off(handle: BinaryIO, size: int) -> bool:
    """Whether the container's own sizes say the file ends early (MP4/MOV, AVI, Matroska)."""
    handle.seek(0)
    head = handle.read(HEAD_BYTES)
    if is_mp4(head):
        kinds, past_end = _mp4_boxes(handle, size)
        # A missing moov is a cut (a few stray bytes after the last box are not).
        return past_end or (b"?" not in kinds and b"moov" not in kinds)
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return 8 + int.from_bytes(head[4:8], "little") > size
    if head[:4] == EBML:
        return _matroska_cut_off(head, size)
    return False


def known_container(head: bytes) -> bool:
    return (head[4:8] in MP4_FIRST_BOXES[:-1]
            or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
            or head[:4] == EBML)


def indexed(handle: BinaryIO, size: int) -> bool:
    """Whether a reader can go straight to any time by the file's own index: an MP4/MOV with
    its moov (at the start or the end) and no fragments, or a Matroska file with Cues. Any
    other file (AVI, MPEG-TS, fragmented MP4, Matroska without Cues) is read whole."""
    handle.seek(0)
    head = handle.read(HEAD_BYTES)
    if head[4:8] in MP4_FIRST_BOXES:  # QuickTime files may open without an ftyp
        kinds, past_end = _mp4_boxes(handle, size)
        return not past_end and b"moov" in kinds and b"moof" not in kinds and b"?" not in kinds
    if head[:4] == EBML:
        return _matroska_has_cues(head)
    return False
