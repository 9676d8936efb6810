"""Live video: the bridge's CPU and memory per camera, and glass-to-glass delay to Chromium.

Part A, the bridge on one 1080p30 H.264 camera in stream-copy mode. The camera is a file made
with PyAV the first time (bench/clips.py's textured panning scene with grain and moving blocks,
libx264 ultrafast asked for 4 Mb/s (it makes ~4.2), a keyframe every 2 s (GOP 60, no scene-cut
keyframes), no B-frames, as most IP cameras send; 2.5 minutes) and cached in the system's temp
folder under a name built from those parameters. The bridge runs as an owner runs it, in its own
process: `python -m bridge run -c config.toml` with `source = "file:///...mp4"`, `loop = true`
(a file plays at real time, paced by its timestamps), segment_seconds = 2, buffer_minutes = 10,
state_dir in a temp folder, the trigger on 127.0.0.1. It is not paired: it records, nothing is
uploaded.

  CPU: after a warm-up (--warmup, 10 s), utime + stime of the process (every thread) from
  /proc/<pid>/stat at the start and end of --cpu-seconds (60 s) of wall time:
  CPU % of one core = CPU seconds / wall seconds x 100. The whole machine's busy share over the
  same span (/proc/stat) is printed next to it: other work on the box shows there.
  Memory: VmRSS from /proc/<pid>/status every 0.5 s (mean and peak) and VmHWM (the process's
  own peak resident set since it started) just before it is stopped.
  Disk: `python -m bridge status --json` (the bridge's own answer through its trigger
  endpoint) confirms mode "copy" and gives the buffer's bytes and seconds: bytes per minute,
  and that times 10 is the disk a 10-minute buffer takes (the source's own bitrate alongside).

  The buffer lives on disk (one file per segment) and the bridge holds only its index in
  memory, so a full buffer is measured too: a second bridge starts on a state_dir pre-filled
  with 10 minutes of segments (300 index entries ending now, each file a hard link to one the
  first run wrote), runs the same camera for --full-seconds (20 s) after a 5 s warm-up, and
  its VmHWM is taken. `buffer_memory_mb` is the larger VmHWM of the two runs: the bridge's
  peak resident memory with a 10-minute buffer configured and full.

  Four cameras: the same file as 4 [[camera]] tables in one bridge, CPU over --cpu-seconds / 2
  (at least 15 s) after the warm-up; divided by 4 (information: the per-camera cost with
  several cameras).

Every bridge is stopped with SIGTERM and must exit 0.

Part B, glass-to-glass delay on loopback. A camera in this process serves MJPEG over HTTP at
640x360, 15 fps; each picture is drawn when it is sent, carrying the wall clock
(time.time() in ms, low 40 bits) and a CRC-8 of it as 48 black/white blocks (22 x 40 px,
two rows of 24, each row between guard blocks white-black ... black-white) on a grey band,
JPEG quality 90. The embedded stack and the app run in this process as tests/conftest.py
starts them. An owner (make_user) registers an "on alert" camera through the API and shows a
pairing code (/bridges/code); the bridge is paired with `python -m bridge pair CODE`, its config
names the camera's id, and `python -m bridge run` reads the MJPEG camera (re-encoded to H.264
with libx264 veryfast/zerolatency in the bridge's process, 2 s segments). The owner starts a
15-minute share through POST /api/shares; the bridge sees it at its next poll of the server and
uploads each segment as it closes. A detective (make_user, TOTP) logs in through the login form
in Chromium (Debian's, headless), opens /live/<share>, and a function injected into the page
calls requestVideoFrameCallback on the camera's <video>: every presented frame is drawn to a
canvas at its own size, the blocks are read (mean luminance of each block's middle; a block
must be clearly black (< 85) or white (> 170)), and the guards and the CRC must hold, or the
frame counts as failed. For a decoded frame the delay is Date.now() in the callback minus the
stamp (the same machine's clock). The detective opens the share --join-after (10 s) after its
first piece was ready, as police open a share that is already running (opened at its very
start, with no pieces ahead, the player sits nearer the edge). Frames are collected for
--seconds (40 s) after the first one appears; the first 5 s are dropped.
`glass_to_glass_delay_s` is the median; p10, p90 and the max are printed, and more than 20 %
failed frames is reported loudly. As a cross-check of the stamps themselves, every picture of
one segment from the bridge's buffer is decoded with PyAV and read in Python: the stamps must
lie inside that segment's times.

What the delay is made of, measured in the same run. A frame at offset o in a piece of length
L waits L - o for the piece to close and is shown o after the piece's first frame, so every
frame's delay is L plus "piece end to its first frame shown"; that second term is:
  - the bridge's upload: from a segment's end to the server's answer to its "done" POST (the
    bridge looks for closed segments every 0.5 s, announces, PUTs to S3, confirms). Timed
    by a WSGI wrapper around the app in this process;
  - the player: it asks for new pieces every second (POLL_MS), fetches and appends them; a
    viewer joins with the two newest pieces (LIVE_EDGE_PIECES in app/services/live_video.py)
    and seeks to LIVE_LEAD_S (3.3 s) behind the end of what it holds; after every append it
    nudges the playback rate (1.1x or 0.95x) while that lead is more than 0.5 s off, so the
    delay settles at the same place whichever moment the page was opened (a smaller lead
    freezes the video before each piece: pieces come about every 2.3 s). The first ask (how
    many pieces, how old the newest) and the delay over time are printed. "Ready to first
    shown" is, per piece, the first frame shown from that piece minus the "done" answer;
    "playhead behind the newest buffered picture" is, per frame, video.buffered's end minus
    the frame's mediaTime.
Stalls ('waiting' events) and jumps ('seeking') of the video while measured are counted.
The bridge's CPU while encoding the 360p MJPEG camera and uploading is printed too.

    .venv/bin/python -m bench.live [--cpu-seconds 60] [--warmup 10] [--full-seconds 20]
                                   [--seconds 40] [--join-after 10] [--skip-cpu] [--skip-glass]

Figures are printed for people; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs

import numpy as np

from bench.stats import percentile

# The workers' Powertools logger writes one JSON line per message; keep stdout for figures.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TRIGGER_KEY = "bench-live-trigger-key-0123456789"

# Part A: the stream-copy camera
SOURCE_SECONDS = 150
GOP = 60
BFRAMES = 0
BITRATE = 4_000_000
PRESET = "ultrafast"
SEGMENT_SECONDS = 2
BUFFER_MINUTES = 10
FOUR = 4
AIM_CPU_PERCENT = 5.0

# Part B: the stamped MJPEG camera
CAM_W, CAM_H, CAM_FPS = 640, 360, 15
JPEG_QUALITY = 90
BLOCK_W, BLOCK_H = 22, 40
BITS_PER_ROW = 24
ROW_BLOCKS = BITS_PER_ROW + 4  # white, black, 24 bits, black, white
ROWS = 2
STAMP_X0 = (CAM_W - ROW_BLOCKS * BLOCK_W) // 2
STAMP_Y0 = 10
ROW_STEP = 50
BAND_H = STAMP_Y0 + ROWS * ROW_STEP
MASK40 = (1 << 40) - 1
DROP_FIRST_S = 5.0
AIM_DELAY_S = 6.0
FAIL_LOUD = 0.20
FRAME_SLACK_S = 0.03  # a picture reaches the bridge a few ms after its stamp


def say(text: str = "") -> None:
    print(text, flush=True)


# ---------------------------------------------------------------- clean-up, also on Ctrl-C


class Cleanup:
    """Undo steps, run newest first, each once, whatever happens."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, Callable[[], object]]] = []

    def add(self, what: str, step: Callable[[], object]) -> None:
        self.steps.append((what, step))

    def run(self) -> None:
        while self.steps:
            what, step = self.steps.pop()
            try:
                step()
            except Exception as error:  # clean up the rest anyway
                print(f"  clean-up of {what} failed: {error}", file=sys.stderr)


