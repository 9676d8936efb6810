#!/usr/bin/env bash
# The bridge's tests read a real RTSP server: GStreamer's (gst-rtsp-server), run by Debian's own
# /usr/bin/python3 through python3-gi (tests/bridge/rtsp_server.py), serving H.264 (x264enc,
# plugins-ugly) and H.265 (x265enc, plugins-bad) over TCP or UDP. Install it when missing and
# we are root; otherwise say how. With --check, only says whether it is there.
set -euo pipefail
PACKAGES="python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 gir1.2-gst-rtsp-server-1.0 \
gstreamer1.0-rtsp gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly \
gstreamer1.0-plugins-bad"
ready() {
  /usr/bin/python3 - <<'PY' 2>/dev/null
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer  # noqa: F401
Gst.init(None)
missing = [name for name in ("appsrc", "videoconvert", "x264enc", "x265enc", "h264parse",
                             "h265parse", "rtph264pay", "rtph265pay")
           if Gst.ElementFactory.find(name) is None]
raise SystemExit(1 if missing else 0)
PY
}
if [ -x /usr/bin/python3 ] && ready; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then  # the tests: say what is missing, install nothing
  echo "GStreamer's RTSP server is missing: run 'sudo apt-get install $PACKAGES'" \
       "or 'make gstreamer' as root." >&2
  exit 1
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing GStreamer's RTSP server from Debian's packages for the bridge tests..."
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
  ready && exit 0
  echo "GStreamer was installed but its RTSP server or encoders do not load." >&2
  exit 1
fi
echo "GStreamer's RTSP server is missing: run 'sudo apt-get install $PACKAGES'" \
     "(the bridge tests serve a real RTSP camera with it)." >&2
exit 1
