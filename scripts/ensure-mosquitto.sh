#!/usr/bin/env bash
# Devstack's device channel is Debian's mosquitto (MQTT broker). Install it when missing and we
# are root; otherwise say how. (Devstack starts its own broker on a free port of 127.0.0.1; run
# directly, `python -m devstack run` works without it too, and bridges then only poll.)
set -euo pipefail
if [ -x /usr/sbin/mosquitto ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing mosquitto from Debian's packages for devstack's device channel (about 1 MB)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
  exit 0
fi
echo "mosquitto is missing: run 'sudo apt-get install mosquitto' (devstack's device channel" \
     "needs /usr/sbin/mosquitto; without it bridges only poll)." >&2
exit 1
