"""Cold-start proxy: wall time of `import app.wsgi` in a fresh interpreter against `import flask`.

Each run is a new process of this virtualenv's python (sys.executable) with its cwd at the repo
root, so the figure includes interpreter start-up, every import and create_app(). The commands
are interleaved (bare python, flask, app, bare python, flask, app, ...) so that drift in the
machine's load falls on all of them alike. One untimed run of each comes first, so .pyc files
exist and the page cache is warm, as on a warm Lambda host (a truly first boot costs more).

The child gets a fake, self-contained environment: importing app.wsgi must make no network
call, and one extra run with an audit hook on the socket module checks that it makes none.

    .venv/bin/python bench/cold_start.py [--runs 15]

Figures are printed for people; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from stats import percentile  # bench/stats.py: the script's folder is first on sys.path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

FAKE_ENV = {
    "PORCHLIGHT_ENV": "devstack",
    "PORCHLIGHT_SECRET_KEY": "bench-secret",
    "AWS_REGION": "us-east-1",
    "PORCHLIGHT_TABLE_PREFIX": "bench-",
    "PORCHLIGHT_UPLOADS_BUCKET": "bench-uploads",
    "PORCHLIGHT_CLIPS_BUCKET": "bench-clips",
    "PORCHLIGHT_MAIL_QUEUE_URL": "http://127.0.0.1:9/queue/bench-mail",
    "PORCHLIGHT_AUDIT_QUEUE_URL": "http://127.0.0.1:9/queue/bench-audit-fanout",
    "PORCHLIGHT_PUSH_QUEUE_URL": "http://127.0.0.1:9/queue/bench-push",
    "PORCHLIGHT_CLIPS_QUEUE_URL": "http://127.0.0.1:9/queue/bench-clips",
    "PORCHLIGHT_PUBLIC_URL": "http://127.0.0.1:8000",
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
}

COMMANDS = {
    "python": "pass",
    "flask": "import flask",
    "app": "import app.wsgi",
}

# Run in the child before `import app.wsgi`: records every socket-level network attempt. A bind
# is recorded apart, with the file that made it: binding a loopback port sends nothing (urllib3
# binds ::1 at import to learn whether the host has IPv6).
NETWORK_PROBE = """
import json, sys
calls, binds = [], []
WATCH = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
         "socket.sendto", "socket.sendmsg"}
def hook(event, args):
    if event in WATCH:
        calls.append([event, repr(args[1:] if event == "socket.connect" else args)[:200]])
    elif event == "socket.bind":
        frame = sys._getframe(1)
        binds.append([repr(args[1])[:100], f"{frame.f_code.co_filename}:{frame.f_lineno}"])