def on_sigterm(_number: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# ---------------------------------------------------------------- the H.264 source


def source_path() -> Path:
    from bench.clips import HEIGHT, WIDTH

    key = (f"h264-{WIDTH}x{HEIGHT}-30fps-{SOURCE_SECONDS}s-gop{GOP}-bf{BFRAMES}-"
           f"{BITRATE // 1000}k-{PRESET}-v1")
    return Path(tempfile.gettempdir()) / "porchlight-bench-live" / f"{key}.mp4"


def make_source(path: Path) -> float:
    """bench/clips.py's scene, SOURCE_SECONDS long, written to a temporary name then renamed."""
    import av

    from bench.clips import FPS, HEIGHT, WIDTH, Scene

    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    scene = Scene()
    with av.open(str(partial), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={
            "preset": PRESET,
            "x264-params": (f"keyint={GOP}:min-keyint={GOP}:scenecut=0:bframes={BFRAMES}:"
                            "log-level=error"),
        })
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.bit_rate = BITRATE
        stream.codec_context.thread_count = 0
        for index in range(SOURCE_SECONDS * FPS):
            container.mux(stream.encode(scene.frame(index)))
        container.mux(stream.encode(None))
    os.replace(partial, path)
    return time.perf_counter() - started


# ---------------------------------------------------------------- the bridge, as a process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def toml_text(value: str) -> str:
    return json.dumps(value)  # a TOML basic string takes JSON's escapes


def write_config(path: Path, state_dir: Path, port: int, cameras: list[dict[str, Any]],
                 server_url: str | None = None) -> Path:
    lines = ["[bridge]", 'name = "bench live"', f"state_dir = {toml_text(str(state_dir))}",
             f"buffer_minutes = {BUFFER_MINUTES}", f"segment_seconds = {SEGMENT_SECONDS}",
             f'trigger_listen = "127.0.0.1:{port}"', f"trigger_key = {toml_text(TRIGGER_KEY)}",
             ""]
    for camera in cameras:
        lines.append("[[camera]]")
        for key, value in camera.items():
            lines.append(f"{key} = " + ("true" if value is True else "false" if value is False
                                        else toml_text(str(value))))
        lines.append("")
    if server_url:
        lines += ["[server]", f"url = {toml_text(server_url)}", ""]
    path.write_text("\n".join(lines))
    return path


class BridgeProcess:
    """`python -m bridge run -c config` in its own session; read from /proc while it runs."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, config: Path, log: Path, cleanup: Cleanup) -> None:
        self.config = config
        self.log = log
        self._log_handle = open(log, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [PYTHON, "-m", "bridge", "run", "-c", str(config)], cwd=ROOT,
            stdout=self._log_handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=bridge_env())
        self.pid = self.process.pid
        self.exit_code: int | None = None
        cleanup.add(f"bridge {self.pid}", self.stop)

    def alive(self) -> bool:
        return self.process.poll() is None

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.TICK  # utime, stime: all threads

    def memory_kb(self) -> dict[str, int]:
        found = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                found[key] = int(value.split()[0])
        return found

    def status(self) -> dict[str, Any]:
        done = subprocess.run([PYTHON, "-m", "bridge", "status", "-c", str(self.config),
                               "--json"], cwd=ROOT, capture_output=True, text=True,
                              timeout=30, check=False, env=bridge_env())
        if done.returncode != 0:
            raise RuntimeError(f"bridge status failed ({done.returncode}): {done.stderr}")
        return dict(json.loads(done.stdout))

    def wait_live(self, cameras: int, timeout: float = 60.0) -> dict[str, Any]:
        """The status once every camera has closed a segment."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the bridge exited with {self.process.returncode}:\n"
                                   + self.tail())
            try:
                last = self.status()
            except (RuntimeError, ValueError, subprocess.TimeoutExpired):
                time.sleep(0.5)
                continue
            live = [c for c in last.get("cameras", []) if c.get("last_segment_at")]
            if len(live) >= cameras:
                return last
            time.sleep(0.5)
        raise RuntimeError(f"the bridge's cameras were not live within {timeout:.0f} s: "
                           f"{json.dumps(last)[:800]}\n" + self.tail())

    def stop(self) -> int:
        if self.exit_code is not None:
            return self.exit_code
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(10)
                self.exit_code = -9
        if self.exit_code is None:
            self.exit_code = self.process.returncode
        self._log_handle.close()
        return self.exit_code

    def tail(self, lines: int = 25) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join("    " + line for line in text[-lines:])


