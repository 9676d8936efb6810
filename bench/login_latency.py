"""Login round trip on devstack: the JSON login and the HTML form login, over real HTTP.

The embedded stack starts in this process as the tests start it (moto's server on loopback,
the tables, bucket and queues, the demo seed), and the app is served by werkzeug's threaded
server on a free loopback port. Each login uses a new requests.Session: an untimed GET gives it
its anonymous CSRF cookie and token, then only the POST is timed with time.perf_counter. The
GET leaves a kept-alive connection, so the timed POST does not pay for a TCP connect.

Logins run one after another, with the demo owner (no MFA step), the form logins spread
evenly among the JSON ones so both meet the same machine load: a login is a round of DynamoDB
calls to moto over loopback HTTP plus one argon2id verify, which is timed alone too.

    .venv/bin/python bench/login_latency.py [--logins 200] [--form-logins 50]

Figures are printed for people; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stats import percentile  # bench/stats.py: the script's folder is first on sys.path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `python bench/login_latency.py` puts only bench/ on the path

EMAIL = "owner@demo.porchlight.test"
PASSWORD = "owner-demo-pass-1"  # devstack/seed.py: demo data, in memory only
WARMUP = 5
ARGON2_VERIFIES = 20
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "mean_ms": statistics.fmean(ms),
            "min_ms": min(ms), "max_ms": max(ms)}


def show(label: str, stats: dict[str, float]) -> None:
    print(f"  {label:34} " + "  ".join(f"{key[:-3]} {stats[key]:7.1f}" for key in
                                      ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms")))


def rounded(stats: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 2) for key, value in stats.items()}


class Probe:
    """WSGI middleware plus two wrappers: where the time of each watched POST goes.

    For every POST to a watched path it records the time inside the WSGI app (until the body
    is produced), the time in argon2 (app.core.passwords.verify_password) and the time and
    count of pynamodb's DynamoDB calls (each an HTTP request to moto) made during it. What the
    client sees beyond the WSGI figure is HTTP parsing, the socket and requests itself. The
    wrappers add a few microseconds per call; they patch this process only, no project file.
    """

    def __init__(self, app: Any, paths: tuple[str, ...]) -> None:
        self.app = app
        self.paths = paths
        self.records: list[dict[str, Any]] = []
        self.recording = False
        self._local = threading.local()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not (self.recording and environ.get("REQUEST_METHOD") == "POST"
                and path in self.paths):
            return self.app(environ, start_response)
        record: dict[str, Any] = {"path": path, "argon2_s": 0.0, "dynamo_s": 0.0,
                                  "dynamo_ops": {}}
        self._local.record = record
        start = time.perf_counter()
        try:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            record["server_s"] = time.perf_counter() - start
            self._local.record = None
        self.records.append(record)
        return [body]

    def _current(self) -> dict[str, Any] | None:
        return getattr(self._local, "record", None)

    def install(self) -> None:
        from pynamodb.connection.base import Connection

        from app.core import passwords

        probe = self
        make_api_call = Connection._make_api_call
        verify_password = passwords.verify_password

        def timed_api_call(conn: Any, operation_name: str, operation_kwargs: Any) -> Any:
            record = probe._current()
            start = time.perf_counter()
            try:
                return make_api_call(conn, operation_name, operation_kwargs)
            finally:
                if record is not None:
                    record["dynamo_s"] += time.perf_counter() - start
                    ops = record["dynamo_ops"]
                    ops[operation_name] = ops.get(operation_name, 0) + 1

        def timed_verify(stored_hash: str, password: str) -> bool:
            record = probe._current()
            start = time.perf_counter()
            try:
                return verify_password(stored_hash, password)
            finally:
                if record is not None:
                    record["argon2_s"] += time.perf_counter() - start

        Connection._make_api_call = timed_api_call  # type: ignore[method-assign]
        passwords.verify_password = timed_verify

    def take(self, path: str) -> list[dict[str, Any]]:
        """The records of this path so far, removed from the probe."""
        mine = [r for r in self.records if r["path"] == path]
        self.records = [r for r in self.records if r["path"] != path]
        return mine


def breakdown(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per request (ms) of the server time and its parts, and DynamoDB calls."""
    def median_ms(key: str) -> float:
        return round(statistics.median(r[key] for r in records) * 1000, 2)

    rest = [r["server_s"] - r["argon2_s"] - r["dynamo_s"] for r in records]
    ops: dict[str, int] = {}
    for record in records:
        for name, count in record["dynamo_ops"].items():
            ops[name] = ops.get(name, 0) + count
    return {
        "server_p50_ms": median_ms("server_s"),
        "argon2_p50_ms": median_ms("argon2_s"),
        "dynamodb_p50_ms": median_ms("dynamo_s"),
        "other_p50_ms": round(statistics.median(rest) * 1000, 2),
        "dynamodb_calls": {name: round(count / len(records), 2)
                           for name, count in sorted(ops.items())},
    }


