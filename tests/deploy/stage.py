"""The prod stage as the artifact tests and bench/cold_artifact.py stand it up: a local AWS
(DynamoDB Local and moto's server, on loopback) holding the tables, buckets, queues, secret,
signing key and mail identity the CDK stack would make, named as it names them; the web zip
built by `make package` from the stage those outputs complete; and the SDK Lambda's runtime
provides.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from infra.artifacts import install, runtime_sdk
from infra.zappa_settings import complete
from tests.deploy.harness import ACCOUNT, REGION

ROOT = Path(__file__).resolve().parents[2]
STAGE = "prod"
PREFIX = "porchlight-prod-"
PUBLIC_URL = "https://cams.example.gov"
MAIL_FROM = "Porchlight <no-reply@example.gov>"
WEB_FUNCTION = "porchlight-prod"  # Zappa's "<project_name>-<stage>"


def clean_env() -> dict[str, str]:
    """This process's environment without a devstack's AWS and app settings."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "PORCHLIGHT_", "POWERTOOLS_", "DEVSTACK_"))}


@dataclass
class LocalAws:
    endpoint: str  # moto's server
    server: Any
    dynamodb: Any  # devstack.dynamodb_local.DynamoDBLocal
    outputs: dict[str, str] = field(default_factory=dict)  # as `cdk deploy` would write them
    queue_urls: dict[str, str] = field(default_factory=dict)
    function_env: dict[str, str] = field(default_factory=dict)  # the stage's variables
    secret: dict[str, str] = field(default_factory=dict)
    vapid_public_key: str = ""

    def endpoint_env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint,
                "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb.endpoint}

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(
            service, region_name=REGION,
            endpoint_url=self.dynamodb.endpoint if service == "dynamodb" else self.endpoint,
            aws_access_key_id="artifact", aws_secret_access_key="artifact")

    def queue_arn(self, base_name: str) -> str:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{PREFIX}{base_name}"

    def zappa_settings(self) -> dict[str, Any]:
        """zappa_settings.json completed from the outputs (what infra/zappa_settings.py writes)."""
        return complete(json.loads((ROOT / "zappa_settings.json").read_text()), STAGE,
                        self.outputs, PUBLIC_URL, MAIL_FROM, self.vapid_public_key)

    def stop(self) -> None:
        self.server.stop()
        self.dynamodb.stop()


def start_local_aws() -> LocalAws:
    from moto.server import ThreadedMotoServer

    from devstack import dynamodb_local
    from devstack.stack import create_queues, create_tables, vapid_keys

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    aws = LocalAws(f"http://{host}:{port}", server, dynamodb_local.start())
    create_tables(aws.client("dynamodb"), PREFIX)
    s3 = aws.client("s3")
    uploads = f"{PREFIX}uploads-{ACCOUNT}-{REGION}"
    clips = f"{PREFIX}clips-{ACCOUNT}-{REGION}"
    s3.create_bucket(Bucket=uploads)
    s3.create_bucket(Bucket=clips, ObjectLockEnabledForBucket=True)
    queue_env = create_queues(aws.client("sqs"), PREFIX, 30)
    aws.queue_urls = {key.removeprefix("DEVSTACK_QUEUE_").lower().replace("_", "-"): url
                      for key, url in queue_env.items() if key.startswith("DEVSTACK_QUEUE_")}
    vapid = vapid_keys()
    aws.secret = {"secret_key": secrets.token_urlsafe(48),
                  "vapid_private_key": vapid["PORCHLIGHT_VAPID_PRIVATE_KEY"]}
    secret_arn = aws.client("secretsmanager").create_secret(
        Name=f"{PREFIX}app", SecretString=json.dumps(aws.secret))["ARN"]
    signing = aws.client("kms").create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")
    aws.client("ses").verify_domain_identity(Domain="example.gov")
    aws.outputs = {
        "TablePrefix": PREFIX, "UploadsBucket": uploads, "ClipsBucket": clips,
        "MailQueueUrl": aws.queue_urls["mail"],
        "AuditFanoutQueueUrl": aws.queue_urls["audit-fanout"],
        "PushQueueUrl": aws.queue_urls["push"], "ClipsQueueUrl": aws.queue_urls["clips"],
        "ErasureQueueUrl": aws.queue_urls["erasure"], "SecretsArn": secret_arn,
        "CheckpointKeyArn": signing["KeyMetadata"]["Arn"],
        "WebRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}web",
    }
    aws.vapid_public_key = vapid["PORCHLIGHT_VAPID_PUBLIC_KEY"]
    aws.function_env = aws.zappa_settings()[STAGE]["environment_variables"]
    return aws


def package_web(aws: LocalAws, folder: Path) -> Path:
    """`make package` for the prod stage completed from the outputs; the zip's contents
    unzipped into folder/task (Lambda's /var/task)."""
    settings_file = folder / "zappa_settings.json"
    settings_file.write_text(json.dumps(aws.zappa_settings()))
    done = subprocess.run(["make", "-s", "package", f"STAGE={STAGE}",
                           f"SETTINGS={settings_file}"], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    root = folder / "task"
    with zipfile.ZipFile(ROOT / "dist" / "porchlight-web.zip") as package:
        package.extractall(root)
    return root


def install_runtime_sdk(folder: Path, python: str) -> Path:
    """The SDK Lambda's runtime provides (tests/deploy/runtime-sdk.txt), installed in folder
    and compiled, as the runtime ships it."""
    install(runtime_sdk(), folder)
    shutil.rmtree(folder / "bin", ignore_errors=True)
    subprocess.run([python, "-m", "compileall", "-q", "-j0", str(folder)], check=True,
                   capture_output=True)
    return folder
