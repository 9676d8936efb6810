"""SQS queues from lambdas/registry.py, each with its dead-letter queue, and the S3 upload events.

A queue added to the registry appears here with no edit: `<prefix><base_name>` and its DLQ
`<prefix><base_name>-dlq`, visibility six times the worker's timeout (AWS's advice for Lambda
event sources), redrive after the spec's max_receive_count.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.cdk.stages import Stage
from lambdas.registry import QUEUES, QueueSpec

VISIBILITY_FACTOR = 6
# The queue S3 tells when an owner's upload is complete (the clip worker's).
UPLOAD_EVENTS_QUEUE = "clips"


@dataclass(frozen=True)
class WorkQueue:
    spec: QueueSpec
    queue: sqs.Queue
    dlq: sqs.Queue


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


class Queues(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage,
                 key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.by_name: dict[str, WorkQueue] = {}
        for spec in QUEUES:
            dlq = sqs.Queue(
                self, f"{_camel(spec.base_name)}Dlq",
                queue_name=f"{stage.prefix}{spec.base_name}-dlq",
                encryption=sqs.QueueEncryption.KMS, encryption_master_key=key,
                enforce_ssl=True,
                retention_period=cdk.Duration.days(14),  # time to look at what failed
            )
            queue = sqs.Queue(
                self, _camel(spec.base_name),
                queue_name=f"{stage.prefix}{spec.base_name}",
                encryption=sqs.QueueEncryption.KMS, encryption_master_key=key,
                enforce_ssl=True,
                retention_period=cdk.Duration.days(4),  # SQS's default, stated
                visibility_timeout=cdk.Duration.seconds(VISIBILITY_FACTOR * spec.timeout_seconds),
                dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=spec.max_receive_count,
                                                      queue=dlq),
            )
            self.by_name[spec.base_name] = WorkQueue(spec, queue, dlq)

    def notify_on_uploads(self, uploads: s3.Bucket, uploads_name: str, prefix: str) -> None:
        """Completed uploads under `prefix` go to the clip worker's queue.

        Written on the bucket itself (CloudFormation's NotificationConfiguration) rather than
        with CDK's notification helper, which deploys a custom-resource Lambda allowed to call
        s3:PutBucketNotification on every bucket. The queue policy names the bucket by its
        known name, so the bucket can depend on the policy without a cycle (S3 checks that it
        may send before it accepts the configuration).
        """
        target = self.by_name[UPLOAD_EVENTS_QUEUE].queue
        target.add_to_resource_policy(iam.PolicyStatement(
            sid="UploadEventsFromTheUploadsBucket",
            principals=[iam.ServicePrincipal("s3.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[target.queue_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:{cdk.Aws.PARTITION}:s3:::{uploads_name}"},
            },
        ))
        events = ("s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectCreated:Put")
        cfn = uploads.node.default_child
        assert isinstance(cfn, s3.CfnBucket)
        cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            queue_configurations=[
                s3.CfnBucket.QueueConfigurationProperty(
                    event=event, queue=target.queue_arn,
                    filter=s3.CfnBucket.NotificationFilterProperty(
                        s3_key=s3.CfnBucket.S3KeyFilterProperty(rules=[
                            s3.CfnBucket.FilterRuleProperty(name="prefix", value=prefix)])))
                for event in events
            ])
        policy = target.node.find_child("Policy")  # the queue policy add_to_resource_policy made
        cfn.node.add_dependency(policy)

    @staticmethod
    def output_name(base_name: str) -> str:
        """The stack output naming a queue's URL: mail → MailQueueUrl."""
        return f"{_camel(base_name)}QueueUrl"
