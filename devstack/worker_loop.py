"""Feed SQS messages to the worker handlers exactly as Lambda's event source mapping would.

Each poll receives up to a batch of messages, calls the handler with an SQS event of Lambda's
shape, deletes the messages the handler did not report in `batchItemFailures`, and leaves the
failed ones to reappear after the visibility timeout; after maxReceiveCount receives, SQS moves
them to the dead-letter queue. Scheduled workers are called every few seconds with
EventBridge's event shape.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lambdas.registry import QUEUES, QueueSpec, ScheduleSpec

log = logging.getLogger("devstack.workers")
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = ""
    log_group_name: str = "/aws/lambda/devstack"
    log_stream_name: str = "devstack"
    timeout_seconds: float = 60.0
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """Like Lambda's: the function's timeout minus the time already spent."""
        left = self.timeout_seconds - (time.monotonic() - self.started)
        return max(0, int(left * 1000))


def load_handler(path: str) -> Handler:
    module, _, name = path.partition(":")
    handler: Handler = getattr(importlib.import_module(module), name)
    return handler


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": m.get("MessageAttributes", {}),
            "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        for m in messages
    ]}


class WorkerLoop:
    """One thread per queue, polling until stopped."""

    def __init__(self, sqs: Any, queue_urls: dict[str, str], region: str,
                 specs: tuple[QueueSpec, ...] = QUEUES, wait_seconds: int = 1,
                 schedules: tuple[ScheduleSpec, ...] = ()) -> None:
        self.sqs = sqs
        self.schedules = schedules
        self.queue_urls = queue_urls
        self.region = region
        self.specs = specs
        self.wait_seconds = wait_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.handled = 0
        # A queue's thread polls holding its lock; a paused queue is left to `drain`.
        self._locks = {spec.base_name: threading.Lock() for spec in specs}
        self._paused: set[str] = set()

    def start(self) -> WorkerLoop:
        for spec in self.specs:
            thread = threading.Thread(target=self._run, args=(spec,), daemon=True,
                                      name=f"worker-{spec.base_name}")
            thread.start()
            self._threads.append(thread)
        for schedule in self.schedules:
            thread = threading.Thread(target=self._tick, args=(schedule,), daemon=True,
                                      name=f"schedule-{schedule.base_name}")
            thread.start()
            self._threads.append(thread)
        return self

    def _tick(self, schedule: ScheduleSpec) -> None:
        """Call a scheduled handler every few seconds, with EventBridge's event shape."""
        handler = load_handler(schedule.handler)
        while not self._stop.wait(schedule.devstack_every_seconds):
            event = {"source": "aws.events", "detail-type": "Scheduled Event",
                     "id": uuid.uuid4().hex, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "region": self.region, "resources": [], "detail": {}}
            context = LambdaContext(function_name=f"devstack-{schedule.base_name}",
                                    aws_request_id=uuid.uuid4().hex,
                                    timeout_seconds=schedule.timeout_seconds)
            try:
                handler(event, context)
            except Exception:  # noqa: BLE001 - the next tick tries again, as EventBridge would
                log.exception("scheduled %s failed; it runs again next time", schedule.base_name)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.wait_seconds + 5)

    @contextmanager
    def paused(self, *names: str) -> Iterator[None]:
        """Leave these queues to `drain` inside the block: a test whose subject is not timing
        runs the worker when it chooses, in its own thread, and knows it has run. Waits for a
        poll already under way to finish, so no message is taken behind the test's back."""
        for name in names:
            with self._locks[name]:
                self._paused.add(name)
        try:
            yield
        finally:
            self._paused.difference_update(names)

    def drain(self, name: str) -> int:
        """Deliver every message waiting in this queue now, in the calling thread, batch after
        batch as Lambda would, until the queue answers empty; the messages handled. A message
        whose handler failed waits out its visibility timeout as on AWS (and is not counted)."""
        spec = next(s for s in self.specs if s.base_name == name)
        url = self.queue_urls[name]
        arn = self._arn(url)
        handler = load_handler(spec.handler)
        handled = 0
        with self._locks[name]:
            while self.sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                    "Attributes"]["ApproximateNumberOfMessages"] != "0":
                handled += self.poll_once(spec, url, arn, handler, wait_seconds=0)
        return handled

    def _arn(self, url: str) -> str:
        return str(self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"])

    def _run(self, spec: QueueSpec) -> None:
        url = self.queue_urls[spec.base_name]
        arn = self._arn(url)
        handler = load_handler(spec.handler)
        lock = self._locks[spec.base_name]
        while not self._stop.is_set():
            with lock:
                paused = spec.base_name in self._paused
                try:
                    if not paused:
                        self.poll_once(spec, url, arn, handler)
                except Exception:  # noqa: BLE001 - a worker crash must not end the loop
                    if self._stop.is_set():
                        return
                    log.exception("worker %s failed; messages will be retried", spec.base_name)
                    paused = True  # wait a second, outside the lock
            if paused:
                self._stop.wait(0.2 if spec.base_name in self._paused else 1)

    def poll_once(self, spec: QueueSpec, url: str, arn: str, handler: Handler,
                  wait_seconds: int | None = None) -> int:
        received = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=spec.batch_size,
            WaitTimeSeconds=self.wait_seconds if wait_seconds is None else wait_seconds,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return 0
        context = LambdaContext(function_name=f"devstack-{spec.base_name}",
                                aws_request_id=uuid.uuid4().hex,
                                timeout_seconds=spec.timeout_seconds,
                                invoked_function_arn=f"arn:aws:lambda:{self.region}:"
                                f"123456789012:function:devstack-{spec.base_name}")
        try:
            result = handler(sqs_event(received, arn, self.region), context) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - like Lambda, a raising handler fails the whole batch
            log.exception("handler for %s raised; the batch will be retried", spec.base_name)
            failed = {m["MessageId"] for m in received}
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        self.handled += len(done)
        return len(done)
