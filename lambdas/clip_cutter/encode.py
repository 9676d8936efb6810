"""x264, as the clip worker uses it: the whole-window re-encode and a smart cut's ends.

Settings, and why. Measured by bench/clips.py on its 1080p30 source (a panning, grainy scene at
6 Mb/s), re-encoding 20 s on one pinned core with one decoder and one encoder thread: frames
per second of that process's CPU time (per vCPU; the wall-clock figure on the shared 2-core
test machine, load average 4 to 7, was about half), and PSNR and SSIM of the luma against the
decoded source:

  preset     crf  fps/vCPU  PSNR dB  SSIM    Mb/s
  veryfast   23   47        39.0     0.982   5.3   (the earlier choice)
  superfast  23   76        41.3     0.989   7.1   (chosen)
  ultrafast  23   ~80       44.1     0.994   19.6  (CAVLC, no loop filter: 2.7x the bits)

superfast keeps CABAC and the loop filter and drops most of the motion search and the
lookahead: 1.6 times veryfast's speed, and at the same CRF it spends a third more bits for
better fidelity to the source (CRF is a perceptual target; the slower preset spends its effort
on fewer bits, not on a closer picture). ultrafast is barely faster once decoding is counted,
for almost three times the bits. Evidence wants the source's detail more than small files.

A smart cut re-encodes at most a keyframe interval at each end of the window; those pictures
sit between the recorder's own, so they are made closer to the source (crf 18), without
B-frames (their decode order is their display order, which lets the copied pictures follow
them in one track), as the recorder's profile and level, with parameter-set ids the recorder
does not use (lambdas/clip_cutter/h264.py).

Full-range pictures (MJPEG's yuvj420p) are scaled to video range when re-encoded: the clip is
tagged video range, and full-range samples under that tag played with crushed blacks and
blown whites (PSNR 28 dB against the source before, 40 dB now).
"""

from __future__ import annotations

from fractions import Fraction

import av
from av.container import OutputContainer
from av.video.codeccontext import VideoCodecContext
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from bridge import masking
from bridge.masking import Masks
from lambdas.clip_cutter import h264
from lambdas.clip_cutter.reading import frame_step

CLIP_CODEC = "h264"
CLIP_PIX_FMT = "yuv420p"
X264_PRESET = "superfast"
X264_CRF = "23"
SPLICE_CRF = "18"
VIDEO_RANGE, FULL_RANGE = 1, 2  # FFmpeg's AVCOL_RANGE_MPEG (16..235) and _JPEG (0..255)


def _even(value: int) -> int:
    return max(value - value % 2, 2)


class Encoder:
    """libx264 into the output, frames timed in the source's time base from the clip's start."""

    def __init__(self, output: OutputContainer, source: VideoStream, threads: int | None,
                 masks: Masks | None = None) -> None:
        self.output = output
        self.masks = masks or Masks()
        self.time_base = source.time_base or Fraction(1, 1000)
        rate = source.average_rate or source.guessed_rate or Fraction(30)
        self.stream = output.add_stream("libx264", rate=rate,
                                        options={"preset": X264_PRESET, "crf": X264_CRF})
        self.stream.width = _even(source.codec_context.width)
        self.stream.height = _even(source.codec_context.height)
        self.stream.pix_fmt = CLIP_PIX_FMT
        self.stream.codec_context.color_range = VIDEO_RANGE
        self.stream.codec_context.time_base = self.time_base
        self.stream.time_base = self.time_base
        # 0 lets x264 choose (about 1.5 threads per core); FFmpeg's own default would be 1.
        self.stream.codec_context.thread_count = 0 if threads is None else threads
        self.frames = 0
        self.first_pts: int | None = None
        self.end_pts = 0
        self.step = frame_step(source)

    def write(self, frame: VideoFrame) -> None:
        assert frame.pts is not None
        if self.first_pts is None:
            self.first_pts = frame.pts
            if frame.rotation:
                self.stream.set_display_rotation(frame.rotation)
        pts = frame.pts
        duration = frame.duration or self.step
        picture = frame
        full_range = frame.color_range == FULL_RANGE or frame.format.name.startswith("yuvj")
        if full_range or (frame.width, frame.height, frame.format.name) != (
                self.stream.width, self.stream.height, CLIP_PIX_FMT):
            # Full-range pictures (MJPEG) are scaled to the video range the clip is tagged
            # with; kept as they were, players would stretch them (crushed blacks and whites).
            picture = frame.reformat(width=self.stream.width, height=self.stream.height,
                                     format=CLIP_PIX_FMT, src_color_range=FULL_RANGE
                                     if full_range else None, dst_color_range=VIDEO_RANGE)
        # The owner's privacy masks, placed by the source's rotation (the clip keeps it).
        picture = masking.apply(picture, self.masks, int(frame.rotation or 0))
        picture.pts = pts - self.first_pts
        picture.time_base = self.time_base
        picture.duration = duration
        self.output.mux(self.stream.encode(picture))
        self.frames += 1
        self.end_pts = max(self.end_pts, pts + duration)

    def close(self) -> None:
        self.output.mux(self.stream.encode(None))


def splice_encoder(source: VideoStream, parameter_set_id: int, threads: int | None
                   ) -> VideoCodecContext:
    """An opened x264 that makes pictures able to sit between the recorder's in one track.

    NotJoinable when x264 cannot make the recorder's profile. Its SPS and PPS are in its
    extradata (Annex B), numbered `parameter_set_id`; its packets carry slices only.
    """
    context = source.codec_context
    encoder = av.CodecContext.create("libx264", "w")
    assert isinstance(encoder, VideoCodecContext)
    encoder.width, encoder.height = context.width, context.height
    encoder.pix_fmt = context.pix_fmt  # yuvj420p stays full range, as the recorder's
    encoder.time_base = source.time_base or Fraction(1, 1000)
    encoder.framerate = source.average_rate or source.guessed_rate or Fraction(30)
    encoder.flags |= av.codec.context.Flags.global_header
    if context.level and context.level > 0:
        encoder.level = context.level
    if context.sample_aspect_ratio:
        encoder.sample_aspect_ratio = context.sample_aspect_ratio
    for name in ("color_range", "colorspace", "color_primaries", "color_trc"):
        setattr(encoder, name, getattr(context, name))
    encoder.thread_count = 0 if threads is None else threads
    encoder.options = {
        "preset": X264_PRESET, "crf": SPLICE_CRF,
        "profile": h264.x264_profile(context.profile),
        "x264-params": f"sps-id={parameter_set_id}:bframes=0:scenecut=0:log-level=error",
    }
    encoder.open()
    return encoder
