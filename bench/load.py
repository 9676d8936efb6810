"""Load: 50 concurrent users in a realistic mix for 10 minutes, then every acknowledged write
checked, the audit log verified, and the OpenAPI fuzz run's figures.

By default the bench starts the whole product the way `make run` does (devstack.__main__.run:
moto's server, the tables, the seeded demo program, the workers, the app on 127.0.0.1) in a
subprocess on a free port, with its environment file in a temporary folder (so a `make run`
of somebody else keeps its `.devstack.env`) and PORCHLIGHT_LOGIN_IP_LIMIT raised to 1,000,000:
every user signs in from 127.0.0.1, and the default limit (30 sign-ins per address in 5
minutes) would answer 429. It waits for /healthz, runs, and stops it. With --url it targets a
running one instead and reads its environment from --env-file (`.devstack.env`); start that
one with `PORCHLIGHT_LOGIN_IP_LIMIT=1000000 make run`.

Before the run, in this process (the devstack's environment loaded from its file): one police
account per detective and supervisor user, each with its own TOTP secret (a code works once
per account), made through accounts.create_user as devstack's seed makes the demo users; and
the program's policy set, through the admin's service call, to need a supervisor's approval,
so that every request goes detective, supervisor, owners. The policy is put back afterwards.

The run is locust, headless, in its own process (bench/locustfile.py; locust patches the
standard library with gevent, so it never shares a process with the app). The mix, by fixed
count: detectives 20% of the users, supervisors 8%, camera owners the rest. Owners sign up, log
in, register up to three cameras each, edit, pause, resume and now and then withdraw them, read
their activity and answer the requests that reach their cameras; detectives search, read the
map, send requests and follow their boards; supervisors approve 85% of the requests and refuse
the rest. Think times: owners 2-6 s, detectives 3-8 s, supervisors 2-5 s. Calls are named by
their route (ids as [id]) and the 95th percentile of each is reported.

Every write the server acknowledged (sign-ups with 201, cameras created with 201 and their
last acknowledged name and pause state, withdrawals with 204, requests created with 201,
supervisors' decisions and owners' answers with 200) is in the load's ledger; afterwards each
is read back from DynamoDB with consistent reads and every one missing or different counts in
lost_writes. Then `flask --app app.wsgi audit verify` runs with the devstack's environment.
Then tests/fuzz/run.py's run_fuzz (schemathesis over /api/openapi.json, in this process on
the same devstack) gives fuzz_cases and fuzz_5xx; without that module both are null.

    .venv/bin/python -m bench.load [--minutes 10] [--users 50] [--spawn-rate 2]
                                   [--url http://127.0.0.1:8000 --env-file .devstack.env]
                                   [--fuzz-examples 2 | --no-fuzz]

The machine is shared: the load average is printed at the start and the end. Figures are
printed for people; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
LOGIN_IP_LIMIT = "1000000"
READY_TIMEOUT_S = 300
DETECTIVE_SHARE = 0.20
SUPERVISOR_SHARE = 0.08
POLICE_PASSWORD_BYTES = 12


def say(text: str = "") -> None:
    print(text, flush=True)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- the stack


def serve(port: int, env_file: Path) -> int:
    """`make run` (devstack.__main__.run) with its environment file elsewhere."""
    import devstack.__main__ as devstack_main

    devstack_main.ENV_FILE = env_file
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    return devstack_main.run(port)


def start_stack(workdir: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    env_file = workdir / "devstack.env"
    env = dict(os.environ, PORCHLIGHT_LOGIN_IP_LIMIT=LOGIN_IP_LIMIT,
               POWERTOOLS_LOG_LEVEL=os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"))
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.load", "--serve", str(port), "--env-file", str(env_file)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the devstack stopped while starting; see {workdir / 'server.log'}")
        if healthy(url) and env_file.exists():
            return process, url, env_file
        time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"the devstack did not answer /healthz within {READY_TIMEOUT_S} s")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def stop_stack(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_env_file(path: Path) -> dict[str, str]:
    """`export KEY=value` lines as the shell reads them (a PEM key's quotes span lines)."""
    env = {}
    for word in shlex.split(path.read_text(encoding="utf-8")):
        if word != "export" and "=" in word:
            key, _, value = word.partition("=")
            env[key] = value
    return env


def server_tracebacks(workdir: Path) -> dict[str, list[str]]:
    """The exceptions our devstack subprocess logged (none with --url), by where they came
    from: moto's own server (its HTTP 500s, which botocore retries) or the app and workers."""
    log = workdir / "server.log"
    found: dict[str, list[str]] = {"app": [], "moto": []}
    if not log.exists():
        return found
    text = log.read_text(encoding="utf-8", errors="replace")
    # The workers log through Powertools: an error is a JSON line, not a traceback.
    found["app"] += [line[:300] for line in text.splitlines()
                     if line.startswith("{") and '"level":"ERROR"' in line.replace(" ", "")]
    for block in text.split("Traceback (most recent")[1:]:
        origin = "moto" if "moto/moto_server/werkzeug_app.py" in block else "app"
        lines = block.splitlines()[1:]
        error = next((ln for ln in lines if ln.strip() and not ln.startswith(" ")), "?")
        where = next((ln.strip() for ln in reversed(lines) if ln.strip().startswith("File ")
                      and "/site-packages/" not in ln and "/lib/python3" not in ln), "")
        found[origin].append(f"{error} ({where})" if where else error)
    return found


# ---------------------------------------------------------------- before and after, in process


def prepare(url: str, detectives: int, supervisors: int, workdir: Path) -> dict[str, Any]:
    """Police accounts for the run and a policy that needs a supervisor's approval."""
    import pyotp

    from app.config import load_settings
    from app.core import roles
    from app.models.base import configure_models
    from app.models.users import User
    from app.services import accounts
    from app.services.policy import policy_for
    from devstack.seed import AGENCY_ID, intersection

    configure_models(load_settings())
    tag = os.urandom(3).hex()
    police = []
    for role, count in ((roles.DETECTIVE, detectives), (roles.SUPERVISOR, supervisors)):
        for n in range(count):
            email = f"load-{role}-{tag}-{n}@example.org"
            password = "badge-" + os.urandom(POLICE_PASSWORD_BYTES).hex()
            user = accounts.create_user(email, password, f"Load {role} {n}", role, AGENCY_ID)
            secret = pyotp.random_base32()
            user.update(actions=[User.mfa_secret.set(secret)])
            police.append({"email": email, "password": password, "totp_secret": secret,
                           "role": role})
    before = policy_for(AGENCY_ID)
    set_policy(url, before, needs_supervisor=True)
    lat, lon = intersection(2, 1)
    found = {"police": police, "offenses": list(before.offenses), "center": [lat, lon]}
    path = workdir / "accounts.json"
    path.write_text(json.dumps(found), encoding="utf-8")
    return {"accounts_file": path, "policy": before}


_last_admin_step = -1


def set_policy(url: str, policy: Any, needs_supervisor: bool) -> None:
    """The demo agency admin saves the policy on its page, over HTTP: the app's own process
    appends the audit event (appends from two processes at once would race in moto)."""
    global _last_admin_step
    import pyotp
    import requests

    from devstack.seed import DEMO_USERS

    admin = next(u for u in DEMO_USERS if u.role == "agency_admin")
    http = requests.Session()
    token = http.get(url + "/api/csrf", timeout=60).json()["csrf_token"]
    http.post(url + "/api/session", json={"email": admin.email, "password": admin.password},
              headers={"X-CSRF-Token": token}, timeout=60).raise_for_status()
    token = http.get(url + "/api/csrf", timeout=60).json()["csrf_token"]
    while int(time.time()) // 30 <= _last_admin_step:  # each code works once
        time.sleep(1)
    _last_admin_step = int(time.time()) // 30
    answer = http.post(url + "/api/session/mfa", json={"code": pyotp.TOTP(
        admin.totp_secret).now()}, headers={"X-CSRF-Token": token}, timeout=60)
    answer.raise_for_status()
    form: dict[str, Any] = {
        "csrf_token": answer.json()["csrf_token"], "offenses": list(policy.offenses),
        "max_window_minutes": str(policy.max_window_minutes),
        "expire_days": str(policy.expire_days),
        "remind_after_hours": str(policy.remind_after_hours),
        "retention_days": str(policy.retention_days), "timezone": policy.timezone}
    if needs_supervisor:
        form["needs_supervisor"] = "on"
    saved = http.post(url + "/admin/policy", data=form, allow_redirects=False, timeout=60)
    if saved.status_code not in (302, 303):
        raise SystemExit(f"the policy was not saved: {saved.status_code} {saved.text[:300]}")
    http.delete(url + "/api/session", headers={"X-CSRF-Token": form["csrf_token"]}, timeout=60)


def drain(env: dict[str, str], limit_s: float = 300) -> float:
    """Wait until the workers have taken every queued job (audit notices, pushes, mail), so the
    log is verified at rest; returns the seconds waited."""
    import boto3

    sqs = boto3.client("sqs", region_name=env["AWS_REGION"],
                       endpoint_url=env["AWS_ENDPOINT_URL"],
                       aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    urls = [v for k, v in env.items() if k.endswith("_QUEUE_URL") and v]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    started = time.monotonic()
    quiet = 0
    while quiet < 2 and time.monotonic() - started < limit_s:
        waiting = sum(int(v) for url in urls for v in sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=names)["Attributes"].values())
        quiet = quiet + 1 if waiting == 0 else 0
        time.sleep(1)
    return time.monotonic() - started


def dead_letters(env: dict[str, str]) -> dict[str, int]:
    """Jobs a worker failed on until SQS gave up on them, by dead-letter queue."""
    import boto3

    sqs = boto3.client("sqs", region_name=env["AWS_REGION"],
                       endpoint_url=env["AWS_ENDPOINT_URL"],
                       aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    found = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        if url.endswith("-dlq"):
            count = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"])
            if count:
                found[url.rsplit("/", 1)[-1]] = count
    return found


def check_ledger(ledger: dict[str, Any]) -> dict[str, Any]:
    """Read every acknowledged write back from DynamoDB; each one missing or changed is lost."""
    from app.services import accounts

    lost: list[str] = []
    for email, owner in ledger["owners"].items():
        user = accounts.find_by_email(email)
        if user is None or user.user_id != owner["user_id"]:
            lost.append(f"sign-up {email}")
    owner_ids = {email: o["user_id"] for email, o in ledger["owners"].items()}
    uncertain = check_cameras(ledger["cameras"], owner_ids, lost)
    check_requests(ledger["requests"], lost)
    check_answers(ledger["answers"], lost)
    checked = {"sign_ups": len(ledger["owners"]), "cameras": len(ledger["cameras"]),
               "withdrawals": sum(1 for c in ledger["cameras"].values() if c["withdrawn"]),
               "requests": len(ledger["requests"]),
               "decisions": sum(1 for r in ledger["requests"].values() if r["decided"]),
               "answers": len(ledger["answers"]), "unanswered_writes": uncertain}
    return {"checked": checked, "lost": lost}


def check_cameras(cameras: dict[str, Any], owner_ids: dict[str, str], lost: list[str]) -> int:
    """Each camera as last acknowledged (name, paused), or gone once its withdrawal was; returns
    how many had a write whose answer never came (their name and pause are not compared)."""
    from app.models.cameras import Camera

    uncertain = 0
    for camera_id, want in cameras.items():
        found = read(Camera, camera_id)
        if want["withdrawn"]:
            if found is not None:
                lost.append(f"withdrawal of camera {camera_id}")
            continue
        if found is None:
            lost.append(f"camera {camera_id} ({want['nickname']})")
            continue
        if found.owner_id != owner_ids.get(want["owner"]):
            lost.append(f"camera {camera_id}: owner {found.owner_id}")
        if not want["certain"]:
            uncertain += 1
            continue
        if found.nickname != want["nickname"] or bool(found.paused) != want["paused"]:
            lost.append(f"camera {camera_id}: {found.nickname!r} paused={found.paused}, "
                        f"acknowledged {want['nickname']!r} paused={want['paused']}")
    return uncertain


def check_requests(requests: dict[str, Any], lost: list[str]) -> None:
    from app.models.requests import FootageRequest, RequestTarget

    for request_id, want in requests.items():
        found = read(FootageRequest, request_id)
        if found is None:
            lost.append(f"request {request_id}")
            continue
        targets = list(RequestTarget.request_index.query(request_id))
        if len(targets) != want["targets"]:
            lost.append(f"request {request_id}: {len(targets)} cameras asked, acknowledged "
                        f"{want['targets']}")
        if want["decided"] and found.state not in (want["state"], "closed"):
            lost.append(f"decision on request {request_id}: state {found.state}, "
                        f"acknowledged {want['state']}")


def check_answers(answers: dict[str, Any], lost: list[str]) -> None:
    from app.core import requests as rules
    from app.models.requests import RequestTarget

    later = {rules.APPROVED: (rules.UPLOADING, rules.PROCESSING, rules.READY, rules.FAILED)}
    for target_id, want in answers.items():
        target = read(RequestTarget, target_id)
        if target is None:
            lost.append(f"answer {target_id}: the asked camera is gone")
        elif target.status != want["status"] and target.status not in later.get(
                want["status"], ()):
            lost.append(f"answer {target_id}: status {target.status}, acknowledged "
                        f"{want['status']}")


def read(model: Any, key: str) -> Any:
    try:
        return model.get(key, consistent_read=True)
    except model.DoesNotExist:
        return None


def audit_verify(env: dict[str, str]) -> tuple[bool, str]:
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run([str(flask), "--app", "app.wsgi", "audit", "verify"], cwd=ROOT,
                          env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=600, check=False)
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def fuzz(examples: int) -> dict[str, Any]:
    """tests/fuzz/run.py's run_fuzz when it exists; nulls when it does not (yet)."""
    try:
        from tests.fuzz.run import run_fuzz
    except ImportError as exc:
        say(f"fuzz run not available ({exc}): fuzz_cases and fuzz_5xx are null")
        return {"fuzz_cases": None, "fuzz_5xx": None}
    started = time.monotonic()
    result = run_fuzz(examples)
    figures = result if isinstance(result, dict) else result.figures()
    for line in getattr(result, "failures", [])[:20]:
        say(f"  fuzz finding: {line[:300]}")
    say(f"fuzz: {figures['fuzz_cases']} cases, {figures['fuzz_5xx']} answered 5xx "
        f"({examples} examples per operation, caller and mode; "
        f"{time.monotonic() - started:.0f} s)")
    return dict(figures)


# ---------------------------------------------------------------- locust


def run_locust(url: str, users: int, spawn_rate: float, seconds: int, accounts: Path,
               detectives: int, supervisors: int, workdir: Path,
               devstack_env: dict[str, str]) -> dict[str, Any]:
    ledger_path = workdir / "ledger.json"
    prefix = workdir / "locust"
    env = dict(os.environ, PORCHLIGHT_LOAD_ACCOUNTS=str(accounts),
               PORCHLIGHT_LOAD_LEDGER=str(ledger_path),
               PORCHLIGHT_LOAD_DETECTIVES=str(detectives),
               PORCHLIGHT_LOAD_SUPERVISORS=str(supervisors))
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
               "--users", str(users), "--spawn-rate", str(spawn_rate),
               "--run-time", f"{seconds}s", "--host", url, "--csv", str(prefix),
               "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING",
               "--exit-code-on-error", "0"]
    with (workdir / "locust.log").open("wb") as log:
        locust = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        time.sleep(seconds / 2)
        live = audit_verify(devstack_env) if locust.poll() is None else (False, "not run")
        say(f"audit verify half-way, under load: {'OK' if live[0] else 'FAILED'}: "
            f"{live[1][:400]}")
        code = locust.wait(timeout=seconds + 300)
    if code != 0 or not ledger_path.exists():
        tail = (workdir / "locust.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"locust failed (exit {code}):\n{tail}")
    ledger = json.loads(ledger_path.read_text(encoding="utf-8"))
    return {"stats": ledger.pop("stats"), "failures": ledger.pop("failures"),
            "exceptions": read_rows(Path(f"{prefix}_exceptions.csv")), "ledger": ledger,
            "live_verify": live[0]}


def read_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def server_error_count(failures: list[dict[str, Any]]) -> int:
    """Failures whose status was 5xx (the locustfile's messages start with the status)."""
    return sum(int(row["occurrences"]) for row in failures
               if re.search(r"\b5\d\d \(wanted", row["error"]))


# ---------------------------------------------------------------- reporting


def print_run(run: dict[str, Any]) -> None:
    say(f"{'endpoint':<38} {'calls':>7} {'fail':>5} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8}")
    for row in run["stats"]:
        say(f"{row['name']:<38} {row['requests']:>7} {row['failures']:>5} "
            f"{row['p50_ms'] or 0:>8.0f} {row['p95_ms'] or 0:>8.0f} {row['max_ms'] or 0:>8.0f}")
    for row in run["failures"]:
        say(f"  failure x{row['occurrences']}: {row['name']}: {row['error'][:300]}")
    for row in run["exceptions"]:
        say(f"  exception x{row['Count']}: {row['Message'][:300]}")
    expected = run["ledger"]["expected_refusals"]
    if expected:
        say(f"expected refusals (the load's own races, not failures): {expected}")
    say(f"left at the end: {run['ledger']['undelivered_targets']} asked cameras not answered "
        f"yet, {run['ledger']['awaiting_approval']} requests waiting for a supervisor")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=2.0,
                        help="users started per second (default 2)")
    parser.add_argument("--url", help="a running `make run` instead of starting one")
    parser.add_argument("--env-file", type=Path, default=ROOT / ".devstack.env",
                        help="with --url: its environment (default .devstack.env)")
    parser.add_argument("--fuzz-examples", type=int, default=2,
                        help="run_fuzz's examples per operation, caller and mode (default 2)")
    parser.add_argument("--no-fuzz", action="store_true")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        return serve(args.serve, args.env_file)
    load_start = loadavg()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="porchlight-load-"))
    say(f"load average at the start: {load_start}; working files in {workdir}")
    process = None
    if args.url:
        url, env_file = args.url.rstrip("/"), args.env_file
        say(f"target: {url} (already running; its environment from {env_file}); it needs "
            f"PORCHLIGHT_LOGIN_IP_LIMIT raised, or sign-ups beyond 30 per 5 minutes get 429")
    else:
        say("starting devstack and the app as `make run` does, with "
            f"PORCHLIGHT_LOGIN_IP_LIMIT={LOGIN_IP_LIMIT} (every user signs in from 127.0.0.1)")
        process, url, env_file = start_stack(workdir)
        say(f"target: {url} (ready after {time.monotonic() - started:.0f} s)")
    try:
        return measure(args, url, read_env_file(env_file), workdir, load_start, started)
    finally:
        if process is not None:
            stop_stack(process)


