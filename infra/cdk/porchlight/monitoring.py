"""Alarms to one KMS-encrypted SNS topic: a message in any dead-letter queue, and any error or
throttle of any worker within five minutes. An email subscription is optional per stage."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.cdk.porchlight.messaging import Queues
from infra.cdk.porchlight.workers import Worker
from infra.cdk.stages import Stage

PERIOD = cdk.Duration.minutes(5)


class Alarms(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage,
                 key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.topic = sns.Topic(self, "Topic", topic_name=f"{stage.prefix}alarms",
                               display_name=f"Porchlight {stage.name} alarms",
                               master_key=key, enforce_ssl=True)
        self.topic.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchAlarmsOfThisStage",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"],
            resources=[self.topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:{cdk.Aws.PARTITION}:cloudwatch:"
                                             f"{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:alarm:"
                                             f"{stage.prefix}*"},
            }))
        if stage.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(stage.alarm_email))
        self._action = actions.SnsAction(self.topic)

    def _alarm(self, construct_id: str, name: str, metric: cloudwatch.IMetric,
               what: str) -> None:
        alarm = cloudwatch.Alarm(
            self, construct_id, alarm_name=f"{self.stage.prefix}{name}",
            alarm_description=what, metric=metric, threshold=1, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        alarm.add_alarm_action(self._action)

    def dead_letters(self, queues: Queues) -> None:
        for base_name, work in sorted(queues.by_name.items()):
            self._alarm(f"{base_name}-dlq", f"{base_name}-dlq-not-empty",
                        work.dlq.metric_approximate_number_of_messages_visible(
                            period=PERIOD, statistic="Maximum"),
                        f"Messages the {base_name} worker gave up on wait in its dead-letter "
                        "queue: read them, fix the cause, redrive them (DEPLOY.md).")

    def worker(self, worker: Worker) -> None:
        fn, name = worker.function, worker.function_name.removeprefix(self.stage.prefix)
        self._alarm(f"{worker.name}-errors", f"{name}-errors",
                    fn.metric_errors(period=PERIOD, statistic="Sum"),
                    f"The {worker.name} worker failed at least once in five minutes.")
        self._alarm(f"{worker.name}-throttles", f"{name}-throttles",
                    fn.metric_throttles(period=PERIOD, statistic="Sum"),
                    f"The {worker.name} worker was throttled at least once in five minutes.")
