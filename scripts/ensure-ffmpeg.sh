#!/usr/bin/env bash
# The clip benchmark (bench/clips.py) compares cut() with Debian's ffmpeg command-line tool.
# Install it when missing and we are root; otherwise say how. The project itself never runs it:
# the clip worker uses the FFmpeg libraries inside the PyAV wheel.
set -euo pipefail
if command -v ffmpeg >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing ffmpeg from Debian's packages for the clip benchmark..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  exit 0
fi
echo "ffmpeg is missing: run 'sudo apt-get install ffmpeg' (the clip benchmark compares with it)." >&2
exit 1
