"""Which queue feeds which worker, which schedule runs which, and which AWS IoT Core invokes:
read by devstack's SQS loop, the CDK stack and the artifact builders (infra/artifacts.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueSpec:
    base_name: str  # the queue is `<prefix><base_name>`, its DLQ `<prefix><base_name>-dlq`
    handler: str  # "module:function", as Lambda's handler setting
    max_receive_count: int = 3
    batch_size: int = 10
    timeout_seconds: int = 30  # the Lambda's timeout; SQS visibility is six times this on AWS
    devstack_visibility_seconds: int | None = None  # None: devstack's short default


@dataclass(frozen=True)
class ScheduleSpec:
    base_name: str
    handler: str
    schedule: str  # an EventBridge rate or cron expression, for the CDK stack
    devstack_every_seconds: int  # how often devstack's loop runs it
    timeout_seconds: int = 300


@dataclass(frozen=True)
class IotSpec:
    """A worker AWS IoT Core invokes itself, with no queue (docs/device-channel.md). Devstack
    has no IoT Core: mosquitto's ACL stands in for the authorizer and devstack/status_rule.py
    for the rule."""

    handler: str
    timeout_seconds: int


QUEUES = (
    QueueSpec("mail", "lambdas.mailer.handler:handler"),
    QueueSpec("audit-fanout", "lambdas.audit_fanout.handler:handler"),
    QueueSpec("push", "lambdas.push_sender.handler:handler", timeout_seconds=60),
    # One clip at a time: a 2 GB original takes minutes; a redelivery while it still runs would
    # meet the idempotency record's "in progress" and count as a failed attempt.
    QueueSpec("clips", "lambdas.clip_cutter.handler:handler", batch_size=1,
              timeout_seconds=900, devstack_visibility_seconds=120),
    # An owner left the program: erase the sealed fields of their audit events.
    QueueSpec("erasure", "lambdas.erasure.handler:handler", batch_size=1, timeout_seconds=300),
)

SCHEDULES = (
    # Deletes evidence past its retention date, reminds owners, expires unanswered requests.
    ScheduleSpec("retention", "lambdas.retention.handler:handler", "rate(15 minutes)",
                 devstack_every_seconds=20),
    # Signs every audit chain's head into the public checkpoint feed (at least daily).
    ScheduleSpec("checkpoint", "lambdas.checkpoint.handler:handler", "rate(6 hours)",
                 devstack_every_seconds=300),
    # Access receipts: a push to opted-in owners within a minute of a police access; digests.
    ScheduleSpec("receipts", "lambdas.receipts.handler:handler", "rate(1 minute)",
                 devstack_every_seconds=10, timeout_seconds=55),
)

IOT = (
    # The custom authorizer: checks a bridge's credential at every MQTT connect (and at each
    # refresh) and answers the policy of its own two topics. IoT Core waits at most 5 s.
    IotSpec("lambdas.iot_authorizer.handler:handler", timeout_seconds=5),
    # The status rule's action: each bridge's status message and last will, noted in the
    # bridges table (connected or not).
    IotSpec("lambdas.bridge_status.handler:handler", timeout_seconds=10),
)
