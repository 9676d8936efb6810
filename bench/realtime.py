"""Real-time response (issue 20): how fast a police view opened on the incident screen shows
its first frame, how far behind it plays, what an idle bridge costs, what a 16-tile wall costs
Chromium, and what one watched camera costs an hour (docs/benchmarks.md).

devstack (DynamoDB Local, moto, mosquitto as the device channel) and the app run in this
process. Every bridge is `python -m bridge run`, paired with the app, each its own owner's, its
cameras "always" with no schedule. An operator (a supervisor with MFA, signed in over HTTP, the
cookies handed to Chromium) opens incidents with POST /api/incidents and drives
/incidents/<id> in Chromium:

1. A stamp camera (bench/live_stamps.py) near scene A. The screen opens it by itself; once it
   plays, its tile is removed (the view ends at once) and the bridge is let go idle. Then,
   --runs times: press Watch, wait for the tile's first presented frame
   (requestVideoFrameCallback), remove the tile, wait until the bridge's next piece is refused.
   Each run is also cut into steps by the app's own request log (a WSGI wrapper).
2. The last run's view is kept, and every frame's stamp read for --watch-seconds: glass to
   glass; over the same window, the S3 PUTs, S3 GETs and app requests of that one watched
   camera (and, apart, of the screen's own polls), priced at bench/cost.py's us-east-1 prices.
3. --wall-bridges bridges of --wall-cameras looped H.264 file cameras each near scene B: the
   screen opens them all; once all play, the window is made as tall as the wall (1920 wide)
   so every tile is painted; Chromium's renderer and GPU processes' CPU from /proc and the
   tiles' dropped frames over --wall-seconds.

Meanwhile an idle bridge with one camera, far from both scenes, talks to the app through a
counting TCP proxy: its requests and bytes over --idle-seconds (from after it settled), and its
MQTT messages (a subscriber on the broker as the app's user).

    .venv/bin/python -m bench.realtime [--runs 8] [--watch-seconds 180] [--idle-seconds 300]
"""

from __future__ import annotations

import gzip
import json
import math
import os
import random
import re
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from bench.cost import DYNAMO_READS, PRICES, S3_PUT_CLASS, Meter, memory_mb
from bench.harness import (
    Client,
    Running,
    account,
    begin,
    finish,
    options,
    running,
    say,
    summary,
)
from bench.live import TICK, Bridge, busy
from bench.live_stamps import COLLECT, LAYOUT, StampCamera

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCENE_A = (36.2300, -86.7200)  # the stamp camera's incident
SCENE_B = (36.2400, -86.7300)  # the wall's incident
IDLE_AT = (36.2500, -86.7400)  # the idle bridge's camera: in no incident
PIECE = re.compile(r"^/api/bridge/shares/([^/]+)/segments(/.*/done)?$")
HEADLINE = ("time_to_first_frame_s", "glass_to_glass_delay_s", "glass_to_glass_p95_s",
            "idle_bridge_requests_per_hour", "idle_bridge_bytes_per_hour",
            "idle_bridge_mqtt_messages_per_hour", "wall_16_tiles_cpu_percent",
            "dropped_frames_per_minute", "s3_puts_per_watched_camera_hour",
            "dollars_per_watched_camera_hour")  # null, each, where they cannot be measured
STEPS = ("click_to_view_opened", "channel_wake", "bridge_first_piece", "player_poll",
         "fetch_to_frame")  # where a first frame's time goes (timeline())


@dataclass
class Hit:
    start: float
    end: float
    method: str
    path: str
    status: int
    who: str  # a bridge's name, or "browser"
    pieces: int = 0  # a /pieces answer's pieces
    size: int = 0  # an announced piece's bytes
    used: dict[str, float] = field(default_factory=dict)  # its DynamoDB units, S3 calls


