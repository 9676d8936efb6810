"""A real RTSP camera for the bridge's tests: GStreamer's RTSP server (gst-rtsp-server).

Runs under Debian's own /usr/bin/python3 (python3-gi belongs to the system Python, not the
venv); `scripts/ensure-gstreamer.sh` installs it. tests/bridge/rtsp.py starts it as a
subprocess:

    /usr/bin/python3 tests/bridge/rtsp_server.py --port 8554 --codec h265 --protocols udp

Each picture carries its capture time burnt in: the wall-clock time (ms since the epoch, the
box's clock, taken when the picture is made, before encoding) as 48 black or white 16x16
blocks in the top three rows, then the same 48 bits inverted in the next three rows, so a
reader can check what it decoded (tests/bridge/rtsp.py `burnt_in_time`). The server prints
"READY <url>" once it listens, and stops on SIGTERM or when its stdin closes. Writing "pause"
or "resume" to its stdin stops and restarts the pictures (the connection stays open: a frozen
camera). With `--auth basic|digest --user U --password-file F` it answers only a client that
proves the password (tests/bridge/test_credentials.py).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

BLOCK = 16
BITS = 48


def picture(width: int, height: int, millis: int, frame: int) -> bytes:
    """One I420 picture: mid grey, a moving bar (so the encoder has work), the time as bits."""
    y_plane = bytearray(b"\x80" * (width * height))
    bar = (frame * 4) % max(width - BLOCK, 1)
    for row in range(height - 3 * BLOCK, height):
        y_plane[row * width + bar: row * width + bar + BLOCK] = b"\xe0" * BLOCK
    per_row = width // BLOCK
    for copy in (0, 1):
        for bit in range(BITS):
            on = (millis >> (BITS - 1 - bit)) & 1
            if copy:
                on ^= 1
            value = b"\xeb" if on else b"\x10"
            top = ((bit // per_row) + copy * 3) * BLOCK
            left = (bit % per_row) * BLOCK
            for row in range(top, top + BLOCK):
                y_plane[row * width + left: row * width + left + BLOCK] = value * BLOCK
    chroma = b"\x80" * ((width // 2) * (height // 2) * 2)
    return bytes(y_plane) + chroma


class Camera:
    """Feeds every client's appsrc (the media is shared) with timed pictures."""

    def __init__(self, width: int, height: int, fps: int) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.sources: list[Gst.Element] = []
        self.lock = threading.Lock()
        self.paused = threading.Event()
        self.frame = 0

    def attach(self, _factory: object, media: GstRtspServer.RTSPMedia) -> None:
        element = media.get_element()
        source = element.get_by_name("src")
        with self.lock:
            self.sources.append(source)

    def run(self) -> None:
        step = 1.0 / self.fps
        due = time.monotonic()
        while True:
            due += step
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                due = time.monotonic()
            if self.paused.is_set():
                continue
            millis = int(time.time() * 1000)
            data = picture(self.width, self.height, millis, self.frame)
            self.frame += 1
            with self.lock:
                sources = list(self.sources)
            for source in sources:
                buffer = Gst.Buffer.new_wrapped(data)
                if source.emit("push-buffer", buffer) != Gst.FlowReturn.OK:
                    with self.lock:
                        if source in self.sources:
                            self.sources.remove(source)


def launch_line(codec: str, width: int, height: int, fps: int, gop: int) -> str:
    caps = f"video/x-raw,format=I420,width={width},height={height},framerate={fps}/1"
    if codec == "h265":
        encode = (f"x265enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} "
                  "bitrate=800 ! h265parse ! rtph265pay name=pay0 pt=96 config-interval=1")
    else:
        encode = (f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} "
                  "bitrate=800 ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1")
    return (f"( appsrc name=src is-live=true do-timestamp=true format=time caps={caps} "
            f"! queue ! videoconvert ! {encode} )")


def require_password(server: Any, factory: Any, method: str, user: str,
                     password: str) -> None:
    """Answer only a client that proves the password (Basic or Digest)."""
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "viewer")
    if method == "basic":
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
    else:
        auth.add_digest(user, password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("viewer", "media.factory.access", True)
    permissions.add_permission_for_role("viewer", "media.factory.construct", True)
    factory.set_permissions(permissions)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--codec", choices=("h264", "h265"), default="h264")
    parser.add_argument("--protocols", choices=("tcp", "udp", "any"), default="any")
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--gop", type=int, default=15)
    # Behind a user name and password (the credential tests); the password comes in a file,
    # not on the command line, where `ps` shows it.
    parser.add_argument("--auth", choices=("basic", "digest"))
    parser.add_argument("--user")
    parser.add_argument("--password-file")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))

    Gst.init(None)
    camera = Camera(width, height, args.fps)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args.codec, width, height, args.fps, args.gop))
    factory.set_shared(True)
    factory.set_protocols({
        "tcp": GstRtsp.RTSPLowerTrans.TCP,
        "udp": GstRtsp.RTSPLowerTrans.UDP,
        "any": GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP,
    }[args.protocols])
    if args.auth:
        require_password(server, factory, args.auth, args.user,
                         Path(args.password_file).read_text(encoding="utf-8"))
    factory.connect("media-configure", camera.attach)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        sys.stdout.write(f"FAILED cannot listen on port {args.port}\n")
        sys.stdout.flush()
        return 1
    loop = GLib.MainLoop()
    threading.Thread(target=camera.run, daemon=True).start()

    def commands() -> None:
        for line in sys.stdin:
            word = line.strip()
            if word == "pause":
                camera.paused.set()
            elif word == "resume":
                camera.paused.clear()
        GLib.idle_add(loop.quit)

    threading.Thread(target=commands, daemon=True).start()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    sys.stdout.write(f"READY rtsp://127.0.0.1:{args.port}/cam\n")
    sys.stdout.flush()
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
