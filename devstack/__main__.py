"""`python -m devstack`: the whole product on this machine (what `make run` starts).

    python -m devstack run [--port 8000] [--fresh]
                                           devstack, workers and the web app; Ctrl-C stops all.
                                           Data is kept in .devstack-data/ (--fresh: start empty)
    python -m devstack reset               delete .devstack-data/ (what `make reset` runs)
    python -m devstack totp ROLE           the current TOTP code of a seeded police user
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / ".devstack.env"
DATA_DIR = ROOT / ".devstack-data"  # git-ignored; devstack/persist.py says what is in it


def write_env_file(env: dict[str, str], path: Path) -> None:
    """For `flask --app app.wsgi audit verify` and other commands against the running stack."""
    lines = [f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items())
             if not key.startswith("DEVSTACK_")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def reset(data_dir: Path = DATA_DIR) -> int:
    if data_dir.exists():
        shutil.rmtree(data_dir)
        print(f"Deleted {data_dir.name}/: the next `make run` starts empty and seeds the demo.")
    else:
        print(f"Nothing to delete: {data_dir.name}/ does not exist.")
    return 0


def run(port: int, fresh: bool, data_dir: Path = DATA_DIR, env_file: Path = ENV_FILE) -> int:
    from werkzeug.serving import make_server

    from devstack import seed, stack
    from devstack.worker_loop import WorkerLoop
    from lambdas.registry import SCHEDULES

    if fresh:
        reset(data_dir)
    kept = (data_dir / "keys.json").exists()
    print("Starting Porchlight's local devstack (DynamoDB Local and moto's server, on "
          "127.0.0.1 only).")
    print(f"Data is kept in {data_dir.name}/ between runs: tables, uploads, clips and queued "
          "jobs" + (" (found from an earlier run)." if kept else "."))
    print("  `make run FRESH=1` starts empty; `make reset` deletes it.")
    # Ctrl-C from here on stops everything in order (a KeyboardInterrupt half-way through
    # would leave the worker threads running and the data unsaved). The handler only flips a
    # flag the main thread looks at twice a second: a handler that took a lock (Event.set)
    # could find it held by the very wait it interrupts, and a wait with no timeout was seen
    # to sleep through a Ctrl-C for good (a CI run: `make run` never stopped).
    stopping: list[int] = []

    def stop(signum: int, frame: object) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    local = stack.start(port=port, data_dir=data_dir)
    from app import create_app

    app = create_app()
    seeded = seed.is_empty()
    if seeded:
        seed.seed()
    from app.services.auditing import checkpoints

    checkpoints.make(app.config["SETTINGS"])  # the feed starts with the seeded log signed
    loop = WorkerLoop(local.client("sqs"), local.queue_urls(),
                      stack.REGION, schedules=SCHEDULES).start()
    server = make_server("127.0.0.1", port, app, threaded=True)
    write_env_file(local.env, env_file)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    print()
    print(f"Porchlight is running at http://127.0.0.1:{port}")
    print(f"Local AWS: DynamoDB Local at {local.endpoint_for('dynamodb')}, moto (S3, SQS, KMS) "
          f"at {local.endpoint}")
    if local.broker:
        print(f"Device channel: mosquitto at {local.broker.url} (bridges are woken through it)")
    print(f"Mail lands at http://127.0.0.1:{port}/outbox")
    print()
    print("Demo logins" + (":" if seeded else " (as seeded; a password changed since is yours):"))
    for user in seed.DEMO_USERS:
        line = f"  {user.role:<13} {user.email:<30} password {user.password}"
        if user.totp_secret:
            line += f"  TOTP secret {user.totp_secret}"
        print(line)
    if seed.DEMO_USERS:
        print("  Police roles need a 6-digit code: add the TOTP secret to an authenticator app,")
        print("  or run `make totp ROLE=detective` for the current code.")
    print()
    print("Check the audit log:  make audit-verify   (or: set -a; . ./.devstack.env; set +a;")
    print("                      .venv/bin/flask --app app.wsgi audit verify)")
    print("Press Ctrl-C to stop.", flush=True)

    while not stopping:
        time.sleep(0.5)
    print("\nStopping Porchlight...", flush=True)
    server.shutdown()
    loop.stop()
    local.stop()
    env_file.unlink(missing_ok=True)
    print(f"Stopped. Your data is kept in {data_dir.name}/ for the next `make run`.")
    return 0


def totp(role: str) -> int:
    import pyotp

    from devstack.seed import DEMO_USERS

    for user in DEMO_USERS:
        if user.role == role and user.totp_secret:
            print(pyotp.TOTP(user.totp_secret).now())
            return 0
    print(f"no seeded user with role {role!r} has a TOTP secret", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run_cmd = sub.add_parser("run", help="start devstack, the workers and the web app")
    run_cmd.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run_cmd.add_argument("--fresh", action="store_true",
                         help=f"delete {DATA_DIR.name}/ first and start empty")
    run_cmd.add_argument("--data", type=Path, default=DATA_DIR, help=argparse.SUPPRESS)
    run_cmd.add_argument("--env-file", type=Path, default=ENV_FILE, help=argparse.SUPPRESS)
    sub.add_parser("reset", help=f"delete {DATA_DIR.name}/, the data make run keeps")
    totp_cmd = sub.add_parser("totp", help="print the current code of a seeded police user")
    totp_cmd.add_argument("role")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # moto's server and ours share werkzeug's request log; it would bury the start-up message.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if args.command == "run":
        return run(args.port, args.fresh, args.data.resolve(), args.env_file)
    if args.command == "reset":
        return reset()
    return totp(args.role)


if __name__ == "__main__":
    sys.exit(main())
