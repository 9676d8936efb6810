"""Cold start of the web zip as Lambda runs it: a new container's first /login, and what it
spends the time on.

    .venv/bin/python -m bench.cold_artifact [--runs 10]

Builds dist/porchlight-web.zip with `make package` for the prod stage against a local AWS
holding the prod-named resources (tests/deploy/stage.py), then starts the zip --runs times as a
fresh container would (Python 3.12 -I -S, only the zip and the runtime's SDK on sys.path;
tests/deploy/harness.py) and sends each one API Gateway's REST event for GET /login:

- init: the runtime's import of handler.py (Zappa's module, not yet the app);
- first answer: the first invocation, in which Zappa loads its settings and imports the app,
  create_app() reads the secret from Secrets Manager, and Flask renders the page;
- first byte: process start to the first answer, the figure a person waits for (Lambda's own
  sandbox start and the zip's download come on top on AWS and are not measured here);
- warm: the same request again in the same container.

One more container runs with `-X importtime` to say which imports dominate. Figures are
printed for people; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from infra.artifacts import runtime_python
from tests.deploy import stage
from tests.deploy.harness import Gateway, LambdaProcess, lambda_environment

AIM_S = 1.0


def start(python: str, root: Path, sdk: Path, aws: stage.LocalAws,
          flags: tuple[str, ...] = ()) -> LambdaProcess:
    env = lambda_environment(stage.WEB_FUNCTION, 1024, aws.endpoint, aws.function_env)
    return LambdaProcess(python, root, sdk, "handler.lambda_handler", env, flags=flags)


def one_cold_start(python: str, root: Path, sdk: Path, aws: stage.LocalAws) -> dict[str, float]:
    began = time.perf_counter()
    process = start(python, root, sdk, aws)
    try:
        gateway = Gateway(process, "rest")
        first = gateway.get("/login")
        first_byte = time.perf_counter() - began
        assert first.status == 200, first.text[:300]
        first_s = process.last_duration_s
        warm = []
        for _ in range(5):
            assert gateway.get("/login").status == 200
            warm.append(process.last_duration_s)
        return {"init_s": process.init_s, "spawn_to_ready_s": process.spawn_to_ready_s,
                "first_answer_s": first_s, "first_byte_s": first_byte,
                "warm_s": statistics.median(warm)}
    finally:
        process.stop()


def import_breakdown(python: str, root: Path, sdk: Path, aws: stage.LocalAws,
                     top: int) -> list[tuple[str, float]]:
    """Self time of every import of a cold /login, summed by top-level package."""
    process = start(python, root, sdk, aws, flags=("-X", "importtime"))
    try:
        Gateway(process, "rest").get("/login")
        process.settle()
    finally:
        process.stop()
    packages: dict[str, int] = {}
    for line in process.log.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        package = parts[2].strip().split(".")[0]
        packages[package] = packages.get(package, 0) + int(parts[0])
    ranked = sorted(packages.items(), key=lambda item: -item[1])[:top]
    return [(name, us / 1e6) for name, us in ranked]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="cold containers (default 10)")
    parser.add_argument("--top", type=int, default=8, help="heaviest packages to list")
    args = parser.parse_args()
    python = runtime_python()
    print(f"web zip cold start under {python}; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs")
    aws = stage.start_local_aws()
    try:
        with tempfile.TemporaryDirectory(prefix="cold-artifact-") as tmp:
            root = stage.package_web(aws, Path(tmp))
            sdk = stage.install_runtime_sdk(Path(tmp) / "sdk", python)
            zip_mb = (stage.ROOT / "dist" / "porchlight-web.zip").stat().st_size / 1024 / 1024
            one_cold_start(python, root, sdk, aws)  # untimed: the page cache, as on a host
            runs = [one_cold_start(python, root, sdk, aws) for _ in range(args.runs)]
            heavy = import_breakdown(python, root, sdk, aws, args.top)
    finally:
        aws.stop()

    keys = ("init_s", "first_answer_s", "first_byte_s", "warm_s")
    figures = {key: {"median": statistics.median(r[key] for r in runs),
                     "p90": percentile([r[key] for r in runs], 90)} for key in keys}
    print(f"dist/porchlight-web.zip: {zip_mb:.1f} MB; {args.runs} cold containers, GET /login")
    for key, label in (("init_s", "init (import handler.py)"),
                       ("first_answer_s", "first answer (app import + secret + page)"),
                       ("first_byte_s", "process start to first byte"),
                       ("warm_s", "warm answer")):
        row = figures[key]
        print(f"  {label:44} median {row['median'] * 1000:7.1f} ms   "
              f"p90 {row['p90'] * 1000:7.1f} ms")
    verdict = "under" if figures["first_byte_s"]["median"] < AIM_S else "OVER"
    print(f"  aim: first byte under {AIM_S:.0f} s: {verdict}")
    print("self time of a cold /login's imports, by top-level package:")
    print("  " + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in heavy))
    print(json.dumps({
        "bench": "cold_artifact", "runs": args.runs, "python": python,
        "zip_mb": round(zip_mb, 2),
        **{f"{key.removesuffix('_s')}_{stat}_s": round(row[stat], 4)
           for key, row in figures.items() for stat in ("median", "p90")},
        "imports_s": {name: round(seconds, 4) for name, seconds in heavy},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