def bridge_env() -> dict[str, str]:
    """This process's environment without the embedded stack's settings (the bridge is
    another machine's program: it knows only its config)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "PORCHLIGHT_", "DEVSTACK_"))}


def busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


class Sampler:
    """CPU seconds and RSS of a bridge over a span of wall time."""

    def __init__(self, bridge: BridgeProcess) -> None:
        self.bridge = bridge
        self.rss_kb: list[int] = []

    def measure(self, seconds: float) -> dict[str, Any]:
        cpu0, wall0, machine0 = self.bridge.cpu_seconds(), time.monotonic(), busy_ticks()
        while time.monotonic() - wall0 < seconds:
            if not self.bridge.alive():
                raise RuntimeError(f"the bridge exited during the measurement:\n"
                                   f"{self.bridge.tail()}")
            self.rss_kb.append(self.bridge.memory_kb()["VmRSS"])
            time.sleep(min(0.5, max(0.0, seconds - (time.monotonic() - wall0))))
        cpu1, wall1, machine1 = self.bridge.cpu_seconds(), time.monotonic(), busy_ticks()
        memory = self.bridge.memory_kb()
        wall = wall1 - wall0
        return {
            "wall_s": round(wall, 2), "cpu_s": round(cpu1 - cpu0, 2),
            "cpu_percent_of_core": round((cpu1 - cpu0) / wall * 100, 2),
            "machine_busy_percent": round((machine1[0] - machine0[0])
                                          / max(machine1[1] - machine0[1], 1) * 100, 1),
            "rss_mean_mb": round(statistics.mean(self.rss_kb) / 1024, 1),
            "rss_peak_sampled_mb": round(max(self.rss_kb) / 1024, 1),
            "vm_hwm_mb": round(memory["VmHWM"] / 1024, 1),
            "threads": memory["Threads"],
        }


# ---------------------------------------------------------------- Part A


def copy_run(work: Path, src: Path, cameras: int, warmup: float, seconds: float,
             cleanup: Cleanup, name: str, state_dir: Path | None = None) -> dict[str, Any]:
    """One bridge with `cameras` cameras on the file; its figures and its status."""
    folder = work / name
    folder.mkdir()
    state = state_dir or folder / "state"
    config = write_config(folder / "config.toml", state, free_port(), [
        {"id": f"cam{n + 1}", "source": src.as_uri(), "loop": True} for n in range(cameras)])
    bridge = BridgeProcess(config, folder / "bridge.log", cleanup)
    started = time.monotonic()
    bridge.wait_live(cameras)
    time.sleep(max(0.0, warmup - (time.monotonic() - started)))
    before = bridge.status()
    figures = Sampler(bridge).measure(seconds)
    after = bridge.status()
    code = bridge.stop()
    if code != 0:
        raise RuntimeError(f"the bridge exited with {code} after SIGTERM, not 0:\n"
                           + bridge.tail())
    figures.update({"cameras": cameras, "exit_code": code, "status_before": before,
                    "status_after": after, "state_dir": str(state)})
    return figures


def buffer_figures(run: dict[str, Any]) -> dict[str, Any]:
    """Mode, segments and bytes of the first camera, from the bridge's own status."""
    camera_before = run["status_before"]["cameras"][0]
    camera = run["status_after"]["cameras"][0]
    buffer = camera["buffer"]
    seconds = float(buffer["seconds"]) or 1.0
    per_minute = buffer["bytes"] / seconds * 60
    return {
        "mode": camera["mode"], "modes": sorted({c["mode"] for c in
                                                run["status_after"]["cameras"]}),
        "video": camera["video"], "keyframe_interval_s": camera["keyframe_interval_s"],
        "segments": buffer["segments"], "buffer_seconds": buffer["seconds"],
        "buffer_bytes": buffer["bytes"],
        "segments_written_during_measure": buffer["segments"]
        - camera_before["buffer"]["segments"],
        "mean_segment_s": round(seconds / max(buffer["segments"], 1), 3),
        "bytes_per_minute": round(per_minute),
        "disk_mb_10min": round(per_minute * BUFFER_MINUTES / 1e6, 1),
        "gaps": buffer["gaps"],
    }


def prefill(state_dir: Path, first_state: Path, camera: str = "cam1") -> int:
    """A state_dir whose buffer holds 10 minutes of segments ending now: index entries for
    consecutive 2 s segments, each file a hard link to one the first run wrote."""
    from bridge.buffer import INDEX, segment_name
    from bridge.segment import Segment

    source = first_state / "buffer" / camera
    real = [Segment.from_json(json.loads(line), source)
            for line in (source / INDEX).read_text().splitlines()
            if line.strip() and json.loads(line).get("kind") == "segment"]
    real = [s for s in real if s.path.is_file() and 1.5 <= s.duration_s <= 2.5]
    if not real:
        raise RuntimeError("the first run left no segments to pre-fill a buffer with")
    target = state_dir / "buffer" / camera
    target.mkdir(parents=True)
    count = BUFFER_MINUTES * 60 // SEGMENT_SECONDS
    now = datetime.now(UTC)
    lines = []
    for n in range(count):
        model = real[n % len(real)]
        start = now - timedelta(seconds=(count - n) * SEGMENT_SECONDS - 1)
        name = segment_name(start)
        os.link(model.path, target / name)
        entry = replace(model, name=name, path=target / name, start=start,
                        end=start + timedelta(seconds=model.duration_s))
        lines.append(json.dumps(entry.to_json(), separators=(",", ":")))
    (target / INDEX).write_text("\n".join(lines) + "\n")
    return count


def part_a(args: argparse.Namespace, work: Path, cleanup: Cleanup) -> dict[str, Any]:
    src = source_path()
    if src.exists():
        made = None
        say(f"source reused: {src} ({src.stat().st_size / 1e6:.0f} MB)")
    else:
        say(f"making the source (1080p30 H.264, libx264 {PRESET}, {BITRATE / 1e6:g} Mb/s, "
            f"GOP {GOP}, {SOURCE_SECONDS} s) at {src} ...")
        made = make_source(src)
        say(f"source made in {made:.0f} s ({src.stat().st_size / 1e6:.0f} MB)")
    import av

    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        duration = float(container.duration or 0) / 1e6
        source_info = {"path": str(src), "bytes": src.stat().st_size,
                       "duration_s": round(duration, 2),
                       "size": f"{stream.codec_context.width}x{stream.codec_context.height}",
                       "codec": stream.codec_context.name,
                       "made_s": round(made, 1) if made else None}
    source_per_minute = src.stat().st_size / duration * 60

    say(f"\n1 camera: warm-up {args.warmup:.0f} s, then {args.cpu_seconds:.0f} s measured ...")
    one = copy_run(work, src, 1, args.warmup, args.cpu_seconds, cleanup, "one")
    disk = buffer_figures(one)
    if disk["mode"] != "copy":
        raise RuntimeError(f"the bridge runs in mode {disk['mode']!r}, not 'copy'")
    if disk["segments_written_during_measure"] <= 0:
        raise RuntimeError("the bridge wrote no segments during the measurement")
    say(f"  {disk['video']}; mode {disk['mode']}, keyframe every "
        f"{disk['keyframe_interval_s']} s")
    say(f"  CPU {one['cpu_percent_of_core']:.2f} % of one core ({one['cpu_s']:.2f} CPU s in "
        f"{one['wall_s']:.1f} s; the whole machine was {one['machine_busy_percent']:.0f} % busy "
        f"meanwhile, {os.cpu_count()} CPUs)")

    say(f"\nfull 10-minute buffer: a bridge on a pre-filled state_dir, {args.full_seconds:.0f} s "
        "...")
    full_state = work / "full-state"
    entries = prefill(full_state, Path(one["state_dir"]))
    full = copy_run(work, src, 1, 5.0, args.full_seconds, cleanup, "full", state_dir=full_state)
    full_buffer = full["status_after"]["cameras"][0]["buffer"]

    four_seconds = max(15.0, args.cpu_seconds / 2)
    say(f"\n{FOUR} cameras (the same file 4 times): warm-up {args.warmup:.0f} s, then "
        f"{four_seconds:.0f} s measured ...")
    four = copy_run(work, src, FOUR, args.warmup, four_seconds, cleanup, "four")
    four_modes = sorted({c["mode"] for c in four["status_after"]["cameras"]})
    written = {c["camera"]: c["buffer"]["segments"] for c in four["status_after"]["cameras"]}
    for c in four["status_before"]["cameras"]:
        written[c["camera"]] -= c["buffer"]["segments"]
    if len(written) != FOUR or min(written.values()) <= 0:
        raise RuntimeError(f"not every camera of the 4 wrote segments: {written}")

    buffer_memory = max(one["vm_hwm_mb"], full["vm_hwm_mb"])
    result = {
        "source": source_info,
        "one_camera": {k: v for k, v in one.items() if not k.startswith("status")},
        "disk": {**disk, "source_bytes_per_minute": round(source_per_minute),
                 "overhead_vs_source_percent": round(
                     (disk["bytes_per_minute"] / source_per_minute - 1) * 100, 2)},
        "full_buffer": {**{k: v for k, v in full.items() if not k.startswith("status")},
                        "prefilled_entries": entries, "segments": full_buffer["segments"],
                        "buffer_seconds": full_buffer["seconds"],
                        "buffer_bytes": full_buffer["bytes"]},
        "four_cameras": {**{k: v for k, v in four.items() if not k.startswith("status")},
                         "modes": four_modes, "segments_written": written,
                         "cpu_percent_per_camera": round(four["cpu_percent_of_core"] / FOUR,
                                                         2)},
        "buffer_memory_mb": buffer_memory,
    }
    return result


