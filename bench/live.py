"""Live video: the bridge's CPU, memory and disk per camera, and glass-to-glass delay to Chromium
(docs/benchmarks.md).

Part A runs `python -m bridge run` on a looped 1080p30 H.264 file camera in stream copy: one
camera, one on a pre-filled 10-minute buffer, then --cameras at once. Part B stamps the wall
clock on an MJPEG camera's pictures, pairs the bridge with devstack's app, starts a share, and
reads each stamp back in Chromium as the police player shows the frame.

    .venv/bin/python -m bench.live [--cpu-seconds 60] [--seconds 40] [--quick]
"""

from __future__ import annotations

import bisect
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import (
    PYTHON,
    ROOT,
    Client,
    account,
    begin,
    finish,
    free_port,
    options,
    running,
    say,
    summary,
)
from bench.live_stamps import COLLECT, LAYOUT, StampCamera

TICK = os.sysconf("SC_CLK_TCK")


class Bridge:
    """`python -m bridge run -c config` in its own session, read from /proc while it runs. It is
    another machine's program: its environment has none of devstack's settings."""

    def __init__(self, folder: Path, cameras: list[dict[str, Any]], server: str = "",
                 state: Path | None = None, segment_seconds: float = 2.0) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.state, self.config = state or folder / "state", folder / "config.toml"
        lines = ["[bridge]", 'name = "bench"', f"state_dir = {json.dumps(str(self.state))}",
                 "buffer_minutes = 10", f"segment_seconds = {segment_seconds:g}",
                 f'trigger_listen = "127.0.0.1:{free_port()}"', 'trigger_key = "' + "k" * 32 + '"']
        for camera in cameras:
            lines += ["[[camera]]", *(f"{k} = {json.dumps(v)}" for k, v in camera.items())]
        self.config.write_text("\n".join(lines + (["[server]", f"url = {json.dumps(server)}"]
                                                  if server else [])) + "\n")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("AWS_", "PORCHLIGHT_", "DEVSTACK_"))}
        self.process: subprocess.Popen[bytes] | None = None

    def command(self, *words: str) -> str:
        done = subprocess.run([PYTHON, "-m", "bridge", *words, "-c", str(self.config)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60, env=self.env,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"bridge {words[0]}: {done.stdout}{done.stderr}")
        return done.stdout

    def status(self) -> dict[str, Any]:
        return dict(json.loads(self.command("status", "--json")))

    def start(self, cameras: int) -> dict[str, Any]:
        """Started; its status once every camera has closed a segment."""
        with (self.config.parent / "bridge.log").open("wb") as log:
            self.process = subprocess.Popen([PYTHON, "-m", "bridge", "run", "-c", str(
                self.config)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                start_new_session=True)
        for _ in range(180):
            try:
                status = self.status()
                if sum(1 for c in status["cameras"] if c.get("last_segment_at")) >= cameras:
                    return status
            except (RuntimeError, ValueError, subprocess.TimeoutExpired):
                if self.process.poll() is not None:
                    break
            time.sleep(0.5)
        raise RuntimeError(f"no segment: {(self.config.parent / 'bridge.log').read_text()}")

    def proc(self, name: str) -> str:
        assert self.process is not None
        return Path(f"/proc/{self.process.pid}/{name}").read_text()

    def cpu_s(self) -> float:
        fields = self.proc("stat").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime, every thread

    def mb(self, key: str) -> float:
        return int(self.proc("status").split(key + ":")[1].split()[0]) / 1024

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: only what it started
            return self.process.wait(10)


def busy() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def measure(bridge: Bridge, cameras: int, warmup: float, seconds: float) -> dict[str, Any]:
    """A bridge's CPU (% of one core) and memory over `seconds` after `warmup`; its buffer."""
    try:
        video = bridge.start(cameras)["cameras"][0].get("video")
        time.sleep(warmup)
        before, cpu0, wall0, busy0, rss = bridge.status(), bridge.cpu_s(), time.monotonic(), \
            busy(), []
        while time.monotonic() - wall0 < seconds:
            rss.append(bridge.mb("VmRSS"))
            time.sleep(0.5)
        cpu, wall, busy1 = bridge.cpu_s() - cpu0, time.monotonic() - wall0, busy()
        hwm, after = bridge.mb("VmHWM"), bridge.status()
    finally:
        if (code := bridge.stop()) != 0:
            raise RuntimeError(f"the bridge exited {code} after SIGTERM, not 0")
    buffer = after["cameras"][0]["buffer"]
    return {"cpu_percent_of_core": round(cpu / wall * 100, 2), "machine_busy_percent": round(
        (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) * 100, 1),
        "rss_mean_mb": round(statistics.fmean(rss), 1), "vm_hwm_mb": round(hwm, 1),
        "modes": sorted({c["mode"] for c in after["cameras"]}), "video": video,
        "segments_written": buffer["segments"] - before["cameras"][0]["buffer"]["segments"],
        "bytes_per_minute": round(buffer["bytes"] / max(float(buffer["seconds"]), 1) * 60)}


def prefill(state: Path, first: Path) -> None:
    """A buffer of 10 minutes of segments ending now, each a hard link to one of `first`'s."""
    from bridge.buffer import INDEX, segment_name
    from bridge.segment import Segment

    source, target, now = first / "buffer" / "cam1", state / "buffer" / "cam1", datetime.now(UTC)
    real = [s for line in (source / INDEX).read_text().splitlines() if line.strip()
            and (d := json.loads(line)).get("kind") == "segment"
            and (s := Segment.from_json(d, source)).path.is_file()]
    target.mkdir(parents=True)
    lines = []
    for n in range(300):
        start = now - timedelta(seconds=(300 - n) * 2 - 1)
        os.link(real[n % len(real)].path, target / segment_name(start))
        lines.append(json.dumps(replace(real[n % len(real)], name=segment_name(start), path=target
                                        / segment_name(start), start=start, end=start
                                        + timedelta(seconds=real[n % len(real)].duration_s))
                                .to_json()))
    (target / INDEX).write_text("\n".join(lines) + "\n")


def part_a(args: Any, work: Path) -> dict[str, Any]:
    from bench.clips import video

    src = video("porchlight-bench-live", args.height * 16 // 9, args.height,
                10 if args.quick else 150, 60, 0, 1_000_000 if args.quick else 4_000_000)
    cam = {"id": "cam1", "source": src.as_uri(), "loop": True}
    one = measure(Bridge(work / "one", [cam]), 1, args.warmup, args.cpu_seconds)
    if one["modes"] != ["copy"] or one["segments_written"] <= 0:
        raise RuntimeError(f"the bridge did not stream-copy: {one}")
    prefill(work / "full-state", work / "one" / "state")
    full = measure(Bridge(work / "full", [cam], state=work / "full-state"), 1,
                   min(5.0, args.warmup), args.full_seconds)
    many = measure(Bridge(work / "many", [dict(cam, id=f"cam{n}") for n in range(
        args.cameras)]), args.cameras, args.warmup, args.cpu_seconds / 2)
    say(f"one camera {one}\nfull buffer {full}\n{args.cameras} cameras {many}")
    return {"one": one, "full_buffer": full, "many": many,
            "buffer_memory_mb": max(one["vm_hwm_mb"], full["vm_hwm_mb"]),
            "disk_mb_10min": round(one["bytes_per_minute"] * 10 / 1e6, 1),
            "cpu_percent_per_camera": round(many["cpu_percent_of_core"] / args.cameras, 2)}


DONE = re.compile(r"^/api/bridge/shares/[^/]+/segments/[^/]+/([^/]+)/done$")


class ReadyTimes:
    """WSGI wrapper: when the app answered 2xx to each segment's "done" (the piece is ready)."""

    def __init__(self) -> None:
        self.app: Any = None
        self.ready: dict[str, float] = {}

    def around(self, app: Any) -> ReadyTimes:
        self.app = app
        return self

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not (found := DONE.match(environ["PATH_INFO"])) or environ["REQUEST_METHOD"] != "POST":
            return self.app(environ, start_response)

        def noting(status: str, *rest: Any) -> Any:
            if status.startswith("2"):
                self.ready.setdefault(found[1], time.time())
            return start_response(status, *rest)

        return self.app(environ, noting)


def watch(base: str, detective: Client, share: str, stream: str, seconds: float,
          bridge: Bridge) -> dict[str, Any]:
    """The detective's session in Chromium on /live/<share>: every frame for `seconds`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(base_url=base, viewport={"width": 820, "height": 1180})
            context.add_cookies([{"name": c.name, "value": c.value or "", "url": base}
                                 for c in detective.http.cookies])
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"/live/{share}")
            page.evaluate(COLLECT, {"camera": stream, "L": LAYOUT})
            page.wait_for_function("() => window.__glass.first !== null", timeout=90_000)
            cpu0, wall0 = bridge.cpu_s(), time.monotonic()
            page.wait_for_timeout(seconds * 1000)
            data = dict(page.evaluate("() => window.__glass"))
            cpu = (bridge.cpu_s() - cpu0) / (time.monotonic() - wall0) * 100
        finally:
            browser.close()
    return {**data, "bridge_cpu_percent": round(cpu, 1), "page_errors": errors}


def part_b(args: Any, work: Path) -> dict[str, Any]:
    from app.models.live import LiveShare
    from bridge.segment import parse_iso

    camera, ready = StampCamera(), ReadyTimes()
    with running(workers=True, wrap=ready.around) as stack:
        owner = Client(stack.url).signed_in(account("owner"))
        camera_id = owner.call("POST", "/api/cameras", {
            "nickname": "Porch", "lat": 36.1613, "lon": -86.7835, "heading_deg": 270,
            "fov_deg": 90, "range_m": 40, "mount": "doorbell", "facing": "street",
            "retention_days": 14, "tier": "on_alert", "visibility": "exact",
            "attested": True}).json()["camera"]["id"]
        code = re.search(r"<strong>([A-Z2-9]{4}-[A-Z2-9]{4})</strong>",
                         owner.form("/bridges/code", {}).text)
        bridge = Bridge(work / "glass", [{"id": "porch", "source": camera.url,
                                          "camera_id": camera_id}], server=stack.url)
        bridge.command("pair", code[1] if code else "no code shown")
        try:
            bridge.start(1)
            share = owner.call("POST", "/api/shares", {"camera_ids": [camera_id],
                                                       "minutes": 15}).json()["share_id"]
            stream = (LiveShare.get(share).camera_aliases or [camera_id])[0]  # police see this
            detective = Client(stack.url).signed_in(account("detective"))
            for _ in range(300):  # opened --join-after s after the share's first piece
                if ready.ready and time.time() - min(ready.ready.values()) > args.join_after:
                    break
                time.sleep(0.2)
            data = watch(stack.url, detective, share, stream, args.seconds, bridge)
        finally:
            exit_code = bridge.stop()
    camera.server.shutdown()
    index = (bridge.state / "buffer" / "porch" / "index.jsonl").read_text().splitlines()
    segments = sorted((parse_iso(d["start"]).timestamp(), parse_iso(d["end"]).timestamp(),
                       d["name"]) for line in index if line.strip()
                      and (d := json.loads(line)).get("kind") == "segment")
    since = data["first"] + min(5.0, args.seconds / 2) * 1000  # the first 5 s (or half) dropped
    kept = [(stamp / 1000, shown / 1000) for stamp, shown in data["frames"] if shown >= since]
    shown_first: dict[str, float] = {}  # each piece's first frame on screen
    for stamp, shown in kept:
        i = bisect.bisect_right([s[0] for s in segments], stamp + 0.03) - 1
        if i >= 0 and stamp + 0.03 < segments[i][1]:
            shown_first.setdefault(segments[i][2], shown)
    ends, done = {name: end for _start, end, name in segments}, ready.ready
    events = [kind for at, kind in data["events"] if at >= since]
    return {"delay_s": summary([shown - stamp for stamp, shown in kept], 1, 3),
            "frames_decoded": len(kept), "frames_failed": data["fails"],
            "upload_s": summary([done[n] - ends[n] for n in shown_first if n in done], 1, 3),
            "ready_to_first_shown_s": summary([t - done[n] for n, t in shown_first.items()
                                               if n in done], 1, 3),
            "stalls": events.count("waiting"), "seeks": events.count("seeking"),
            "bridge_cpu_percent_encode_upload": data["bridge_cpu_percent"],
            "bridge_exit_code": exit_code, "page_errors": data["page_errors"]}


def main() -> int:
    args = options(__doc__, {"cpu_seconds": (60.0, 2.0, "measured span of the 1-camera bridge"),
                             "warmup": (10.0, 1.0, "seconds a bridge runs before it is measured"),
                             "full_seconds": (20.0, 1.0, "measured span with a full buffer"),
                             "cameras": (4, 2, "cameras in one bridge, the last run of part A"),
                             "height": (1080, 360, "part A's camera height (16:9)"),
                             "seconds": (40.0, 4.0, "frames kept (5 s, or half, dropped)"),
                             "join_after": (10.0, 1.0, "the share is opened this long after "
                                            "its first piece is ready")})
    started = begin("live", args, "the bridge's CPU and memory; glass-to-glass delay")
    with tempfile.TemporaryDirectory(prefix="porchlight-live-") as folder:
        a, b = part_a(args, Path(folder)), part_b(args, Path(folder))
    say(f"glass to glass: {b}")
    return finish("live", args, {
        "bridge_cpu_percent_of_core": a["one"]["cpu_percent_of_core"],
        "bridge_rss_mean_mb": a["one"]["rss_mean_mb"], "buffer_memory_mb": a["buffer_memory_mb"],
        "buffer_disk_mb_10min": a["disk_mb_10min"],
        "cpu_percent_per_camera": a["cpu_percent_per_camera"],
        "glass_to_glass_delay_s": b["delay_s"]["p50"], "glass_to_glass_p95_s": b["delay_s"][
            "p95"], "glass_to_glass_max_s": b["delay_s"]["max"],
        "frames_decoded": b["frames_decoded"], "frames_failed": b["frames_failed"],
        "upload_p50_s": b["upload_s"]["p50"], "player_stalls": b["stalls"],
        "ready_to_first_shown_p50_s": b["ready_to_first_shown_s"]["p50"],
        "part_a": a, "part_b": b}, started)


if __name__ == "__main__":
    sys.exit(main())