class Traffic:
    """WSGI wrapper: every request the app answers, when, to whom, and the AWS calls it made
    (DynamoDB units and S3 calls, noted in the request's own thread)."""

    def __init__(self) -> None:
        self.app: Any = None
        self.hits: list[Hit] = []
        self.names: dict[str, str] = {}  # "Bearer <credential>" -> bridge name
        self.lock = threading.Lock()
        self.local = threading.local()

    def install(self) -> None:
        """Over bench.cost's Meter (installed first: it asks DynamoDB for the consumed
        capacity), each AWS call's units or S3 operation onto the request making it."""
        from botocore.client import BaseClient

        inner, local = BaseClient._make_api_call, self.local

        def noted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            answer = inner(client, operation, params)
            used: dict[str, float] | None = getattr(local, "used", None)
            service = client.meta.service_model.service_name
            if used is not None and service == "dynamodb":
                found = answer.get("ConsumedCapacity") or []
                key = "read" if operation in DYNAMO_READS else "write"
                for one in found if isinstance(found, list) else [found]:
                    used[key] = used.get(key, 0.0) + float(one.get("CapacityUnits", 0))
            elif used is not None and service == "s3":
                used[operation] = used.get(operation, 0.0) + 1
            return answer

        BaseClient._make_api_call = noted

    def around(self, app: Any) -> Traffic:
        self.app = app
        return self

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        began, path, method = time.time(), environ["PATH_INFO"], environ["REQUEST_METHOD"]
        who = self.names.get(environ.get("HTTP_AUTHORIZATION", ""), "browser")
        size = 0
        if method == "POST" and PIECE.match(path) and not path.endswith("/done"):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = BytesIO(body)
            size = int(json.loads(body or b"{}").get("size") or 0)
        status: list[Any] = [0, False]  # the status, and whether the answer is gzipped

        def noting(line: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status[:] = [int(line[:3]), ("content-encoding", "gzip") in {
                (k.lower(), v) for k, v in headers}]
            return start_response(line, headers, *rest)

        self.local.used = used = dict[str, float]()
        answer = self.app(environ, noting)
        try:
            body = b"".join(answer)
        finally:
            self.local.used = None
            if hasattr(answer, "close"):
                answer.close()
        pieces = len(json.loads(gzip.decompress(body) if status[1] else body).get(
            "pieces", [])) if path.endswith("/pieces") and status[0] == 200 else 0
        with self.lock:
            self.hits.append(Hit(began, time.time(), method, path, status[0], who, pieces,
                                 size, used))
        return [body]

    def between(self, start: float, end: float) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if start <= h.start < end]

    def first(self, since: float, test: Any) -> Hit | None:
        with self.lock:
            return next((h for h in self.hits if h.start >= since and test(h)), None)


