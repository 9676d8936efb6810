"""Table definitions derived from the models: devstack creates them all, the CDK stack those
that exist on AWS (aws_table_definitions(): not the devstack-only ones)."""

from __future__ import annotations

from typing import Any

from app.models import (  # noqa: F401
    audit,
    bridge,
    cameras,
    field,
    footage,
    idempotency,
    incident,
    live,
    outbox,
    program,
    sessions,
    tokens,
    users,
)
from app.models.base import registered_models


def _hash_first(keys: Any) -> list[dict[str, str]]:
    # DynamoDB wants the HASH key first; PynamoDB does not promise an order.
    return sorted(keys, key=lambda k: k["KeyType"] != "HASH")


def table_definitions() -> list[dict[str, Any]]:
    """One plain dict per table: base name, key schema, attributes, GSIs and TTL attribute."""
    out = []
    for model in registered_models():
        schema = model._get_schema()
        out.append(
            {
                "base_name": model.base_name,
                "key_schema": _hash_first(schema["key_schema"]),
                "attribute_definitions": schema["attribute_definitions"],
                "global_secondary_indexes": [
                    {
                        "IndexName": gsi["index_name"],
                        "KeySchema": _hash_first(gsi["key_schema"]),
                        "Projection": gsi["projection"],
                    }
                    for gsi in schema["global_secondary_indexes"]
                ],
                "ttl_attribute": model.ttl_attribute,
                "devstack_only": model.devstack_only,
            }
        )
    return out


def aws_table_definitions() -> list[dict[str, Any]]:
    """The tables a deployment on AWS has: every table but devstack's own (the mail outbox)."""
    return [spec for spec in table_definitions() if not spec["devstack_only"]]
