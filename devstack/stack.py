"""Start the local AWS and create the tables, buckets and queues from the project's definitions.

DynamoDB is AWS's own DynamoDB Local (devstack/dynamodb_local.py); S3, SQS, KMS and SES are
moto's server. Both listen on 127.0.0.1 only. Everything reaches them through the standard
variables: AWS_ENDPOINT_URL (moto) and AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local).

The device channel, AWS IoT Core on AWS, is Debian's mosquitto here (devstack/mosquitto.py),
also on 127.0.0.1, with a thread standing in for the IoT rule that notes bridges' status
(devstack/status_rule.py). Without mosquitto installed, devstack runs without a channel.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from app.config import endpoint_variable
from app.models.tables import table_definitions
from devstack import dynamodb_local, mosquitto, persist
from lambdas.registry import QUEUES

REGION = "us-east-1"
PREFIX = "porchlight-devstack-"
log = logging.getLogger("devstack")


@dataclass
class Devstack:
    endpoint: str  # moto's server: S3, SQS, KMS, SES
    env: dict[str, str]
    server: Any
    dynamodb: dynamodb_local.DynamoDBLocal | None = None
    data_dir: Path | None = None  # where make run keeps its data; None: all in memory
    keeper: Any = None  # devstack.persist.Keeper, with a data_dir
    broker: mosquitto.Mosquitto | None = None  # the device channel; None: bridges poll
    status_rule: Any = None  # devstack.status_rule.StatusRule, with a broker

    def endpoint_for(self, service: str) -> str:
        return self.dynamodb.endpoint if service == "dynamodb" and self.dynamodb else self.endpoint

    def endpoint_env(self) -> dict[str, str]:
        """The standard variables that point an AWS SDK (ours or any) at this devstack."""
        env = {"AWS_ENDPOINT_URL": self.endpoint}
        if self.dynamodb:
            env[endpoint_variable("dynamodb")] = self.dynamodb.endpoint
        return env

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(
            service, region_name=REGION, endpoint_url=self.endpoint_for(service),
            config=Config(signature_version="s3v4"),
            aws_access_key_id="devstack", aws_secret_access_key="devstack",
        )

    def queue_url(self, base_name: str) -> str:
        return self.env["DEVSTACK_QUEUE_" + base_name.upper().replace("-", "_")]

    def queue_urls(self) -> dict[str, str]:
        """Every worker queue by base name, for the SQS→handler loop."""
        return {spec.base_name: self.queue_url(spec.base_name) for spec in QUEUES}

    def stop(self) -> None:
        """Stop both servers; with a data_dir, first keep the objects and queued messages (stop
        the workers before this, so no message is half-handled)."""
        if self.status_rule:
            self.status_rule.stop()
        if self.broker:
            self.broker.stop()
        if self.keeper:
            self.keeper.stop()
        self.server.stop()
        if self.dynamodb:
            self.dynamodb.stop()


def start_moto() -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    from devstack import moto_ranges

    moto_ranges.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def create_tables(dynamodb: Any, prefix: str) -> list[str]:
    """Every table, created only when missing (make run keeps its tables between starts); a
    kept table gains any index added to its definition since, as a deploy would add it."""
    names = []
    existing = {name for page in dynamodb.get_paginator("list_tables").paginate()
                for name in page["TableNames"]}
    for spec in table_definitions():
        name = prefix + spec["base_name"]
        if name in existing:
            _add_missing_indexes(dynamodb, name, spec)
            names.append(name)
            continue
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": spec["key_schema"],
            "AttributeDefinitions": spec["attribute_definitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if spec["global_secondary_indexes"]:
            kwargs["GlobalSecondaryIndexes"] = spec["global_secondary_indexes"]
        dynamodb.create_table(**kwargs)
        if spec["ttl_attribute"]:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["ttl_attribute"]},
            )
        names.append(name)
    return names


def _add_missing_indexes(dynamodb: Any, name: str, spec: dict[str, Any]) -> None:
    described = dynamodb.describe_table(TableName=name)["Table"]
    have = {index["IndexName"] for index in described.get("GlobalSecondaryIndexes", [])}
    for index in spec["global_secondary_indexes"] or []:
        if index["IndexName"] not in have:
            log.warning("table %s: adding index %s", name, index["IndexName"])
            dynamodb.update_table(TableName=name,
                                  AttributeDefinitions=spec["attribute_definitions"],
                                  GlobalSecondaryIndexUpdates=[{"Create": index}])


def create_bucket(s3: Any, name: str, origin: str, object_lock: bool = False) -> None:
    """A private, encrypted bucket; `object_lock` for the clips bucket, as on AWS: evidence
    under a supervisor's legal hold cannot be deleted (Object Lock also turns versioning on)."""
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                        "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    # Phones upload photos (POST) and video parts (PUT) straight to the bucket, and play clips
    # (GET): only the app's own origin may.
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [origin], "AllowedMethods": ["POST", "PUT", "GET"],
        "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]})


def create_queues(sqs: Any, prefix: str, visibility_seconds: int) -> dict[str, str]:
    """Each queue with its dead-letter queue; returns env entries naming their URLs."""
    env = {}
    for spec in QUEUES:
        dlq_url = sqs.create_queue(QueueName=f"{prefix}{spec.base_name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        url = sqs.create_queue(
            QueueName=f"{prefix}{spec.base_name}",
            Attributes={
                "VisibilityTimeout": str(spec.devstack_visibility_seconds or visibility_seconds),
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                             "maxReceiveCount": str(spec.max_receive_count)}),
            },
        )["QueueUrl"]
        key = spec.base_name.upper().replace("-", "_")
        env[f"DEVSTACK_QUEUE_{key}"] = url
        env[f"DEVSTACK_DLQ_{key}"] = dlq_url
    return env


