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
- The case timeline's figures (timeline_drift_frames, activity_marker_*) are null: not built.

    .venv/bin/python -m bench.beyond [--seconds 20] [--quick]
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
        "height": (1080, 360, "picture height (16:9)")})
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
    return finish("beyond", args, {
        "spanish_untranslated": missing, "spanish_texts": total,
        "spanish_coverage_percent": round(100 * (total - missing) / total, 2) if total else None,
        "masked_reencode_fps": round(fps, 1),
        "masked_reencode_fps_per_cpu_s": round(clip["frames"] / clip["cpu_s"], 1),
        "masked_resolution": f"{width}x{args.height}",
        "bridge_mask_cpu_percent_of_core": round(percent, 1),
        "timeline_drift_frames": None, "activity_marker_recall": None,
        "activity_marker_precision": None}, started)


if __name__ == "__main__":
    sys.exit(main())
