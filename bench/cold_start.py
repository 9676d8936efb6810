"""Cold-start proxy: `import app.wsgi` in a fresh interpreter against `import flask` and a bare
one, interleaved; where the import time goes; and that importing the app touches no network
(docs/benchmarks.md).

    .venv/bin/python -m bench.cold_start [--runs 15] [--quick]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter

from bench.harness import PYTHON, ROOT, begin, finish, options, percentile

FAKE_ENV = {
    "PORCHLIGHT_ENV": "devstack", "PORCHLIGHT_SECRET_KEY": "bench-secret",
    "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
    "PORCHLIGHT_TABLE_PREFIX": "bench-", "PORCHLIGHT_UPLOADS_BUCKET": "bench-uploads",
    "PORCHLIGHT_CLIPS_BUCKET": "bench-clips", "PORCHLIGHT_PUBLIC_URL": "http://127.0.0.1:8000",
    **{f"PORCHLIGHT_{name}_QUEUE_URL": f"http://127.0.0.1:9/queue/bench-{name.lower()}"
       for name in ("MAIL", "AUDIT", "PUSH", "CLIPS")},
}
COMMANDS = {"python": "pass", "flask": "import flask", "app": "import app.wsgi"}
# Every socket-level network attempt while importing the app; a bind to a loopback port sends
# nothing (urllib3 binds ::1 at import to learn whether the host has IPv6), so binds are apart.
NETWORK_PROBE = """
import json, sys
calls, binds = [], []
WATCH = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
         "socket.sendto", "socket.sendmsg"}
def hook(event, args):
    if event in WATCH:
        calls.append([event, repr(args)[:200]])
    elif event == "socket.bind":
        binds.append(repr(args[1])[:100])
sys.addaudithook(hook)
import app.wsgi
print(json.dumps({"calls": calls, "binds": binds}))
"""


def import_times(stderr: str, top: int = 8) -> dict[str, float]:
    """`-X importtime` self time summed by top-level package, the heaviest first (ms)."""
    packages: Counter[str] = Counter()
    for line in stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[0].strip().isdigit():
            packages[parts[2].strip().split(".")[0]] += int(parts[0])
    return {name: round(us / 1000, 1) for name, us in packages.most_common(top)}


def child(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """`python [flags] -c code` with only the fake environment (no AWS profile, no PYTHON*)."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update(FAKE_ENV, HOME=os.environ.get("HOME", "/nonexistent"))
    done = subprocess.run([PYTHON, *flags, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"`python -c {code!r}` failed:\n{done.stderr[-2000:]}")
    return done


def main() -> int:
    args = options(__doc__, {"runs": (15, 2, "timed runs of each command")})
    started = begin("cold_start", args, f"{args.runs} interleaved runs of bare python, "
                    "`import flask` and `import app.wsgi`, each in a fresh process")
    for code in COMMANDS.values():
        child(code)  # untimed: .pyc files and the page cache
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, code in COMMANDS.items():
            t0 = time.perf_counter()
            child(code)
            times[name].append(time.perf_counter() - t0)
    packages = import_times(child(COMMANDS["app"], "-X", "importtime").stderr)
    probe = json.loads(child(NETWORK_PROBE).stdout.strip().splitlines()[-1])
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"medians: bare python {median['python'] * 1000:.0f} ms, flask "
          f"{median['flask'] * 1000:.0f} ms, app {median['app'] * 1000:.0f} ms; the app costs "
          f"{(median['app'] - median['flask']) * 1000:.0f} ms more than flask alone")
    print("network while importing app.wsgi: " + ("none (no connect, lookup or send)"
                                                   if not probe["calls"] else str(probe["calls"])))
    return finish("cold_start", args, {
        "runs": args.runs,
        **{f"{name}_median_s": round(m, 4) for name, m in median.items()},
        "app_p90_s": round(percentile(times["app"], 90), 4),
        "flask_p90_s": round(percentile(times["flask"], 90), 4),
        "app_min_s": round(min(times["app"]), 4),
        "ratio_app_to_flask": round(median["app"] / median["flask"], 3),
        "network_calls": len(probe["calls"]),
        "socket_binds": probe["binds"],
        "import_self_ms_by_package": packages,
    }, started)


if __name__ == "__main__":
    sys.exit(main())