def vapid_keys() -> dict[str, str]:
    """A fresh VAPID key pair for this devstack (raw base64url, as pywebpush and browsers want)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return {
        "PORCHLIGHT_VAPID_PRIVATE_KEY": base64.urlsafe_b64encode(private).decode().rstrip("="),
        "PORCHLIGHT_VAPID_PUBLIC_KEY": base64.urlsafe_b64encode(public).decode().rstrip("="),
        "PORCHLIGHT_VAPID_SUBJECT": "mailto:devstack@porchlight.invalid",
    }


def checkpoint_key() -> dict[str, str]:
    """A fresh EC P-256 key that signs this devstack's audit checkpoints (AWS uses KMS)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"PORCHLIGHT_CHECKPOINT_PRIVATE_KEY": pem}


_said_no_broker = False


def start_broker() -> mosquitto.Mosquitto | None:
    """devstack's mosquitto, or None (said once) when it is not installed."""
    global _said_no_broker
    if not mosquitto.installed():
        if not _said_no_broker:
            _said_no_broker = True
            log.warning("mosquitto is not installed (%s): devstack runs without the device "
                        "channel, and bridges ask every few seconds. scripts/ensure-mosquitto.sh "
                        "installs it.", mosquitto.MOSQUITTO)
        return None
    return mosquitto.start()


def start(port: int = 8000, visibility_seconds: int = 2, secret_key: str | None = None,
          extra_env: dict[str, str] | None = None, data_dir: Path | None = None) -> Devstack:
    """Start DynamoDB Local and moto, create every resource that is missing, and set os.environ
    so app and workers find them. With `data_dir` (make run), the tables, the objects and
    messages they refer to, and the keys that signed and sealed them are kept there between
    starts (devstack/persist.py); without, everything is in memory."""
    keys = persist.load_keys(data_dir) if data_dir else {}
    dynamodb = dynamodb_local.start(data_dir / "dynamodb" if data_dir else None)
    broker = None
    try:
        broker = start_broker()
        server, endpoint = start_moto()
    except BaseException:
        if broker:
            broker.stop()
        dynamodb.stop()
        raise
    env = {
        "AWS_ACCESS_KEY_ID": "devstack",
        "AWS_SECRET_ACCESS_KEY": "devstack",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
        endpoint_variable("dynamodb"): dynamodb.endpoint,
        "PORCHLIGHT_ENV": "devstack",
        "PORCHLIGHT_DEVSTACK_DATA": str(data_dir or ""),
        "PORCHLIGHT_SECRET_KEY": secret_key or keys.get("PORCHLIGHT_SECRET_KEY")
        or secrets.token_urlsafe(32),
        "PORCHLIGHT_TABLE_PREFIX": PREFIX,
        "PORCHLIGHT_UPLOADS_BUCKET": PREFIX + "uploads",
        "PORCHLIGHT_CLIPS_BUCKET": PREFIX + "clips",
        "PORCHLIGHT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PORCHLIGHT_MAIL_TRANSPORT": "outbox",
        "POWERTOOLS_SERVICE_NAME": "porchlight-devstack",
        # The console shows warnings and errors; PORCHLIGHT_LOG_LEVEL=INFO make run shows every
        # request's access line and the workers' JSON lines too.
        "PORCHLIGHT_LOG_LEVEL": os.environ.get("PORCHLIGHT_LOG_LEVEL", "WARNING"),
        **(broker.env() if broker else {"PORCHLIGHT_DEVICE_CHANNEL": ""}),
    }
    os.environ.update(env)
    stack = Devstack(endpoint, env, server, dynamodb, data_dir, broker=broker)
    create_tables(stack.client("dynamodb"), PREFIX)
    public_url = (extra_env or {}).get("PORCHLIGHT_PUBLIC_URL", env["PORCHLIGHT_PUBLIC_URL"])
    create_bucket(stack.client("s3"), env["PORCHLIGHT_UPLOADS_BUCKET"], public_url)
    create_bucket(stack.client("s3"), env["PORCHLIGHT_CLIPS_BUCKET"], public_url,
                  object_lock=True)
    env.update(create_queues(stack.client("sqs"), PREFIX, visibility_seconds))
    env["PORCHLIGHT_MAIL_QUEUE_URL"] = env["DEVSTACK_QUEUE_MAIL"]
    env["PORCHLIGHT_AUDIT_QUEUE_URL"] = env["DEVSTACK_QUEUE_AUDIT_FANOUT"]
    env["PORCHLIGHT_PUSH_QUEUE_URL"] = env["DEVSTACK_QUEUE_PUSH"]
    env["PORCHLIGHT_CLIPS_QUEUE_URL"] = env["DEVSTACK_QUEUE_CLIPS"]
    env["PORCHLIGHT_ERASURE_QUEUE_URL"] = env["DEVSTACK_QUEUE_ERASURE"]
    made = keys or {**vapid_keys(), **checkpoint_key(),
                    "PORCHLIGHT_SECRET_KEY": env["PORCHLIGHT_SECRET_KEY"]}
    if data_dir and not keys:
        persist.save_keys(data_dir, made)
    env.update({k: v for k, v in made.items() if k != "PORCHLIGHT_SECRET_KEY"})
    env.update(extra_env or {})
    os.environ.update(env)
    if data_dir:
        stack.keeper = persist.Keeper(stack).restore().start()
    if broker:
        from devstack.status_rule import StatusRule

        stack.status_rule = StatusRule(broker.url, broker.app_password, env["PORCHLIGHT_ENV"])
        stack.status_rule.start()
    log.info("devstack ready at %s (DynamoDB Local at %s)", endpoint, dynamodb.endpoint)
    return stack