def measure(args: argparse.Namespace, url: str, env: dict[str, str], workdir: Path,
            load_start: list[float], started: float) -> int:
    os.environ.update(env)
    ip_limit = LOGIN_IP_LIMIT if not args.url else "as the target was started"
    os.environ.setdefault("PORCHLIGHT_LOGIN_IP_LIMIT", LOGIN_IP_LIMIT)  # the fuzz run's app
    detectives = max(1, round(args.users * DETECTIVE_SHARE))
    supervisors = max(1, round(args.users * SUPERVISOR_SHARE))
    owners = args.users - detectives - supervisors
    setup = prepare(url, detectives, supervisors, workdir)
    seconds = max(10, round(args.minutes * 60))
    say(f"{args.users} users ({owners} owners, {detectives} detectives, {supervisors} "
        f"supervisors), {args.spawn_rate:g} started per second, for {seconds} s; the policy "
        f"needs a supervisor's approval for the run")
    try:
        run = run_locust(url, args.users, args.spawn_rate, seconds, setup["accounts_file"],
                         detectives, supervisors, workdir, env)
    finally:
        set_policy(url, setup["policy"], setup["policy"].needs_supervisor)
    print_run(run)
    total = next((r for r in run["stats"] if r["name"] == "Aggregated"), None)
    endpoints = [r for r in run["stats"] if r["name"] != "Aggregated"]
    say(f"queues empty after {drain(env):.0f} s (the workers' backlog)")
    ledger = check_ledger(run["ledger"])
    say(f"acknowledged writes checked: {ledger['checked']}")
    for line in ledger["lost"][:30]:
        say(f"  LOST: {line}")
    say(f"lost writes: {len(ledger['lost'])}")
    verified, verify_output = audit_verify(env)
    say(f"audit verify: {'OK' if verified else 'FAILED'}: {verify_output[:600]}")
    dead = dead_letters(env)
    say(f"dead-letter queues: {dead or 'all empty'}")
    tracebacks = server_tracebacks(workdir)
    for line in tracebacks["app"][:20]:
        say(f"  server exception (app): {line[:300]}")
    moto_lines = sorted(set(tracebacks["moto"]))
    say(f"moto's own server logged {len(tracebacks['moto'])} exceptions (HTTP 500 to botocore, "
        f"which retries): {moto_lines[:5]}")
    fuzz_figures = ({"fuzz_cases": None, "fuzz_5xx": None} if args.no_fuzz
                    else fuzz(args.fuzz_examples))
    load_end = loadavg()
    result = {
        "bench": "load", "users": args.users, "seconds": seconds,
        "requests_total": total["requests"] if total else 0,
        "errors": total["failures"] if total else 0,
        "server_errors_5xx": server_error_count(run["failures"]),
        "lost_writes": len(ledger["lost"]),
        "p95_ms_by_endpoint": {r["name"]: r["p95_ms"] for r in endpoints},
        "requests_by_endpoint": {r["name"]: r["requests"] for r in endpoints},
        "rps": total["rps"] if total else 0.0,
        "p95_ms_all": total["p95_ms"] if total else None,
        "writes_checked": ledger["checked"],
        "expected_refusals": sum(run["ledger"]["expected_refusals"].values()),
        "audit_verified": verified,
        "audit_verified_under_load": run["live_verify"],
        "server_exceptions_logged": len(tracebacks["app"]),
        "dead_letters": sum(dead.values()),
        "moto_exceptions_logged": len(tracebacks["moto"]),
        **fuzz_figures,
        "settings": {"PORCHLIGHT_LOGIN_IP_LIMIT": ip_limit,
                     "policy_during_run": "needs_supervisor=true"},
        "load_average": {"start": load_start, "end": load_end},
        "total_s": round(time.monotonic() - started, 1),
    }
    say(f"\nsummary: {result['requests_total']} requests ({result['rps']}/s), "
        f"{result['errors']} errors ({result['server_errors_5xx']} 5xx), "
        f"{result['lost_writes']} lost writes, audit "
        f"{'verifies' if verified else 'BROKEN'}; p95 over all {result['p95_ms_all']} ms; "
        f"load average {load_start} at the start, {load_end} at the end")
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
