"""boto3 clients made once, lazily, from the settings (endpoint override for devstack)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from app.config import Settings


@lru_cache(maxsize=32)
def client(service: str, region: str, endpoint_url: str | None) -> Any:
    import boto3
    from botocore.config import Config

    cfg = Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"})
    return boto3.session.Session().client(
        service, region_name=region, endpoint_url=endpoint_url, config=cfg
    )


def aws_client(settings: Settings, service: str) -> Any:
    return client(service, settings.region, settings.endpoint_url)