def show_part_a(a: dict[str, Any]) -> None:
    one, disk, full, four = a["one_camera"], a["disk"], a["full_buffer"], a["four_cameras"]
    say("\n== Part A: the bridge, 1080p30 H.264 file camera, stream copy ==")
    say(f"source: {a['source']['size']} {a['source']['codec']}, "
        f"{a['source']['duration_s']:.0f} s, {disk['source_bytes_per_minute'] / 1e6:.1f} MB "
        "a minute, looped")
    verdict = "within" if one["cpu_percent_of_core"] < AIM_CPU_PERCENT else "ABOVE"
    say(f"CPU, 1 camera: {one['cpu_percent_of_core']:.2f} % of one core over "
        f"{one['wall_s']:.0f} s ({verdict} the aim of {AIM_CPU_PERCENT:g} %); machine "
        f"{one['machine_busy_percent']:.0f} % busy meanwhile")
    say(f"CPU, {FOUR} cameras in one bridge: {four['cpu_percent_of_core']:.2f} % of one core = "
        f"{four['cpu_percent_per_camera']:.2f} % per camera (modes {four['modes']}; "
        f"segments written {sorted(four['segments_written'].values())}); RSS "
        f"mean {four['rss_mean_mb']} MB, peak {four['vm_hwm_mb']} MB")
    say(f"memory, 1 camera: RSS mean {one['rss_mean_mb']} MB, peak {one['vm_hwm_mb']} MB "
        f"(VmHWM), {one['threads']} threads")
    say(f"memory with the 10-minute buffer full ({full['segments']} segments, "
        f"{full['buffer_seconds']:.0f} s indexed, pre-filled): RSS mean {full['rss_mean_mb']} "
        f"MB, peak {full['vm_hwm_mb']} MB; CPU {full['cpu_percent_of_core']:.2f} %")
    say(f"  the buffer itself is on disk, not in memory: the process holds its index and one "
        f"segment being written. buffer_memory_mb = {a['buffer_memory_mb']} MB (peak RSS)")
    say(f"disk: {disk['segments_written_during_measure']} segments written in the measured "
        f"{one['wall_s']:.0f} s, {disk['mean_segment_s']:.2f} s each; "
        f"{disk['bytes_per_minute'] / 1e6:.1f} MB a minute "
        f"({disk['overhead_vs_source_percent']:+.2f} % against the source's own bytes); "
        f"a 10-minute buffer takes {disk['disk_mb_10min']:.0f} MB of disk")
    say(f"every bridge stopped with SIGTERM exited {one['exit_code']}, {full['exit_code']}, "
        f"{four['exit_code']}")


# ---------------------------------------------------------------- Part B: a stamped camera


def crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def stamp_bits(ms: int) -> list[int]:
    value = ms & MASK40
    word = (value << 8) | crc8(value.to_bytes(5, "big"))
    return [(word >> (47 - i)) & 1 for i in range(ROWS * BITS_PER_ROW)]


def row_pattern(bits: list[int]) -> list[int]:
    return [1, 0, *bits, 0, 1]


