"""Which queue feeds which worker: read by devstack's SQS loop and by the CDK stack."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueSpec:
    base_name: str  # the queue is `<prefix><base_name>`, its DLQ `<prefix><base_name>-dlq`
    handler: str  # "module:function", as Lambda's handler setting
    max_receive_count: int = 3
    batch_size: int = 10


QUEUES = (
    QueueSpec("mail", "lambdas.mailer.handler:handler"),
    QueueSpec("audit-fanout", "lambdas.audit_fanout.handler:handler"),
)
