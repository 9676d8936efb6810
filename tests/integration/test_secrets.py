"""On AWS the session key and the VAPID private key come from Secrets Manager at run time."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from app.config import ConfigError, load_settings


def test_settings_read_their_secrets_from_secrets_manager(devstack: Any) -> None:
    client = devstack.client("secretsmanager")
    arn = client.create_secret(Name=f"porchlight-test-{uuid.uuid4().hex}", SecretString=json.dumps(
        {"secret_key": "s" * 48, "vapid_private_key": "v" * 43}))["ARN"]
    env = {k: v for k, v in devstack.env.items()
           if k not in ("PORCHLIGHT_SECRET_KEY", "PORCHLIGHT_VAPID_PRIVATE_KEY")}
    loaded = load_settings({**env, "PORCHLIGHT_SECRETS_ARN": arn})
    assert loaded.secret_key == "s" * 48 and loaded.vapid_private_key == "v" * 43

    empty = client.create_secret(Name=f"porchlight-test-{uuid.uuid4().hex}",
                                 SecretString=json.dumps({"vapid_private_key": ""}))["ARN"]
    with pytest.raises(ConfigError, match="no 'secret_key'"):
        load_settings({**env, "PORCHLIGHT_SECRETS_ARN": empty})
    with pytest.raises(ConfigError, match="cannot read its secrets"):
        load_settings({**env, "PORCHLIGHT_SECRETS_ARN": arn + "-gone"})
