"""Alarms to one KMS-encrypted SNS topic: a message in any dead-letter queue, any error or
throttle of any worker within five minutes, and for the web app (the function and the REST API
Zappa makes, watched by name): errors, throttles, a slow p95 and a 5xx rate. An email
subscription is optional per stage."""

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
# The web function's p95 duration alarm: above 5 s in 3 of the last 5 five-minute periods. The
# function's timeout is 30 s and API Gateway gives up at 29 s; a page or an API call normally
# takes well under a second (a cold start about 1-2 s), so a p95 of 5 s sustained for a
# quarter of an hour means most users wait: DynamoDB or S3 throttling, a slow dependency, or
# a memory size too small. 3 of 5 rather than 1 of 1 so one burst of cold starts after a
# deploy does not page anyone.
WEB_P95_MS = 5000
WEB_P95_PERIODS = (3, 5)  # (datapoints to alarm, evaluation periods)
# The API's 5xx rate: more than 1 % of requests answered 5xx in two consecutive five-minute
# periods, counted only when a period has at least API_MIN_REQUESTS requests (one failed
# request at 4 a.m. out of three is not an incident; the web-errors alarm catches crashes).
API_5XX_PERCENT = 1
API_MIN_REQUESTS = 20


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
               what: str, threshold: float = 1, periods: tuple[int, int] = (1, 1),
               comparison: cloudwatch.ComparisonOperator =
               cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD) -> None:
        datapoints, evaluation = periods
        alarm = cloudwatch.Alarm(
            self, construct_id, alarm_name=f"{self.stage.prefix}{name}",
            alarm_description=what, metric=metric, threshold=threshold,
            evaluation_periods=evaluation,
            datapoints_to_alarm=datapoints if evaluation > 1 else None,
            comparison_operator=comparison,
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

    def web(self) -> None:
        """The web function and its REST API, both made by Zappa: watched by name.

        Zappa names the function and the REST API alike, "<project_name>-<stage>" (its
        lambda_name; the API is the "Api" resource of its CloudFormation stack), which is the
        stage's web_function_name.
        """
        name = self.stage.web_function_name

        def function_metric(metric: str, statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric,
                                     dimensions_map={"FunctionName": name},
                                     period=PERIOD, statistic=statistic)

        self._alarm("web-errors", "web-errors", function_metric("Errors", "Sum"),
                    f"The web function {name} failed (an unhandled error, a timeout or running "
                    "out of memory) at least once in five minutes.")
        self._alarm("web-throttles", "web-throttles", function_metric("Throttles", "Sum"),
                    f"The web function {name} was throttled at least once in five minutes: the "
                    "account's unreserved concurrency ran out (DEPLOY.md, concurrency).")
        self._alarm("web-p95-duration", "web-p95-duration", function_metric("Duration", "p95"),
                    f"The web function {name} took more than {WEB_P95_MS // 1000} s at the 95th "
                    f"percentile in {WEB_P95_PERIODS[0]} of {WEB_P95_PERIODS[1]} five-minute "
                    "periods.",
                    threshold=WEB_P95_MS, periods=WEB_P95_PERIODS,
                    comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD)

        def api_metric(metric: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name=metric,
                                     dimensions_map={"ApiName": name}, period=PERIOD,
                                     statistic="Sum")

        rate = cloudwatch.MathExpression(
            expression=f"IF(requests >= {API_MIN_REQUESTS}, 100 * errors / requests, 0)",
            using_metrics={"errors": api_metric("5XXError"), "requests": api_metric("Count")},
            label="5xx responses, % of requests", period=PERIOD)
        self._alarm("api-5xx-rate", "api-5xx-rate", rate,
                    f"More than {API_5XX_PERCENT} % of the requests to the REST API {name} were "
                    f"answered 5xx in two consecutive five-minute periods (counted when a period "
                    f"has at least {API_MIN_REQUESTS} requests).",
                    threshold=API_5XX_PERCENT, periods=(2, 2),
                    comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD)