def show_breakdown(label: str, parts: dict[str, Any]) -> None:
    calls = parts["dynamodb_calls"]
    print(f"  {label:24} in app {parts['server_p50_ms']:6.1f} = argon2 "
          f"{parts['argon2_p50_ms']:6.1f} + DynamoDB {parts['dynamodb_p50_ms']:5.1f} "
          f"({sum(calls.values()):g} calls) + rest {parts['other_p50_ms']:5.1f}")


def json_login(base: str) -> Callable[[], float]:
    import requests

    def once() -> float:
        with requests.Session() as http:
            token = http.get(base + "/api/csrf", timeout=30).json()["csrf_token"]
            start = time.perf_counter()
            response = http.post(base + "/api/session", json={"email": EMAIL,
                                                               "password": PASSWORD},
                                 headers={"X-CSRF-Token": token}, timeout=30)
            elapsed = time.perf_counter() - start
        if response.status_code != 201 or "pl_session" not in response.cookies:
            raise SystemExit(f"JSON login failed: {response.status_code} {response.text[:300]}")
        return elapsed

    return once


def form_login(base: str) -> Callable[[], float]:
    import requests

    def once() -> float:
        with requests.Session() as http:
            page = http.get(base + "/login", timeout=30)
            match = CSRF_RE.search(page.text)
            if page.status_code != 200 or match is None:
                raise SystemExit(f"GET /login gave {page.status_code} and no CSRF token")
            start = time.perf_counter()
            response = http.post(base + "/login", data={"email": EMAIL, "password": PASSWORD,
                                                        "csrf_token": match.group(1)},
                                 allow_redirects=False, timeout=30)
            elapsed = time.perf_counter() - start
        if response.status_code != 302 or "pl_session" not in response.cookies:
            raise SystemExit(f"form login failed: {response.status_code} {response.text[:300]}")
        return elapsed

    return once


def run_logins(json_once: Callable[[], float], form_once: Callable[[], float], logins: int,
               form_logins: int, probe: Probe) -> tuple[list[float], list[float]]:
    """WARMUP untimed logins of each kind, then the timed ones with the probe recording.

    The form logins are spread evenly among the JSON logins (one every logins/form_logins), so
    that both see the same load on the machine and their figures can be compared.
    """
    for _ in range(WARMUP):
        json_once()
        form_once()
    json_times: list[float] = []
    form_times: list[float] = []
    probe.recording = True
    try:
        for done in range(1, logins + 1):
            json_times.append(json_once())
            while len(form_times) < form_logins * done // logins:
                form_times.append(form_once())
    finally:
        probe.recording = False
    return json_times, form_times


