"""Cold start of the web zip as Lambda runs it: a fresh `python3.12 -I -S` container with only
the unzipped zip and the runtime's SDK on its path, fed API Gateway's REST event for GET /login:
init, first answer, first byte, warm answer, and the imports' time by package
(docs/benchmarks.md). --build 0 (--quick) reuses the last zip built (or dist/'s) when there is.

    .venv/bin/python -m bench.cold_artifact [--runs 10] [--build 1] [--quick]
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.cold_start import import_times
from bench.harness import PYTHON, ROOT, begin, finish, options, percentile, say

CACHE = Path(tempfile.gettempdir()) / "porchlight-bench-cold-artifact"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:porchlight-prod-app-Bench1"
CONTAINER = r"""
import json, os, sys, time
t0 = time.perf_counter()
sys.path[:0] = json.loads(sys.argv[1])
out = os.fdopen(int(sys.argv[3]), "w", buffering=1)
import handler
init = time.perf_counter() - t0
class Context:
    aws_request_id, function_name, memory_limit_in_mb = "bench", "porchlight-prod", 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:porchlight-prod"
    log_group_name, log_stream_name = "/aws/lambda/porchlight-prod", "bench"
    def get_remaining_time_in_millis(self):
        return 30000
times = []
for n in range(6):
    began = time.perf_counter()
    status = handler.lambda_handler(json.loads(sys.argv[2]), Context())["statusCode"]
    times.append(time.perf_counter() - began)
    out.write(json.dumps({"answer": n, "status": status}) + "\n")
out.write(json.dumps({"init_s": init, "first_answer_s": times[0],
                      "warm_s": sorted(times[1:])[2]}) + "\n")
"""
HEADERS = {"Host": "cams.example.gov", "X-Forwarded-Proto": "https", "User-Agent": "bench",
           "X-Forwarded-For": "203.0.113.9"}
EVENT = {"resource": "/{proxy+}", "path": "/login", "httpMethod": "GET", "headers": HEADERS,
         "multiValueHeaders": {k: [v] for k, v in HEADERS.items()},
         "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": {"proxy": "login"}, "stageVariables": None, "body": None,
         "isBase64Encoded": False,
         "requestContext": {"accountId": "123456789012", "apiId": "a1b2c3d4e5", "stage": "prod",
                            "requestId": "bench", "resourcePath": "/{proxy+}",
                            "httpMethod": "GET", "path": "/prod/login",
                            "domainName": "cams.example.gov",
                            "identity": {"sourceIp": "203.0.113.9", "userAgent": "bench"}}}


def web_zip(build: bool) -> Path:
    """The zip to run: built now, or (build False) the last one built, or dist's."""
    from infra.zappa_settings import OUTPUT_ENV, complete

    ours, dist = CACHE / "porchlight-web.zip", ROOT / "dist" / "porchlight-web.zip"
    if not build and ours.exists():
        return ours
    CACHE.mkdir(parents=True, exist_ok=True)
    if not build and dist.exists():
        shutil.copyfile(dist, ours)
        return ours
    outputs = {key: f"bench-{key}" for key in OUTPUT_ENV}
    outputs.update(SecretsArn=SECRET_ARN, TablePrefix="porchlight-prod-",
                   WebRoleArn="arn:aws:iam::123456789012:role/porchlight-prod-web")
    settings = complete(json.loads((ROOT / "zappa_settings.json").read_text()), "prod", outputs,
                        "https://cams.example.gov", "Porchlight <no-reply@example.gov>", "")
    (CACHE / "zappa_settings.json").write_text(json.dumps(settings))
    say("building the web zip (python -m infra.package_web --stage prod) ...")
    built = ROOT / "dist" / "porchlight-bench-web.zip"  # package_web wants --out in the repo
    subprocess.run([PYTHON, "-m", "infra.package_web", "--stage", "prod", "--settings",
                    str(CACHE / "zappa_settings.json"), "--out", str(built)], cwd=ROOT,
                   check=True, env={k: v for k, v in os.environ.items()
                                    if not k.startswith(("AWS_", "PORCHLIGHT_"))})
    return Path(shutil.move(built, ours))