sys.addaudithook(hook)
import app.wsgi
print(json.dumps({"calls": calls, "binds": binds}))
"""


def child_env() -> dict[str, str]:
    """Only what the child needs: no AWS profile, endpoint or PYTHON* setting leaks in."""
    env = {key: os.environ[key] for key in ("PATH", "LANG", "LC_ALL", "TMPDIR")
           if key in os.environ}
    env["HOME"] = os.environ.get("HOME", "/nonexistent")
    env.update(FAKE_ENV)
    return env


def run_child(code: str, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([PYTHON, *flags, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"child `python {' '.join(flags)} -c {code!r}` failed "
                         f"(exit {result.returncode})")
    return result


def timed(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    run_child(code, env)
    return time.perf_counter() - start


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "p90": percentile(values, 90),
            "min": min(values), "max": max(values)}


def parse_importtime(stderr: str) -> list[dict[str, object]]:
    """Rows of `-X importtime`: module, self and cumulative microseconds, nesting depth."""
    rows: dict[str, dict[str, object]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        self_us, cumulative_us = int(parts[0]), int(parts[1])
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip())) // 2
        name = name.strip()
        # A module can be listed twice (a re-entrant import); keep its larger figure.
        known = rows.get(name)
        if known is None or cumulative_us > int(str(known["cumulative_us"])):
            rows[name] = {"module": name, "cumulative_us": cumulative_us, "self_us": self_us,
                          "depth": depth}
    return sorted(rows.values(), key=lambda row: -int(str(row["cumulative_us"])))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each (default 15)")
    parser.add_argument("--top", type=int, default=10, help="heaviest imports to list")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    env = child_env()

    print(f"cold start: {PYTHON}, cwd {ROOT}, {args.runs} interleaved runs each")
    load = os.getloadavg()[0]
    print(f"load average (1 min) {load:.2f} on {os.cpu_count()} CPUs"
          + ("; other work is running, so expect noisy figures" if load >= 1 else ""))
    for code in COMMANDS.values():  # untimed: writes .pyc files and warms the page cache
        run_child(code, env)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, code in COMMANDS.items():
            times[name].append(timed(code, env))

    stats = {name: summary(values) for name, values in times.items()}
    print(f"{'':28} {'median':>9} {'p90':>9} {'min':>9} {'max':>9}")
    for name, code in COMMANDS.items():
        row = stats[name]
        label = f'python -c "{code}"'
        print(f"{label:28} " + " ".join(f"{row[k] * 1000:7.1f}ms" for k in
                                         ("median", "p90", "min", "max")))
    ratio = stats["app"]["median"] / stats["flask"]["median"]
    over_flask = stats["app"]["median"] - stats["flask"]["median"]
    print(f"ratio of medians app/flask: {ratio:.2f}  (app costs {over_flask * 1000:.0f} ms more "
          f"than flask alone; bare interpreter {stats['python']['median'] * 1000:.0f} ms)")

    importtime = run_child(COMMANDS["app"], env, "-X", "importtime")
    rows = parse_importtime(importtime.stderr)
    top = rows[:args.top]
    print(f"\nheaviest imports of `import app.wsgi` (one -X importtime run, {len(rows)} modules;")
    print("cumulative includes children, and a module shared by two parents is charged to the")
    print("first that imports it):")
    print(f"  {'cumulative':>11} {'self':>9}  module")
    for row in top:
        print(f"  {int(str(row['cumulative_us'])) / 1000:9.1f}ms "
              f"{int(str(row['self_us'])) / 1000:7.1f}ms  {'  ' * int(str(row['depth']))}"
              f"{row['module']}")

    packages: dict[str, int] = {}
    for row in rows:
        package = str(row["module"]).split(".")[0]
        packages[package] = packages.get(package, 0) + int(str(row["self_us"]))
    heavy = sorted(packages.items(), key=lambda item: -item[1])[:args.top]
    print("\nself time summed by top-level package (where the import time is really spent;")
    print("app.wsgi's own self time includes running create_app()):")
    print("  " + ", ".join(f"{name} {us / 1000:.0f}ms" for name, us in heavy))

    probe = run_child(NETWORK_PROBE, env)
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    network, binds = found["calls"], found["binds"]
    if network:
        print(f"\nWARNING: importing app.wsgi attempted {len(network)} network call(s):")
        for event, detail in network:
            print(f"  {event} {detail}")
    else:
        print("\nnetwork: importing app.wsgi made no connect, DNS lookup or send")
    for address, origin in binds:
        print(f"  (local only: socket bind to {address} by {origin.replace(str(ROOT) + '/', '')})")

    print(json.dumps({
        "bench": "cold_start",
        "runs": args.runs,
        "python": PYTHON,
        "flask_median_s": round(stats["flask"]["median"], 4),
        "flask_p90_s": round(stats["flask"]["p90"], 4),
        "flask_min_s": round(stats["flask"]["min"], 4),
        "app_median_s": round(stats["app"]["median"], 4),
        "app_p90_s": round(stats["app"]["p90"], 4),
        "app_min_s": round(stats["app"]["min"], 4),
        "bare_python_median_s": round(stats["python"]["median"], 4),
        "ratio": round(ratio, 3),
        "top_imports": [{"module": row["module"], "cumulative_us": row["cumulative_us"],
                         "self_us": row["self_us"]} for row in top],
        "packages_self_us": dict(heavy),
        "network_calls": network,
        "socket_binds": binds,
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