def argon2_verify_times() -> list[float]:
    from app.core import passwords

    stored = passwords.hash_password(PASSWORD)
    passwords.verify_password(stored, PASSWORD)  # untimed: the hasher is built on first use
    times = []
    for _ in range(ARGON2_VERIFIES):
        start = time.perf_counter()
        ok = passwords.verify_password(stored, PASSWORD)
        times.append(time.perf_counter() - start)
        if not ok:
            raise SystemExit("argon2 verify of the right password returned False")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=200, help="timed JSON logins (200)")
    parser.add_argument("--form-logins", type=int, default=50, help="timed form logins (50)")
    args = parser.parse_args()
    if args.logins < 1 or args.form_logins < 1:
        parser.error("--logins and --form-logins must be at least 1")
    # moto's server and the app's server share werkzeug's request log: one line per request.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from devstack import seed, stack
    from tests.support import AppServer

    load = os.getloadavg()[0]
    print(f"login latency on devstack: {args.logins} JSON logins and {args.form_logins} form "
          f"logins, interleaved, one at a time, after {WARMUP} warm-ups of each")
    print(f"load average (1 min) {load:.2f} on {os.cpu_count()} CPUs"
          + ("; other work is running, so expect noisy figures" if load >= 1 else ""))
    started = time.perf_counter()
    server = AppServer()
    local = stack.start(extra_env={"PORCHLIGHT_PUBLIC_URL": server.url,
                                   "PORCHLIGHT_LOGIN_IP_LIMIT": "100000"})
    try:
        from app import create_app

        app = create_app()
        seed.seed()
        probe = Probe(app, ("/api/session", "/login"))
        probe.install()
        server.start(probe)
        print(f"stack, app and seed ready in {time.perf_counter() - started:.1f}s at "
              f"{server.url} (moto at {local.endpoint})")

        json_times, form_times = run_logins(json_login(server.url), form_login(server.url),
                                            args.logins, args.form_logins, probe)
        argon2_times = argon2_verify_times()
    finally:
        server.stop()
        local.stop()
        for key in local.env:
            os.environ.pop(key, None)

    json_stats = summary_ms(json_times)
    form_stats = summary_ms(form_times)
    json_parts = breakdown(probe.take("/api/session"))
    form_parts = breakdown(probe.take("/login"))
    argon2 = summary_ms(argon2_times)
    quarter = max(1, args.logins // 4)
    first, last = (statistics.median(json_times[:quarter]) * 1000,
                   statistics.median(json_times[-quarter:]) * 1000)
    share = json_parts["argon2_p50_ms"] / json_stats["p50_ms"]

    print("\nclient-side time of the POST (ms):")
    show(f"JSON POST /api/session  (n={args.logins})", json_stats)
    show(f"form POST /login        (n={args.form_logins})", form_stats)
    print(f"argon2id verify_password alone, {ARGON2_VERIFIES} times, outside any request (ms):")
    show("app.core.passwords.verify_password", argon2)
    print("where the time goes inside the app, per login (ms; the median of each part, so the")
    print("parts need not add up exactly; rest is Flask, CSRF, templates and JSON):")
    show_breakdown("JSON POST /api/session", json_parts)
    show_breakdown("form POST /login", form_parts)
    print("  DynamoDB calls per JSON login: " + ", ".join(
        f"{name} x{count:g}" for name, count in json_parts["dynamodb_calls"].items()))
    print(f"\nthe password hash is {share:.0%} of the median JSON login "
          f"({json_parts['argon2_p50_ms']:.1f} of {json_stats['p50_ms']:.1f} ms)")
    print(f"drift: median of the first {quarter} JSON logins {first:.1f} ms, "
          f"of the last {quarter} {last:.1f} ms")
    print(f"load average (1 min) at the end {os.getloadavg()[0]:.2f}")

    print(json.dumps({
        "bench": "login_latency",
        "logins": args.logins,
        **{key: round(value, 2) for key, value in json_stats.items()},
        "form_logins": args.form_logins,
        "form": rounded(form_stats),
        "argon2_verify": rounded(argon2),
        "argon2_share_of_p50": round(share, 3),
        "json_breakdown": json_parts,
        "form_breakdown": form_parts,
        "first_quarter_median_ms": round(first, 2),
        "last_quarter_median_ms": round(last, 2),
        "loadavg_1m_start": round(load, 2),
        "loadavg_1m_end": round(os.getloadavg()[0], 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
