"""Devstack's MQTT broker for the device channel: Debian's mosquitto (docs/device-channel.md).

It stands in for AWS IoT Core. It listens on 127.0.0.1 only, on a free port, with its config,
password file and ACL in a private temporary folder, and keeps nothing on disk:

- bridges connect anonymously (on AWS a custom authorizer checks their credential), with their
  device id as client id; the ACL lets each read only its own `.../bridge/<client id>/cmd`
  and write only its own `.../status`, as the IoT policy does;
- the app logs in as `porchlight-app` (a fresh random password each start), the only user that
  may publish commands; it also reads every status, as the IoT rule does.

    python -m devstack.mosquitto    one on a free port until Ctrl-C, printing its settings

It says nothing unless it fails to start. Without /usr/sbin/mosquitto (scripts/
ensure-mosquitto.sh installs it), devstack runs without a channel and bridges poll.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from app.services.realtime.channel import APP_USER
from devstack.dynamodb_local import _die_with_parent

MOSQUITTO = Path("/usr/sbin/mosquitto")
MOSQUITTO_PASSWD = Path("/usr/bin/mosquitto_passwd")
START_TIMEOUT_S = 10
ATTEMPTS = 5  # a free port can be taken between choosing it and mosquitto binding it

# Pattern lines apply to every client, %c being its client id; the lines under `user` only to
# the app. Anonymous clients get nothing else.
ACL = f"""\
pattern read porchlight/+/bridge/%c/cmd
pattern write porchlight/+/bridge/%c/status

user {APP_USER}
topic readwrite porchlight/#
"""


class NotInstalled(RuntimeError):
    """mosquitto is missing; the message says how to get it."""


def installed() -> bool:
    return MOSQUITTO.is_file() and os.access(MOSQUITTO, os.X_OK)


@dataclass
class Mosquitto:
    process: subprocess.Popen[str]
    port: int
    folder: Path
    app_password: str = field(repr=False)
    output: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What the app needs to publish through this broker."""
        return {"PORCHLIGHT_DEVICE_CHANNEL": "mqtt", "PORCHLIGHT_MQTT_URL": self.url,
                "PORCHLIGHT_MQTT_APP_PASSWORD": self.app_password}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.reader:
            self.reader.join(timeout=5)
        if self.process.stdout:
            self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def password_line(user: str, password: str) -> str:
    """A mosquitto password file line, as mosquitto_passwd writes it: PBKDF2-SHA512, 101
    rounds, a 12-byte salt (`$7$`)."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101)
    return f"{user}:$7$101${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _write_password(path: Path, password: str) -> None:
    if MOSQUITTO_PASSWD.is_file():
        subprocess.run([str(MOSQUITTO_PASSWD), "-c", "-b", str(path), APP_USER, password],
                       check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    else:
        path.write_text(password_line(APP_USER, password) + "\n", encoding="utf-8")
    path.chmod(0o600)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(folder: Path, port: int) -> str:
    return "\n".join([
        "per_listener_settings false",
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        f"password_file {folder / 'passwords'}",
        f"acl_file {folder / 'acl'}",
        "persistence false",
        "persistent_client_expiration 1h",  # as AWS IoT Core keeps a session
        "log_dest stderr",  # unbuffered: "running" arrives as it is said
        "log_type error", "log_type warning", "log_type notice", "log_type information",
        "connection_messages false",
    ]) + "\n"


def _run_as() -> tuple[int, int] | None:
    """As root, the user and group to run mosquitto as: Debian's `mosquitto` user. Started as
    root, mosquitto would change user itself, which clears the signal that stops it with its
    parent; so the change is made before it starts. None: stay as we are."""
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam("mosquitto")
    except KeyError:
        return None
    return user.pw_uid, user.pw_gid


def _prepare(folder: Path, password: str, owner: tuple[int, int] | None) -> None:
    """Write the password file and ACL, readable only by the user mosquitto runs as."""
    _write_password(folder / "passwords", password)
    (folder / "acl").write_text(ACL, encoding="utf-8")
    (folder / "acl").chmod(0o600)
    if owner is not None:
        for path in (folder, folder / "passwords", folder / "acl"):
            os.chown(path, *owner)


def start() -> Mosquitto:
    """One mosquitto on 127.0.0.1 and a free port, ready for connections."""
    if not installed():
        raise NotInstalled(f"{MOSQUITTO} is missing: run scripts/ensure-mosquitto.sh (as root) "
                           "or 'sudo apt-get install mosquitto'")
    folder = Path(tempfile.mkdtemp(prefix="porchlight-mosquitto-"))
    try:
        password = secrets.token_urlsafe(24)
        owner = _run_as()
        _prepare(folder, password, owner)
        for _attempt in range(ATTEMPTS):
            port = _free_port()
            config = folder / "mosquitto.conf"
            config.write_text(_config(folder, port), encoding="utf-8")
            if owner is not None:
                os.chown(config, *owner)
            running = _launch(folder, port, password, owner)
            if running is not None:
                return running
        raise RuntimeError(f"mosquitto found no free port in {ATTEMPTS} tries")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _launch(folder: Path, port: int, password: str,
            owner: tuple[int, int] | None) -> Mosquitto | None:
    """Start it; None when the port was taken meanwhile (try another), RuntimeError with what
    it said when it failed otherwise."""
    user = {"user": owner[0], "group": owner[1], "extra_groups": []} if owner else {}
    process = subprocess.Popen([str(MOSQUITTO), "-c", str(folder / "mosquitto.conf")],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=folder,
                               # (runs after the change of user, which would clear it)
                               preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                               **user)  # type: ignore[call-overload]
    running = Mosquitto(process, port, folder, password)
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.output.append(line.rstrip())
            if " running" in line:
                ready.set()
        ready.set()  # it exited

    running.reader = threading.Thread(target=read, daemon=True, name="mosquitto-output")
    running.reader.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.wait(0.02):
        if time.monotonic() > deadline:
            break
    if process.poll() is None and ready.is_set():
        return running
    if process.poll() is None:
        process.kill()
    process.wait(timeout=5)
    running.reader.join(timeout=5)
    said = "\n".join(running.output)
    if "Address already in use" in said:
        return None
    raise RuntimeError(f"mosquitto did not start:\n{said}")


def main() -> int:
    broker = start()
    for key, value in broker.env().items():
        print(f"{key}={value}", flush=True)  # noqa: T201 (a developer's tool)
    print("Ctrl-C stops it.", flush=True)  # noqa: T201
    try:
        broker.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
