"""`python -m devstack`: the whole product on this machine (what `make run` starts).

    python -m devstack run [--port 8000]   devstack, workers and the web app; Ctrl-C stops all
    python -m devstack totp ROLE           the current TOTP code of a seeded police user
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import signal
import sys
import threading
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parent.parent / ".devstack.env"


def write_env_file(env: dict[str, str]) -> None:
    """For `flask --app app.wsgi audit verify` and other commands against the running stack."""
    lines = [f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items())
             if not key.startswith("DEVSTACK_")]
    ENV_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ENV_FILE.chmod(0o600)


def run(port: int) -> int:
    from werkzeug.serving import make_server

    from devstack import seed, stack
    from devstack.worker_loop import WorkerLoop
    from lambdas.registry import SCHEDULES

    print("Starting Porchlight's local devstack (moto's server on 127.0.0.1).")
    print("Everything is kept in memory: all data is gone when this process stops.")
    local = stack.start(port=port)
    from app import create_app

    app = create_app()
    demo = seed.seed() if seed.is_empty() else []
    from app.services.auditing import checkpoints

    checkpoints.make(app.config["SETTINGS"])  # the feed starts with the seeded log signed
    loop = WorkerLoop(local.client("sqs"), local.queue_urls(),
                      stack.REGION, schedules=SCHEDULES).start()
    server = make_server("127.0.0.1", port, app, threaded=True)
    write_env_file(local.env)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    print()
    print(f"Porchlight is running at http://127.0.0.1:{port}")
    print(f"Local AWS (moto) at {local.endpoint}; mail lands at http://127.0.0.1:{port}/outbox")
    print()
    print("Demo logins:")
    for user in demo:
        line = f"  {user.role:<13} {user.email:<30} password {user.password}"
        if user.totp_secret:
            line += f"  TOTP secret {user.totp_secret}"
        print(line)
    if demo:
        print("  Police roles need a 6-digit code: add the TOTP secret to an authenticator app,")
        print("  or run `make totp ROLE=detective` for the current code.")
    print()
    print("Check the audit log:  make audit-verify   (or: set -a; . ./.devstack.env; set +a;")
    print("                      .venv/bin/flask --app app.wsgi audit verify)")
    print("Press Ctrl-C to stop.", flush=True)

    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    stopping.wait()
    print("\nStopping Porchlight...", flush=True)
    server.shutdown()
    loop.stop()
    local.stop()
    ENV_FILE.unlink(missing_ok=True)
    print("Stopped. The in-memory data is gone.")
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
    totp_cmd = sub.add_parser("totp", help="print the current code of a seeded police user")
    totp_cmd.add_argument("role")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # moto's server and ours share werkzeug's request log; it would bury the start-up message.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if args.command == "run":
        return run(args.port)
    return totp(args.role)


if __name__ == "__main__":
    sys.exit(main())
