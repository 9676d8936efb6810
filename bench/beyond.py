"""Issue 21's figures: the Spanish catalogue's coverage, and what privacy masks cost.

- spanish_untranslated: texts in the catalogue template (app/translations/messages.pot, every
  text the pages, e-mails, pushes and scripts mark) with no Spanish translation; coverage is
  translated / all.
- masked_reencode_fps: the clip worker cutting a clip of a 1080p30 recording with a privacy
  mask (every picture decoded, masked, encoded again: lambdas/clip_cutter), one thread, pinned
  to one core: pictures per second of wall time and per second of CPU.
- bridge_mask_cpu_percent_of_core: the bridge masking a 1080p30 camera's live pieces before
  upload (bridge/masked.py on 1 s segments as the buffer holds them), as a share of one core
  while it keeps up with the camera: CPU seconds per second of video. This is the masking
  alone: storing the camera in the buffer costs what bench.live measures, masked or not.
- activity_marker_recall / _precision: the clip worker's motion markers against a synthetic
  street with known motion (motion_clip), over pictures.
- timeline_open_to_synced_frame_s: four clips of one case (their recorders off by up to an
  hour) on the case timeline in Chromium: from opening the page to every clip showing the
  same chosen moment (the clips' links asked, loaded, seeked);
  timeline_first_frame_s: from Play to every clip presenting a frame.
- timeline_drift_frames: after --play-s of playback, how far apart in frames (30 fps) the four
  clips' pictures on screen are, read from the numbers burnt into them at one instant (the
  most of five reads).

    .venv/bin/python -m bench.beyond [--seconds 20] [--play-s 60] [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.clips import FPS, video
from bench.harness import PYTHON, ROOT, begin, finish, options, say

MASK = [{"id": "m1", "points": [[0.55, 0.1], [0.95, 0.1], [0.95, 0.6], [0.55, 0.6]]},
        {"id": "m2", "points": [[0.05, 0.5], [0.3, 0.45], [0.35, 0.9], [0.1, 0.95]]}]


MOTION = ((3.0, 6.0), (10.0, 11.5), (18.0, 24.0), (31.0, 31.8), (40.0, 52.0))  # seconds


def motion_clip(path: Path, seconds: float = 60.0, fps: int = 10, width: int = 320,
                height: int = 240, motion: tuple[tuple[float, float], ...] = MOTION) -> Path:
    """A still street (texture, sensor noise in every picture) in which a figure walks across
    during each of `motion`'s stretches only: the truth activity markers are measured on."""
    import av
    import numpy as np

    rng = np.random.default_rng(21)
    street = rng.integers(60, 180, (height // 8, width // 8), dtype=np.uint8)
    street = np.kron(street, np.ones((8, 8), dtype=np.uint8))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={
            "preset": "ultrafast", "crf": "26", "x264-params": "log-level=error"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(round(seconds * fps)):
            at = index / fps
            picture = street.astype(np.int16) + rng.normal(0, 3, street.shape).astype(np.int16)
            for start, end in motion:
                if start <= at < end:
                    side = height // 6
                    left = int((at - start) / (end - start) * (width - side))
                    top = height // 2
                    picture[top:top + side, left:left + side] = 20
            grey = picture.clip(0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(np.stack([grey] * 3, axis=2), format="rgb24")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def marker_scores(found: list[tuple[float, float]], truth: tuple[tuple[float, float], ...],
                  seconds: float, fps: int) -> tuple[float, float]:
    """Recall and precision over pictures: a picture is moving in the truth when a stretch of
    `truth` holds it, found when a marker does."""
    def inside(at: float, spans: Any) -> bool:
        return any(start <= at < end for start, end in spans)

    pictures = [i / fps for i in range(round(seconds * fps))]
    real = {at for at in pictures if inside(at, truth)}
    said = {at for at in pictures if inside(at, found)}
    both = len(real & said)
    return (both / len(real) if real else 1.0), (both / len(said) if said else 1.0)


BITS, BLOCK = 16, 24  # a picture's number, burnt in: 16 blocks of 24 px, white for 1
READ_ALL = """() => {  // every clip's burnt-in picture number, and the clock, at one instant
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const read = (video) => {
    if (video.readyState < 2 || !video.videoWidth) return null;
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    let number = 0;
    for (let bit = 0; bit < BITS; bit += 1) {
      const px = context.getImageData(bit * BLOCK + 6, 6, 12, 12).data;
      let sum = 0;
      for (let i = 0; i < px.length; i += 4) sum += (px[i] + px[i + 1] + px[i + 2]) / 3;
      number = number * 2 + (sum / (px.length / 4) > 128 ? 1 : 0);
    }
    return number;
  };
  const tl = window.caseTimeline;
  return { at: tl.at, numbers: tl.clips.map((c) => (c.covers(tl.at) ? read(c.video) : null)) };
}""".replace("BITS", str(BITS)).replace("BLOCK", str(BLOCK))
FIRST_FRAME = """() => new Promise((done) => {  // Play pressed: until every clip shows a frame
  const tl = window.caseTimeline, begun = performance.now(), waiting = new Set(tl.clips);
  tl.clips.forEach((clip) => clip.video.requestVideoFrameCallback(() => {
    waiting.delete(clip);
    if (!waiting.size) done((performance.now() - begun) / 1000);
  }));
  document.querySelector('.js-tl-play').click();
})"""


def numbered_clip(path: Path, seconds: float, fps: int = FPS, width: int = 640,
                  height: int = 360) -> Path:
    """A recording whose every picture shows its own number (BITS blocks, top left), on a
    moving background: which picture is on screen can be read back from a browser."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={
            "preset": "ultrafast", "crf": "23",
            "x264-params": f"keyint={fps}:min-keyint={fps}:scenecut=0:bframes=0:log-level=error"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        ramp = (np.arange(width, dtype=np.int32)[None, :] + np.arange(height)[:, None]) % 200
        for index in range(round(seconds * fps)):
            grey = ((ramp + index * 3) % 200 + 30).astype(np.uint8)
            grey[:BLOCK, :] = 128
            for bit in range(BITS):
                on = (index >> (BITS - 1 - bit)) & 1
                grey[2:BLOCK - 2, bit * BLOCK:(bit + 1) * BLOCK] = 235 if on else 16
            frame = av.VideoFrame.from_ndarray(np.stack([grey] * 3, axis=2), format="rgb24")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def timeline_figures(seconds: float, play_s: float) -> dict[str, Any]:
    """Four clips of one case (recorders off by known amounts) on the timeline in Chromium:
    from Play to every clip's first frame, and how far apart the clips' pictures are (in
    frames) after `play_s` of playback, read from their burnt-in numbers at one instant."""
    from datetime import timedelta

    from playwright.sync_api import sync_playwright

    from app.aws import aws_client
    from app.core.cameras import parse_camera
    from app.models.footage import RequestTarget
    from app.services import clock
    from app.services.cameras import registry
    from app.services.footage import canvass
    from bench.harness import Client, account, running

    work = Path(tempfile.mkdtemp(prefix="beyond-timeline-"))
    with running(app=True, workers=False) as stack:
        from lambdas.clip_cutter.handler import cut_job  # (its log level set by running())

        owner, detective = account("owner"), account("detective")
        start = (clock.now() - timedelta(hours=1)).replace(microsecond=0)
        leads, offsets = (0.0, 0.4, 1.1, 2.7), (0.0, 125.0, -48.5, 3600.0)
        cameras = [registry.register(owner.user, parse_camera({
            "nickname": f"Bench camera {n + 1}", "lat": 36.1613, "lon": -86.7835 + n * 0.0004,
            "heading_deg": 0, "fov_deg": 90, "range_m": 40, "mount": "wall",
            "facing": "street", "retention_days": 14, "tier": "on_request",
            "visibility": "exact", "attested": True}), "127.0.0.1") for n in range(4)]
        request = canvass.create(stack.settings, detective.user, {
            "camera_ids": [c.camera_id for c in cameras], "case_number": "BENCH-TIMELINE",
            "offense": "robbery", "lat": 36.1613, "lon": -86.7835,
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(seconds=seconds)).isoformat()}, "127.0.0.1")
        s3 = aws_client(stack.settings, "s3")
        firsts = {}
        for target, lead, offset in zip(
                sorted(RequestTarget.request_index.query(request.request_id),
                       key=lambda t: t.camera_id), leads, offsets, strict=True):
            video = numbered_clip(work / f"{target.target_id}.mp4", seconds + 4)
            key = f"originals/{request.request_id}/{target.target_id}/original.mp4"
            s3.upload_file(str(video), stack.settings.uploads_bucket, key)
            first = start - timedelta(seconds=2) + timedelta(seconds=lead)
            firsts[target.target_id] = first
            canvass.stamp(target, RequestTarget.status.set("processing"),
                          RequestTarget.upload_key.set(key),
                          RequestTarget.upload_name.set("export.mp4"),
                          RequestTarget.clock_offset_s.set(offset),
                          RequestTarget.video_starts_at.set(first + timedelta(seconds=offset)))
            cut_job({"target_id": target.target_id, "key": key})
        officer = Client(stack.url).signed_in(detective)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"])
            context = browser.new_context(base_url=stack.url,
                                          viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": c.name, "value": c.value or "", "url": stack.url}
                                 for c in officer.http.cookies])
            page = context.new_page()
            at = start + timedelta(seconds=1)
            opened = time.perf_counter()
            page.goto(f"/cases/{request.request_id}/timeline")
            page.wait_for_function("() => window.caseTimeline && window.caseTimeline.ready")
            page.evaluate("() => window.caseTimeline.ready")
            page.evaluate(f"() => window.caseTimeline.goTo({at.timestamp() * 1000})")
            synced_s = time.perf_counter() - opened
            first_frame_s = float(page.evaluate(FIRST_FRAME))
            ids = page.evaluate("() => window.caseTimeline.clips.map((c) => c.data.id)")
            page.wait_for_timeout(max(0.0, play_s - first_frame_s) * 1000)
            spreads = []
            for _ in range(5):
                seen = page.evaluate(READ_ALL)
                captured = [firsts[i].timestamp() + n / FPS
                            for i, n in zip(ids, seen["numbers"], strict=True) if n is not None]
                if len(captured) == len(ids):
                    spreads.append((max(captured) - min(captured)) * FPS)
                page.wait_for_timeout(300)
            browser.close()
    return {"timeline_open_to_synced_frame_s": round(synced_s, 3),
            "timeline_first_frame_s": round(first_frame_s, 3),
            "timeline_drift_frames": round(max(spreads), 2) if spreads else None,
            "timeline_drift_frames_median": round(sorted(spreads)[len(spreads) // 2], 2)
            if spreads else None, "timeline_play_s": play_s, "timeline_clips": 4}


def spanish_untranslated() -> tuple[int, int]:
    """(texts without Spanish, texts in all) over the catalogue template."""
    from babel.messages.pofile import read_po

    folder = ROOT / "app" / "translations"
    with open(folder / "messages.pot", "rb") as handle:
        template = read_po(handle)
    with open(folder / "es" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        spanish = read_po(handle, locale="es")
    ids = [m.id for m in template if m.id]
    missing = 0
    for msgid in ids:
        found = spanish.get(msgid)
        text = found.string if found is not None else None
        if not text or (isinstance(text, tuple) and not all(text)) or (
                found is not None and found.fuzzy):
            missing += 1
    return missing, len(ids)


def child(job: str, src: str, seconds: float) -> int:
    """One measured job in this fresh process, pinned to CPU 0 (`--child`)."""
    os.sched_setaffinity(0, {0})
    from bridge import masking

    masks = masking.from_json(MASK)
    work = Path(tempfile.mkdtemp(prefix="beyond-"))
    t0, c0 = time.perf_counter(), time.process_time()
    if job == "clip":
        from lambdas.clip_cutter import cutting

        frames = cutting.cut(src, work / "clip.mp4", 1.0, 1.0 + seconds, threads=1,
                             masks=masks).frames
    else:
        from bridge.masked import masked_file

        frames = 0
        for piece in sorted(Path(src).glob("*.mp4")):
            frames += masked_file(piece, work / f"masked-{piece.name}", masks)
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                      "frames": frames}))
    return 0


def run_child(job: str, src: Path, seconds: float) -> dict[str, Any]:
    done = subprocess.run([PYTHON, "-m", "bench.beyond", "--child", job, str(src), str(seconds)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child {job} exited {done.returncode}: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def pieces(src: Path, seconds: int, folder: Path) -> Path:
    """The recording cut into 1 s fragmented MP4 segments starting on keyframes (GOP 1 s), as
    a bridge's buffer holds a camera that sends a keyframe every second."""
    import av

    folder.mkdir(parents=True, exist_ok=True)
    with av.open(str(src)) as source:
        stream = source.streams.video[0]
        output = None
        count = 0
        for packet in source.demux(stream):
            if packet.dts is None:
                continue
            if packet.is_keyframe:
                if output is not None:
                    output.close()
                if count == seconds:
                    output = None
                    break
                output = av.open(str(folder / f"{count:04d}.mp4"), "w", format="mp4", options={
                    "movflags": "frag_keyframe+empty_moov+default_base_moof",
                    "avoid_negative_ts": "disabled"})
                copy = output.add_stream_from_template(stream)
                count += 1
            if output is not None:
                packet.stream = copy
                output.mux(packet)
        if output is not None:
            output.close()
    return folder


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    args = options(__doc__ or "", {
        "seconds": (20, 2, "seconds of 1080p30 video masked in each measure"),
        "height": (1080, 360, "picture height (16:9)"),
        "play_s": (60.0, 4.0, "seconds the case timeline plays before its clips are compared"),
        "motion_s": (60.0, 34.0, "seconds of the synthetic street the markers are scored on")})
    started = begin("beyond", args, "Spanish coverage; privacy masks at 1080p on one core")
    missing, total = spanish_untranslated()
    say(f"Spanish: {total - missing} of {total} texts translated; {missing} without")

    width = args.height * 16 // 9
    src = video("porchlight-bench-beyond", width, args.height, args.seconds + 3, FPS, 0,
                6_000_000)
    clip = run_child("clip", src, args.seconds)
    fps = clip["frames"] / clip["seconds"]
    say(f"masked clip: {clip['frames']} pictures in {clip['seconds']:.2f} s "
        f"({fps:.1f} fps wall, {clip['frames'] / clip['cpu_s']:.1f} per CPU second)")

    folder = pieces(src, args.seconds, Path(tempfile.mkdtemp(prefix="beyond-pieces-")))
    bridge = run_child("pieces", folder, args.seconds)
    video_s = bridge["frames"] / FPS
    percent = 100 * bridge["cpu_s"] / video_s
    say(f"bridge: masked {video_s:.0f} s of live pieces with {bridge['cpu_s']:.2f} CPU s "
        f"({percent:.0f} % of one core per camera)")
    street = motion_clip(Path(tempfile.mkdtemp(prefix="beyond-motion-")) / "street.mp4",
                         seconds=args.motion_s)
    from lambdas.clip_cutter import activity

    truth = tuple(span for span in MOTION if span[1] <= args.motion_s)
    recall, precision = marker_scores(activity.markers(street), truth, args.motion_s, 10)
    say(f"activity markers: recall {recall:.3f}, precision {precision:.3f}")
    timeline = timeline_figures(args.play_s + 8, args.play_s)
    say(f"case timeline: every clip's first frame {timeline['timeline_first_frame_s']} s after "
        f"Play; after {args.play_s:g} s the clips are at most "
        f"{timeline['timeline_drift_frames']} frames apart")
    return finish("beyond", args, {
        **timeline, "activity_marker_recall": round(recall, 3),
        "activity_marker_precision": round(precision, 3),
        "spanish_untranslated": missing, "spanish_texts": total,
        "spanish_coverage_percent": round(100 * (total - missing) / total, 2) if total else None,
        "masked_reencode_fps": round(fps, 1),
        "masked_reencode_fps_per_cpu_s": round(clip["frames"] / clip["cpu_s"], 1),
        "masked_resolution": f"{width}x{args.height}",
        "bridge_mask_cpu_percent_of_core": round(percent, 1)}, started)


if __name__ == "__main__":
    sys.exit(main())
