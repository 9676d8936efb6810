"""Settings fail fast naming what is missing; geometry is right."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load_settings
from app.core import geo
from tests.unit.settings_env import BASE


def test_real_aws_settings_without_endpoint() -> None:
    settings = load_settings(BASE)
    assert settings.endpoint_url is None
    assert settings.mail_transport == "ses"
    assert settings.cookie_secure
    assert settings.public_url == "https://porchlight.example.gov"


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
