#!/usr/bin/env bash
# Devstack's DynamoDB is AWS's DynamoDB Local, a Java program; its loopback launcher is compiled
# once (javac). Install Debian's JDK 17 when missing and we are root; otherwise say how.
set -euo pipefail
ready() {
  command -v java >/dev/null && command -v javac >/dev/null \
    && java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'
}
if ready; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Java 17 from Debian's packages for DynamoDB Local (about 250 MB)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
  ready && exit 0
  echo "Java 17 or newer is needed for DynamoDB Local; found: $(java -version 2>&1 | head -1)" >&2
  exit 1
fi
echo "Java 17 is missing: run 'sudo apt-get install openjdk-17-jdk-headless'" \
     "(devstack's DynamoDB Local runs on it)." >&2
exit 1
