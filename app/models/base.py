"""The PynamoDB base model and the one place where table names and the endpoint are set.

Table names are `<prefix><base name>`; the base names live on each model's Meta, and devstack and
the CDK stack read the same definitions through `app.models.tables.table_definitions()`.
"""

from __future__ import annotations

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

_REGISTRY: list[type[BaseModel]] = []
MAX_ID = 64  # no id this app makes is longer (uuid hex, digests, derived ids)

# A table that failed to do what it was asked: throttled past the SDK's retries, timed out,
# refused the connection, answered 5xx, or is not there. Not an answer about the data: "no such
# item" (DoesNotExist) is not among them, and a refused condition is told apart by
# `condition_failed`.
STORE_ERRORS: tuple[type[Exception], ...] = (
    PynamoDBConnectionError, TableDoesNotExist, TransactWriteError, TransactGetError,
    BotoCoreError, ClientError)


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
    for model in _REGISTRY:
        meta: Any = model.Meta
        meta.table_name = settings.table_prefix + model.base_name
        meta.region = settings.region
        meta.host = settings.endpoint_url
        meta.max_pool_connections = MAX_POOL_CONNECTIONS
        model._connection = None
