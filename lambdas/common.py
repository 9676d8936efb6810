"""What every worker shares: settings read once per container, models pointed at the tables,
and JSON logs carrying the correlation id of whatever started the work (app/logs.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger

from app import logs
from app.config import Settings, load_settings

_SAFE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


@lru_cache(maxsize=1)
def settings() -> Settings:
    from app.models.base import configure_models
    from app.models.tables import table_definitions  # noqa: F401 (registers every model)

    loaded = load_settings()
    configure_models(loaded)
    return loaded


# All a worker that never reads the app secret is given (the stack passes it nothing else):
# its stage and where its tables are. AWS_REGION and the endpoint variables come from Lambda.
TABLES_ONLY_SETTINGS = ("PORCHLIGHT_ENV", "PORCHLIGHT_TABLE_PREFIX", "PORCHLIGHT_LOG_LEVEL")


@lru_cache(maxsize=1)
def tables_only() -> str:
    """Point the models at the stage's tables from the environment alone, without
    load_settings (which reads the app secret): for a worker whose role may read one table and
    nothing else, the IoT authorizer. Returns the stage (PORCHLIGHT_ENV); ConfigError when a
    value is missing."""
    from app.config import ConfigError, endpoint_in
    from app.models.base import point_models
    from app.models.tables import table_definitions  # noqa: F401 (registers every model)

    env = os.environ
    missing = [name for name in ("PORCHLIGHT_ENV", "PORCHLIGHT_TABLE_PREFIX", "AWS_REGION")
               if not env.get(name)]
    if missing:
        raise ConfigError(f"this worker cannot start: missing setting(s) {', '.join(missing)}")
    point_models(env["PORCHLIGHT_TABLE_PREFIX"], env["AWS_REGION"], endpoint_in(env, "dynamodb"))
    return env["PORCHLIGHT_ENV"]


def make_logger(service: str) -> Logger:
    """A Powertools logger (JSON lines on stdout) at PORCHLIGHT_LOG_LEVEL, INFO by default; the
    libraries that would log whole requests stay at WARNING (app/logs.py)."""
    logs.quiet_libraries()
    level = (os.environ.get("PORCHLIGHT_LOG_LEVEL") or logs.DEFAULT_LEVEL).upper()
    return Logger(service=service, level=level if level in logs.LEVELS else logs.DEFAULT_LEVEL)


def begin(logger: Logger, correlation: str | None) -> None:
    """From here on, log lines and the messages this work sends carry `correlation`."""
    value = correlation if correlation and _SAFE_ID.fullmatch(correlation) else None
    logs.set_correlation_id(value)
    logger.set_correlation_id(value)


def correlation_of(record: Any) -> str | None:
    """The correlation id the sender attached to an SQS message (app/aws.py), if any; an S3
    event (the clip queue) has none, and its message id stands in."""
    raw = record.raw_event if hasattr(record, "raw_event") else record
    attribute = (raw.get("messageAttributes") or {}).get(logs.ATTRIBUTE) or {}
    return attribute.get("stringValue") or raw.get("messageId")


def correlated(logger: Logger, record_handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Wrap an SQS record handler so each record's work is logged under its sender's id."""
    def handle(record: Any) -> Any:
        begin(logger, correlation_of(record))
        try:
            return record_handler(record)
        finally:
            begin(logger, None)

    return handle
