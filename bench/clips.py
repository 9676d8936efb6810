"""Clip cutting on a 10-minute 1080p30 H.264 recording: stream copy against ffmpeg, re-encode
speed on one core, and peak memory.

The source is made with PyAV the first time (libx264 ultrafast at 6 Mb/s, GOP 60, 2 B-frames,
no scene-cut keyframes) and cached in the system's temp folder under a name built from those
parameters, so later runs reuse it. Its picture is a textured scene that pans, a few
moving blocks and a cycle of film grain: an encoder has real work and the bitrate is a
camera's, not a test card's. The window is 2 minutes from 4:00.

  stream copy: cut(src, out, 240, 360) in this process (median of --runs), interleaved with
  Debian's `ffmpeg -ss 240 -to 360 -i src -c copy -movflags +faststart out.mp4` on the same
  file (median of --runs; its time includes starting the ffmpeg process, ours includes
  probe()). scripts/ensure-ffmpeg.sh installs ffmpeg when missing (as root); without it the
  ratio is null and the reason is printed. One run of each comes first, untimed, so both read
  the file from the page cache.

  re-encode on one core: cut(..., reencode=True, threads=1) of the 20 s from 4:00 in a fresh
  process pinned to one CPU with os.sched_setaffinity; frames written / wall time.

  peak memory: the stream copy and a re-encode of the whole 2-minute window (threads left to
  the encoder) each run in a fresh process; its peak resident set is the ru_maxrss of that
  child alone (os.wait4: what getrusage(RUSAGE_CHILDREN) reports for one waited-for child,
  without this process's other children, ffmpeg among them, mixed in).

  pictures: poster() and contact_sheet() (a tile every 10 s) on the 2-minute clip, for
  information.

  re-encode quality: PSNR and SSIM (luma, against the decoded source, every 30th picture) of
  the one-core re-encode, and the same re-encode with the earlier setting (veryfast) for
  comparison under the same load. `reencode_fps` is frames per wall-clock second on one pinned
  core; `reencode_fps_per_cpu_s` is frames per second of that process's CPU time, which other
  work on a shared machine does not lower (the "per vCPU" figure).

  clip ready (`clip_ready_s`): the worker as the tests run it, against devstack's embedded S3,
  SQS and DynamoDB (moto in this process; devstack's loop feeding the clips queue to the
  handler). A 1 GB original (the source's packets repeated to ~22 minutes, moov at the end as
  recorders write it) is uploaded (multipart, as the phone does); from the moment the upload is
  complete, the app's steps run (the row moves to "processing", the clips queue gets the job)
  and the clock stops when the camera's row says "ready" with its Evidence item: the clip,
  poster, sheet and manifest (with the original's SHA-256) are there. `package_ready_s` is the
  same clock when the evidence package (the original copied into a zip) is named too. The 60 s
  window starts 9:59.5 in (a smart cut: its start is not a keyframe).

    .venv/bin/python -m bench.clips [--runs 5] [--skip-ready]

Figures are printed for people; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from lambdas.clip_cutter import cutting, encode, pictures, probing

WIDTH, HEIGHT, FPS = 1920, 1080, 30
MINUTES = 10
GOP = 60
BFRAMES = 2
BITRATE = 6_000_000
PRESET = "ultrafast"
WINDOW = (240.0, 360.0)
REENCODE_WINDOW = (240.0, 260.0)
AIM_RATIO = 1.5
AIM_PEAK_MB = 1024
AIM_REENCODE_FPS = 60
AIM_CLIP_READY_S = 10.0
BIG_BYTES = 1_000_000_000  # the clip_ready_s original: at least this
READY_WINDOW = (599.5, 659.5)  # a minute from 9:59.5 of the big original
REAL_TIME_FPS = FPS
ROOT = Path(__file__).resolve().parent.parent
ENSURE_FFMPEG = ROOT / "scripts" / "ensure-ffmpeg.sh"


def source_path() -> Path:
    key = (f"h264-{WIDTH}x{HEIGHT}-{FPS}fps-{MINUTES}min-gop{GOP}-bf{BFRAMES}-"
           f"{BITRATE // 1000}k-{PRESET}-v1")
    return Path(tempfile.gettempdir()) / "porchlight-bench-clips" / f"{key}.mp4"


class Scene:
    """A panning texture, moving blocks and grain, made in YUV so the encoder sets the pace."""

    PAN = 400

    def __init__(self, seed: int = 20261122) -> None:
        rng = np.random.default_rng(seed)
        size = (WIDTH + self.PAN, HEIGHT + self.PAN)
        # Smooth blobs (coarse noise enlarged with cubic interpolation) plus fixed fine detail
        # that pans with them, in 16..219 so that the grain added per frame cannot overflow.
        coarse = rng.integers(0, 256, (size[1] // 24, size[0] // 24), dtype=np.uint8)
        blobs = cv2.resize(coarse, size, interpolation=cv2.INTER_CUBIC).astype(np.float32)
        detail = rng.integers(0, 40, (size[1], size[0]), dtype=np.uint8).astype(np.float32)
        self.luma = (16 + blobs * 0.6 + detail).clip(16, 219).astype(np.uint8)
        half = (size[0] // 2, size[1] // 2)
        self.u = (90 + cv2.resize(coarse, half, interpolation=cv2.INTER_CUBIC) // 3)
        self.v = (170 - cv2.resize(coarse[::-1], half, interpolation=cv2.INTER_CUBIC) // 4)
        self.grain = [rng.integers(0, 14, (HEIGHT, WIDTH), dtype=np.uint8) for _ in range(7)]
        self.buffer = np.empty((HEIGHT * 3 // 2, WIDTH), dtype=np.uint8)

    def frame(self, index: int) -> av.VideoFrame:
        x = int(self.PAN / 2 + self.PAN / 2 * np.sin(index / 400))
        y = int(self.PAN / 4 + self.PAN / 4 * np.cos(index / 530))
        luma = self.buffer[:HEIGHT]
        np.add(self.luma[y:y + HEIGHT, x:x + WIDTH], self.grain[index % len(self.grain)],
               out=luma)
        for lane, speed in enumerate((7, 11, 17)):
            left = (index * speed + lane * 500) % (WIDTH - 160)
            top = 200 + lane * 260
            luma[top:top + 120, left:left + 160] = 40 + lane * 80
        half_w, half_h = WIDTH // 2, HEIGHT // 2
        u = self.buffer[HEIGHT:HEIGHT + HEIGHT // 4].reshape(half_h, half_w)
        v = self.buffer[HEIGHT + HEIGHT // 4:].reshape(half_h, half_w)
        u[:] = self.u[y // 2:y // 2 + half_h, x // 2:x // 2 + half_w]
        v[:] = self.v[y // 2:y // 2 + half_h, x // 2:x // 2 + half_w]
        frame = av.VideoFrame.from_ndarray(self.buffer, format="yuv420p")
        frame.pts = index
        frame.time_base = Fraction(1, FPS)
        return frame


def make_source(path: Path) -> float:
    """Write the source (to a temporary name, renamed at the end); returns the seconds taken."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    scene = Scene()
    with av.open(str(partial), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={
            "preset": PRESET,
            "x264-params": (f"keyint={GOP}:min-keyint={GOP}:scenecut=0:bframes={BFRAMES}:"
                            "b-adapt=0:log-level=error"),
        })
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.bit_rate = BITRATE
        stream.codec_context.thread_count = 0
        total = MINUTES * 60 * FPS
        for index in range(total):
            container.mux(stream.encode(scene.frame(index)))
            if index % (60 * FPS) == 0 and index:
                print(f"  ... {index // FPS // 60} of {MINUTES} minutes made "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
        container.mux(stream.encode(None))
    os.replace(partial, path)
    return time.perf_counter() - started


def big_original(src: Path) -> Path:
    """The source's packets repeated (timestamps moved on each time) until the file holds at
    least BIG_BYTES: a recorder's long export, moov at the end. Cached beside the source."""
    path = src.with_name(src.stem + f"-{BIG_BYTES // 1_000_000}MB.mp4")
    if path.exists():
        return path
    partial = path.with_suffix(".partial.mp4")
    written = 0
    with av.open(str(src)) as original, av.open(str(partial), "w") as big:
        stream = original.streams.video[0]
        copy = big.add_stream_from_template(stream)
        copy.time_base = stream.time_base
        span = stream.duration or 0
        loop = 0
        while written < BIG_BYTES:
            original.seek(0)
            for packet in original.demux(stream):
                if not packet.size or packet.pts is None or packet.dts is None:
                    continue
                if written >= BIG_BYTES and packet.is_keyframe:
                    break
                packet.pts += loop * span
                packet.dts += loop * span
                packet.stream = copy
                written += packet.size
                big.mux_one(packet)
            loop += 1
    os.replace(partial, path)
    return path


# ---------------------------------------------------------------- children


def child(job: str, src: str, dst: str, start: float, end: float, threads: int | None,
          cpu: int | None) -> int:
    """Run one cut in this (fresh) process and print its figures as JSON."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    if job == "imports":  # the floor: Python with PyAV, OpenCV and numpy loaded, nothing cut
        print(json.dumps({"seconds": 0.0, "frames": 0}))
        return 0
    if job == "reencode-veryfast":  # the preset used before superfast, for comparison
        encode.X264_PRESET = "veryfast"
    started, cpu_started = time.perf_counter(), time.process_time()
    result = cutting.cut(src, dst, start, end, threads=threads, reencode=job != "copy")
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "frames": result.frames,
                      "method": result.method, "duration_s": result.duration_s,
                      "cpus": sorted(os.sched_getaffinity(0))}))
    return 0


def run_child(args: list[str]) -> tuple[dict[str, Any], float]:
    """Run `python -m bench.clips --child ...`; its JSON and its own peak RSS in MB."""
    command = [sys.executable, "-m", "bench.clips", "--child", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None
    output = process.stdout.read()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
    return json.loads(output.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024


# ---------------------------------------------------------------- figures


def ensure_ffmpeg() -> str | None:
    """The path of Debian's ffmpeg, installing it when possible; None when there is none."""
    if not shutil.which("ffmpeg"):
        done = subprocess.run(["bash", str(ENSURE_FFMPEG)], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            print(f"  scripts/ensure-ffmpeg.sh failed: {done.stderr.strip()}")
    return shutil.which("ffmpeg")


def ffmpeg_copy(ffmpeg: str, src: Path, dst: Path) -> float:
    started = time.perf_counter()
    subprocess.run([ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-ss", str(WINDOW[0]), "-to", str(WINDOW[1]), "-i", str(src),
                    "-c", "copy", "-movflags", "+faststart", str(dst)], check=True)
    return time.perf_counter() - started


def ours_copy(src: Path, dst: Path) -> tuple[float, cutting.CutResult]:
    started = time.perf_counter()
    result = cutting.cut(src, dst, *WINDOW)
    return time.perf_counter() - started, result


def stream_copy(src: Path, work: Path, runs: int) -> dict[str, Any]:
    ffmpeg = ensure_ffmpeg()
    why = None if ffmpeg else "ffmpeg is not installed and scripts/ensure-ffmpeg.sh could not " \
        "install it (it needs root and apt-get)"
    ours_out, theirs_out = work / "ours.mp4", work / "ffmpeg.mp4"
    _, result = ours_copy(src, ours_out)  # warm-up: the file into the page cache
    if ffmpeg:
        ffmpeg_copy(ffmpeg, src, theirs_out)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(runs):
        ours.append(ours_copy(src, ours_out)[0])
        if ffmpeg:
            theirs.append(ffmpeg_copy(ffmpeg, src, theirs_out))
    ours_median = statistics.median(ours)
    theirs_median = statistics.median(theirs) if theirs else None
    theirs_info = probing.probe(theirs_out) if ffmpeg else None
    return {
        "ours_s": [round(t, 4) for t in ours],
        "ours_median_s": round(ours_median, 4),
        "ffmpeg_s": [round(t, 4) for t in theirs],
        "ffmpeg_median_s": round(theirs_median, 4) if theirs_median else None,
        "ratio": round(ours_median / theirs_median, 2) if theirs_median else None,
        "ratio_null_because": why,
        "ffmpeg_version": ffmpeg_version(ffmpeg) if ffmpeg else None,
        "clip": {"start_s": result.start_s, "end_s": round(result.end_s, 4),
                 "duration_s": round(result.duration_s, 4), "frames": result.frames,
                 "bytes": ours_out.stat().st_size},
        "ffmpeg_clip": ({"duration_s": round(theirs_info.duration_s, 4),
                         "frames": theirs_info.frames, "bytes": theirs_out.stat().st_size}
                        if theirs_info else None),
    }


def ffmpeg_version(ffmpeg: str) -> str:
    first = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True,
                           check=False).stdout.splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown"


def reencode_one_core(src: Path, work: Path, job: str = "reencode") -> dict[str, Any]:
    cpu = max(os.sched_getaffinity(0))
    out = work / f"one-core-{job}.mp4"
    figures, peak_mb = run_child([job, str(src), str(out), str(REENCODE_WINDOW[0]),
                                  str(REENCODE_WINDOW[1]), "1", str(cpu)])
    return {"cpu": cpu, "preset": "veryfast" if job == "reencode-veryfast" else
            encode.X264_PRESET, "crf": encode.X264_CRF, "frames": figures["frames"],
            "seconds": round(figures["seconds"], 2),
            "fps": round(figures["frames"] / figures["seconds"], 1),
            "fps_per_cpu_s": round(figures["frames"] / figures["cpu_seconds"], 1),
            "peak_mb": round(peak_mb), "cpus_seen_by_child": figures["cpus"],
            "quality": quality(src, out, REENCODE_WINDOW[0]),
            "mbit_s": round(out.stat().st_size * 8 / (REENCODE_WINDOW[1] - REENCODE_WINDOW[0])
                            / 1e6, 1)}


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two luma pictures (Gaussian window 11, sigma 1.5, as Wang et al.)."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(z, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    return float((((2 * mx * my + c1) * (2 * cxy + c2))
                  / ((mx * mx + my * my + c1) * (vx + vy + c2))).mean())