class StampScene:
    """640x360 pictures: a drifting texture, a moving block, and the stamp band on top."""

    def __init__(self) -> None:
        rng = np.random.default_rng(7)
        coarse = rng.integers(0, 256, (CAM_H // 12 + 2, (CAM_W + 256) // 12 + 2), np.uint8)
        big = np.asarray(np.repeat(np.repeat(coarse, 12, 0), 12, 1)[:CAM_H, :CAM_W + 256])
        self.texture = np.stack([big // 2 + 40, big // 3 + 60, big // 2 + 30], axis=2)
        self.texture = self.texture.astype(np.uint8)

    def picture(self, index: int, ms: int) -> np.ndarray:
        x = index * 2 % 256
        frame = self.texture[:, x:x + CAM_W].copy()
        left = index * 6 % (CAM_W - 80)
        frame[200:280, left:left + 80] = (200, 160, 40)
        frame[:BAND_H] = 128
        for row in range(ROWS):
            pattern = row_pattern(stamp_bits(ms)[row * BITS_PER_ROW:(row + 1) * BITS_PER_ROW])
            top = STAMP_Y0 + row * ROW_STEP
            for col, bit in enumerate(pattern):
                x0 = STAMP_X0 + col * BLOCK_W
                frame[top:top + BLOCK_H, x0:x0 + BLOCK_W] = 255 if bit else 0
        return frame


def read_stamp(grey: np.ndarray) -> int | None:
    """The stamp (low 40 bits of ms) of a picture's luminance at 640x360, or None."""
    bits: list[int] = []
    for row in range(ROWS):
        top = STAMP_Y0 + row * ROW_STEP
        seen = []
        for col in range(ROW_BLOCKS):
            x0 = STAMP_X0 + col * BLOCK_W
            centre = grey[top + BLOCK_H // 2 - 8:top + BLOCK_H // 2 + 8,
                          x0 + BLOCK_W // 2 - 4:x0 + BLOCK_W // 2 + 4].mean()
            if 85 <= centre <= 170:
                return None
            seen.append(int(centre > 170))
        if seen[:2] != [1, 0] or seen[-2:] != [0, 1]:
            return None
        bits += seen[2:-2]
    word = 0
    for bit in bits:
        word = word << 1 | bit
    value = word >> 8
    return value if crc8(value.to_bytes(5, "big")) == word & 0xFF else None


class StampCamera:
    """MJPEG over HTTP; each picture drawn and stamped as it is sent, CAM_FPS a second."""

    def __init__(self) -> None:
        self.scene = StampScene()
        self.sent = 0
        self.connections = 0
        self.encode_ms: list[float] = []
        self._stop = threading.Event()
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                camera.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                camera.stream(self.wfile)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/video.mjpg"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)

    def start(self) -> StampCamera:
        self.thread.start()
        return self

    def stream(self, out: Any) -> None:
        import cv2

        index = 0
        started = time.monotonic()
        try:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                ms = int(time.time() * 1000)
                picture = self.scene.picture(index, ms)
                ok, jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                assert ok
                data = jpeg.tobytes()
                out.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                          + str(len(data)).encode() + b"\r\n\r\n" + data + b"\r\n")
                out.flush()
                self.encode_ms.append((time.perf_counter() - t0) * 1000)
                self.sent += 1
                index += 1
                self._stop.wait(max(0.0, started + index / CAM_FPS - time.monotonic()))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


def check_stamps_offline() -> None:
    """The layout reads back from a JPEG as drawn (a check of this file, not of the run)."""
    import cv2

    ms = int(time.time() * 1000)
    ok, jpeg = cv2.imencode(".jpg", StampScene().picture(3, ms),
                            [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    grey = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
    if not ok or grey is None or read_stamp(np.asarray(grey)) != ms & MASK40:
        raise RuntimeError("the stamp does not read back from a JPEG: the layout is wrong")


def stamps_in_segment(path: Path) -> list[int | None]:
    """The stamps of the pictures of one bridge segment, decoded with PyAV."""
    import av

    found: list[int | None] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            grey = frame.to_ndarray(format="gray")
            found.append(read_stamp(grey) if grey.shape == (CAM_H, CAM_W) else None)
    return found


# ---------------------------------------------------------------- Part B: the page


COLLECT = """({camera, layout}) => {
  const L = layout;
  const state = {frames: [], fails_at: [], events: [], callbacks: 0, first: null,
                 hooked: false, presented0: null, presented: null};
  window.__glass = state;
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const TWO40 = 2 ** 40;
  const crc8 = (bytes) => {
    let crc = 0;
    for (const b of bytes) {
      crc ^= b;
      for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    }
    return crc;
  };
  const fail = (why) => { state.fails_at.push([Date.now(), why]); };
  const decode = (video) => {
    const w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return fail('no picture size');
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    ctx.drawImage(video, 0, 0, w, h);
    const sx = w / L.width, sy = h / L.height;
    const band = ctx.getImageData(0, 0, w, Math.ceil(L.band * sy) + 1).data;
    const bits = [];
    for (let row = 0; row < L.rows; row++) {
      const seen = [];
      for (let col = 0; col < L.rowBlocks; col++) {
        const cx = (L.x0 + col * L.blockW + L.blockW / 2) * sx;
        const cy = (L.y0 + row * L.rowStep + L.blockH / 2) * sy;
        let sum = 0, n = 0;
        for (let y = Math.round(cy - 8 * sy); y < Math.round(cy + 8 * sy); y++) {
          for (let x = Math.round(cx - 4 * sx); x < Math.round(cx + 4 * sx); x++) {
            const i = (y * w + x) * 4;
            sum += 0.299 * band[i] + 0.587 * band[i + 1] + 0.114 * band[i + 2];
            n++;
          }
        }
        const mean = sum / n;
        if (mean >= 85 && mean <= 170) return fail('a block neither black nor white');
        seen.push(mean > 170 ? 1 : 0);
      }
      const n = seen.length;
      if (seen[0] !== 1 || seen[1] !== 0 || seen[n - 2] !== 0 || seen[n - 1] !== 1) {
        return fail('guard blocks wrong');
      }
      bits.push(...seen.slice(2, -2));
    }
    let value = 0;
    for (let i = 0; i < 40; i++) value = value * 2 + bits[i];
    let check = 0;
    for (let i = 40; i < 48; i++) check = check * 2 + bits[i];
    const bytes = [];
    for (let i = 4; i >= 0; i--) bytes.push(Math.floor(value / 2 ** (8 * i)) % 256);
    if (crc8(bytes) !== check) return fail('check byte wrong');
    return value;
  };
  const onFrame = (video) => (now, meta) => {
    const shown = Date.now();
    state.callbacks++;
    if (state.presented0 === null) state.presented0 = meta.presentedFrames;
    state.presented = meta.presentedFrames;
    try {
      const stamp = decode(video);
      if (typeof stamp === 'number') {
        let d = shown % TWO40 - stamp;
        if (d < -TWO40 / 2) d += TWO40;
        if (d > TWO40 / 2) d -= TWO40;
        if (d < 0 || d > 120000) {
          fail('stamp not within 120 s before now');
        } else {
          const ranges = video.buffered;
          const behind = ranges.length ? ranges.end(ranges.length - 1) - meta.mediaTime : null;
          state.frames.push([shown - d, shown, meta.mediaTime, behind]);
          if (state.first === null) state.first = shown;
        }
      }
    } catch (err) {
      fail(`error: ${err.message}`);
    }
    video.requestVideoFrameCallback(onFrame(video));
  };
  const hook = () => {
    const video = document.querySelector(`figure[data-stream="${camera}"] video`);
    if (!video) { window.setTimeout(hook, 50); return; }
    state.hooked = true;
    for (const kind of ['waiting', 'seeking']) {
      video.addEventListener(kind, () => state.events.push([Date.now(), kind]));
    }
    video.requestVideoFrameCallback(onFrame(video));
  };
  hook();
  return true;
}"""

LAYOUT = {"width": CAM_W, "height": CAM_H, "band": BAND_H, "rows": ROWS,
          "rowBlocks": ROW_BLOCKS, "blockW": BLOCK_W, "blockH": BLOCK_H, "x0": STAMP_X0,
          "y0": STAMP_Y0, "rowStep": ROW_STEP}

DONE_PATH = re.compile(r"^/api/bridge/shares/[^/]+/segments/[^/]+/(?P<name>[^/]+)/done$")
PIECES_PATH = re.compile(r"^/api/live/[^/]+/pieces$")


class ReadyTimes:
    """WSGI wrapper: when the app answered 2xx to each segment's "done" (the piece is ready),
    and what it answered to the player's asks for pieces (when, after which, which pieces)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.ready: dict[str, float] = {}
        self.asks: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        found = DONE_PATH.match(path)
        if found and method == "POST":
            name = found["name"]

            def noting(status: str, headers: Any, *rest: Any) -> Any:
                if status.startswith("2"):
                    self.ready.setdefault(name, time.time())
                return start_response(status, headers, *rest)

            return self.app(environ, noting)
        if PIECES_PATH.match(path) and method == "GET":
            body = b"".join(self.app(environ, start_response))
            try:
                names = [p["name"] for p in json.loads(body).get("pieces", [])]
            except (ValueError, AttributeError, KeyError, TypeError):
                names = []
            query = parse_qs(environ.get("QUERY_STRING", ""))
            self.asks.append({"at": time.time(), "camera": query.get("camera", [""])[0],
                              "after": bool(query.get("after")), "pieces": names})
            return [body]
        return self.app(environ, start_response)


def shown_code(owner: Any) -> str:
    """The pairing code the owner's Bridges page shows (as tests/integration/
    test_bridge_pairing.py reads it)."""
    from tests.support import form_token

    page = owner.get("/bridges")
    done = owner.post_form("/bridges/code", token=form_token(page.text))
    match = re.search(r"<strong>([A-Z2-9]{4}-[A-Z2-9]{4})</strong>", done.text)
    if done.status_code != 200 or not match:
        raise RuntimeError(f"no pairing code shown ({done.status_code}): {done.text[:300]}")
    return match.group(1)



def camera_body() -> dict[str, Any]:
    """An "on alert" camera, as tests/builders/cameras.py's camera_body(tier=...)."""
    return {"nickname": "Porch", "lat": 36.16130, "lon": -86.78350,
            "heading_deg": 270, "fov_deg": 90, "range_m": 40, "mount": "doorbell",
            "facing": "street", "retention_days": 14, "tier": "on_alert",
            "visibility": "exact", "attested": True}


def start_stack(cleanup: Cleanup) -> tuple[ReadyTimes, str, Any]:
    """devstack, the workers and the app over HTTP, as tests/conftest.py starts them."""
    from devstack import seed, stack
    from devstack.worker_loop import WorkerLoop
    from tests.support import AppServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = AppServer()
    local = stack.start(visibility_seconds=1, extra_env={
        "PORCHLIGHT_PUBLIC_URL": server.url, "PORCHLIGHT_LOGIN_IP_LIMIT": "100000"})

    def stop_stack() -> None:
        local.stop()
        for key in local.env:
            os.environ.pop(key, None)

    cleanup.add("devstack", stop_stack)
    from app import create_app

    app = create_app()
    seed.seed()
    loop = WorkerLoop(local.client("sqs"), local.queue_urls(), stack.REGION,
                      wait_seconds=1).start()
    cleanup.add("worker loop", loop.stop)
    ready = ReadyTimes(app)
    server.start(ready)
    cleanup.add("app server", server.stop)
    return ready, server.url, app.config["SETTINGS"]


def watch(base: str, share_id: str, stream: str, detective: Any, seconds: float,
          bridge: BridgeProcess, ready: ReadyTimes, join_after: float) -> dict[str, Any]:
    """Chromium: log in as the detective, open the share once it has been sending for
    `join_after` s, collect every presented frame."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.helpers import TABLET, collect_page_errors, launch_options, log_in

    with sync_playwright() as driver:
        browser = driver.chromium.launch(**launch_options())
        try:
            context = browser.new_context(base_url=base, **TABLET)
            context.set_default_timeout(15_000)
            page = context.new_page()
            errors = collect_page_errors(page)
            log_in(page, detective)
            deadline = time.monotonic() + 60
            while not ready.ready or time.time() - min(ready.ready.values()) < join_after:
                if time.monotonic() > deadline or not bridge.alive():
                    raise RuntimeError("the bridge sent no piece of the share within 60 s:\n"
                                       + bridge.tail())
                page.wait_for_timeout(200)
            opened = time.time()
            page.goto(f"/live/{share_id}")
            page.evaluate(COLLECT, {"camera": stream, "layout": LAYOUT})
            page.wait_for_function("() => window.__glass && window.__glass.first !== null",
                                   timeout=90_000)
            first_seen = time.time()
            cpu0, wall0 = bridge.cpu_seconds(), time.monotonic()
            page.wait_for_timeout(seconds * 1000)
            cpu1, wall1 = bridge.cpu_seconds(), time.monotonic()
            data = dict(page.evaluate("() => window.__glass"))
            data["player_state"] = page.evaluate(
                "() => document.querySelector('.js-live-player').dataset.state || ''")
            data["pieces_appended"] = page.evaluate(
                "(c) => Number(document.querySelector(`figure[data-stream=\"${c}\"]`)"
                "?.dataset.pieces || 0)", stream)
        finally:
            browser.close()
    data.update({"page_errors": errors, "opened": opened,
                 "first_frame_after_open_s": round(first_seen - opened, 2),
                 "bridge_cpu_percent": round((cpu1 - cpu0) / (wall1 - wall0) * 100, 1)})
    return data


def bridge_segments(state_dir: Path, camera: str) -> list[dict[str, Any]]:
    from bridge.segment import parse_iso

    index = state_dir / "buffer" / camera / "index.jsonl"
    out = []
    for line in index.read_text().splitlines():
        entry = json.loads(line) if line.strip() else {}
        if entry.get("kind") == "segment":
            out.append({"name": entry["name"], "start": parse_iso(entry["start"]).timestamp(),
                        "end": parse_iso(entry["end"]).timestamp(),
                        "path": state_dir / "buffer" / camera / entry["name"]})
    return sorted(out, key=lambda s: s["start"])


def summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p10": None, "p50": None, "p90": None, "max": None, "n": 0}
    return {"p10": round(percentile(values, 10), 3), "p50": round(percentile(values, 50), 3),
            "p90": round(percentile(values, 90), 3), "max": round(max(values), 3),
            "n": len(values)}


def analyse(data: dict[str, Any], segments: list[dict[str, Any]], app: ReadyTimes,
            seconds: float, stream: str) -> dict[str, Any]:
    ready = app.ready
    opened = float(data["opened"])
    first = float(data["first"])
    since = first + DROP_FIRST_S * 1000
    kept = [f for f in data["frames"] if f[1] >= since]
    failed = [f for f in data["fails_at"] if f[0] >= since]
    delays = [(shown - stamp) / 1000 for stamp, shown, _media, _behind in kept]
    behind = [b for *_rest, b in kept if b is not None]
    stamps = [f[0] for f in kept]
    backwards = sum(1 for a, b in zip(stamps, stamps[1:], strict=False) if b < a)
    steps = [b - a for a, b in zip(stamps, stamps[1:], strict=False) if b > a]
    events: dict[str, int] = {"waiting": 0, "seeking": 0}
    for at, kind in data["events"]:
        if at >= since:
            events[kind] = events.get(kind, 0) + 1
    reasons: dict[str, int] = {}
    for _at, why in failed:
        reasons[why] = reasons.get(why, 0) + 1

    # each frame's segment: the one whose times hold its stamp (a picture reaches the bridge a
    # few ms after it is stamped)
    starts = [s["start"] for s in segments]
    wait_close: list[float] = []
    first_shown: dict[str, float] = {}
    import bisect

    for stamp, shown, _media, _behind in kept:
        at = stamp / 1000 + FRAME_SLACK_S
        i = bisect.bisect_right(starts, at) - 1
        if i < 0 or at >= segments[i]["end"]:
            continue
        wait_close.append(segments[i]["end"] - stamp / 1000)
        name = segments[i]["name"]
        first_shown[name] = min(first_shown.get(name, shown / 1000), shown / 1000)
    by_name = {s["name"]: s for s in segments}
    end_to_ready = [ready[n] - by_name[n]["end"] for n in first_shown if n in ready]
    ready_to_shown = [first_shown[n] - ready[n] for n in first_shown if n in ready]
    end_to_shown = [first_shown[n] - by_name[n]["end"] for n in first_shown]
    total = len(kept) + len(failed)
    timeline: list[list[float]] = []
    for stamp, shown, _media, _behind in data["frames"]:
        second = int((shown - first) // 1000)
        if second >= 0 and (not timeline or second > timeline[-1][0]):
            timeline.append([second, round((shown - stamp) / 1000, 3)])
    stall_times = [round((at - first) / 1000, 2) for at, kind in data["events"]
                   if kind == "waiting" and at >= since]
    asks = [a for a in app.asks if a["at"] >= opened and a["camera"] == stream]
    join: dict[str, Any] = {}
    if asks:
        ask = asks[0]
        ends = [by_name[n]["end"] for n in ask["pieces"] if n in by_name]
        join = {"pieces": len(ask["pieces"]), "after_open_s": round(ask["at"] - opened, 3),
                "newest_piece_age_s": round(ask["at"] - max(ends), 3) if ends else None,
                "pieces_seconds": round(sum(by_name[n]["end"] - by_name[n]["start"]
                                            for n in ask["pieces"] if n in by_name), 3)}
    return {
        "delay_s": summary(delays),
        "frames_decoded": len(kept), "frames_failed": len(failed),
        "failed_ratio": round(len(failed) / total, 4) if total else None,
        "fail_reasons": reasons,
        "frames_expected": round((seconds - DROP_FIRST_S) * CAM_FPS),
        "callbacks": data["callbacks"],
        "presented_frames": (data["presented"] - data["presented0"]
                             if data["presented"] is not None else None),
        "stamps_backwards": backwards,
        "stamp_step_ms_median": round(statistics.median(steps), 1) if steps else None,
        "wait_for_piece_to_close_s": summary(wait_close),
        "segment_end_to_ready_s": summary(end_to_ready),
        "ready_to_first_shown_s": summary(ready_to_shown),
        "segment_end_to_first_shown_s": summary(end_to_shown),
        "playhead_behind_newest_buffered_s": summary(behind),
        "pieces_shown": len(first_shown),
        "stalls": events["waiting"], "seeks": events["seeking"],
        "segment_s_median": round(statistics.median(
            [s["end"] - s["start"] for s in segments]), 3) if segments else None,
        "first_ask": join, "asks": len(asks),
        "stall_times_s": stall_times,
        "delay_timeline_s": timeline,
    }


def cross_check(segments: list[dict[str, Any]], first_ms: float) -> dict[str, Any]:
    """Decode a segment from the middle of the watched span with PyAV: every picture's stamp
    must read and lie inside the segment's times."""
    watched = [s for s in segments if s["start"] * 1000 > first_ms + DROP_FIRST_S * 1000]
    if not watched:
        return {"checked": False}
    segment = watched[len(watched) // 2]
    stamps = stamps_in_segment(segment["path"])
    good = [s for s in stamps if s is not None]
    base = int(segment["start"] * 1000) & ~MASK40
    inside = [s for s in good
              if segment["start"] - 0.1 <= (base | s) / 1000 <= segment["end"]]
    return {"checked": True, "segment": segment["name"], "pictures": len(stamps),
            "read": len(good), "inside_segment_times": len(inside)}


def part_b(args: argparse.Namespace, work: Path, cleanup: Cleanup) -> dict[str, Any]:
    check_stamps_offline()
    from tests.support import make_user, session_client

    camera = StampCamera().start()
    cleanup.add("stamped camera", camera.stop)
    t0 = time.monotonic()
    ready, base, settings = start_stack(cleanup)
    say(f"stack and app ready in {time.monotonic() - t0:.1f} s at {base}; stamped camera at "
        f"{camera.url} ({CAM_W}x{CAM_H}, {CAM_FPS} fps MJPEG)")
    owner = make_user("owner")
    owner_client = session_client(base, settings, owner)
    made = owner_client.send_json("POST", "/api/cameras", camera_body())
    if made.status_code != 201:
        raise RuntimeError(f"registering the camera failed: {made.status_code} {made.text}")
    camera_id = made.json()["camera"]["id"]
    code = shown_code(owner_client)

    folder = work / "glass"
    folder.mkdir()
    state = folder / "state"
    config = write_config(folder / "config.toml", state, free_port(), [
        {"id": "porch", "source": camera.url, "camera_id": camera_id}], server_url=base)
    paired = subprocess.run([PYTHON, "-m", "bridge", "pair", code, "-c", str(config)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
                            env=bridge_env())
    if paired.returncode != 0:
        raise RuntimeError(f"`python -m bridge pair` exited {paired.returncode}:\n"
                           f"{paired.stdout}{paired.stderr}")
    say(f"paired: {paired.stdout.splitlines()[0] if paired.stdout else '(no output)'}")
    bridge = BridgeProcess(config, folder / "bridge.log", cleanup)
    status = bridge.wait_live(1)
    mode = status["cameras"][0]["mode"]
    say(f"bridge live: {status['cameras'][0]['video']} (mode {mode})")
    started = owner_client.send_json("POST", "/api/shares", {"camera_ids": [camera_id],
                                                             "minutes": 15})
    if started.status_code != 201:
        raise RuntimeError(f"starting the share failed: {started.status_code} {started.text}")
    share_id = started.json()["share_id"]
    say(f"share {share_id} started by the owner; the detective opens it in Chromium and "
        f"frames are collected for {args.seconds:.0f} s after the first one ...")
    from app.models.live import LiveShare

    # The player knows the camera by its alias in the share (police never get its id).
    stream = (LiveShare.get(share_id).camera_aliases or [camera_id])[0]
    detective = make_user("detective")
    data = watch(base, share_id, stream, detective, args.seconds, bridge, ready,
                 args.join_after)
    code_after = bridge.stop()
    if code_after != 0:
        raise RuntimeError(f"the bridge exited {code_after} after SIGTERM:\n{bridge.tail()}")
    segments = bridge_segments(state, "porch")
    figures = analyse(data, segments, ready, args.seconds, stream)
    figures.update({
        "share_id": share_id, "mode": mode, "bridge_exit_code": code_after,
        "first_frame_after_open_s": data["first_frame_after_open_s"],
        "bridge_cpu_percent_mjpeg_encode_upload": data["bridge_cpu_percent"],
        "segments_uploaded": len(ready.ready),
        "pieces_appended_by_player": data["pieces_appended"],
        "player_state": data["player_state"], "page_errors": data["page_errors"],
        "camera_pictures_sent": camera.sent, "camera_connections": camera.connections,
        "camera_draw_encode_ms_median": round(statistics.median(camera.encode_ms), 2)
        if camera.encode_ms else None,
        "python_check": cross_check(segments, float(data["first"])),
    })
    return figures


def show_part_b(b: dict[str, Any]) -> None:
    d = b["delay_s"]
    say("\n== Part B: glass-to-glass, stamped MJPEG camera -> bridge (libx264) -> app -> "
        "Chromium ==")
    say(f"frames decoded {b['frames_decoded']}, failed {b['frames_failed']} "
        f"(expected about {b['frames_expected']} at {CAM_FPS} fps; {b['callbacks']} frame "
        f"callbacks in all, {b['presented_frames']} frames presented)")
    if b["failed_ratio"] is not None and b["failed_ratio"] > FAIL_LOUD:
        say(f"!!! {b['failed_ratio']:.0%} OF THE FRAMES DID NOT DECODE ({b['fail_reasons']}): "
            "THE DELAY FIGURES BELOW ARE NOT TRUSTWORTHY !!!")
    elif b["fail_reasons"]:
        say(f"  failures: {b['fail_reasons']}")
    say(f"  stamps go backwards {b['stamps_backwards']} times; median step between shown "
        f"frames {b['stamp_step_ms_median']} ms (a frame every {1000 / CAM_FPS:.1f} ms)")
    check = b["python_check"]
    if check.get("checked"):
        say(f"  cross-check in Python: segment {check['segment']}: {check['read']} of "
            f"{check['pictures']} pictures read, {check['inside_segment_times']} inside the "
            "segment's times")
    if d["p50"] is None:
        say("glass-to-glass: no frame decoded")
        return
    verdict = "within" if d["p50"] < AIM_DELAY_S else "ABOVE"
    say(f"glass-to-glass delay: median {d['p50']:.2f} s ({verdict} the aim of "
        f"{AIM_DELAY_S:g} s), p10 {d['p10']:.2f}, p90 {d['p90']:.2f}, max {d['max']:.2f} s")
    say(f"  made of (medians): one piece, {b['segment_s_median']} s (per frame, waiting for "
        f"its piece to close {b['wait_for_piece_to_close_s']['p50']} s, then shown that much "
        f"after the piece's first frame) + piece end -> its first frame on screen "
        f"{b['segment_end_to_first_shown_s']['p50']} s ({b['pieces_shown']} pieces), which is")
    say(f"    piece end -> ready on the server (the bridge's upload) "
        f"{b['segment_end_to_ready_s']['p50']} s + ready -> first frame on screen "
        f"{b['ready_to_first_shown_s']['p50']} s (the player's 1 s poll, fetch, append, and "
        "where its playhead sits)")
    behind = b["playhead_behind_newest_buffered_s"]
    say(f"  the player's playhead sits {behind['p50']} s behind the newest buffered picture "
        f"(median; p10 {behind['p10']}, p90 {behind['p90']}); the player aims at 3.3 s just "
        "after each append (LIVE_LEAD_S), falling by a piece's length until the next")
    join = b["first_ask"]
    if join:
        say(f"  the player's first ask ({join['after_open_s']} s after opening) got "
            f"{join['pieces']} pieces ({join['pieces_seconds']} s of video), the newest ended "
            f"{join['newest_piece_age_s']} s before; {b['asks']} asks for this camera in all")
    say(f"  while measured, the video stalled (waiting) {b['stalls']} times and the player "
        f"jumped (seeking) {b['seeks']} times; stalls at {b['stall_times_s']} s after the "
        "first frame")
    if b["stalls"] or b["seeks"]:
        say(f"  NOTE: the delay was not steady: the player jumped {b['seeks']} times (to "
            f"LIVE_LEAD_S behind the newest picture) and the video froze {b['stalls']} times "
            "waiting for the next piece; see the delay over time")
    marks = b["delay_timeline_s"][::5]
    say("  delay over time (s after the first frame: delay s): "
        + ", ".join(f"{t:.0f}: {d:.2f}" for t, d in marks))
    say(f"  first frame on screen {b['first_frame_after_open_s']} s after opening the page; "
        f"segments {b['segment_s_median']} s; {b['segments_uploaded']} segments uploaded, "
        f"{b['pieces_appended_by_player']} appended by the player; page errors: "
        f"{b['page_errors'] or 'none'}")
    say(f"  bridge CPU meanwhile (decode MJPEG, encode 360p H.264, upload): "
        f"{b['bridge_cpu_percent_mjpeg_encode_upload']} % of one core")


# ---------------------------------------------------------------- the run


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cpu-seconds", type=float, default=60.0,
                        help="measured span of the 1-camera bridge (60)")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds a bridge runs before it is measured (10)")
    parser.add_argument("--full-seconds", type=float, default=20.0,
                        help="measured span of the bridge with a full 10-minute buffer (20)")
    parser.add_argument("--seconds", type=float, default=40.0,
                        help="frames collected in Chromium after the first one (40)")
    parser.add_argument("--join-after", type=float, default=10.0,
                        help="the detective opens the share this long after its first piece "
                             "is ready (10)")
    parser.add_argument("--skip-cpu", action="store_true", help="skip part A")
    parser.add_argument("--skip-glass", action="store_true", help="skip part B")
    args = parser.parse_args()
    if args.seconds <= DROP_FIRST_S + 5:
        parser.error(f"--seconds must be more than {DROP_FIRST_S + 5:g}")
    if args.cpu_seconds < 5:
        parser.error("--cpu-seconds must be at least 5")
    return args


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    started = time.perf_counter()
    load_start = loadavg()
    say(f"live video: bridge CPU and memory, glass-to-glass delay; load average {load_start} "
        f"on {os.cpu_count()} CPUs")
    work = Path(tempfile.mkdtemp(prefix="porchlight-live-"))
    result: dict[str, Any] = {"bench": "live", "glass_to_glass_delay_s": None,
                              "bridge_cpu_percent_of_core": None, "buffer_memory_mb": None}
    errors: dict[str, str] = {}
    try:
        for part, skip, run, show in (("part_a", args.skip_cpu, part_a, show_part_a),
                                      ("part_b", args.skip_glass, part_b, show_part_b)):
            if skip:
                continue
            cleanup = Cleanup()
            try:
                figures = run(args, work, cleanup)
            except Exception as error:
                errors[part] = f"{error.__class__.__name__}: {error}"
                say(f"\n!!! {part} failed: {errors[part]}")
                continue
            finally:
                cleanup.run()
            result[part] = figures
            show(figures)
    except KeyboardInterrupt:
        say("\ninterrupted; everything started was stopped and the temp folder removed")
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)

    a, b = result.get("part_a"), result.get("part_b")
    if a:
        result.update({
            "bridge_cpu_percent_of_core": a["one_camera"]["cpu_percent_of_core"],
            "buffer_memory_mb": a["buffer_memory_mb"],
            "buffer_disk_mb_10min": a["disk"]["disk_mb_10min"],
            "bridge_rss_mean_mb": a["one_camera"]["rss_mean_mb"],
            "cpu_percent_per_camera_at_4": a["four_cameras"]["cpu_percent_per_camera"],
            "machine_busy_percent_during_cpu": a["one_camera"]["machine_busy_percent"],
        })
    if b:
        result.update({
            "glass_to_glass_delay_s": b["delay_s"]["p50"],
            "glass_to_glass_p10_s": b["delay_s"]["p10"],
            "glass_to_glass_p90_s": b["delay_s"]["p90"],
            "glass_to_glass_max_s": b["delay_s"]["max"],
            "frames_decoded": b["frames_decoded"], "frames_failed": b["frames_failed"],
            "segment_end_to_first_shown_s": b["segment_end_to_first_shown_s"]["p50"],
            "playhead_behind_newest_s": b["playhead_behind_newest_buffered_s"]["p50"],
            "join_pieces": b["first_ask"].get("pieces"),
            "join_newest_piece_age_s": b["first_ask"].get("newest_piece_age_s"),
            "player_stalls": b["stalls"],
        })
    result.update({
        "aims": {"glass_to_glass_delay_s_below": AIM_DELAY_S,
                 "bridge_cpu_percent_of_core_below": AIM_CPU_PERCENT},
        "errors": errors, "load_average": {"start": load_start, "end": loadavg()},
        "total_s": round(time.perf_counter() - started, 1),
    })
    say(f"\nload average {result['load_average']['end']} at the end; total "
        f"{result['total_s']:.0f} s")
    print(json.dumps(result, default=str))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
