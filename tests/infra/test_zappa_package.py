"""The Zappa stage is completed from the stack's outputs, without a secret in it. The zip itself is
built and run as Lambda runs it in tests/deploy/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.zappa_settings import SettingsError, complete, main

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = {
    "TablePrefix": "porchlight-prod-",
    "UploadsBucket": "porchlight-prod-uploads-123456789012",
    "ClipsBucket": "porchlight-prod-clips-123456789012",
    "MailQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/porchlight-prod-mail",
    "AuditFanoutQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/porchlight-prod-a",
    "PushQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/porchlight-prod-push",
    "ClipsQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/porchlight-prod-clips",
    "SecretsArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:porchlight-prod-x",
    "WebRoleArn": "arn:aws:iam::123456789012:role/porchlight-prod-web",
    "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1",
    "CheckpointKeyArn": "arn:aws:kms:us-east-1:123456789012:key/2",
    "ErasureQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/porchlight-prod-er",
    "PlaceIndexName": "porchlight-prod-places",
}


def test_stack_outputs_complete_a_stage_without_secrets(tmp_path: Path) -> None:
    outputs = tmp_path / "cdk-outputs.json"
    outputs.write_text(json.dumps({"Porchlight-prod": OUTPUTS}))
    out = tmp_path / "zappa.json"
    assert main(["prod", "--outputs", str(outputs), "--public-url", "https://cams.example.gov",
                 "--mail-from", "Porchlight <no-reply@example.gov>", "--out", str(out)]) == 0
    stage = json.loads(out.read_text())["prod"]
    env = stage["environment_variables"]
    assert stage["role_arn"] == OUTPUTS["WebRoleArn"] and stage["extends"] == "base"
    assert env["PORCHLIGHT_ENV"] == "prod" and env["PORCHLIGHT_CLIPS_BUCKET"].endswith("012")
    assert env["PORCHLIGHT_SECRETS_ARN"] == OUTPUTS["SecretsArn"]
    assert env["PORCHLIGHT_CHECKPOINT_KMS_KEY"] == OUTPUTS["CheckpointKeyArn"]
    assert env["PORCHLIGHT_PLACE_INDEX"] == "porchlight-prod-places"
    assert env["PORCHLIGHT_PUBLIC_URL"] == "https://cams.example.gov"
    assert not any("SECRET_KEY" in k or "PRIVATE" in k for k in env), "a secret in the file"
    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    with pytest.raises(SettingsError, match="lack"):
        complete(settings, "prod", {"TablePrefix": "x"}, "https://a.b", "x", "")
    with pytest.raises(SettingsError, match="https"):
        complete(settings, "prod", OUTPUTS, "http://a.b", "x", "")
    # A stack deployed before the place index: the stage is made, without address search.
    older = {k: v for k, v in OUTPUTS.items() if k != "PlaceIndexName"}
    env = complete(settings, "prod", older, "https://a.b", "x", "")["prod"]["environment_variables"]
    assert "PORCHLIGHT_PLACE_INDEX" not in env


def test_the_device_endpoints_host_turns_the_iot_channel_on(tmp_path: Path) -> None:
    """DEPLOY.md step 7: the host of the stack's IoT endpoint (DeviceEndpointName) makes the
    stage wake bridges through IoT Core; the app's own settings accept what is written."""
    from app.config import _channel

    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    host = "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com"
    env = complete(settings, "prod", OUTPUTS, "https://a.b", "x", "",
                   mqtt_host=host)["prod"]["environment_variables"]
    assert env["PORCHLIGHT_DEVICE_CHANNEL"] == "iot"
    assert env["PORCHLIGHT_MQTT_URL"] == f"mqtts://{host}:443"
    assert _channel(env) == ("iot", f"mqtts://{host}:443", "")
    without = complete(settings, "prod", OUTPUTS, "https://a.b", "x", "")["prod"]
    assert "PORCHLIGHT_DEVICE_CHANNEL" not in without["environment_variables"], \
        "no host given: no channel, the bridges poll as before"
    for bad in ("mqtts://" + host, f"{host}:443", f"{host}/x", "localhost", "a b.com"):
        with pytest.raises(SettingsError, match="mqtt-host"):
            complete(settings, "prod", OUTPUTS, "https://a.b", "x", "", mqtt_host=bad)
    outputs = tmp_path / "cdk-outputs.json"
    outputs.write_text(json.dumps({"Porchlight-prod": OUTPUTS}))
    out = tmp_path / "zappa.json"
    assert main(["prod", "--outputs", str(outputs), "--public-url", "https://cams.example.gov",
                 "--mail-from", "Porchlight <no-reply@example.gov>", "--mqtt-host", host,
                 "--out", str(out)]) == 0
    written = json.loads(out.read_text())["prod"]["environment_variables"]
    assert written["PORCHLIGHT_MQTT_URL"] == f"mqtts://{host}:443"