class CountingProxy:
    """A TCP forwarder to the app on loopback: each connection's opening time and bytes each
    way (everything the bridge says to the app and hears back, HTTP headers included)."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.connections: list[list[float]] = []  # [opened, bytes up, bytes down]
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            record = [time.time(), 0.0, 0.0]
            self.connections.append(record)
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b, slot in ((client, upstream, 1), (upstream, client, 2)):
                threading.Thread(target=self._pump, args=(a, b, record, slot),
                                 daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, record: list[float],
              slot: int) -> None:
        try:
            while data := source.recv(65536):
                record[slot] += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for one in (source, sink):
                try:
                    one.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


class MqttLog:
    """Every message on a bridge's topics, as the app's broker user sees them."""

    def __init__(self, stack: Running) -> None:
        from paho.mqtt import client as mqtt

        from app.services.realtime.channel import APP_USER

        broker = stack.local.broker
        self.seen: list[tuple[float, str, str]] = []  # (when, device id, "cmd" | "status")
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.username_pw_set(APP_USER, broker.app_password)
        self.client.on_message = lambda _c, _u, m: self.seen.append(
            (time.time(), m.topic.split("/")[3], m.topic.split("/")[4]))
        self.client.on_connect = lambda c, *_: c.subscribe(
            f"porchlight/{stack.settings.env}/bridge/+/+", qos=1)
        self.client.connect("127.0.0.1", broker.port, keepalive=30)
        self.client.loop_start()

    def count(self, device_id: str, start: float, end: float) -> Counter[str]:
        return Counter(kind for at, who, kind in self.seen if who == device_id
                       and start <= at < end)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class Site:
    """One owner's bridge, paired, and its cameras' Porchlight ids."""

    name: str
    bridge: Bridge
    camera_ids: list[str]
    device_id: str
    proxy: CountingProxy | None = None
    exit_code: int | None = field(default=None)


def around(scene: tuple[float, float], n: int, count: int, metres: float = 40.0
           ) -> dict[str, Any]:
    """The n-th of `count` camera places `metres` from the scene, each pointing at it."""
    from app.core.geo import M_PER_DEG_LAT, bearing_deg

    angle = 2 * math.pi * n / count
    lat = scene[0] + metres * math.cos(angle) / M_PER_DEG_LAT
    lon = scene[1] + metres * math.sin(angle) / (M_PER_DEG_LAT * math.cos(math.radians(
        scene[0])))
    return {"lat": round(lat, 6), "lon": round(lon, 6),
            "heading_deg": round(bearing_deg(lat, lon, *scene)) % 360}


def paired(stack: Running, traffic: Traffic, work: Path, name: str,
           cameras: list[tuple[dict[str, Any], dict[str, Any]]], proxy: bool = False,
           segment_seconds: float = 2.0) -> Site:
    """An owner registers "always" cameras (config, place) and pairs a bridge with them."""
    from bridge.http_uplink import load_credential

    owner = Client(stack.url).signed_in(account("owner"))
    ids = []
    for n, (_config, place) in enumerate(cameras):
        made = owner.call("POST", "/api/cameras", {
            "nickname": f"{name} {n + 1}", **place, "fov_deg": 90, "range_m": 60,
            "mount": "wall", "facing": "street", "retention_days": 14, "tier": "always",
            "schedule": "", "visibility": "exact", "attested": True})
        if made.status_code != 201:
            raise RuntimeError(f"{name}: camera {made.status_code} {made.text[:300]}")
        ids.append(made.json()["camera"]["id"])
    code = re.search(r"<strong>([A-Z2-9]{4}-[A-Z2-9]{4})</strong>",
                     owner.form("/bridges/code", {}).text)
    counting = CountingProxy(int(stack.url.rsplit(":", 1)[1])) if proxy else None
    bridge = Bridge(work / name, [dict(config, camera_id=camera_id) for (config, _), camera_id
                                  in zip(cameras, ids, strict=True)],
                    server=counting.url if counting else stack.url,
                    segment_seconds=segment_seconds)
    bridge.command("pair", code[1] if code else "no code shown")
    credential = load_credential(bridge.state)
    assert credential is not None
    traffic.names[f"Bearer {credential.secret}"] = name
    return Site(name, bridge, ids, credential.device_id, counting)


def wait_online(camera_ids: list[str], timeout: float = 90) -> None:
    """Until each camera's bridge is online as the incident screen reads it (connected to the
    channel, declaring the camera)."""
    from app.models.cameras import Camera
    from app.services.cameras import bridges

    deadline = time.monotonic() + timeout
    while len(bridges.serving_bridges(list(Camera.batch_get(camera_ids)))) < len(camera_ids):
        if time.monotonic() > deadline:
            raise RuntimeError("the bridges did not come online (connected to the channel)")
        time.sleep(0.3)


def wait_until(test: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := test()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} within {timeout:g} s")
        time.sleep(0.1)
    return found


PROBE = """() => {  // Watch clicks, and each tile's first presented frame and first playing
  const s = window.__rt = {clicks: [], frames: {}, playing: {}};
  document.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (b && b.textContent === 'Watch') s.clicks.push(Date.now());
  }, true);
  window.setInterval(() => {
    for (const tile of document.querySelectorAll('.wall-tile')) {
      const video = tile.querySelector('video'), share = tile.dataset.share;
      if (!video || video.dataset.probed) continue;
      video.dataset.probed = '1';
      video.requestVideoFrameCallback(() => { s.frames[share] = Date.now(); });
      let last = null;
      const poll = () => {  // readyState >= 2 and currentTime advancing while playing
        if (video.readyState >= 2 && !video.paused && !video.seeking) {
          if (last !== null && video.currentTime > last) { s.playing[share] = Date.now(); return; }
          last = video.currentTime;
        } else last = null;
        window.setTimeout(poll, 10);
      };
      poll();
    }
  }, 10);
}"""
PLAYING = """(n) => {
  const videos = [...document.querySelectorAll('.wall-tile video')];
  return videos.filter((v) => !v.hidden && v.readyState >= 2 && !v.paused
    && v.currentTime > 0.5).length >= n;
}"""
QUALITY = """() => [...document.querySelectorAll('.wall-tile video')].map((v) => {
  const q = v.getVideoPlaybackQuality(), r = v.getBoundingClientRect();
  return [q.droppedVideoFrames, q.totalVideoFrames, !v.paused,
          r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0
          && r.right <= window.innerWidth];
})"""


def operator(browser: Any, stack: Running, scene: tuple[float, float], label: str
             ) -> tuple[Any, str]:
    """A supervisor opens an incident at the scene (POST /api/incidents); the screen in
    Chromium with their session."""
    officer = Client(stack.url).signed_in(account("supervisor"))
    opened = officer.call("POST", "/api/incidents", {"lat": scene[0], "lon": scene[1],
                                                     "label": label, "radius_m": 150})
    if opened.status_code != 201:
        raise RuntimeError(f"POST /api/incidents: {opened.status_code} {opened.text[:300]}")
    context = browser.new_context(base_url=stack.url, viewport={"width": 1920, "height": 1080})
    context.add_cookies([{"name": c.name, "value": c.value or "", "url": stack.url}
                         for c in officer.http.cookies])
    page = context.new_page()
    page.on("pageerror", lambda error: say(f"  page error: {error}"))
    incident = opened.json()["incident_id"]
    page.goto(f"/incidents/{incident}")
    return page, incident


def end_view(page: Any, traffic: Traffic, camera_id: str, share: str) -> None:
    """Remove the tile (its view ends at once: nobody else watches); wait until the bridge's
    next piece is refused, after which it sends nothing until it is woken again."""
    removed = time.time()
    page.locator(f'.wall-tile[data-camera="{camera_id}"]').get_by_role(
        "button", name=re.compile("^Remove")).click()
    wait_until(lambda: traffic.first(removed, lambda h: share in h.path and h.who != "browser"
                                     and h.status in (404, 410)), 30, "refused piece")


def tile_share(page: Any, camera_id: str, not_in: set[str]) -> str:
    """The share of the camera's tile, once it is one not in `not_in`."""
    tile = page.locator(f'.wall-tile[data-camera="{camera_id}"]')

    def fresh() -> str | None:
        share = tile.get_attribute("data-share") if tile.count() else None
        return share if share and share not in not_in else None

    return str(wait_until(fresh, 60, "new tile"))


