"""Clip cutting: stream copy against ffmpeg, re-encode speed and quality on one core, peak
memory, poster and contact sheet on a cached synthetic recording (10 minutes of 1080p30 H.264);
then, on devstack, how soon after an owner's upload completes the detective has the clip and
the evidence package (docs/benchmarks.md).

    .venv/bin/python -m bench.clips [--runs 5] [--seconds 600] [--height 1080] [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.harness import PYTHON, ROOT, account, begin, finish, options, running, say

FPS = 30


class Scene:
    """Pictures made in YUV with numpy so that the encoder, not the drawing, sets the pace."""

    PAN = 400

    def __init__(self, width: int, height: int, seed: int = 20261122) -> None:
        import cv2
        import numpy as np

        rng = np.random.default_rng(seed)
        size = (width + self.PAN, height + self.PAN)
        coarse = rng.integers(0, 256, (size[1] // 24, size[0] // 24), dtype=np.uint8)
        blobs = cv2.resize(coarse, size, interpolation=cv2.INTER_CUBIC).astype(np.float32)
        detail = rng.integers(0, 40, (size[1], size[0]), dtype=np.uint8).astype(np.float32)
        self.luma = (16 + blobs * 0.6 + detail).clip(16, 219).astype(np.uint8)
        half = (size[0] // 2, size[1] // 2)
        self.u = 90 + cv2.resize(coarse, half, interpolation=cv2.INTER_CUBIC) // 3
        self.v = 170 - cv2.resize(coarse[::-1], half, interpolation=cv2.INTER_CUBIC) // 4
        self.grain = [rng.integers(0, 14, (height, width), dtype=np.uint8) for _ in range(7)]
        self.w, self.h = width, height
        self.buffer = np.empty((height * 3 // 2, width), dtype=np.uint8)

    def frame(self, index: int) -> Any:
        import av
        import numpy as np

        w, h = self.w, self.h
        x = int(self.PAN / 2 + self.PAN / 2 * np.sin(index / 400))
        y = int(self.PAN / 4 + self.PAN / 4 * np.cos(index / 530))
        luma = self.buffer[:h]
        np.add(self.luma[y:y + h, x:x + w], self.grain[index % 7], out=luma)
        for lane, speed in enumerate((7, 11, 17)):
            left = (index * speed + lane * 500 * w // 1920) % (w - w // 12)  # 1080p: as before
            top = (200 + lane * 260) * h // 1080
            luma[top:top + h // 9, left:left + w // 12] = 40 + lane * 80
        self.buffer[h:h + h // 4].reshape(h // 2, w // 2)[:] = self.u[y // 2:y // 2 + h // 2,
                                                                      x // 2:x // 2 + w // 2]
        self.buffer[h + h // 4:].reshape(h // 2, w // 2)[:] = self.v[y // 2:y // 2 + h // 2,
                                                                     x // 2:x // 2 + w // 2]
        frame = av.VideoFrame.from_ndarray(self.buffer, format="yuv420p")
        frame.pts, frame.time_base = index, Fraction(1, FPS)
        return frame


def video(folder: str, width: int, height: int, seconds: int, gop: int, bframes: int,
          bitrate: int) -> Path:
    """The scene as H.264 MP4 (libx264 ultrafast), made once and cached under the temp folder."""
    import av

    length = f"{seconds // 60}min" if seconds % 60 == 0 else f"{seconds}s"
    path = Path(tempfile.gettempdir()) / folder / (
        f"h264-{width}x{height}-{FPS}fps-{length}-gop{gop}-bf{bframes}-{bitrate // 1000}k-"
        "ultrafast-v1.mp4")
    if path.exists():
        return path
    say(f"making {path} (once; kept for later runs) ...")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial, scene = path.with_suffix(".partial.mp4"), Scene(width, height)
    with av.open(str(partial), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options={
            "preset": "ultrafast", "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:"
            f"bframes={bframes}:b-adapt=0:log-level=error"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate, stream.codec_context.thread_count = bitrate, 0
        for index in range(seconds * FPS):
            out.mux(stream.encode(scene.frame(index)))
        out.mux(stream.encode(None))
    os.replace(partial, path)
    return path


def big_original(src: Path, megabytes: int) -> Path:
    """The source's packets repeated until the file holds `megabytes`: a recorder's export."""
    import av

    path = src.with_name(f"{src.stem}-{megabytes}MB.mp4")
    if megabytes <= 0 or path.exists():
        return src if megabytes <= 0 else path
    partial, written, loop = path.with_suffix(".partial.mp4"), 0, 0
    with av.open(str(src)) as original, av.open(str(partial), "w") as big:
        stream = original.streams.video[0]
        copy = big.add_stream_from_template(stream)
        while written < megabytes * 1_000_000:
            original.seek(0)
            for packet in original.demux(stream):
                if not packet.size or packet.pts is None or packet.dts is None:
                    continue
                packet.pts += loop * (stream.duration or 0)
                packet.dts += loop * (stream.duration or 0)
                packet.stream = copy
                written += packet.size
                big.mux_one(packet)
            loop += 1
    os.replace(partial, path)
    return path


def child(job: str, src: str, dst: str, start: float, end: float, cpu: int) -> int:
    """One cut in this fresh process (`--child`): its figures and its own peak resident memory
    (VmHWM, which starts again at exec: a parent's ru_maxrss would count its own memory)."""
    if cpu >= 0:
        os.sched_setaffinity(0, {cpu})
    from lambdas.clip_cutter import cutting

    t0, c0 = time.perf_counter(), time.process_time()
    frames = 0 if job == "imports" else cutting.cut(
        src, dst, start, end, threads=1 if cpu >= 0 else None, reencode=job == "reencode").frames
    status = Path("/proc/self/status").read_text()
    peak_kb = int(status.split("VmHWM:")[1].split()[0])
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                      "frames": frames, "peak_mb": peak_kb / 1024}))
    return 0


