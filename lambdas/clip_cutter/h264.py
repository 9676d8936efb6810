"""H.264 bitstream pieces, as far as joining re-encoded pictures to copied ones needs them.

A smart cut puts pictures from two encoders in one MP4 track: the recorder's, copied, and
x264's, re-encoded at the start (and at the end) of the window. Each encoder describes its
pictures with its own parameter sets (SPS and PPS); an MP4 track carries all of them in one
`avcC` box, and every slice names the PPS it uses by id. So x264 is told to number its sets
with an id the recorder does not use (x264's `sps-id`), both sets go into the track's avcC,
and every picture is written with 4-byte NAL lengths.

Samples come in two framings: MP4 and Matroska give each NAL unit a length prefix (1, 2 or 4
bytes, said by the avcC); MPEG-TS and AVI give start codes (Annex B), with the parameter sets
in the stream itself, which this module lifts out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

NAL_SLICE = 1
NAL_IDR = 5
NAL_SEI = 6
NAL_SPS = 7
NAL_PPS = 8
NAL_AUD = 9
PARAMETER_SETS = (NAL_SPS, NAL_PPS)
LENGTH_SIZE = 4  # bytes of each NAL length in the clip
# Profiles whose avcC carries chroma format and bit depths after the PPS list (ISO 14496-15).
HIGH_PROFILES = frozenset({100, 110, 122, 144})
START_CODE = re.compile(b"\x00\x00\x01")


class NotJoinable(Exception):
    """The recorder's stream cannot share a track with re-encoded pictures (the reason says
    why, for the evidence manifest)."""


def nal_type(nal: bytes) -> int:
    return nal[0] & 0x1F if nal else 0


def split_annexb(data: bytes) -> list[bytes]:
    """NAL units between start codes (3 or 4 bytes); trailing zero bytes dropped."""
    starts = [m.end() for m in START_CODE.finditer(data)]
    nals = []
    for index, start in enumerate(starts):
        end = starts[index + 1] - 3 if index + 1 < len(starts) else len(data)
        nal = data[start:end].rstrip(b"\x00")
        if nal:
            nals.append(nal)
    return nals


def split_lengths(data: bytes, size: int) -> list[bytes]:
    """NAL units each preceded by a `size`-byte big-endian length."""
    nals = []
    at = 0
    while at + size <= len(data):
        length = int.from_bytes(data[at:at + size], "big")
        at += size
        if length == 0 or at + length > len(data):
            raise NotJoinable("a picture's units run past its end")
        nals.append(data[at:at + length])
        at += length
    return nals


def join_lengths(nals: Iterable[bytes]) -> bytes:
    return b"".join(len(nal).to_bytes(LENGTH_SIZE, "big") + nal for nal in nals)


def _unescape(nal: bytes) -> bytes:
    """The RBSP: emulation-prevention bytes (00 00 03) removed."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def bit(self) -> int:
        byte = self.at // 8
        if byte >= len(self.data):
            raise NotJoinable("a parameter set ends early")
        value = (self.data[byte] >> (7 - self.at % 8)) & 1
        self.at += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
            if zeros > 31:
                raise NotJoinable("a parameter set is not readable")
        value = 1
        for _ in range(zeros):
            value = (value << 1) | self.bit()
        return value - 1


def sps_id(sps: bytes) -> int:
    """seq_parameter_set_id: after the NAL header, profile, constraint flags and level."""
    return _Bits(_unescape(sps[4:])).ue()


def pps_id(pps: bytes) -> int:
    return _Bits(_unescape(pps[1:])).ue()


@dataclass(frozen=True)
class ParameterSets:
    """The sets that describe a stream's pictures, as an avcC box (or Annex B) holds them."""

    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    length_size: int  # of the samples' NAL lengths; 0 for start codes (Annex B)
    chroma: bytes = b""  # the avcC's trailing chroma and bit-depth bytes (High profiles)

    @property
    def profile(self) -> int:
        return self.sps[0][1]

    @property
    def compatibility(self) -> int:
        return self.sps[0][2]

    @property
    def level(self) -> int:
        return self.sps[0][3]

    def ids(self) -> set[int]:
        return {sps_id(s) for s in self.sps} | {pps_id(p) for p in self.pps}

    def nals(self, data: bytes) -> list[bytes]:
        """One sample's NAL units."""
        if self.length_size:
            return split_lengths(data, self.length_size)
        return split_annexb(data)


