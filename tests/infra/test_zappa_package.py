"""The web app's Lambda package: Zappa builds it offline from a lean venv, from settings the
stack's outputs complete, and it stays small (aim: under 20 MB zipped)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
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
}
AIM_MB = 20


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
    assert env["PORCHLIGHT_PUBLIC_URL"] == "https://cams.example.gov"
    assert not any("SECRET_KEY" in k or "PRIVATE" in k for k in env), "a secret in the file"
    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    with pytest.raises(SettingsError, match="lack"):
        complete(settings, "prod", {"TablePrefix": "x"}, "https://a.b", "x", "")
    with pytest.raises(SettingsError, match="https"):
        complete(settings, "prod", OUTPUTS, "http://a.b", "x", "")


def test_zappa_packages_the_web_app_offline_and_small(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    outputs = tmp_path / "cdk-outputs.json"
    outputs.write_text(json.dumps({"Porchlight-prod": OUTPUTS}))
    settings = tmp_path / "zappa_settings.json"
    main(["prod", "--outputs", str(outputs), "--public-url", "https://cams.example.gov",
          "--mail-from", "x@example.gov", "--out", str(settings)])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PORCHLIGHT_"))}
    done = subprocess.run(["make", "-s", "package", "STAGE=prod", f"SETTINGS={settings}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    package = ROOT / "dist" / "porchlight-web.zip"
    size_mb = package.stat().st_size / 1024 / 1024
    names = zipfile.ZipFile(package).namelist()
    assert "app/wsgi.py" in names and "frontend/templates/base.html" in names
    assert not [n for n in names if n.startswith(("tests/", "devstack/", "lambdas/", ".venv"))]
    assert not [n for n in names if n.startswith(("moto/", "playwright/", "av/", "cv2/"))]
    with capsys.disabled():
        sys.stdout.write(f"\n  zappa package: {size_mb:.1f} MB zipped, {len(names)} files "
                         f"(aim under {AIM_MB} MB)\n")
    assert size_mb < AIM_MB
