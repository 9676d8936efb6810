"""GStreamer's RTSP server behind a user name and password (Basic or Digest), for the bridge's
credential tests: the camera of tests/bridge/rtsp_server.py (its pictures and launch line),
answering only a client that proves the password.

    /usr/bin/python3 tests/bridge/rtsp_auth_server.py --port 8554 --method digest \\
        --user admin --password-file /tmp/secret

The password comes in a file (not on the command line, where `ps` shows it). Prints
"READY <url>" once it listens; stops on SIGTERM or when its stdin closes.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from rtsp_server import Camera, GLib, Gst, GstRtsp, GstRtspServer, launch_line


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--method", choices=("basic", "digest"), default="digest")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", required=True)
    args = parser.parse_args()
    password = Path(args.password_file).read_text(encoding="utf-8")

    Gst.init(None)
    camera = Camera(320, 240, 15)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))

    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "viewer")
    if args.method == "basic":
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, password), token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
    else:
        auth.add_digest(args.user, password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    server.set_auth(auth)

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line("h264", 320, 240, 15, 15))
    factory.set_shared(True)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("viewer", "media.factory.access", True)
    permissions.add_permission_for_role("viewer", "media.factory.construct", True)
    factory.set_permissions(permissions)
    factory.connect("media-configure", camera.attach)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        sys.stdout.write(f"FAILED cannot listen on port {args.port}\n")
        sys.stdout.flush()
        return 1
    loop = GLib.MainLoop()
    threading.Thread(target=camera.run, daemon=True).start()

    def until_stdin_closes() -> None:
        for _line in sys.stdin:
            pass
        GLib.idle_add(loop.quit)

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    sys.stdout.write(f"READY rtsp://127.0.0.1:{args.port}/cam\n")
    sys.stdout.flush()
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
