"""The project's customer-managed KMS key and the app's secret.

One key encrypts every table, bucket (except the access-log bucket, see storage.py), queue,
topic, log group (the Lambdas' and the API's access log) and the secret. Principals in the
account get it only through IAM policies (CDK's default key policy delegates to the account);
AWS services that encrypt on our behalf without a principal of ours are named below, each with
conditions pinning it to this stack.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.cdk.porchlight.nag import acknowledge
from infra.cdk.stages import Stage


def removal(stage: Stage) -> cdk.RemovalPolicy:
    return cdk.RemovalPolicy.RETAIN if stage.protect else cdk.RemovalPolicy.DESTROY


_RETENTION = {7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH", 60: "TWO_MONTHS",
              90: "THREE_MONTHS", 180: "SIX_MONTHS", 365: "ONE_YEAR", 731: "TWO_YEARS",
              1827: "FIVE_YEARS", 3653: "TEN_YEARS"}


def log_retention(stage: Stage) -> logs.RetentionDays:
    """The Lambdas' log retention (CloudWatch accepts only certain day counts)."""
    return retention_days(stage.log_retention_days, "log_retention_days")


def retention_days(days: int, what: str) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ValueError(f"{what} must be one of {sorted(_RETENTION)}")
    return logs.RetentionDays[_RETENTION[days]]


def log_group_patterns(stage: Stage) -> list[str]:
    """The names of the log groups this stage encrypts with its key, as patterns: the
    Lambdas' (/aws/lambda/<prefix>...) and API Gateway's access log (/aws/apigateway/...)."""
    name = stage.prefix.rstrip("-")
    return [f"/aws/lambda/{name}*", f"/aws/apigateway/{name}*"]


class ProjectKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self, "Key",
            description=f"Porchlight {stage.name}: tables, buckets, queues, logs, secret",
            alias=f"alias/{stage.prefix.rstrip('-')}",
            enable_key_rotation=True,
            pending_window=cdk.Duration.days(30 if stage.protect else 7),
            removal_policy=removal(stage),
        )
        region, account, partition = cdk.Aws.REGION, cdk.Aws.ACCOUNT_ID, cdk.Aws.PARTITION
        # CloudWatch Logs encrypts the Lambdas' log groups (web and workers) and the API's
        # access log with this key.
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchLogsForThisStagesLogGroups",
            principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                     "kms:DescribeKey"],
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": [
                f"arn:{partition}:logs:{region}:{account}:log-group:{pattern}"
                for pattern in log_group_patterns(stage)]}},
        ))

    def allow_s3_notifications(self, bucket_name: str) -> None:
        """S3 sends the uploads bucket's events to the KMS-encrypted clips queue."""
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="S3EventsFromTheUploadsBucket",
            principals=[iam.ServicePrincipal("s3.amazonaws.com")],
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resources=["*"],
            conditions={
                "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:{cdk.Aws.PARTITION}:s3:::{bucket_name}"},
            },
        ))

    def allow_alarms(self, alarm_prefix: str) -> None:
        """CloudWatch publishes this stage's alarms to the KMS-encrypted alarm topic."""
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchAlarmsOfThisStage",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],
            conditions={
                "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:{cdk.Aws.PARTITION}:cloudwatch:"
                                             f"{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:alarm:"
                                             f"{alarm_prefix}*"},
            },
        ))


class AppSecret(Construct):
    """{"secret_key": <48 generated characters>, "vapid_private_key": ""}; the operator puts
    the VAPID private key in after the first deploy (DEPLOY.md)."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage,
                 key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self, "Secret",
            secret_name=f"{stage.prefix}app",
            description="Porchlight: Flask session/answer-token key and the VAPID private key",
            encryption_key=key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template='{"vapid_private_key": ""}',
                generate_string_key="secret_key",
                password_length=48,
                exclude_punctuation=True,
            ),
            removal_policy=removal(stage),
        )
        acknowledge(self.secret, "AwsSolutions-SMG4", (
            "No automatic rotation on purpose: secret_key signs sessions and the answer tokens "
            "already sent in push notifications and emails, and the VAPID private key is bound "
            "to every browser's push subscription; rotating either logs everyone out or silences "
            "push until owners re-subscribe. Rotation is a planned operator step (DEPLOY.md), "
            "and access is limited to the web role and the workers by IAM and the KMS key."))


class CheckpointKey(Construct):
    """The key that signs audit checkpoints (ECDSA P-256). Its private half never leaves KMS;
    the public half is published with the checkpoint feed. Only the checkpoint worker signs."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self, "Key",
            description=f"Porchlight {stage.name}: signs the public audit checkpoints",
            alias=f"alias/{stage.prefix}audit-checkpoints",
            key_spec=kms.KeySpec.ECC_NIST_P256,
            key_usage=kms.KeyUsage.SIGN_VERIFY,
            pending_window=cdk.Duration.days(30 if stage.protect else 7),
            removal_policy=removal(stage),
        )
