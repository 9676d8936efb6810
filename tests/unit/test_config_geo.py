"""Settings fail fast naming what is missing; geometry is right."""

from __future__ import annotations

import os

import pytest

from app.config import ConfigError, load_settings
from app.core import geo
from tests.unit.settings_env import BASE


def test_real_aws_settings_without_endpoint() -> None:
    settings = load_settings(BASE)
    assert settings.endpoint_for("dynamodb") is None and settings.endpoint_for("s3") is None
    assert settings.mail_transport == "ses"
    assert settings.cookie_secure
    assert settings.public_url == "https://porchlight.example.gov"


SERVICES = ("dynamodb", "s3", "sqs", "kms", "ses", "secretsmanager")


@pytest.mark.parametrize("variables", [
    {"AWS_ENDPOINT_URL": "http://127.0.0.1:4000"},
    {"AWS_ENDPOINT_URL": "http://127.0.0.1:4000", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8001"},
    {"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:9001"},
    {"AWS_ENDPOINT_URL": "http://127.0.0.1:4000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
], ids=["global", "dynamodb-elsewhere", "per-service-only", "ignored"])
def test_each_service_goes_where_botocore_would_send_it(
        variables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The app passes endpoints explicitly (models and clients); they must be exactly what an
    SDK left to the standard variables would choose, service by service."""
    import boto3

    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k.startswith(
            "AWS_IGNORE_CONFIGURED")]:
        monkeypatch.delenv(key)
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(dict(BASE, **variables))
    for service in SERVICES:
        sdk = boto3.session.Session().client(service, region_name="us-east-1",
                                             aws_access_key_id="x", aws_secret_access_key="x")
        expected = sdk.meta.endpoint_url
        ours = settings.endpoint_for(service)
        if ours is None:
            assert expected.endswith("amazonaws.com"), (service, expected)
        else:
            assert ours == expected, service


def test_missing_settings_are_all_named() -> None:
    env = {k: v for k, v in BASE.items() if k not in ("AWS_REGION", "PORCHLIGHT_SECRET_KEY")}
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    assert "AWS_REGION" in str(err.value) and "PORCHLIGHT_SECRET_KEY" in str(err.value)


def test_short_secret_refused_outside_devstack() -> None:
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings(dict(BASE, PORCHLIGHT_SECRET_KEY="short"))


def test_outbox_exists_only_in_devstack() -> None:
    with pytest.raises(ConfigError, match="only in devstack"):
        load_settings(dict(BASE, PORCHLIGHT_MAIL_TRANSPORT="outbox"))


def test_bad_number_is_named() -> None:
    with pytest.raises(ConfigError, match="PORCHLIGHT_LOCKOUT_SECONDS"):
        load_settings(dict(BASE, PORCHLIGHT_LOCKOUT_SECONDS="ten"))


def test_geohash_known_value() -> None:
    # The geohash of the Eiffel Tower, from the reference implementation.
    assert geo.geohash(48.8584, 2.2945, 7) == "u09tunq"


def test_geohash_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        geo.geohash(91, 0)


def test_distance_between_broadway_corners() -> None:
    # 1st Ave N & Broadway to 5th Ave N & Broadway in Nashville: about 0.5 km.
    d = geo.distance_m(36.16228, -86.77448, 36.15924, -86.77828)
    assert 400 < d < 600