def first_frames(args: Any, traffic: Traffic, page: Any, site: Site) -> dict[str, Any]:
    """Watch, first frame, remove; --runs times, each from an idle bridge."""
    camera_id, seen = site.camera_ids[0], set[str]()
    page.evaluate(PROBE)
    share = tile_share(page, camera_id, seen)  # opened by the screen itself
    page.wait_for_function(f"() => window.__rt.frames['{share}']", timeout=90_000)
    seen.add(share)
    end_view(page, traffic, camera_id, share)
    runs: list[dict[str, float]] = []
    for run in range(args.runs):
        button = page.locator(f'.incident-camera[data-camera="{camera_id}"]').get_by_role(
            "button", name=re.compile("^Watch"))
        button.wait_for(timeout=30_000)
        time.sleep(random.uniform(0.5, 2.5))  # not in step with the bridge's 2 s pieces
        button.click()
        share = tile_share(page, camera_id, seen)
        seen.add(share)
        page.wait_for_function(f"() => window.__rt.frames['{share}'] && "
                               f"window.__rt.playing['{share}']", timeout=90_000)
        probe = page.evaluate("() => window.__rt")
        click, frame = probe["clicks"][-1] / 1000, probe["frames"][share] / 1000
        steps = timeline(traffic, site.name, share, click, frame)
        runs.append({k: round(v, 3) for k, v in {
            "first_frame_s": frame - click, "playing_s": probe["playing"][share] / 1000 - click,
            **steps}.items()})
        say(f"  run {run + 1}: first frame {frame - click:.2f} s after the click (" + ", ".join(
            f"{k} {v:.2f}" for k, v in steps.items()) + ")")
        if run < args.runs - 1:
            end_view(page, traffic, camera_id, share)
    return {"runs": runs, "share": share}


