"""Load: concurrent users in a realistic mix, then every acknowledged write read back and the
audit log verified (docs/benchmarks.md).

The stack runs as `make run` runs it, in a process of its own on a free port (`--serve`), or
--url targets a running one started with `PORCHLIGHT_LOGIN_IP_LIMIT=1000000 make run` (its
environment from --env-file). The users are threads here: 20 % detectives, 8 % supervisors
(accounts made beforehand, the policy set to need a supervisor's approval and put back after),
the rest owners who sign up through the emailed link.

    .venv/bin/python -m bench.load [--minutes 10] [--users 50] [--spawn-rate 2]
                                   [--url http://127.0.0.1:8000 --env-file .devstack.env]
"""

from __future__ import annotations

import json
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench.harness import (
    PYTHON,
    ROOT,
    Client,
    begin,
    finish,
    free_port,
    options,
    running,
    say,
    summary,
)
from bench.load_users import Detective, Owner, Shared, Supervisor, User


def serve(port: int, env_file: Path) -> int:
    """`make run`'s stack (every worker and schedule, the seed's first checkpoint) on this port,
    its environment written to env_file as JSON; until SIGTERM."""
    from app.services.auditing import checkpoints

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with running(workers=True, schedules=True, port=port) as stack:
        checkpoints.make(stack.settings)
        env_file.write_text(json.dumps(stack.local.env), encoding="utf-8")
        stop.wait()
    return 0