def runtime_sdk(python: str) -> Path:
    """The runtime's SDK, installed from its lock and compiled once, cached by the lock's hash."""
    from infra.artifacts import install, runtime_sdk

    sdk = runtime_sdk()
    folder = CACHE / f"sdk-{hashlib.sha256(sdk.lock.read_bytes()).hexdigest()[:12]}"
    if not (folder / ".done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        install(sdk, folder)
        shutil.rmtree(folder / "bin", ignore_errors=True)
        subprocess.run([python, "-m", "compileall", "-q", "-j0", str(folder)], check=True,
                       capture_output=True)
        (folder / ".done").touch()
    return folder


def container(python: str, task: Path, sdk: Path, env: dict[str, str],
              *flags: str) -> tuple[dict[str, Any], str]:
    """One cold container: its figures (first byte measured here) and its stderr."""
    read, write = os.pipe()
    began = time.perf_counter()
    process = subprocess.Popen(
        [python, "-I", "-S", "-B", *flags, "-c", CONTAINER, json.dumps([str(task), str(sdk)]),
         json.dumps(EVENT), str(write)], cwd=task, env=env, pass_fds=(write,),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    os.close(write)
    with os.fdopen(read) as answers:
        first = json.loads(answers.readline() or "{}")
        first_byte = time.perf_counter() - began
        last = json.loads(answers.read().strip().splitlines()[-1] or "{}") if first else {}
    stderr = process.communicate(timeout=60)[1]
    if first.get("status") != 200 or not last:
        raise SystemExit(f"the container's first GET /login failed ({first}):\n{stderr[-3000:]}")
    return {**last, "first_byte_s": first_byte}, stderr


def main() -> int:
    args = options(__doc__, {"runs": (10, 1, "cold containers timed"),
                             "build": (1, 0, "1: build the zip; 0: reuse one when there is")})
    from devstack.stack import REGION, start_moto
    from infra.artifacts import runtime_python

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    python = runtime_python()
    started = begin("cold_artifact", args, f"{args.runs} cold containers of the web zip under "
                    f"{python}, GET /login")
    package = web_zip(bool(args.build))
    sdk = runtime_sdk(python)
    server, endpoint = start_moto()
    try:
        with zipfile.ZipFile(package) as made, tempfile.TemporaryDirectory() as tmp:
            made.extractall(tmp)
            baked = made.read("zappa_settings.py").decode()
            arn = baked.split("'PORCHLIGHT_SECRETS_ARN': '")[1].split("'")[0]
            aws = {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                   "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                   "AWS_SESSION_TOKEN": "bench", "AWS_ENDPOINT_URL": endpoint}
            import boto3

            boto3.client("secretsmanager", **{"region_name": REGION, "endpoint_url": endpoint,
                                              "aws_access_key_id": "bench",
                                              "aws_secret_access_key": "bench"}).create_secret(
                Name=arn.split(":secret:")[1],  # moto finds an ARN's secret by this name
                SecretString=json.dumps({"secret_key": os.urandom(24).hex()}))
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC",
                   "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
                   "AWS_LAMBDA_FUNCTION_NAME": "porchlight-prod",
                   "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", **aws}
            container(python, Path(tmp), sdk, env)  # untimed: the page cache
            runs = [container(python, Path(tmp), sdk, env)[0] for _ in range(args.runs)]
            heavy = import_times(container(python, Path(tmp), sdk, env, "-X", "importtime")[1])
    finally:
        server.stop()
    figures: dict[str, Any] = {"zip_mb": round(package.stat().st_size / 2 ** 20, 2),
                               "runs": args.runs, "python": python}
    for key in ("init_s", "first_answer_s", "first_byte_s", "warm_s"):
        values = [r[key] for r in runs]
        figures[key.replace("_s", "_median_s")] = round(statistics.median(values), 4)
        figures[key.replace("_s", "_p90_s")] = round(percentile(values, 90), 4)
    say(f"first byte median {figures['first_byte_median_s']:.3f} s (aim: under 1 s)")
    return finish("cold_artifact", args, {**figures, "import_self_ms_by_package": heavy},
                  started)


if __name__ == "__main__":
    sys.exit(main())
