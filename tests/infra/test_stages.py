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
])
def test_unusable_values_are_refused(context: dict[str, str]) -> None:
    with pytest.raises(StageError):
        stage_from_context(context)


def test_each_zip_worker_gets_the_app_requirements_and_its_own() -> None:
    from infra.cdk.porchlight.layout import image_worker, zip_workers
    from infra.cdk.prepare_assets import POWERTOOLS, pinned, requirements_of

    assert image_worker("clip_cutter") and "clip_cutter" not in zip_workers()
    for worker in zip_workers():
        files, extra = requirements_of(worker)
        assert files[0].name == "requirements.txt" and files[0].parent.name != worker
        assert (pinned(files, POWERTOOLS) or "".join(extra)).startswith(f"{POWERTOOLS}=="), \
            f"{worker} would be built without Powertools"
    files, _ = requirements_of("push_sender")
    assert [f.parent.name for f in files][-1] == "push_sender", "push_sender's own pins"
