"""The benchmarks' one harness (docs/benchmarks.md): options with --quick, devstack and the app,
accounts and HTTP clients, DynamoDB call counts, statistics, and the output convention: figures
for people, then exactly one last line of JSON {"bench": NAME, "quick": bool, ...figures}.

Only public entry points: devstack.stack.start, devstack.seed, devstack.worker_loop.WorkerLoop,
app.create_app, services and models by their public names, PynamoDB's public signals.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import socket
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pynamodb.signals import post_dynamodb_send, pre_dynamodb_send

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "bench-password-not-secret-1"  # the bench's own accounts, on an in-memory devstack


def options(doc: str, knobs: dict[str, tuple[Any, Any, str]],
            extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """--quick, and each knob NAME: (full, quick, help); one given on the command line wins."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: the same code with tiny sizes; figures mean nothing")
    for name, (full, quick, text) in knobs.items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(full), default=None,
                            help=f"{text} (default {full}; --quick {quick})")
    if extra:
        extra(parser)
    args = parser.parse_args()
    for name, (full, quick, _text) in knobs.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def say(text: str = "") -> None:
    print(text, flush=True)


def begin(name: str, args: argparse.Namespace, what: str) -> float:
    """The opening lines (what runs, on which machine, how loaded); the start time."""
    say(f"bench.{name}: {what}" + ("  [--quick: a smoke run, the figures mean nothing]"
                                   if args.quick else ""))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    say(f"machine: {os.cpu_count()} CPUs, load average {load}, Python {sys.version.split()[0]}")
    return time.perf_counter()


def finish(name: str, args: argparse.Namespace, figures: dict[str, Any], started: float) -> int:
    """The figures for people, then the one JSON line; the exit code."""
    figures = {**figures, "total_s": round(time.perf_counter() - started, 1),
               "load_average_end": round(os.getloadavg()[0], 2)}
    say("\nfigures:")
    for key, value in figures.items():
        say(f"  {key:<38} {json.dumps(value) if isinstance(value, dict | list) else value}")
    print(json.dumps({"bench": name, "quick": args.quick, **figures}, default=str), flush=True)
    return 0


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(seconds: list[float], scale: float = 1000.0, digits: int = 2) -> dict[str, Any]:
    """n, p50, p95, min, max and mean, in ms by default (scale 1 keeps seconds)."""
    if not seconds:
        return {"n": 0, "p50": None, "p95": None, "min": None, "max": None, "mean": None}
    v = [s * scale for s in seconds]
    return {"n": len(v), **{k: round(x, digits) for k, x in (
        ("p50", percentile(v, 50)), ("p95", percentile(v, 95)), ("min", min(v)),
        ("max", max(v)), ("mean", statistics.fmean(v)))}}


def repeat(step: Callable[[], Any], runs: int, warmup: int = 1) -> list[float]:
    """Seconds of each of `runs` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


class DynamoCalls:
    """DynamoDB calls in this process while entered, from PynamoDB's signals: count and seconds
    by operation, the most in flight at once; a call with no post signal raised (for a
    TransactWriteItems, a cancelled transaction: a lost race)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open: dict[Any, tuple[str, float]] = {}
        self.calls: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.max_in_flight = 0

    def reset(self) -> None:
        with self.lock:
            self.open, self.calls, self.max_in_flight = {}, Counter(), 0
            self.seconds.clear()

    def failed(self) -> Counter[str]:
        with self.lock:
            return Counter(op for op, _ in self.open.values())

    def total(self) -> float:
        with self.lock:
            return sum(self.seconds.values())

    def _pre(self, _sender: Any, operation_name: str, req_uuid: Any, **_: Any) -> None:
        with self.lock:
            self.open[req_uuid] = (operation_name, time.perf_counter())
            self.max_in_flight = max(self.max_in_flight, len(self.open))

    def _post(self, _sender: Any, operation_name: str, req_uuid: Any, **_: Any) -> None:
        with self.lock:
            _op, began = self.open.pop(req_uuid, (operation_name, time.perf_counter()))
            self.calls[operation_name] += 1
            self.seconds[operation_name] += time.perf_counter() - began

    def __enter__(self) -> DynamoCalls:
        pre_dynamodb_send.connect(self._pre, weak=False)
        post_dynamodb_send.connect(self._post, weak=False)
        return self

    def __exit__(self, *_exc: Any) -> None:
        pre_dynamodb_send.disconnect(self._pre)
        post_dynamodb_send.disconnect(self._post)


@dataclass
class Running:
    url: str  # the app's, "" when it is not served
    local: Any  # devstack.stack.Devstack
    settings: Any


