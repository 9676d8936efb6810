"""boto3 clients made once, lazily, from the settings (each service's endpoint from the standard
AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL variables: Settings.endpoint_for)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from app.config import Settings

# HTTP connections a client keeps open (botocore's and PynamoDB's default is 10). A registry
# search sends 12 Queries at once (registry.QUERY_THREADS), and devstack's threaded server serves
# many requests at once: beyond the pool, each call opened a connection (a TLS handshake on AWS)
# and dropped it ("Connection pool is full, discarding connection", hundreds a minute under
# bench/load.py). Models get the same size (app.models.base.configure_models).
MAX_POOL_CONNECTIONS = 50
# How S3 says a key holds nothing: GetObject answers NoSuchKey; HeadObject, which has no body to
# say it in, only its status.
S3_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


@lru_cache(maxsize=32)
def client(service: str, region: str, endpoint_url: str | None) -> Any:
    import boto3
    from botocore.config import Config

    cfg = Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"},
                 max_pool_connections=MAX_POOL_CONNECTIONS)
    made = boto3.session.Session().client(
        service, region_name=region, endpoint_url=endpoint_url, config=cfg
    )
    if service == "sqs":
        made.meta.events.register("provide-client-params.sqs.SendMessage", _correlate)
    return made


def _correlate(params: dict[str, Any], **_: Any) -> None:
    """Every message carries the correlation id of the request or message that sent it, so a
    worker's log lines join the web request's (app/logs.py); the body is left alone."""
    from app import logs

    value = logs.correlation_id()
    if value:
        attributes = params.setdefault("MessageAttributes", {})
        attributes.setdefault(logs.ATTRIBUTE, {"DataType": "String", "StringValue": value})


def aws_client(settings: Settings, service: str) -> Any:
    return client(service, settings.region, settings.endpoint_for(service))


def s3_missing(exc: Any) -> bool:
    """Is this botocore ClientError S3 saying the key holds nothing? Any other error (throttled,
    refused, a 5xx) is a failure to look, never taken for "nothing there"."""
    return exc.response.get("Error", {}).get("Code", "") in S3_MISSING