def read_avcc(extradata: bytes) -> ParameterSets:
    if len(extradata) < 7 or extradata[0] != 1:
        raise NotJoinable("the picture settings are not in a form we read")
    length_size = (extradata[4] & 0x03) + 1
    at = 6
    sps = []
    for _ in range(extradata[5] & 0x1F):
        size = int.from_bytes(extradata[at:at + 2], "big")
        sps.append(extradata[at + 2:at + 2 + size])
        at += 2 + size
    pps = []
    count = extradata[at] if at < len(extradata) else 0
    at += 1
    for _ in range(count):
        size = int.from_bytes(extradata[at:at + 2], "big")
        pps.append(extradata[at + 2:at + 2 + size])
        at += 2 + size
    if not sps or not pps or any(len(s) < 4 for s in sps):
        raise NotJoinable("the picture settings are incomplete")
    chroma = extradata[at:at + 4] if sps[0][1] in HIGH_PROFILES else b""
    return ParameterSets(tuple(sps), tuple(pps), length_size,
                         chroma if len(chroma) == 4 else b"")


def read_annexb(data: bytes) -> ParameterSets:
    """The SPS and PPS found among start-coded NAL units (extradata or a keyframe)."""
    nals = split_annexb(data)
    sps = tuple(dict.fromkeys(n for n in nals if nal_type(n) == NAL_SPS))
    pps = tuple(dict.fromkeys(n for n in nals if nal_type(n) == NAL_PPS))
    if not sps or not pps or any(len(s) < 4 for s in sps):
        raise NotJoinable("the video does not say its picture settings")
    return ParameterSets(sps, pps, 0)


def read_parameter_sets(extradata: bytes | None, first_keyframe: bytes) -> ParameterSets:
    """The stream's sets: its avcC, or Annex B sets from its extradata or its first keyframe."""
    if extradata and extradata[0] == 1:
        return read_avcc(extradata)
    try:
        return read_annexb(extradata or b"")
    except NotJoinable:
        return read_annexb(first_keyframe)


def avcc(recorder: ParameterSets, ours: ParameterSets, our_level: int) -> bytes:
    """One avcC with both encoders' sets: the recorder's profile (x264 was asked for the same),
    the constraint flags both keep, the higher level, 4-byte lengths."""
    sps = [*recorder.sps, *ours.sps]
    pps = [*recorder.pps, *ours.pps]
    if len(sps) > 31 or len(pps) > 255:
        raise NotJoinable("the video has too many picture settings to add ours")
    out = bytearray([1, recorder.profile, recorder.compatibility & ours.compatibility,
                     max(recorder.level, our_level), 0xFC | (LENGTH_SIZE - 1), 0xE0 | len(sps)])
    for nal in sps:
        out += len(nal).to_bytes(2, "big") + nal
    out.append(len(pps))
    for nal in pps:
        out += len(nal).to_bytes(2, "big") + nal
    if recorder.profile in HIGH_PROFILES:
        out += recorder.chroma or bytes([0xFD, 0xF8, 0xF8, 0x00])  # 4:2:0, 8 bits, no SPS-ext
    return bytes(out)


def is_idr(nals: Iterable[bytes]) -> bool:
    return any(nal_type(nal) == NAL_IDR for nal in nals)


def sample(nals: Iterable[bytes], known: ParameterSets) -> bytes:
    """A copied picture as the clip stores it: 4-byte lengths, no access-unit delimiters, and
    no parameter sets repeated in the stream (those must be ones the avcC already holds)."""
    kept = []
    for nal in nals:
        kind = nal_type(nal)
        if kind == NAL_AUD:
            continue
        if kind == NAL_SPS and nal not in known.sps or kind == NAL_PPS and nal not in known.pps:
            raise NotJoinable("the recorder changes its picture settings inside the file")
        if kind not in PARAMETER_SETS:
            kept.append(nal)
    return join_lengths(kept)


def free_id(taken: set[int]) -> int:
    """An SPS/PPS id (x264's sps-id allows 0..31) the recorder does not use."""
    for candidate in range(1, 32):
        if candidate not in taken:
            return candidate
    raise NotJoinable("the video uses every picture-settings number")


X264_PROFILES = {"baseline": "baseline", "constrained baseline": "baseline", "main": "main",
                 "high": "high", "progressive high": "high", "constrained high": "high"}


def x264_profile(profile: str | None) -> str:
    """The x264 profile that makes pictures like the recorder's (its name as FFmpeg says it)."""
    found = X264_PROFILES.get((profile or "").lower())
    if found is None:
        raise NotJoinable(f"x264 cannot make pictures of the recorder's profile ({profile})")
    return found