@contextmanager
def running(app: bool = True, workers: bool | tuple[str, ...] = False, seed: bool = True,
            schedules: bool = False, wrap: Callable[[Any], Any] | None = None,
            port: int = 0) -> Iterator[Running]:
    """devstack (DynamoDB Local, and moto in this process: one per process), the demo seed, the
    workers fed from SQS (all or these queues) and the app on a free port, as `make run` and
    the tests start them; all stopped, and the environment cleaned, afterwards."""
    from werkzeug.serving import make_server

    from devstack import seed as demo
    from devstack import stack
    from devstack.worker_loop import WorkerLoop
    from lambdas.registry import QUEUES, SCHEDULES

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request, moto's too
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # the workers' JSON lines
    served: dict[str, Any] = {}
    server = make_server("127.0.0.1", port, lambda e, s: served["app"](e, s),
                         threaded=True) if app else None
    local = stack.start(port=server.server_port if server else 8000, visibility_seconds=1,
                        extra_env={"PORCHLIGHT_LOGIN_IP_LIMIT": "1000000"})
    loop, thread = None, None
    try:
        if server:
            from app import create_app

            served["app"] = create_app()
            settings = served["app"].config["SETTINGS"]
        else:
            from lambdas.common import settings as worker_settings

            settings = worker_settings()
        if seed and demo.is_empty():
            demo.seed()
        if workers:
            specs = tuple(q for q in QUEUES if workers is True or q.base_name in workers)
            loop = WorkerLoop(local.client("sqs"), local.queue_urls(), stack.REGION, specs=specs,
                              schedules=SCHEDULES if schedules else ()).start()
        if server:
            served["app"] = wrap(served["app"]) if wrap else served["app"]
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
        yield Running(f"http://127.0.0.1:{server.server_port}" if server else "", local, settings)
    finally:
        if server and thread:
            server.shutdown()
        if server:
            server.server_close()
        if loop:
            loop.stop()
        local.stop()
        for key in local.env:
            os.environ.pop(key, None)


@dataclass
class Account:
    user: Any
    email: str
    password: str
    totp_secret: str | None = None


def account(role: str, agency_id: str | None = None) -> Account:
    """A user of this role made through the accounts service, as the demo seed makes them."""
    import pyotp

    from app.core import roles
    from app.models.users import User
    from app.services.people import accounts
    from devstack.seed import AGENCY_ID

    email = f"bench-{role}-{uuid.uuid4().hex[:10]}@example.org"
    user = accounts.create_user(email, PASSWORD, f"Bench {role}", role, agency_id or AGENCY_ID)
    secret = pyotp.random_base32() if roles.requires_mfa(role) else None
    if secret:
        user.update(actions=[User.mfa_secret.set(secret)])
    return Account(user, email, PASSWORD, secret)


class Client:
    """A browser's session on the app over HTTP: cookies, the CSRF token, JSON and forms."""

    def __init__(self, base: str) -> None:
        import requests

        self.base, self.http, self.token = base, requests.Session(), ""

    def csrf(self) -> str:
        if not self.token:
            self.token = self.http.get(self.base + "/api/csrf", timeout=60).json()["csrf_token"]
        return self.token

    def call(self, method: str, path: str, body: Any = None, timeout: float = 120) -> Any:
        headers = {} if method == "GET" else {"X-CSRF-Token": self.csrf()}
        return self.http.request(method, self.base + path, json=body, headers=headers,
                                 timeout=timeout, allow_redirects=False)

    def form(self, path: str, data: dict[str, Any]) -> Any:
        return self.http.post(self.base + path, data={**data, "csrf_token": self.csrf()},
                              timeout=120, allow_redirects=False)

    def signed_in(self, who: Account) -> Client:
        """POST /api/session, then the authenticator's code when the role needs one (a code
        works once: each account here signs in once per devstack)."""
        import pyotp

        steps = [("/api/session", {"email": who.email, "password": who.password}, 201)]
        if who.totp_secret:
            steps.append(("/api/session/mfa", {"code": pyotp.TOTP(who.totp_secret).now()}, 200))
        for path, body, want in steps:
            self.token = ""
            if (answer := self.call("POST", path, body)).status_code != want:
                raise RuntimeError(f"{who.email}: {path} answered {answer.status_code}")
        self.token = ""
        return self


def map_path(lat: float, lon: float, half_m: float) -> str:
    """GET /api/map for a square view `half_m` metres each way of a point, as the police map
    page asks for its view (south, west, north, east)."""
    from app.core.geo import M_PER_DEG_LAT

    dlat = half_m / M_PER_DEG_LAT
    dlon = dlat / math.cos(math.radians(lat))
    return (f"/api/map?south={lat - dlat:.6f}&west={lon - dlon:.6f}"
            f"&north={lat + dlat:.6f}&east={lon + dlon:.6f}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
