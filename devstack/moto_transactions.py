"""moto's TransactWriteItems without its whole-table copies, for devstack's embedded server.

moto backs a transaction up by deep-copying every table the transaction touches, and when the
transaction is cancelled it puts those copies back. The copy costs time in proportion to the
table: the audit log gains an event with every audited action, so under `make run` every
audited action grew slower as the log grew (0.46 s for the copy alone at 4,000 events), and all
appends wait for each other; bench/load.py's 50 users saw answers slow past a minute. The
restore also undoes whatever other writers put in those tables meanwhile, and a copy taken while
another thread writes fails ("dictionary changed size during iteration", an HTTP 500).

install() keeps moto's own checks and effects and changes only the backup: the items the
transaction names are copied before it runs and put back if it is cancelled, and transactions
run one at a time, as DynamoDB isolates them from each other.
"""

from __future__ import annotations

import copy
import threading
from types import SimpleNamespace
from typing import Any

_LOCK = threading.Lock()
_installed = False


def install() -> None:
    """Patch moto's DynamoDB backend in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    def tables_as_they_are(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    # moto's backend module uses its `copy` import for deepcopy only: the table backups in
    # transact_write_items, and an item's before-image in update_item (kept as it was).
    models.copy = SimpleNamespace(deepcopy=tables_as_they_are)  # type: ignore[assignment]
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _LOCK:
            saved = [found for found in (_save(self, item) for item in transact_items) if found]
            try:
                original(self, transact_items)
            except Exception:
                for table, hash_value, range_value, before in saved:
                    _restore(table, hash_value, range_value, before)
                raise

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _installed = True


def _save(backend: Any, transact_item: dict[str, Any]) -> tuple[Any, Any, Any, Any] | None:
    """The named item's table, key and a copy of it as it is now (None: it does not exist)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    op = next(iter(transact_item.values()), None)
    if not isinstance(op, dict):
        return None
    table = backend.tables.get(op.get("TableName"))
    attrs = op.get("Key") or op.get("Item") or {}
    if table is None or table.hash_key_attr not in attrs:
        return None  # moto refuses the transaction itself, before any write
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in attrs:
            return None
        range_value = DynamoType(attrs[table.range_key_attr])
    return table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))


def _restore(table: Any, hash_value: Any, range_value: Any, before: Any) -> None:
    if before is None:
        table.delete_item(hash_value, range_value)
    elif range_value is not None:
        table.items[hash_value][range_value] = before
    else:
        table.items[hash_value] = before
