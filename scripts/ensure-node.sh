#!/usr/bin/env bash
# The browser scripts' lint (ESLint, from npm) and unit tests (node --test) need Node.js 18.18 or
# newer and npm. Install Debian's when missing and we are root; otherwise say how.
set -euo pipefail
ready() {
  command -v node >/dev/null && command -v npm >/dev/null \
    && node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 18 || (a === 18 && b >= 18) ? 0 : 1)'
}
if ready; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Node.js and npm from Debian's packages for the JavaScript lint and tests..."
  apt-get update -qq
  # A Node.js from elsewhere (NodeSource's carries npm itself) stays; only what is missing comes.
  missing="nodejs npm"
  if command -v node >/dev/null; then missing="npm"; fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  ready && exit 0
  echo "Node.js $(node --version 2>/dev/null || echo 'is missing'): the JavaScript lint needs 18.18 or newer." >&2
  exit 1
fi
echo "Node.js 18.18+ and npm are missing: run 'sudo apt-get install nodejs npm'" \
     "(the JavaScript lint and tests need them)." >&2
exit 1
