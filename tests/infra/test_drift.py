"""The stack and the code agree: every PynamoDB table that exists on AWS and every registry
queue and schedule is in the template as the code defines it, and the template has nothing the
code does not know (devstack-only tables, such as the mail outbox, included)."""

from __future__ import annotations

from typing import Any

import pytest

from app.models.tables import aws_table_definitions, table_definitions
from lambdas.registry import IOT, QUEUES, SCHEDULES
from tests.infra.cfn import text
from tests.infra.conftest import Synthesized


def _keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def _projection(projection: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    return projection["ProjectionType"], tuple(sorted(projection.get("NonKeyAttributes", [])))


def _tables(synth: Synthesized) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["TableName"]: r["Properties"]
            for r in synth.of_type("AWS::DynamoDB::Table").values()}


def test_every_model_table_is_in_the_template_and_nothing_else(synth: Synthesized) -> None:
    prefix = synth.stage.prefix
    expected = {prefix + spec["base_name"] for spec in aws_table_definitions()}
    found = set(_tables(synth))
    assert found - expected == set(), \
        f"tables in the stack that no model defines: {found - expected}"
    assert expected - found == set(), f"model tables missing from the stack: {expected - found}"


def test_devstack_only_tables_stay_off_aws(synth: Synthesized) -> None:
    """Devstack's mail outbox: devstack creates it (table_definitions()), AWS never has it."""
    devstack_only = {s["base_name"] for s in table_definitions() if s["devstack_only"]}
    assert devstack_only == {"outbox"}, f"devstack-only tables changed: {devstack_only}"
    found = {name.removeprefix(synth.stage.prefix) for name in _tables(synth)}
    assert not devstack_only & found, f"devstack-only tables on AWS: {devstack_only & found}"


@pytest.mark.parametrize("spec", aws_table_definitions(), ids=lambda s: s["base_name"])
def test_table_matches_its_model(prod: Synthesized, spec: dict[str, Any]) -> None:
    table = _tables(prod)[prod.stage.prefix + spec["base_name"]]
    name = spec["base_name"]
    assert _keys(table["KeySchema"]) == _keys(spec["key_schema"]), \
        f"{name}: the table's key schema differs from the model's"
    assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == \
        {(a["AttributeName"], a["AttributeType"]) for a in spec["attribute_definitions"]}, \
        f"{name}: the table's attribute definitions differ from the model's"
    in_stack = {g["IndexName"]: (_keys(g["KeySchema"]), _projection(g["Projection"]))
                for g in table.get("GlobalSecondaryIndexes", [])}
    in_model = {g["IndexName"]: (_keys(g["KeySchema"]), _projection(g["Projection"]))
                for g in spec["global_secondary_indexes"]}
    assert in_stack == in_model, f"{name}: the indexes (names, keys, projections) differ"
    ttl = table.get("TimeToLiveSpecification")
    if spec["ttl_attribute"]:
        assert ttl == {"AttributeName": spec["ttl_attribute"], "Enabled": True}, \
            f"{name}: the model expires items by {spec['ttl_attribute']}, the table does not"
    else:
        assert ttl is None, f"{name}: the table has a TTL the model does not know"


def test_every_registry_queue_and_only_those(synth: Synthesized) -> None:
    prefix = synth.stage.prefix
    names = {text(r["Properties"]["QueueName"]) for r in synth.of_type("AWS::SQS::Queue").values()}
    expected = {f"{prefix}{q.base_name}" for q in QUEUES} | \
        {f"{prefix}{q.base_name}-dlq" for q in QUEUES}
    assert names == expected, f"queues differ from lambdas/registry.py: {names ^ expected}"


def test_every_registry_worker_is_a_function(synth: Synthesized) -> None:
    handlers = {s.handler.split(":")[0].split(".")[1] for s in (*QUEUES, *SCHEDULES, *IOT)}
    names = {r["Properties"]["FunctionName"]
             for r in synth.of_type("AWS::Lambda::Function").values()}
    expected = {f"{synth.stage.prefix}{h.replace('_', '-')}" for h in handlers}
    assert names == expected, \
        f"worker functions differ from lambdas/registry.py: {names ^ expected}"
