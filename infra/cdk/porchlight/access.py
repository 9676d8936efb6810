"""Least-privilege IAM statements, written out action by action.

CDK's grant helpers are convenient but wide (`s3:GetObject*`, `kms:GenerateDataKey*`,
`<table>/index/*`). Here every statement names exact actions and exact resources: tables and
the indexes they have, an object prefix of a bucket, queues, one secret, one key. The key is
usable only through the services that encrypt with it (kms:ViaService), never directly.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs

from infra.cdk.porchlight.nag import acknowledge

_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
         "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable")
_INDEX_READ = ("dynamodb:Query", "dynamodb:Scan")


class TableAccess(Enum):
    """How a principal may use a table."""

    READ = _READ
    # Append-only (the audit log): read, and put new items (the app's puts are conditional on
    # the item not existing); never update or delete.
    APPEND = (*_READ, "dynamodb:PutItem")
    WRITE = (*_READ, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
             "dynamodb:BatchWriteItem")
    PUT = ("dynamodb:PutItem", "dynamodb:DescribeTable")  # write new items, read nothing
    GET = ("dynamodb:GetItem",)  # one item by its key: no query, scan, index or write
    UPDATE = ("dynamodb:GetItem", "dynamodb:UpdateItem")  # change an item, never add or delete

    @property
    def writes(self) -> bool:
        return "dynamodb:PutItem" in self.value or "dynamodb:UpdateItem" in self.value


def _sid(*words: str) -> str:
    return "".join(w[:1].upper() + w[1:] for word in words
                   for w in word.replace("_", "-").replace("/", "-").split("-") if w)


class Access:
    """Collects one principal's permissions; finish() writes them as a few exact statements."""

    def __init__(self, role: iam.Role, key: kms.IKey) -> None:
        self.role = role
        self.key = key
        self._tables: dict[TableAccess, list[str]] = {}
        self._indexes: list[str] = []
        self._queues: list[str] = []
        self._statements: list[iam.PolicyStatement] = []
        self._kms_services: set[str] = set()
        self._kms_encrypt = False
        # (bucket logical id, prefix) → the object actions granted there, acknowledged once
        self._prefixes: dict[tuple[str, str], set[str]] = {}

    def table(self, table: ddb.Table, indexes: list[str], level: TableAccess) -> None:
        self._tables.setdefault(level, []).append(table.table_arn)
        if indexes and any(a in level.value for a in _INDEX_READ):
            self._indexes += [f"{table.table_arn}/index/{name}" for name in indexes]
        self._kms_services.add("dynamodb")
        self._kms_encrypt |= level.writes

    def objects(self, bucket: s3.Bucket, prefixes: list[str], actions: list[str],
                what: str) -> None:
        """Object actions under key prefixes only (e.g. originals/*), never the whole bucket."""
        self._statements.append(iam.PolicyStatement(
            sid=_sid(what), actions=sorted(actions),
            resources=[bucket.arn_for_objects(f"{p}*") for p in prefixes]))
        self._kms_services.add("s3")
        self._kms_encrypt |= "s3:PutObject" in actions
        stack = cdk.Stack.of(bucket)
        logical_id = stack.resolve(stack.get_logical_id(bucket.node.default_child))  # type: ignore[arg-type]
        for prefix in prefixes:
            self._prefixes.setdefault((str(logical_id), prefix), set()).update(actions)

    def _acknowledge_prefixes(self) -> None:
        for (logical_id, prefix), actions in sorted(self._prefixes.items()):
            acknowledge(self.role, f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/{prefix}*]", (
                f"Object-level actions ({', '.join(sorted(actions))}) limited to the key prefix "
                f"{prefix} of one bucket. The object keys are made per request, camera and "
                "upload at run time (the program's map under map/ is named by the operator), "
                "so a prefix is the narrowest resource S3 can name; the bucket itself "
                "(listing, policy, configuration) is not granted."))

    def object_versions(self, bucket: s3.Bucket, prefixes: list[str], what: str) -> None:
        """List the versions of keys under the prefixes (s3:ListBucketVersions is a bucket
        action: allowed only for a listing whose prefix lies under them)."""
        self._statements.append(iam.PolicyStatement(
            sid=_sid(what), actions=["s3:ListBucketVersions"], resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}}))

    def send(self, queue: sqs.IQueue) -> None:
        self._queues.append(queue.queue_arn)
        self._kms_services.add("sqs")
        self._kms_encrypt = True

    def secret(self, secret: secretsmanager.ISecret) -> None:
        self._statements.append(iam.PolicyStatement(
            sid="ReadTheAppSecret", actions=["secretsmanager:GetSecretValue"],
            resources=[secret.secret_arn]))
        self._kms_services.add("secretsmanager")

    def ses(self, identities: list[str], from_address: str) -> None:
        stack = cdk.Stack.of(self.role)
        arns = [stack.format_arn(service="ses", resource="identity", resource_name=identity)
                for identity in identities]
        self._statements.append(iam.PolicyStatement(
            sid="SendMailFromTheAppAddress", actions=["ses:SendEmail"], resources=arns,
            conditions={"StringEquals": {"ses:FromAddress": from_address}}))

    def statement(self, statement: iam.PolicyStatement) -> None:
        """A statement with conditions, written as given."""
        self._statements.append(statement)

    def raw(self, sid: str, actions: list[str], resources: list[str]) -> None:
        self._statements.append(iam.PolicyStatement(sid=sid, actions=actions,
                                                    resources=resources))

    def finish(self) -> None:
        self._acknowledge_prefixes()
        for level, arns in self._tables.items():
            self._add(iam.PolicyStatement(sid=_sid(level.name.lower(), "tables"),
                                          actions=list(level.value), resources=arns))
        if self._indexes:
            self._add(iam.PolicyStatement(sid="QueryTheirIndexes", actions=list(_INDEX_READ),
                                          resources=self._indexes))
        if self._queues:
            self._add(iam.PolicyStatement(sid="SendToQueues", actions=["sqs:SendMessage"],
                                          resources=self._queues))
        for statement in self._statements:
            self._add(statement)
        if self._kms_services:
            self._add(self._key_statement())

    def _add(self, statement: iam.PolicyStatement) -> None:
        self.role.add_to_principal_policy(statement)

    def _key_statement(self) -> iam.PolicyStatement:
        """The project key, only as the services above use it on this principal's behalf."""
        actions = ["kms:Decrypt"]
        if self._kms_encrypt:
            actions += ["kms:Encrypt", "kms:GenerateDataKey"]
        via: list[Any] = [f"{service}.{cdk.Aws.REGION}.amazonaws.com"
                          for service in sorted(self._kms_services)]
        return iam.PolicyStatement(sid="UseTheProjectKeyThroughThoseServices", actions=actions,
                                   resources=[self.key.key_arn],
                                   conditions={"StringEquals": {"kms:ViaService": via}})
