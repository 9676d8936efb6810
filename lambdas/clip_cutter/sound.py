"""The original's sound: described for the manifest, and put in the clip only when the owner
chose to send it (recording conversations is regulated in many states, so it is off unless
the owner turns it on).

Sound goes into the clip cut to the clip's own pictures: every audio packet that lies wholly
between the clip's first picture and its end (a packet is about 21 ms of AAC), copied when
browsers play it in MP4 (AAC, MP3), otherwise (a recorder's G.711 or PCM) decoded and made
AAC. Packets arrive with the video's in one pass over the file; they wait here until the
clip's start is known and are written as the pictures reach their time, so the clip's audio
and video stay interleaved.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.packet import Packet

LEFT_OUT = "left out: the owner did not choose to send sound"
COPYABLE = frozenset({"aac", "mp3"})
AAC_RATES = frozenset({96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
                       11025, 8000, 7350})


def first_audio(container: InputContainer) -> AudioStream | None:
    return container.streams.audio[0] if container.streams.audio else None


def describe(stream: AudioStream | None) -> dict[str, Any] | None:
    """What the original's sound is, for the manifest (None: the original has none)."""
    if stream is None:
        return None
    context = stream.codec_context
    return {"codec": context.name, "channels": context.channels, "sample_rate": context.rate}


class Sound:
    """One audio stream, cut to the clip and written into it (see the module's note)."""

    def __init__(self, output: OutputContainer, source: AudioStream, end_s: float) -> None:
        self.output = output
        self.source = source
        self.time_base = source.time_base or Fraction(1, source.codec_context.rate or 48000)
        self.end_s = end_s
        self.copy = source.codec_context.name in COPYABLE
        self.stream: Any = None  # added after the clip's video track (start())
        self.origin_s: float | None = None
        self.waiting: dict[int, Packet] = {}
        self.written_pts: int | None = None
        self.done = False  # a packet at or past the end has been read
        self.packets = 0

    def _seconds(self, ticks: int) -> float:
        return float(ticks * self.time_base)

    def take(self, packet: Packet) -> None:
        """A packet read from the file (possibly twice, when a seek went back)."""
        if packet.pts is None:
            return
        if self._seconds(packet.pts) >= self.end_s:
            self.done = True
            return
        if self.written_pts is not None and packet.pts <= self.written_pts:
            return
        self.waiting[packet.pts] = packet

    def start(self, origin_s: float) -> None:
        """The clip's first picture is at `origin_s` in the source's seconds; its video track
        is in the output, so the sound's comes second, as players expect."""
        self.origin_s = origin_s
        context = self.source.codec_context
        if self.copy:
            self.stream = self.output.add_stream_from_template(self.source)
            self.stream.time_base = self.time_base
        else:
            rate = context.rate if context.rate in AAC_RATES else 48000
            self.stream = self.output.add_stream("aac", rate=rate)
            self.stream.layout = "mono" if context.channels == 1 else "stereo"

    def release(self, until_s: float) -> None:
        """Write the waiting packets that come before `until_s` (source seconds)."""
        if self.origin_s is None:
            return
        for pts in sorted(self.waiting):
            if self._seconds(pts) >= until_s:
                break
            self._write(self.waiting.pop(pts))

    def _write(self, packet: Packet) -> None:
        assert packet.pts is not None and self.origin_s is not None
        begins = self._seconds(packet.pts)
        ends = begins + self._seconds(packet.duration or 0)
        self.written_pts = packet.pts
        if begins < self.origin_s - 1e-6 or ends > self.end_s + 1e-6:
            return  # only partly inside the window
        shift = round(Fraction(self.origin_s) / self.time_base)
        if self.copy:
            packet.pts -= shift
            packet.dts = packet.pts
            packet.stream = self.stream
            self.output.mux_one(packet)
        else:
            for frame in packet.decode():
                assert isinstance(frame, AudioFrame)
                frame.pts = None  # the encoder counts samples from the clip's start
                self.output.mux(self.stream.encode(frame))
        self.packets += 1

    def close(self, end_s: float) -> None:
        """The clip's pictures end at `end_s`: the rest of the sound before it goes in."""
        self.end_s = min(self.end_s, end_s)
        self.release(self.end_s)
        self.waiting.clear()
        if self.stream is not None and not self.copy:
            self.output.mux(self.stream.encode(None))

    def described(self) -> dict[str, Any]:
        context = self.source.codec_context
        return {"codec": "aac" if not self.copy else context.name,
                "channels": context.channels if self.copy or context.channels == 1 else 2,
                "sample_rate": context.rate if self.copy or self.stream is None
                else self.stream.codec_context.rate,
                "made_from": "copied" if self.copy else f"made AAC from {context.name}",
                "packets": self.packets}