def start_stack() -> tuple[subprocess.Popen[bytes], str, Path]:
    work, port = Path(tempfile.mkdtemp(prefix="porchlight-load-")), free_port()
    with (work / "server.log").open("wb") as log:
        server = subprocess.Popen([PYTHON, "-m", "bench.load", "--serve", str(port), str(
            work / "env.json")], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(1000):
        if (work / "env.json").exists() or server.poll() is not None:
            break
        time.sleep(0.3)
    if not (work / "env.json").exists():
        raise SystemExit(f"the stack did not start: {(work / 'server.log').read_text()}")
    return server, f"http://127.0.0.1:{port}", work / "env.json"


def prepare(url: str, detectives: int, supervisors: int) -> tuple[Shared, Client, Any]:
    """Police accounts; the policy set to need a supervisor by its admin over HTTP (the app's
    process writes the audit event), whose session is kept to put it back."""
    import pyotp

    from app.models.users import User as UserItem
    from app.services.governance.policy import policy_for
    from app.services.people import accounts
    from devstack.seed import AGENCY_ID, DEMO_USERS

    police = []
    for role in ["detective"] * detectives + ["supervisor"] * supervisors:
        email, secret, password = (f"load-{role}-{uuid.uuid4().hex[:8]}@example.org",
                                   pyotp.random_base32(), uuid.uuid4().hex)
        accounts.create_user(email, password, f"Load {role}", role, AGENCY_ID).update(
            actions=[UserItem.mfa_secret.set(secret)])
        police.append({"email": email, "password": password, "secret": secret, "role": role})
    admin, demo = User(url, Shared([], []), random.Random()), next(
        u for u in DEMO_USERS if u.role == "agency_admin")
    admin.log_in(demo.email, demo.password, demo.totp_secret)
    policy = policy_for(AGENCY_ID)
    set_policy(admin.client, policy, True)
    return Shared(police, list(policy.offenses)), admin.client, policy


def set_policy(admin: Client, policy: Any, needs_supervisor: bool) -> None:
    form = {"offenses": list(policy.offenses), "timezone": policy.timezone,
            **{k: str(getattr(policy, k)) for k in ("max_window_minutes", "expire_days",
                                                    "remind_after_hours", "retention_days")},
            **({"needs_supervisor": "on"} if needs_supervisor else {})}
    if (saved := admin.form("/admin/policy", form)).status_code not in (302, 303):
        raise SystemExit(f"the policy was not saved: {saved.status_code} {saved.text[:300]}")


def verify_audit(settings: Any) -> bool:
    """What `flask audit verify` does."""
    from app.services.auditing import audit, checkpoints

    by_chain, heads = audit.load_chains()
    return not audit.verify_loaded(by_chain, heads) and not checkpoints.verify(settings, by_chain)


def queued(env: dict[str, str], dead: bool) -> int:
    import boto3

    from app.config import endpoint_in

    sqs = boto3.client("sqs", region_name=env["AWS_REGION"], endpoint_url=endpoint_in(
        env, "sqs"), aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    urls = sqs.list_queues(QueueNamePrefix=env["PORCHLIGHT_TABLE_PREFIX"])["QueueUrls"]
    return sum(int(v) for u in urls if u.endswith("-dlq") == dead for v in sqs
               .get_queue_attributes(QueueUrl=u, AttributeNames=[
                   "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])[
                   "Attributes"].values())


def lost_writes(shared: Shared) -> list[str]:
    """Every acknowledged write read back with consistent reads; those missing or different."""
    from app.models.cameras import Camera
    from app.models.footage import FootageRequest, RequestTarget
    from app.services.people import accounts

    def read(model: Any, key: str) -> Any:
        try:
            return model.get(key, consistent_read=True)
        except model.DoesNotExist:
            return None

    lost = [f"sign-up {e}" for e, uid in shared.owners.items()
            if getattr(accounts.find_by_email(e), "user_id", None) != uid]
    for camera_id, want in shared.cameras.items():
        found = read(Camera, camera_id)
        if want["withdrawn"] != (found is None) or (found and want["certain"] and (
                found.nickname != want["nickname"] or bool(found.paused) != want["paused"])):
            lost.append(f"camera {camera_id}: acknowledged {want}")
    for request_id, want in shared.requests.items():
        found = read(FootageRequest, request_id)
        if found is None or len(list(RequestTarget.request_index.query(request_id))) != want[
                "targets"] or (want["decided"] and found.state not in (want["state"], "closed")):
            lost.append(f"request {request_id}: acknowledged {want}")
    for target_id, status in shared.answers.items():
        found = read(RequestTarget, target_id)
        if found is None or found.status != status and not (status == "approved" and (
                found.status in ("uploading", "processing", "ready", "failed"))):
            lost.append(f"answer {target_id}: acknowledged {status}")
    return lost


def main() -> int:
    def extra(parser: Any) -> None:
        parser.add_argument("--url", help="a running `make run` instead of starting one")
        parser.add_argument("--env-file", type=Path, default=ROOT / ".devstack.env")
        parser.add_argument("--serve", nargs=2, help="(internal) serve the stack: PORT FILE")

    args = options(__doc__, {"minutes": (10.0, 0.25, "how long the users run"),
                             "users": (50, 4, "concurrent users"),
                             "spawn_rate": (2.0, 4.0, "users started a second"),
                             "think_scale": (1.0, 0.25, "times the think times")}, extra)
    if args.serve:
        return serve(int(args.serve[0]), Path(args.serve[1]))
    detectives, supervisors = max(1, round(args.users * 0.2)), max(1, round(args.users * 0.08))
    started = begin("load", args, f"{args.users} users ({detectives} detectives, {supervisors} "
                    f"supervisors) for {args.minutes:g} minutes")
    server, url, env_file = (None, args.url, args.env_file) if args.url else start_stack()
    try:
        env = dict(json.loads(env_file.read_text())) if env_file.suffix == ".json" else dict(
            w.split("=", 1) for w in shlex.split(env_file.read_text()) if "=" in w)
        os.environ.update(env)
        from lambdas.common import settings as worker_settings

        settings = worker_settings()
        shared, admin, policy = prepare(url, detectives, supervisors)
        kinds = [Detective] * detectives + [Supervisor] * supervisors + [Owner] * (
            args.users - detectives - supervisors)
        deadline, threads = time.monotonic() + args.minutes * 60, []
        for n, kind in enumerate(kinds):
            threads.append(threading.Thread(target=kind(url, shared, random.Random(n)).run,
                                            args=(deadline, args.think_scale), daemon=True))
            threads[-1].start()
            time.sleep(1 / args.spawn_rate)
        time.sleep(max(0.0, (deadline - time.monotonic()) / 2))
        under_load = verify_audit(settings)
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()) + 120)
        set_policy(admin, policy, policy.needs_supervisor)
        for _ in range(300):  # until the workers' backlog is done
            if queued(env, dead=False) == 0:
                break
            time.sleep(1)
        lost, at_rest, dead = lost_writes(shared), verify_audit(settings), queued(env, dead=True)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    for line in [*lost[:30], *(f"{n} x {f}" for f, n in shared.failures.most_common(20))]:
        say(line)
    every = [t for values in shared.times.values() for t in values]
    routes = {name: summary(times, digits=0) for name, times in sorted(shared.times.items())}
    return finish("load", args, {
        "users": args.users, "seconds": round(args.minutes * 60),
        "requests_total": len(every), "rps": round(len(every) / (args.minutes * 60), 2),
        "errors": sum(shared.failures.values()),
        "server_errors_5xx": sum(n for f, n in shared.failures.items() if ": 5" in f),
        "lost_writes": len(lost), "p95_ms_all": summary(every, digits=0)["p95"],
        "audit_verified": int(at_rest), "audit_verified_under_load": int(under_load),
        "dead_letters": dead, "expected_refusals": sum(shared.expected.values()),
        "writes_checked": {"sign_ups": len(shared.owners), "cameras": len(shared.cameras),
                           "requests": len(shared.requests), "answers": len(shared.answers)},
        "p95_ms_by_endpoint": {k: v["p95"] for k, v in routes.items()},
        "requests_by_endpoint": {k: v["n"] for k, v in routes.items()},
    }, started)


if __name__ == "__main__":
    sys.exit(main())
