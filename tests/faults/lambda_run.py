"""One worker Lambda, in its own process, polling one queue as Lambda's event source mapping does.

    python -m tests.faults.lambda_run QUEUE_BASE_NAME QUEUE_URL [--polls N] [--timeout S]
    python -m tests.faults.lambda_run --serve   # a warm container: one JSON job a line on stdin

Uses devstack's own loop (WorkerLoop.poll_once: batch, partial failures, delete the rest) and
the handler named in lambdas/registry.py. Everything, SQS included, goes where the standard
endpoint variables say (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB), which the fault tests point
at their proxy, so a fault can kill this process between any two
calls. `--timeout` is the Lambda's timeout (Powertools' "in progress" records expire with it).
Prints one JSON line: how many messages were handled and the errors of polls that raised.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from typing import Any

import boto3
from botocore.config import Config

from app.config import endpoint_in
from devstack.worker_loop import WorkerLoop, load_handler
from lambdas.registry import QUEUES

RESULT = "lambda-result "  # marks the answer among whatever the handlers print


def run(sqs: Any, queue: str, url: str, polls: int, timeout: float | None) -> dict[str, Any]:
    spec = next(q for q in QUEUES if q.base_name == queue)
    if timeout is not None:
        spec = replace(spec, timeout_seconds=int(timeout))
    region = os.environ["AWS_REGION"]
    loop = WorkerLoop(sqs, {spec.base_name: url}, region, specs=(spec,), wait_seconds=1)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    handler = load_handler(spec.handler)
    handled, errors = 0, []
    for _ in range(polls):
        try:
            handled += loop.poll_once(spec, url, arn, handler)
        except Exception as exc:  # noqa: BLE001 - reported to the test, like Lambda's logs
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"handled": handled, "errors": errors}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("queue", nargs="?")
    parser.add_argument("url", nargs="?")
    parser.add_argument("--polls", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)
    # The event source mapping is AWS's, not ours: no retries of its own hide a fault.
    sqs = boto3.session.Session().client(
        "sqs", region_name=os.environ["AWS_REGION"], endpoint_url=endpoint_in(os.environ, "sqs"),
        config=Config(retries={"total_max_attempts": 1}))
    if not args.serve:
        result = run(sqs, args.queue, args.url, args.polls, args.timeout)
        sys.stdout.write(RESULT + json.dumps(result) + "\n")
        return 0
    for spec in QUEUES:  # a warm container has its code loaded before the first event
        load_handler(spec.handler)
    for line in sys.stdin:
        job = json.loads(line)
        result = run(sqs, job["queue"], job["url"], job["polls"], job["timeout"])
        sys.stdout.write(RESULT + json.dumps(result) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
