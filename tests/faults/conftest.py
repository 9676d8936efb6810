"""Fault tests: workers killed mid-job, duplicate deliveries, write races, throttling, S3 errors.

The session's devstack stays as it is. These tests add:
- a fault proxy (tests/faults/proxy.py) in front of its moto server;
- a "lane": a copy of every worker queue and its dead-letter queue (same redrive settings,
  from lambdas/registry.py), fed to worker Lambdas that run in their own processes
  (tests/faults/lambda_run.py) through the proxy, so a fault can SIGKILL one mid-job and the
  session's own worker loop never takes their messages;
- the web app in a process of its own behind the proxy (tests/faults/app_run.py).
Each test records the scenario's outcome; the table prints at the end of the run (and
`python -m tests.faults.report` prints it alone).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.models.audit import AuditEvent
from app.services.auditing import audit
from devstack import stack
from tests.faults.lambda_run import RESULT
from tests.faults.proxy import Fault, FaultProxy

ROOT = Path(__file__).resolve().parents[2]
LANE_PREFIX = "porchlight-faults-"
VISIBILITY_S = 1
CLIP_VISIBILITY_S = 3  # above the clip Lambda's timeout in these tests, as on AWS (6x)
CLIP_TIMEOUT_S = 2


@pytest.fixture(scope="session")
def proxy(devstack: Any) -> Iterator[FaultProxy]:
    running = FaultProxy(devstack.endpoint, devstack.endpoint_for("dynamodb")).start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _no_faults_left(proxy: FaultProxy) -> Iterator[None]:
    proxy.clear()
    yield
    proxy.clear()


@pytest.fixture(autouse=True)
def _empty_lane(devstack: Any) -> None:
    """Each scenario starts with empty lane queues: a scenario that failed half-way must not
    leave messages that make the next one count wrong."""
    sqs = devstack.client("sqs")  # drained, not purged: SQS allows one purge a minute
    for url in sqs.list_queues(QueueNamePrefix=LANE_PREFIX).get("QueueUrls", []):
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                      VisibilityTimeout=60).get("Messages", [])
            if not got:
                break
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(got)])


@dataclass
class Lane:
    """The fault lane's queues, and worker Lambdas run in processes of their own."""

    devstack: Any
    proxy: FaultProxy
    env: dict[str, str]
    _warm: subprocess.Popen[str] | None = None
    _spare: subprocess.Popen[str] | None = None

    @property
    def sqs(self) -> Any:
        return self.devstack.client("sqs")

    def url(self, queue: str) -> str:
        return self.env["FAULTS_QUEUE_" + queue.upper().replace("-", "_")]

    def dlq(self, queue: str) -> str:
        return self.env["FAULTS_DLQ_" + queue.upper().replace("-", "_")]

    def send(self, queue: str, body: dict[str, Any] | str) -> str:
        text = body if isinstance(body, str) else json.dumps(body)
        return str(self.sqs.send_message(QueueUrl=self.url(queue), MessageBody=text)["MessageId"])

    def _serve(self) -> subprocess.Popen[str]:
        """A worker Lambda process, its code loaded, waiting for jobs on stdin."""
        return subprocess.Popen(
            [sys.executable, "-m", "tests.faults.lambda_run", "--serve"], cwd=ROOT,
            env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)

    def start(self) -> Lane:
        """Start the warm worker and a spare one (the next to be killed) at once."""
        self._warm, self._spare = self._serve(), self._serve()
        return self

    @staticmethod
    def _give(worker: subprocess.Popen[str], queue: str, url: str, polls: int,
              timeout: float | None) -> None:
        assert worker.stdin is not None
        worker.stdin.write(json.dumps({"queue": queue, "url": url, "polls": polls,
                                       "timeout": timeout}) + "\n")
        worker.stdin.flush()

    def run(self, queue: str, polls: int = 1, timeout: float | None = None) -> dict[str, Any]:
        """A warm worker Lambda (one process kept between jobs, as Lambda keeps a container)
        polls `polls` times; what it handled and the errors of polls that raised."""
        if self._warm is None or self._warm.poll() is not None:
            self._warm = self._serve()
        self._give(self._warm, queue, self.url(queue), polls, timeout)
        assert self._warm.stdout is not None
        for line in self._warm.stdout:
            if line.startswith(RESULT):
                result: dict[str, Any] = json.loads(line[len(RESULT):])
                return result
        raise AssertionError(f"the warm worker ended (exit {self._warm.wait()})")

    def run_killed(self, queue: str, fault: Fault, timeout: float | None = None) -> None:
        """A worker Lambda process that `fault` SIGKILLs mid-job (then a new spare starts)."""
        worker = self._spare if self._spare is not None else self._serve()
        self._spare = None
        fault.kind, fault.pid = "kill", lambda: worker.pid
        self.proxy.add(fault)
        self._give(worker, queue, self.url(queue), 1, timeout)
        try:
            worker.wait(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            self._close(worker)
            self._spare = self._serve()
        assert worker.returncode == -signal.SIGKILL, (
            f"the worker was not killed by {fault.name} (exit {worker.returncode})")

    @staticmethod
    def _close(worker: subprocess.Popen[str]) -> None:
        for stream in (worker.stdin, worker.stdout):
            if stream:
                try:
                    stream.close()
                except BrokenPipeError:
                    pass

    def close(self) -> None:
        for worker in (self._warm, self._spare):
            if worker is not None:
                self._close(worker)
                worker.wait(timeout=10)

    def counts(self, queue: str, dead: bool = False) -> tuple[int, int]:
        """(visible, in flight) messages of the queue or its dead-letter queue."""
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.dlq(queue) if dead else self.url(queue),
            AttributeNames=["ApproximateNumberOfMessages",
                            "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return (int(attrs["ApproximateNumberOfMessages"]),
                int(attrs["ApproximateNumberOfMessagesNotVisible"]))

    def dead_letters(self, queue: str) -> list[str]:
        """The bodies parked in the queue's dead-letter queue (read, then left there)."""
        got = self.sqs.receive_message(QueueUrl=self.dlq(queue), MaxNumberOfMessages=10,
                                       VisibilityTimeout=0, WaitTimeSeconds=0)
        return [m["Body"] for m in got.get("Messages", [])]

    def wait_visible(self, queue: str, timeout: float = 10) -> None:
        """Until the message a dead worker held is visible again (its visibility timeout)."""
        deadline = time.monotonic() + timeout
        while self.counts(queue)[0] == 0:
            assert time.monotonic() < deadline, f"nothing came back on {queue}"
            time.sleep(0.1)

    def drain(self, queue: str) -> None:
        self.sqs.purge_queue(QueueUrl=self.url(queue))


@pytest.fixture(scope="session")
def lane(devstack: Any, proxy: FaultProxy) -> Iterator[Lane]:
    sqs = devstack.client("sqs")
    created = stack.create_queues(sqs, LANE_PREFIX, VISIBILITY_S)
    sqs.set_queue_attributes(QueueUrl=created["DEVSTACK_QUEUE_CLIPS"],
                             Attributes={"VisibilityTimeout": str(CLIP_VISIBILITY_S)})
    env = dict(os.environ)
    env.update({key.replace("DEVSTACK_", "FAULTS_"): url for key, url in created.items()})
    env.update({
        **proxy.endpoint_env(),
        "PORCHLIGHT_MAIL_QUEUE_URL": created["DEVSTACK_QUEUE_MAIL"],
        "PORCHLIGHT_AUDIT_QUEUE_URL": created["DEVSTACK_QUEUE_AUDIT_FANOUT"],
        "PORCHLIGHT_PUSH_QUEUE_URL": created["DEVSTACK_QUEUE_PUSH"],
        "PORCHLIGHT_CLIPS_QUEUE_URL": created["DEVSTACK_QUEUE_CLIPS"],
        "PORCHLIGHT_ERASURE_QUEUE_URL": created["DEVSTACK_QUEUE_ERASURE"],
        "PYTHONPATH": str(ROOT),
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    })
    made = Lane(devstack, proxy, env).start()
    yield made
    made.close()


@pytest.fixture(scope="session", autouse=True)
def _app_process(devstack: Any, proxy: FaultProxy) -> Iterator[subprocess.Popen[str]]:
    """Started with the session (its imports overlap the first tests), used by app_via_proxy."""
    env = dict(os.environ, **proxy.endpoint_env(), PYTHONPATH=str(ROOT))
    server = subprocess.Popen([sys.executable, "-m", "tests.faults.app_run"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    yield server
    server.terminate()
    server.wait(timeout=10)
    if server.stdout:
        server.stdout.close()


@pytest.fixture(scope="session")
def app_via_proxy(_app_process: subprocess.Popen[str]) -> str:
    """The web app in its own process, every AWS call through the proxy; its URL. Its queues
    are the session's, so the session's workers do what it queues."""
    assert _app_process.stdout is not None
    url = _app_process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), "the app did not start"
    return url


# -- the audit log, checked after every scenario ---------------------------------------------

def chain_events(agency_id: str) -> list[AuditEvent]:
    return list(audit.iter_chain(audit.chain_for(agency_id)))


def assert_chain_whole(agency_id: str) -> int:
    """What `audit verify` checks, for one chain: every link, no gap in seq, the head. Returns
    the number of events."""
    chains, events, breaks = audit.verify_all(only=audit.chain_for(agency_id))
    assert chains == 1 and not breaks, [str(b) for b in breaks]
    return events


# -- the scenario table ----------------------------------------------------------------------

@pytest.fixture
def outcome(request: pytest.FixtureRequest) -> Any:
    """outcome("what happened"): the line this scenario gets in the fault report."""

    def note(text: str) -> None:
        request.node.user_properties.append(("outcome", text))

    return note


def scenario_of(report: pytest.TestReport) -> tuple[str, str]:
    name = report.nodeid.split("::")[-1]
    notes = [str(v) for k, v in report.user_properties if k == "outcome"]
    if report.passed:
        return name, "; ".join(notes) or "passed"
    return name, "FAILED: " + (str(report.longrepr).splitlines() or ["?"])[-1][:200]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if os.environ.get("PORCHLIGHT_FAULTS_REPORT"):
        return  # python -m tests.faults.report prints its own lines
    rows = [scenario_of(r) for key in ("passed", "failed")
            for r in terminalreporter.stats.get(key, [])
            if r.when == "call" and "tests/faults/" in r.nodeid]
    if not rows:
        return
    terminalreporter.section("fault scenarios")
    for name, result in sorted(rows):
        terminalreporter.write_line(f"{name} → {result}")