def timeline(traffic: Traffic, bridge: str, share: str, click: float, frame: float
             ) -> dict[str, float]:
    """Where the time from the click to the first frame went, from the app's request log."""
    watch = traffic.first(click - 0.1, lambda h: h.path.endswith("/watch"))
    asked = traffic.first(watch.start if watch else click, lambda h: h.who == bridge
                          and h.path == "/api/bridge/state")
    ready = traffic.first(click, lambda h: share in h.path and h.path.endswith("/done")
                          and h.status == 200)
    got = traffic.first(click, lambda h: h.path == f"/api/live/{share}/pieces" and h.pieces)
    if not (watch and asked and ready and got):
        return {}
    return {"click_to_view_opened": watch.end - click, "channel_wake": asked.start - watch.end,
            "bridge_first_piece": ready.end - asked.start, "player_poll": got.end - ready.end,
            "fetch_to_frame": frame - got.end}


def watched(args: Any, stack: Running, traffic: Traffic, page: Any, incident: str,
            site: Site, share: str) -> dict[str, Any]:
    """The last run's view, watched for --watch-seconds: every frame's stamp; what it cost."""
    stream = page.locator(f'.wall-tile[data-share="{share}"]').get_attribute("data-stream")
    gets: list[str] = []  # the browser's GETs of pieces from S3 (moto)
    page.on("request", lambda r: gets.append(r.url) if r.method == "GET"
            and r.url.startswith(stack.local.endpoint) else None)
    page.evaluate(COLLECT, {"camera": stream, "L": LAYOUT})
    page.wait_for_function("() => window.__glass.first !== null", timeout=60_000)
    start, got = time.time(), len(gets)
    page.wait_for_timeout(args.watch_seconds * 1000)  # (Playwright's events arrive meanwhile)
    end, got = time.time(), len(gets) - got
    data = page.evaluate("() => window.__glass")
    since = data["first"] + min(5.0, args.watch_seconds / 2) * 1000
    delays = [(shown - stamp) / 1000 for stamp, shown in data["frames"] if shown >= since]
    end_view(page, traffic, site.camera_ids[0], share)
    hits = traffic.between(start, end)
    camera = [h for h in hits if (h.who == site.name and PIECE.match(h.path))
              or (h.who == "browser" and h.path.startswith(f"/api/live/{share}/"))]
    screen = [h for h in hits if h.path == f"/api/incidents/{incident}"]
    return {"delay_s": summary(delays, 1, 3), "frames_decoded": len(delays),
            "frames_failed": data["fails"],
            "stalls": [k for _, k in data["events"]].count("waiting"),
            "cost": priced(end - start, camera, got),
            "screen_cost": priced(end - start, screen, 0)}


def priced(seconds: float, hits: list[Hit], s3_gets: int) -> dict[str, Any]:
    """An hour of these requests (and the browser's `s3_gets`) at us-east-1 list prices
    (bench/cost.py's PRICES): each request one API Gateway request, one WAF request and one
    Lambda invocation as long as the app took here; its DynamoDB units and S3 calls."""
    p, hour = PRICES, 3600 / seconds
    used: Counter[str] = Counter()
    for hit in hits:
        used.update(hit.used)
    puts = sum(1 for h in hits if h.size and h.status == 201)  # a presigned PUT each
    server_s3 = {k: n for k, n in used.items() if k not in ("read", "write")}
    server_puts = sum(n for op, n in server_s3.items() if op in S3_PUT_CLASS)
    gb_s = sum(h.end - h.start for h in hits) * memory_mb()["web"] / 1024
    n = len(hits)
    lines = {
        "s3_put": (puts + server_puts) * hour / 1e3 * p["s3_put_thousand"],
        "s3_get": (s3_gets + sum(server_s3.values()) - server_puts) * hour / 1e3
        * p["s3_get_thousand"],
        "api_gateway": n * hour / 1e6 * p["api_gateway_rest_million"],
        "waf": n * hour / 1e6 * p["waf_million"],
        "lambda_requests": n * hour / 1e6 * p["lambda_million"],
        "lambda_compute": gb_s * hour * p["lambda_gb_second"],
        "dynamodb": used["read"] * hour / 1e6 * p["dynamodb_read_million"]
        + used["write"] * hour / 1e6 * p["dynamodb_write_million"]}
    video = sum(h.size for h in hits)
    return {"app_requests_per_hour": round(n * hour),
            "by_kind_per_hour": {k: round(v * hour) for k, v in Counter(
                kind(h) for h in hits).items()},
            "s3_puts_per_hour": round(puts * hour), "s3_gets_per_hour": round(s3_gets * hour),
            "server_s3_calls_per_hour": {k: round(v * hour) for k, v in server_s3.items()},
            "dynamodb_units_per_hour": {k: round(used[k] * hour) for k in ("read", "write")},
            "lambda_gb_s_per_hour": round(gb_s * hour, 1),
            "dollars_per_hour": round(sum(lines.values()), 5),
            "lines": {k: round(v, 5) for k, v in lines.items()},
            "video_gb_per_hour": round(video * hour / 1e9, 3),
            "transfer_out_dollars_per_hour": round(video * hour / 1e9 * p["transfer_out_gb"],
                                                   4)}