def quality(src: Path, clip: Path, start_s: float, every: int = 30) -> dict[str, float]:
    """Mean PSNR (dB) and SSIM of the clip's luma against the source's, every `every`-th
    picture (the clip starts at `start_s` of the source, on a picture)."""
    first = round(start_s * FPS)
    wanted: dict[int, np.ndarray] = {}
    with av.open(str(clip)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % every == 0:
                wanted[first + index] = frame.to_ndarray(format="gray")
    psnr: list[float] = []
    ssim: list[float] = []
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        container.seek(round(max(start_s - 3, 0) / stream.time_base), stream=stream)
        for frame in container.decode(stream):
            index = round(float(frame.time) * FPS)
            if index in wanted:
                ours, theirs = wanted.pop(index), frame.to_ndarray(format="gray")
                psnr.append(float(cv2.PSNR(theirs, ours)))
                ssim.append(_ssim(theirs, ours))
            if not wanted:
                break
    return {"psnr_db": round(statistics.mean(psnr), 2), "ssim": round(statistics.mean(ssim), 4),
            "pictures": len(psnr)}


def peak_memory(src: Path, work: Path) -> dict[str, Any]:
    _, floor_mb = run_child(["imports", str(src), str(work / "none.mp4"), "0", "1", "none",
                             "none"])
    copy, copy_mb = run_child(["copy", str(src), str(work / "mem-copy.mp4"), str(WINDOW[0]),
                               str(WINDOW[1]), "none", "none"])
    encode, encode_mb = run_child(["reencode", str(src), str(work / "mem-encode.mp4"),
                                   str(WINDOW[0]), str(WINDOW[1]), "none", "none"])
    return {
        "imports_only_mb": round(floor_mb),
        "stream_copy_mb": round(copy_mb), "stream_copy_s": round(copy["seconds"], 3),
        "reencode_mb": round(encode_mb), "reencode_s": round(encode["seconds"], 1),
        "reencode_frames": encode["frames"],
        "reencode_fps_all_cpus": round(encode["frames"] / encode["seconds"], 1),
    }


def pictures_of(clip: Path, work: Path) -> dict[str, Any]:
    started = time.perf_counter()
    pictures.poster(clip, work / "poster.jpg")
    poster_s = time.perf_counter() - started
    started = time.perf_counter()
    tiles = pictures.contact_sheet(clip, work / "sheet.jpg")
    return {"poster_s": round(poster_s, 3),
            "contact_sheet_s": round(time.perf_counter() - started, 2), "tiles": tiles}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each stream copy")
    parser.add_argument("--skip-ready", action="store_true",
                        help="leave out clip_ready_s (it uploads 1 GB to devstack)")
    parser.add_argument("--only-ready", action="store_true",
                        help="only clip_ready_s (and the 1 GB original it needs)")
    parser.add_argument("--child", nargs=7, metavar=("JOB", "SRC", "DST", "START", "END",
                                                     "THREADS", "CPU"),
                        help=argparse.SUPPRESS)
    return parser.parse_args()


def report(result: dict[str, Any]) -> None:
    copy = result["stream_copy"]
    ratio = copy["ratio"]
    print(f"\nstream copy of {WINDOW[0]:.0f}-{WINDOW[1]:.0f} s (median of {len(copy['ours_s'])}): "
          f"cut() {copy['ours_median_s'] * 1000:.0f} ms, ffmpeg "
          + (f"{copy['ffmpeg_median_s'] * 1000:.0f} ms ({copy['ffmpeg_version']})"
             if copy["ffmpeg_median_s"] else "not run"))
    print(f"  ratio ours / ffmpeg: {ratio if ratio is not None else 'null'} (aim <= {AIM_RATIO})"
          + (f"; null because {copy['ratio_null_because']}" if ratio is None else ""))
    clip = copy["clip"]
    print(f"  our clip: {clip['start_s']:.3f}-{clip['end_s']:.3f} s of the source, "
          f"{clip['frames']} frames, {clip['bytes'] / 1e6:.1f} MB"
          + (f"; ffmpeg's: {copy['ffmpeg_clip']['duration_s']:.3f} s, "
             f"{copy['ffmpeg_clip']['frames']} frames, "
             f"{copy['ffmpeg_clip']['bytes'] / 1e6:.1f} MB" if copy["ffmpeg_clip"] else ""))
    for one in (result["reencode_one_core"], result["reencode_one_core_veryfast"]):
        print(f"\nre-encode on one core (CPU {one['cpu']}, threads=1, libx264 {one['preset']} "
              f"crf {one['crf']}), {REENCODE_WINDOW[1] - REENCODE_WINDOW[0]:.0f} s window: "
              f"{one['frames']} frames in {one['seconds']:.1f} s = {one['fps']} fps wall, "
              f"{one['fps_per_cpu_s']} fps per CPU second (aim >= {AIM_REENCODE_FPS}; real "
              f"time is {REAL_TIME_FPS} fps); PSNR {one['quality']['psnr_db']} dB, SSIM "
              f"{one['quality']['ssim']} against the source, {one['mbit_s']} Mb/s")
    memory = result["memory"]
    print(f"\npeak memory (fresh process each): stream copy {memory['stream_copy_mb']} MB, "
          f"re-encode of the 2-minute window {memory['reencode_mb']} MB "
          f"(aim < {AIM_PEAK_MB} MB); Python with PyAV, OpenCV and numpy imported and nothing "
          f"cut: {memory['imports_only_mb']} MB")
    print(f"  that re-encode (threads left to FFmpeg, all CPUs) took {memory['reencode_s']} s: "
          f"{memory['reencode_fps_all_cpus']} fps")
    pics = result["pictures"]
    print(f"\npictures of the 2-minute clip: poster {pics['poster_s'] * 1000:.0f} ms, contact "
          f"sheet of {pics['tiles']} tiles {pics['contact_sheet_s']:.2f} s")
    if result.get("clip_ready"):
        report_ready(result["clip_ready"])


def report_ready(ready: dict[str, Any]) -> None:
    if ready:
        print(f"\nclip ready after a {ready['original_bytes'] / 1e9:.2f} GB upload (devstack, "
              f"{ready['window_s']:.0f} s window, {ready['method']}): clip {ready['clip_ready_s']}"
              f" s (aim <= {AIM_CLIP_READY_S} s), package {ready['package_ready_s']} s; the "
              f"upload itself took {ready['upload_s']} s; the original was read {ready['read']}")


def main() -> int:
    args = parse_args()
    if args.child:
        job, src, dst, start, end, threads, cpu = args.child
        return child(job, src, dst, float(start), float(end),
                     None if threads == "none" else int(threads),
                     None if cpu == "none" else int(cpu))
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    print(f"clip cutting: {MINUTES}-minute {WIDTH}x{HEIGHT} {FPS} fps H.264 source, window "
          f"{WINDOW[0]:.0f}-{WINDOW[1]:.0f} s; {args.runs} timed runs per stream copy")
    print(f"load average (1 min) {load_start:.2f} on {os.cpu_count()} CPUs; "
          f"tools {pictures.tool_versions()}")
    src = source_path()
    if src.exists():
        made_s = None
        print(f"source reused: {src} ({src.stat().st_size / 1e6:.0f} MB)")
    else:
        print(f"making the source (libx264 {PRESET}, {BITRATE / 1e6:.0f} Mb/s, GOP {GOP}, "
              f"{BFRAMES} B-frames) at {src} ...", flush=True)
        made_s = make_source(src)
        print(f"source made in {made_s:.0f} s ({src.stat().st_size / 1e6:.0f} MB)")
    if args.only_ready:
        from bench.clip_ready import clip_ready

        ready = clip_ready(big_original(src), READY_WINDOW)
        report_ready(ready)
        print(json.dumps({"bench": "clips", "clip_ready": ready,
                          "clip_ready_s": ready["clip_ready_s"],
                          "package_ready_s": ready["package_ready_s"],
                          "load_average_1min": {"start": round(load_start, 2),
                                                "end": round(os.getloadavg()[0], 2)}}))
        return 0
    info = probing.probe(src)
    with tempfile.TemporaryDirectory(prefix="porchlight-clips-") as folder:
        work = Path(folder)
        result: dict[str, Any] = {
            "bench": "clips",
            "source": {"path": str(src), "bytes": info.size_bytes, "duration_s": info.duration_s,
                       "frames": info.frames, "made_s": round(made_s, 1) if made_s else None},
            "stream_copy": stream_copy(src, work, args.runs),
            "reencode_one_core": reencode_one_core(src, work),
            "reencode_one_core_veryfast": reencode_one_core(src, work, "reencode-veryfast"),
            "memory": peak_memory(src, work),
        }
        result["pictures"] = pictures_of(work / "ours.mp4", work)
    if not args.skip_ready:
        from bench.clip_ready import clip_ready

        result["clip_ready"] = clip_ready(big_original(src), READY_WINDOW)
    report(result)
    copy, memory = result["stream_copy"], result["memory"]
    ready = result.get("clip_ready") or {}
    result.update({
        "stream_copy_ratio_vs_ffmpeg": copy["ratio"],
        "clip_ready_s": ready.get("clip_ready_s"),
        "package_ready_s": ready.get("package_ready_s"),
        "reencode_fps": result["reencode_one_core"]["fps"],
        "reencode_fps_per_cpu_s": result["reencode_one_core"]["fps_per_cpu_s"],
        "reencode_psnr_db": result["reencode_one_core"]["quality"]["psnr_db"],
        "reencode_ssim": result["reencode_one_core"]["quality"]["ssim"],
        "peak_mb": max(memory["stream_copy_mb"], memory["reencode_mb"]),
        "aims": {"stream_copy_ratio_max": AIM_RATIO, "peak_mb_below": AIM_PEAK_MB,
                 "reencode_fps_min": AIM_REENCODE_FPS, "clip_ready_s_max": AIM_CLIP_READY_S},
        "load_average_1min": {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)},
        "total_s": round(time.perf_counter() - started, 1),
    })
    print(f"\nload average (1 min) at the end {os.getloadavg()[0]:.2f}; total "
          f"{result['total_s']:.0f} s")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