def run_child(*job: Any) -> tuple[dict[str, Any], float]:
    """`python -m bench.clips --child ...`: its figures and its peak memory (MB)."""
    done = subprocess.run([PYTHON, "-m", "bench.clips", "--child", *map(str, job)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child {job} exited {done.returncode}: {done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures, float(figures["peak_mb"])


def quality(src: Path, clip: Path, start_s: float) -> tuple[float, float]:
    """Mean PSNR (dB) and SSIM (Gaussian window 11, sigma 1.5) of every 30th picture's luma."""
    import av
    import cv2
    import numpy as np

    wanted = {}
    with av.open(str(clip)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % 30 == 0:
                wanted[round(start_s * FPS) + i] = frame.to_ndarray(format="gray")
    psnr, ssim = [], []
    with av.open(str(src)) as container:
        for frame in container.decode(video=0):
            ours = wanted.pop(round(float(frame.time) * FPS), None)
            if ours is not None:
                theirs = frame.to_ndarray(format="gray")
                psnr.append(float(cv2.PSNR(theirs, ours)))
                x, y = theirs.astype(np.float64), ours.astype(np.float64)
                mx, my = (cv2.GaussianBlur(z, (11, 11), 1.5) for z in (x, y))
                vx, vy, cxy = (cv2.GaussianBlur(a * b, (11, 11), 1.5) - ma * mb for a, b, ma, mb
                               in ((x, x, mx, mx), (y, y, my, my), (x, y, mx, my)))
                c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
                ssim.append(float((((2 * mx * my + c1) * (2 * cxy + c2))
                                   / ((mx * mx + my * my + c1) * (vx + vy + c2))).mean()))
            if not wanted:
                break
    return round(statistics.fmean(psnr), 2), round(statistics.fmean(ssim), 4)


def clip_ready(original: Path, start_s: float, seconds: float) -> dict[str, Any]:
    """From an owner's completed upload to the clip, then the package (module docstring)."""
    import requests

    from app.core.cameras import parse_camera
    from app.models.footage import Evidence, RequestTarget
    from app.services import clock
    from app.services.cameras import registry
    from app.services.footage import canvass, uploads

    with running(app=False, workers=("clips",)) as stack:
        owner, detective = account("owner"), account("detective")
        camera = registry.register(owner.user, parse_camera({
            "nickname": "Bench door", "lat": 36.1613, "lon": -86.7835, "heading_deg": 270,
            "fov_deg": 90, "range_m": 40, "mount": "doorbell", "facing": "street",
            "retention_days": 14, "tier": "on_request", "visibility": "exact",
            "attested": True}), "127.0.0.1")
        recorded = (clock.now() - timedelta(hours=1)).replace(microsecond=500_000)
        request = canvass.create(stack.settings, detective.user, {
            "camera_ids": [camera.camera_id], "case_number": "BENCH-CLIP-1",
            "offense": "robbery", "lat": 36.1613, "lon": -86.7835,
            "window_start": (recorded + timedelta(seconds=start_s)).isoformat(),
            "window_end": (recorded + timedelta(seconds=start_s + seconds)).isoformat()},
            "127.0.0.1")
        target = next(iter(RequestTarget.request_index.query(request.request_id))).target_id
        size = original.stat().st_size
        begun = uploads.start(stack.settings, owner.user, target, {
            "filename": "export.mp4", "size": size, "video_starts_at": recorded.isoformat(),
            "clock_offset_s": 0}, "127.0.0.1")
        t0 = time.perf_counter()
        with original.open("rb") as data, requests.Session() as http:
            numbers = list(range(1, begun["part_count"] + 1))
            for first in range(0, len(numbers), uploads.MAX_PARTS_PER_CALL):
                urls = uploads.part_urls(stack.settings, owner.user, target,
                                         numbers[first:first + uploads.MAX_PARTS_PER_CALL])
                for number in sorted(urls, key=int):
                    http.put(urls[number], data=data.read(begun["part_bytes"]),
                             timeout=300).raise_for_status()
        uploads.complete(stack.settings, owner.user, target, "127.0.0.1")
        complete = time.perf_counter()
        while (found := RequestTarget.get(target, consistent_read=True)).status not in (
                "ready", "failed") and time.perf_counter() - complete < 900:
            time.sleep(0.05)
        ready = time.perf_counter()
        if found.status != "ready":
            raise SystemExit(f"the clip is {found.status}: {found.reason}")
        while not Evidence.get(target, consistent_read=True).package_key:
            time.sleep(0.2)
            if time.perf_counter() - complete > 900:
                raise SystemExit("no evidence package within 15 minutes")
        evidence = Evidence.get(target)
    return {"original_bytes": size, "upload_s": round(complete - t0, 2),
            "clip_ready_s": round(ready - complete, 2), "method": evidence.method,
            "package_ready_s": round(time.perf_counter() - complete, 2)}


def main() -> int:
    def child_option(parser: Any) -> None:
        parser.add_argument("--child", nargs=6, help="(internal) one cut in a fresh process")

    args = options(__doc__, {"runs": (5, 1, "timed runs of each stream copy"),
                             "seconds": (600, 20, "the source's length"),
                             "height": (1080, 360, "the source's height (16:9)"),
                             "original_mb": (1000, 0, "the uploaded original (0: the source)")},
                   child_option)
    if args.child:
        job, src, dst, start, end, cpu = args.child
        return child(job, src, dst, float(start), float(end), int(cpu))
    from lambdas.clip_cutter import cutting, encode, pictures

    started = begin("clips", args, f"{args.seconds} s of {args.height}p30 H.264; "
                    f"{args.runs} timed runs per stream copy; tools {pictures.tool_versions()}")
    src = video("porchlight-bench-clips", args.height * 16 // 9, args.height, args.seconds, 60, 2,
                6_000_000)
    copy_window = (args.seconds * 0.4, args.seconds * 0.6)
    encode_window = (copy_window[0], copy_window[0] + min(20.0, args.seconds / 4))
    if not shutil.which("ffmpeg"):
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-ffmpeg.sh")], check=False)
    ffmpeg = shutil.which("ffmpeg")
    with tempfile.TemporaryDirectory(prefix="porchlight-clips-") as folder:
        work = Path(folder)

        def ours() -> float:
            t0 = time.perf_counter()
            cutting.cut(src, work / "ours.mp4", *copy_window)
            return time.perf_counter() - t0

        def theirs() -> float | None:
            if not ffmpeg:
                return None
            t0 = time.perf_counter()
            subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-ss",
                            str(copy_window[0]), "-to", str(copy_window[1]), "-i", str(src),
                            "-c", "copy", "-movflags", "+faststart", str(work / "ff.mp4")],
                           check=True)
            return time.perf_counter() - t0

        ours(), theirs()  # untimed: the file in the page cache
        pairs = [(ours(), theirs()) for _ in range(args.runs)]
        copy_s = statistics.median(p[0] for p in pairs)
        ff_s = statistics.median(p[1] for p in pairs) if ffmpeg else None  # type: ignore[misc]
        one, _mb = run_child("reencode", src, work / "one.mp4", *encode_window,
                             max(os.sched_getaffinity(0)))
        psnr, ssim = quality(src, work / "one.mp4", encode_window[0])
        floor = run_child("imports", src, work / "none.mp4", 0, 1, -1)[1]
        copy_mb = run_child("copy", src, work / "m1.mp4", *copy_window, -1)[1]
        whole, encode_mb = run_child("reencode", src, work / "m2.mp4", *copy_window, -1)
        t0 = time.perf_counter()
        pictures.poster(work / "ours.mp4", work / "poster.jpg")
        poster_s, t0 = time.perf_counter() - t0, time.perf_counter()
        tiles = pictures.contact_sheet(work / "ours.mp4", work / "sheet.jpg")
        sheet_s = time.perf_counter() - t0
    original = big_original(src, args.original_mb)
    say(f"clip ready: uploading {original.stat().st_size / 1e6:.0f} MB to devstack ...")
    ready = clip_ready(original, 599.5 if args.original_mb else args.seconds / 2 - 0.5,
                       60.0 if args.original_mb else args.seconds / 4)
    return finish("clips", args, {
        "stream_copy_ms": round(copy_s * 1000, 1),
        "ffmpeg_copy_ms": round(ff_s * 1000, 1) if ff_s else None,
        "stream_copy_ratio_vs_ffmpeg": round(copy_s / ff_s, 2) if ff_s else None,
        "reencode_preset": encode.X264_PRESET,
        "reencode_fps": round(one["frames"] / one["seconds"], 1),
        "reencode_fps_per_cpu_s": round(one["frames"] / one["cpu_s"], 1),
        "reencode_psnr_db": psnr, "reencode_ssim": ssim,
        "reencode_fps_all_cpus": round(whole["frames"] / whole["seconds"], 1),
        "peak_mb": round(max(copy_mb, encode_mb)), "imports_only_mb": round(floor),
        "poster_ms": round(poster_s * 1000, 1), "contact_sheet_s": round(sheet_s, 2),
        "contact_sheet_tiles": tiles,
        "clip_ready_s": ready["clip_ready_s"], "package_ready_s": ready["package_ready_s"],
        "clip_ready": ready,
    }, started)


if __name__ == "__main__":
    sys.exit(main())
