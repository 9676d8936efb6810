"""The PynamoDB base model and the one place where table names and the endpoint are set.

Table names are `<prefix><base name>`; the base names live on each model's Meta, and devstack and
the CDK stack read the same definitions through `app.models.tables.table_definitions()`.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar, Self

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import (
    DoesNotExist,
    PynamoDBConnectionError,
    PynamoDBException,
    TableDoesNotExist,
    TransactGetError,
    TransactWriteError,
)
from pynamodb.models import Model

from app.aws import MAX_POOL_CONNECTIONS
from app.config import Settings
from app.core.errors import ValidationError

_REGISTRY: list[type[BaseModel]] = []
MAX_ID = 64  # no id this app makes is longer (uuid hex, digests, derived ids)

# A table that failed to do what it was asked: throttled past the SDK's retries, timed out,
# refused the connection, answered 5xx, or is not there. Not an answer about the data: "no such
# item" (DoesNotExist) is not among them, and a refused condition is told apart by
# `condition_failed`.
STORE_ERRORS: tuple[type[Exception], ...] = (
    PynamoDBConnectionError, TableDoesNotExist, TransactWriteError, TransactGetError,
    BotoCoreError, ClientError)


# DynamoDB refuses an item over 400 KB (names and values counted), with a ValidationException
# that a caller could mistake for any other failed write. BaseModel.save measures first.
ITEM_LIMIT_BYTES = 400 * 1024


def _value_bytes(value: dict[str, Any]) -> int:
    """One attribute value's size as DynamoDB counts it (Developer Guide, "Item sizes"):
    strings and binaries by their bytes, a number by about one byte per two digits plus one,
    a list or map 3 bytes plus 1 per element plus the elements, a boolean or null 1 byte."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        return (len(str(inner).lstrip("-").replace(".", "")) + 1) // 2 + 1
    if kind == "B":
        return len(inner) if isinstance(inner, bytes) else len(base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode()) for v in inner)
    if kind == "NS":
        return sum(_value_bytes({"N": v}) for v in inner)
    if kind == "BS":
        return sum(_value_bytes({"B": v}) for v in inner)
    if kind == "L":
        return 3 + sum(1 + _value_bytes(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_bytes(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def attribute_bytes(item: Model) -> dict[str, int]:
    """Each attribute's size in the item as DynamoDB counts it, name included."""
    return _sizes(item.serialize())


def raw_item_bytes(item: dict[str, Any]) -> int:
    """An item in DynamoDB's own JSON (as a low-level Scan returns it), sized as DynamoDB
    counts it."""
    return sum(_sizes(item).values())


def _sizes(serialized: dict[str, Any]) -> dict[str, int]:
    return {name: len(name.encode()) + _value_bytes(value)
            for name, value in serialized.items()}


class ItemTooLarge(ValidationError):
    """An item over DynamoDB's 400 KB: nothing was written. `sizes` says what takes the room."""

    def __init__(self, item: Model, sizes: dict[str, int]) -> None:
        total = sum(sizes.values())
        largest = sorted(sizes.items(), key=lambda pair: -pair[1])[:3]
        super().__init__(
            f"This is too big to save: {kb(total)}, and one record holds at most "
            f"{kb(ITEM_LIMIT_BYTES)}. The largest parts: "
            + ", ".join(f"{name} {kb(size)}" for name, size in largest) + ".",
            {name: f"{kb(size)} of {kb(total)}" for name, size in largest})
        self.sizes = sizes
        self.model = type(item).__name__


def kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size >= 1024 else f"{size} bytes"


def condition_failed(exc: PynamoDBException) -> bool:
    """Did DynamoDB refuse a write because its condition (or version) did not hold? That is an
    answer (someone else wrote first); any other PutError/UpdateError/DeleteError is a failure
    to write, to be raised, never taken for a lost race."""
    return exc.cause_response_code == "ConditionalCheckFailedException"


class BaseModel(Model):
    """A model whose table name gets the deployment's prefix at configure time."""

    base_name: ClassVar[str] = ""
    ttl_attribute: ClassVar[str | None] = None
    # A table only devstack has (e.g. its local mail outbox): devstack creates it, the AWS
    # stack does not (app.models.tables.aws_table_definitions()).
    devstack_only: ClassVar[bool] = False

    class Meta:
        abstract = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.base_name:
            _REGISTRY.append(cls)

    def save(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """PynamoDB's save, refused before any call when the item is over DynamoDB's limit
        (ItemTooLarge, a ValidationError: 422 saying what is too big), never sent to fail as
        a PutError that reads like any other failed write."""
        sizes = attribute_bytes(self)
        if sum(sizes.values()) > ITEM_LIMIT_BYTES:
            raise ItemTooLarge(self, sizes)
        saved: dict[str, Any] = super().save(*args, **kwargs)
        return saved

    @classmethod
    def find(cls, hash_key: str) -> Self | None:
        """The item with this key, read consistently, or None when there is none. A key no
        item can have (empty, which DynamoDB refuses, or longer than any id) is answered
        without a read: that is a question, not a fault. The object-level checks of the
        services start here (`registry.owned`, `live.police_share`...), and say "not found"
        alike for an item that is not there and one that is not the caller's."""
        if not hash_key or len(hash_key) > MAX_ID:
            return None
        try:
            return cls.get(hash_key, consistent_read=True)
        except DoesNotExist:
            return None


def registered_models() -> list[type[BaseModel]]:
    return list(_REGISTRY)


def configure_models(settings: Settings) -> None:
    """Point every model at this deployment's tables and endpoint. Makes no network call."""
    point_models(settings.table_prefix, settings.region, settings.endpoint_for("dynamodb"))


def point_models(table_prefix: str, region: str, dynamodb_endpoint: str | None) -> None:
    """configure_models from the three values it uses, for a worker that loads no other
    setting (lambdas.common.tables_only: the IoT authorizer never reads the app secret)."""
    for model in _REGISTRY:
        meta: Any = model.Meta
        meta.table_name = table_prefix + model.base_name
        meta.region = region
        meta.host = dynamodb_endpoint
        meta.max_pool_connections = MAX_POOL_CONNECTIONS
        model._connection = None
