"""Stage selection and the worker-bundle recipe: plain Python, no synth."""

from __future__ import annotations

import pytest

from infra.cdk.stages import STAGES, StageError, stage_from_context


def test_dev_is_the_default_and_prod_protects_its_data() -> None:
    assert stage_from_context({}).name == "dev"
    assert stage_from_context({"stage": "prod"}).protect is True
    assert STAGES["dev"].protect is False


def test_deploy_time_values_come_from_the_command_line() -> None:
    stage = stage_from_context({"stage": "prod", "public_url": "https://cams.example.gov",
                                "mail_from": "Porchlight <no-reply@example.gov>",
                                "alarm_email": "ops@example.gov"})
    assert stage.public_url == "https://cams.example.gov"
    assert stage.sender_address == "no-reply@example.gov"
    assert stage.sender_identity == "example.gov"
    assert stage.alarm_email == "ops@example.gov"
    assert stage.prefix == "porchlight-prod-", "the prefix is not a command-line value"


@pytest.mark.parametrize("context", [
    {"stage": "staging"},
    {"public_url": "http://cams.example.gov"},
    {"public_url": "https://cams.example.gov/app"},
    {"mail_from": "Porchlight"},
    {"clips_object_lock": "off"},
])
def test_unusable_values_are_refused(context: dict[str, str]) -> None:
    with pytest.raises(StageError):
        stage_from_context(context)


def test_object_lock_may_be_marked_as_enabled_by_hand() -> None:
    """DEPLOY.md, Upgrading: a clips bucket deployed before Object Lock was in the template."""
    assert stage_from_context({"stage": "prod"}).clips_object_lock == "template"
    assert stage_from_context({"stage": "prod", "clips_object_lock": "by-hand"}
                              ).clips_object_lock == "by-hand"

