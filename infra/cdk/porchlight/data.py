"""Every DynamoDB table, built from the definitions the PynamoDB models give devstack too.

app.models.tables.table_definitions() is the single source: a model added there appears here
with its keys, indexes and TTL, and tests/infra/test_drift.py checks the template against it.
A model marked devstack_only (the local mail outbox) is left out: aws_table_definitions().
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_kms as kms
from constructs import Construct

from app.models.tables import aws_table_definitions
from infra.cdk.porchlight.keys import removal
from infra.cdk.stages import Stage

_TYPES = {"S": ddb.AttributeType.STRING, "N": ddb.AttributeType.NUMBER,
          "B": ddb.AttributeType.BINARY}


@dataclass(frozen=True)
class AppTable:
    base_name: str
    table: ddb.Table
    indexes: list[str]


def _key(schema: list[dict[str, str]], types: dict[str, str], kind: str
         ) -> ddb.Attribute | None:
    for part in schema:
        if part["KeyType"] == kind:
            name = part["AttributeName"]
            return ddb.Attribute(name=name, type=_TYPES[types[name]])
    return None


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


class Tables(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage,
                 key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.by_name: dict[str, AppTable] = {}
        for spec in aws_table_definitions():
            self.by_name[spec["base_name"]] = self._table(spec, stage, key)

    def _table(self, spec: dict[str, Any], stage: Stage, key: kms.IKey) -> AppTable:
        types = {a["AttributeName"]: a["AttributeType"] for a in spec["attribute_definitions"]}
        table = ddb.Table(
            self, _camel(spec["base_name"]),
            table_name=stage.prefix + spec["base_name"],
            partition_key=_key(spec["key_schema"], types, "HASH"),
            sort_key=_key(spec["key_schema"], types, "RANGE"),
            billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
            encryption=ddb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            time_to_live_attribute=spec["ttl_attribute"] or None,
            deletion_protection=stage.protect,
            removal_policy=removal(stage),
        )
        for gsi in spec["global_secondary_indexes"]:
            projection = gsi["Projection"]
            table.add_global_secondary_index(
                index_name=gsi["IndexName"],
                partition_key=_key(gsi["KeySchema"], types, "HASH"),
                sort_key=_key(gsi["KeySchema"], types, "RANGE"),
                projection_type=ddb.ProjectionType[projection["ProjectionType"]],
                non_key_attributes=projection.get("NonKeyAttributes"),
            )
        return AppTable(spec["base_name"], table,
                        [g["IndexName"] for g in spec["global_secondary_indexes"]])
