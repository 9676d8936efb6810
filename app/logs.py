"""Logging for the web app, the workers and the CLI: JSON lines with a correlation id, at the
level the configuration names (INFO by default), and never a library's wire log.

What must never reach a log (CloudWatch on AWS, the console in devstack): passwords, cookies,
session and CSRF tokens, TOTP secrets and codes, the VAPID private key, presigned URL
signatures, bridge and ingest credentials, password hashes, answer tokens. So:

- the app logs no request bodies, no query strings and no headers: its access line is the
  method, the path, the status and the time (paths never carry a secret: tokens travel in
  query strings, bodies and headers);
- libraries that log whole requests or responses at DEBUG (botocore: GetSecretValue's answer;
  PynamoDB: every item, password hashes included; Zappa: the raw event and query strings;
  werkzeug: request lines) are held at WARNING whatever level the app runs at;
- the correlation id is the API Gateway request id (or a fresh one), sent back to the browser
  as X-Request-Id, shown on error pages, attached to every queue message the request sends
  (app.aws adds it), and picked up by the worker that reads the message.

tests/deploy/test_no_secrets_logged.py runs all of this as Lambda does and reads every line.
Nothing here imports Flask.
"""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = "INFO"
# Held at WARNING at every app level (see above). Parents cover their children.
QUIET = ("botocore", "boto3", "s3transfer", "urllib3", "pynamodb", "zappa", "werkzeug",
         "aws_lambda_powertools", "moto")
ATTRIBUTE = "correlation_id"  # the SQS message attribute and the JSON log key

_correlation: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def set_correlation_id(value: str | None) -> None:
    _correlation.set(value)


def correlation_id() -> str | None:
    return _correlation.get()


class CorrelationFilter(logging.Filter):
    """Adds the current correlation id to every record a handler emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, ATTRIBUTE, None):
            setattr(record, ATTRIBUTE, _correlation.get())
        return True


def quiet_libraries() -> None:
    """Hold QUIET's loggers, and any child already given a level of its own (Zappa sets
    zappa.handler's to its LOG_LEVEL before it imports the app), at WARNING."""
    names = set(QUIET) | {name for name in logging.root.manager.loggerDict
                          if name.startswith(tuple(f"{q}." for q in QUIET))}
    for name in names:
        logging.getLogger(name).setLevel(logging.WARNING)


def json_handler(service: str) -> logging.Handler:
    """A stdout handler writing one JSON object per record (Powertools' formatter)."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(LambdaPowertoolsFormatter(service=service))
    handler.addFilter(CorrelationFilter())
    return handler


OURS = ("app", "lambdas", "devstack")  # the project's own loggers take the configured level


def configure(level: str, *, service: str, own_handler: bool) -> None:
    """Set the project's level and quiet the libraries. With own_handler (on Lambda, where the
    runtime and Zappa put plain-text handlers on the root logger), the root logger gets exactly
    one JSON handler at that level instead; elsewhere (devstack, tests, the CLI) the process's
    handlers and root level stay as they are."""
    if own_handler:
        root = logging.getLogger()
        for existing in list(root.handlers):
            root.removeHandler(existing)
        root.addHandler(json_handler(service))
        root.setLevel(level)
    for name in OURS:
        logging.getLogger(name).setLevel(level)
    quiet_libraries()