def kind(hit: Hit) -> str:
    if hit.who != "browser":
        return "bridge " + ("done" if hit.path.endswith("/done") else "announce"
                            if PIECE.match(hit.path) else hit.path.rsplit("/", 1)[-1])
    return "police " + hit.path.rsplit("/", 1)[-1].split("?")[0] \
        if hit.path.startswith("/api/live/") else f"{hit.method} {hit.path[:40]}"


def chromium_cpu() -> dict[str, float]:
    """CPU seconds so far of this process's Chromium descendants, by process type."""
    parents: dict[str, tuple[str, float]] = {}
    kinds: dict[str, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        parents[entry.name] = (stat[1], (int(stat[11]) + int(stat[12])) / TICK)
        if b"chrom" in command.split(b" ", 1)[0]:  # (a child rewrites its title, spaced)
            typed = re.search(rb"--type=([\w-]+)", command)
            kinds[entry.name] = typed[1].decode() if typed else "browser"
    mine, out = str(os.getpid()), dict[str, float]()
    for pid, kind in kinds.items():
        up, hops = parents[pid][0], 0
        while up in parents and up != mine and hops < 10:
            up, hops = parents[up][0], hops + 1
        if up == mine:
            out[kind] = out.get(kind, 0.0) + parents[pid][1]
    return out


def wall(args: Any, stack: Running, browser: Any, sites: list[Site]) -> dict[str, Any]:
    """Every wall camera opened on one incident screen; Chromium's CPU and dropped frames."""
    tiles = sum(len(s.camera_ids) for s in sites)
    page, _ = operator(browser, stack, SCENE_B, "Bench: the wall")
    page.wait_for_function(PLAYING, arg=tiles, timeout=180_000, polling=500)
    in_1080p = sum(1 for q in page.evaluate(QUALITY) if q[3])
    # Every tile on screen, painted (a display as tall as the wall; 1920 wide as before)
    page.set_viewport_size({"width": 1920, "height": max(1080, int(page.evaluate(
        "() => Math.ceil(Math.max(...[...document.querySelectorAll('.wall-tile')].map("
        "(t) => t.getBoundingClientRect().bottom + window.scrollY)) + 16)")))})
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(2000)
    cpu0, q0, busy0, t0 = chromium_cpu(), page.evaluate(QUALITY), busy(), time.monotonic()
    page.wait_for_timeout(args.wall_seconds * 1000)
    cpu1, q1, busy1, t1 = chromium_cpu(), page.evaluate(QUALITY), busy(), time.monotonic()
    height = page.viewport_size["height"]
    page.context.close()
    used = {k: (cpu1.get(k, 0) - cpu0.get(k, 0)) / (t1 - t0) * 100 for k in cpu1}
    dropped = sum(b[0] for b in q1) - sum(a[0] for a in q0)
    shown = sum(b[1] for b in q1) - sum(a[1] for a in q0)
    return {"tiles": len(q1), "tiles_playing": sum(1 for q in q1 if q[2]),
            "tiles_in_view_1920x1080": in_1080p, "tiles_in_view": sum(1 for q in q1 if q[3]),
            "viewport_height": height,
            "renderer_gpu_cpu_percent": round(used.get("renderer", 0)
                                              + used.get("gpu-process", 0), 1),
            "cpu_percent_by_process": {k: round(v, 1) for k, v in used.items()},
            "dropped_per_minute": round(dropped / (t1 - t0) * 60, 1),
            "frames_per_second": round(shown / (t1 - t0), 1),
            "machine_busy_percent": round((busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
                                          * 100, 1)}


def idle(traffic: Traffic, mqtt: MqttLog, site: Site, start: float, end: float
         ) -> dict[str, Any]:
    hour = 3600 / (end - start)
    hits = [h for h in traffic.between(start, end) if h.who == site.name]
    assert site.proxy is not None
    opened = [c for c in site.proxy.connections if start <= c[0] < end]
    messages = mqtt.count(site.device_id, start, end)
    return {"minutes": round((end - start) / 60, 1), "requests": len(hits),
            "paths": dict(Counter(h.path for h in hits)),
            "requests_per_hour": round(len(hits) * hour, 1),
            "connections": len(opened),
            "bytes_per_hour": round(sum(c[1] + c[2] for c in opened) * hour),
            "bytes_up_down": [int(sum(c[1] for c in opened)), int(sum(c[2] for c in opened))],
            "video_bytes": sum(h.size for h in hits),
            "mqtt_messages": dict(messages),
            "mqtt_messages_per_hour": round(sum(messages.values()) * hour, 1)}


def browse(args: Any, stack: Running, traffic: Traffic, stamp: Site, walls: list[Site]
           ) -> dict[str, Any]:
    """The operator's parts in Chromium: first frames, one watched view, the wall."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page, incident = operator(browser, stack, SCENE_A, "Bench: time to first frame")
            say(f"time to first frame: {args.runs} view(s) of an idle bridge's camera, from "
                "the Watch click to the tile's first presented frame")
            ttff = first_frames(args, traffic, page, stamp)
            say(f"watching one view for {args.watch_seconds:g} s: glass to glass, and its cost")
            seen = watched(args, stack, traffic, page, incident, stamp, ttff["share"])
            say(f"  glass to glass {seen['delay_s']}, {seen['stalls']} stall(s)\n  the "
                f"camera's hour: {json.dumps(seen['cost'])}\n  the incident screen's own "
                f"polls, an hour: {json.dumps(seen['screen_cost'])}")
            page.context.close()
            tiles = sum(len(s.camera_ids) for s in walls)
            say(f"the wall: {tiles} tiles from {len(walls)} bridges on one incident screen, "
                f"measured for {args.wall_seconds:g} s")
            shown = wall(args, stack, browser, walls)
            say(f"  {shown}")
        finally:
            browser.close()
    return {"ttff": ttff, "watched": seen, "wall": shown}


def main() -> int:
    args = options(__doc__, {
        "runs": (8, 1, "views timed from the Watch click to the first frame"),
        "watch_seconds": (180.0, 6.0, "one view watched: glass to glass and its cost"),
        "idle_seconds": (300.0, 10.0, "the idle bridge's measured span (runs alongside)"),
        "wall_bridges": (4, 1, "bridges on the wall"),
        "wall_cameras": (4, 2, "looped file cameras per wall bridge"),
        "wall_seconds": (30.0, 3.0, "the wall's measured span"),
        "segment_seconds": (2.0, 2.0, "the watched camera's bridge pieces (1: glass to glass "
                            "with cameras that send a keyframe every second)")})
    started = begin("realtime", args, "time to first frame, glass to glass, idle bridge, "
                    "16-tile wall, watched-camera cost")
    from bench.clips import video
    from devstack import mosquitto

    if not mosquitto.installed() or not CHROMIUM.exists():
        say(f"cannot measure: {mosquitto.MOSQUITTO} (the device channel) or {CHROMIUM} is "
            "missing (scripts/ensure-mosquitto.sh, make chromium)")
        return finish("realtime", args, dict.fromkeys(HEADLINE), started)
    source = video("porchlight-bench-realtime", 640, 360, 10, 60, 0, 800_000).as_uri()
    traffic, camera = Traffic(), StampCamera()
    Meter().install()  # (it asks DynamoDB for the capacity each call consumed)
    traffic.install()
    sites: list[Site] = []
    with tempfile.TemporaryDirectory(prefix="porchlight-realtime-") as folder, running(
            wrap=traffic.around) as stack:
        work, mqtt = Path(folder), MqttLog(stack)
        try:
            plans = [("idle", [({"id": "door", "source": source, "loop": True}, {
                "lat": IDLE_AT[0], "lon": IDLE_AT[1], "heading_deg": 0})]),
                ("stamp", [({"id": "porch", "source": camera.url}, around(SCENE_A, 0, 1))]),
                *((f"wall{b}", [({"id": f"cam{c}", "source": source, "loop": True}, around(
                    SCENE_B, b * args.wall_cameras + c, args.wall_bridges * args.wall_cameras,
                    30 + 10 * c)) for c in range(args.wall_cameras)])
                  for b in range(args.wall_bridges))]
            with ThreadPoolExecutor(len(plans)) as pool:  # pairing, then the first segments
                sites = list(pool.map(lambda plan: paired(
                    stack, traffic, work, plan[0], plan[1], proxy=plan[0] == "idle",
                    segment_seconds=args.segment_seconds if plan[0] == "stamp" else 2.0),
                    plans))
                list(pool.map(lambda site: site.bridge.start(len(site.camera_ids)), sites))
            idler, stamp, walls = sites[0], sites[1], sites[2:]
            wait_online([c for s in sites for c in s.camera_ids])
            time.sleep(3)  # the idle bridge's start-up asks are behind it
            idle_from = time.time()
            say(f"{len(sites)} bridges paired and online; the idle bridge is measured for "
                f"{args.idle_seconds:g} s from now")
            figures = browse(args, stack, traffic, stamp, walls)
            time.sleep(max(0.0, idle_from + args.idle_seconds - time.time()))
            rest = idle(traffic, mqtt, idler, idle_from, idle_from + args.idle_seconds)
        finally:
            with ThreadPoolExecutor(max(1, len(sites))) as pool:
                for site, code in zip(sites, pool.map(lambda s: s.bridge.stop(), sites),
                                      strict=True):
                    site.exit_code = code
            for site in sites:
                if site.proxy:
                    site.proxy.close()
            mqtt.close()
    camera.server.shutdown()
    say(f"idle bridge: {rest['requests']} requests in {rest['minutes']} min "
        f"({rest['requests_per_hour']}/h: {rest['paths']}), {rest['bytes_per_hour']:,} bytes/h "
        f"on the wire, {rest['video_bytes']} video bytes, MQTT messages {rest['mqtt_messages']}"
        f" ({rest['mqtt_messages_per_hour']}/h; it says \"online\" at each connect and once an"
        " hour, and MQTT pings are not messages)")
    ttff, g2g, tiles = figures["ttff"], figures["watched"], figures["wall"]
    first = [r["first_frame_s"] for r in ttff["runs"]]
    steps = {k: summary([r[k] for r in ttff["runs"] if k in r], 1, 3)["p50"] for k in STEPS}
    return finish("realtime", args, {
        "time_to_first_frame_s": summary(first, 1, 3)["p50"],
        "time_to_first_frame_p95_s": summary(first, 1, 3)["p95"],
        "time_to_playing_p50_s": summary([r["playing_s"] for r in ttff["runs"]], 1, 3)["p50"],
        "first_frame_steps_p50_s": steps,
        "glass_to_glass_delay_s": g2g["delay_s"]["p50"],
        "glass_to_glass_p95_s": g2g["delay_s"]["p95"],
        "glass_to_glass_frames": g2g["frames_decoded"], "player_stalls": g2g["stalls"],
        "idle_bridge_requests_per_hour": rest["requests_per_hour"],
        "idle_bridge_bytes_per_hour": rest["bytes_per_hour"],
        "idle_bridge_video_bytes": rest["video_bytes"],
        "idle_bridge_mqtt_messages_per_hour": rest["mqtt_messages_per_hour"],
        "wall_tiles_playing": tiles["tiles_playing"],
        "wall_16_tiles_cpu_percent": tiles["renderer_gpu_cpu_percent"],
        "dropped_frames_per_minute": tiles["dropped_per_minute"],
        "s3_puts_per_watched_camera_hour": g2g["cost"]["s3_puts_per_hour"],
        "dollars_per_watched_camera_hour": g2g["cost"]["dollars_per_hour"],
        "bridge_exit_codes": [s.exit_code for s in sites],
        "first_frame_runs": ttff["runs"], "glass_to_glass": g2g["delay_s"],
        "watched_cost": g2g["cost"], "screen_cost": g2g["screen_cost"], "wall": tiles,
        "idle": rest}, started)


if __name__ == "__main__":
    sys.exit(main())
