"""Login round trip on devstack over real HTTP: the JSON login and the HTML form login of the
demo owner, one at a time, and where the time goes: argon2id (timed alone after each login),
DynamoDB calls, the rest (docs/benchmarks.md).

    .venv/bin/python -m bench.login_latency [--logins 200] [--form-logins 50] [--quick]
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from typing import Any

from bench.harness import DynamoCalls, begin, finish, options, repeat, running, say, summary

EMAIL, PASSWORD = "owner@demo.porchlight.test", "owner-demo-pass-1"  # devstack/seed.py
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class InApp:
    """WSGI wrapper: seconds inside the app, and its DynamoDB calls, of each POST."""

    def __init__(self, dynamo: DynamoCalls) -> None:
        self.app: Any = None
        self.dynamo = dynamo
        self.records: list[dict[str, Any]] = []

    def around(self, app: Any) -> InApp:
        self.app = app
        return self

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] != "POST":
            return self.app(environ, start_response)
        self.dynamo.reset()  # logins run one at a time
        t0 = time.perf_counter()
        body = b"".join(self.app(environ, start_response))
        self.records.append({"path": environ["PATH_INFO"], "app_s": time.perf_counter() - t0,
                             "dynamo_s": self.dynamo.total(),
                             "dynamo_calls": sum(self.dynamo.calls.values())})
        return [body]


def json_login(base: str) -> float:
    import requests

    with requests.Session() as http:
        token = http.get(base + "/api/csrf", timeout=30).json()["csrf_token"]
        t0 = time.perf_counter()
        answer = http.post(base + "/api/session", json={"email": EMAIL, "password": PASSWORD},
                           headers={"X-CSRF-Token": token}, timeout=30)
        took = time.perf_counter() - t0
    if answer.status_code != 201:
        raise SystemExit(f"JSON login failed: {answer.status_code} {answer.text[:300]}")
    return took


def form_login(base: str) -> float:
    import requests

    with requests.Session() as http:
        token = CSRF_RE.search(http.get(base + "/login", timeout=30).text)
        if token is None:
            raise SystemExit("GET /login has no CSRF token")
        t0 = time.perf_counter()
        answer = http.post(base + "/login", data={"email": EMAIL, "password": PASSWORD,
                                                  "csrf_token": token.group(1)},
                           allow_redirects=False, timeout=30)
        took = time.perf_counter() - t0
    if answer.status_code != 302 or "pl_session" not in answer.cookies:
        raise SystemExit(f"form login failed: {answer.status_code} {answer.text[:300]}")
    return took


def inside(records: list[dict[str, Any]], path: str) -> dict[str, float]:
    mine = [r for r in records if r["path"] == path]
    return {"app_p50_ms": round(statistics.median(r["app_s"] for r in mine) * 1000, 2),
            "dynamodb_p50_ms": round(statistics.median(r["dynamo_s"] for r in mine) * 1000, 2),
            "dynamodb_calls": round(statistics.fmean(r["dynamo_calls"] for r in mine), 2)}


def main() -> int:
    args = options(__doc__, {"logins": (200, 8, "timed JSON logins"),
                             "form_logins": (50, 4, "timed form logins"),
                             "warmup": (5, 1, "untimed logins of each kind first")})
    started = begin("login_latency", args, f"{args.logins} JSON and {args.form_logins} form "
                    "logins of the demo owner, one at a time, over HTTP on devstack")
    dynamo = DynamoCalls()
    probe = InApp(dynamo)
    with dynamo, running(wrap=probe.around) as stack:
        from app.core import passwords

        for _ in range(args.warmup):
            json_login(stack.url)
            form_login(stack.url)
        probe.records.clear()
        json_times: list[float] = []
        form_times: list[float] = []
        argon2: list[float] = []  # one verify after each JSON login: the same machine load
        stored = passwords.hash_password(PASSWORD)
        for done in range(1, args.logins + 1):
            json_times.append(json_login(stack.url))
            argon2 += repeat(lambda: passwords.verify_password(stored, PASSWORD), 1, 0)
            while len(form_times) < args.form_logins * done // args.logins:
                form_times.append(form_login(stack.url))
        records = probe.records
    json_ms, form_ms, argon2_ms = summary(json_times), summary(form_times), summary(argon2)
    quarter = max(1, args.logins // 4)
    share = argon2_ms["p50"] / json_ms["p50"]
    say(f"JSON login p50 {json_ms['p50']} ms, form login p50 {form_ms['p50']} ms; argon2id "
        f"verify alone {argon2_ms['p50']} ms = {share:.0%} of the JSON login")
    return finish("login_latency", args, {
        "logins": args.logins, "form_logins": args.form_logins,
        "p50_ms": json_ms["p50"], "p95_ms": json_ms["p95"], "max_ms": json_ms["max"],
        "form_p50_ms": form_ms["p50"], "form_p95_ms": form_ms["p95"],
        "argon2_verify_p50_ms": argon2_ms["p50"], "argon2_share_of_p50": round(share, 3),
        "json_inside_app": inside(records, "/api/session"),
        "form_inside_app": inside(records, "/login"),
        "first_quarter_median_ms": round(statistics.median(json_times[:quarter]) * 1000, 2),
        "last_quarter_median_ms": round(statistics.median(json_times[-quarter:]) * 1000, 2),
    }, started)


if __name__ == "__main__":
    sys.exit(main())
