"""Complete a Zappa stage from the CDK stack's outputs, so nobody edits a file to deploy.

zappa_settings.json (committed) holds everything that does not depend on the AWS account: the
app function, runtime, memory, exclusions and the stage names. The stack's outputs hold the rest
(the web role, table prefix, bucket and queue names, the secret's ARN). After

    cdk deploy -c stage=prod --outputs-file cdk-outputs.json

this writes .zappa/zappa_settings.json with the role and every environment variable filled in:

    .venv/bin/python -m infra.zappa_settings prod --outputs cdk-outputs.json \\
        --public-url https://cameras.example.gov --mail-from "Porchlight <no-reply@example.gov>" \\
        --mqtt-host <the host of the stack's DeviceEndpointName>
    zappa deploy prod -s .zappa/zappa_settings.json

With --mqtt-host (DEPLOY.md step 7 reads it with `aws iot describe-domain-configuration`) the
stage wakes bridges through AWS IoT Core: PORCHLIGHT_DEVICE_CHANNEL=iot and
PORCHLIGHT_MQTT_URL=mqtts://<host>:443. Without it, bridges poll every 5 seconds, as before.

No secret is written: the session key and the VAPID private key stay in Secrets Manager and the
app reads them at run time (PORCHLIGHT_SECRETS_ARN).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Stack output → environment variable of the web app.
OUTPUT_ENV = {
    "TablePrefix": "PORCHLIGHT_TABLE_PREFIX",
    "UploadsBucket": "PORCHLIGHT_UPLOADS_BUCKET",
    "ClipsBucket": "PORCHLIGHT_CLIPS_BUCKET",
    "MailQueueUrl": "PORCHLIGHT_MAIL_QUEUE_URL",
    "AuditFanoutQueueUrl": "PORCHLIGHT_AUDIT_QUEUE_URL",
    "PushQueueUrl": "PORCHLIGHT_PUSH_QUEUE_URL",
    "ClipsQueueUrl": "PORCHLIGHT_CLIPS_QUEUE_URL",
    "ErasureQueueUrl": "PORCHLIGHT_ERASURE_QUEUE_URL",
    "SecretsArn": "PORCHLIGHT_SECRETS_ARN",
    "CheckpointKeyArn": "PORCHLIGHT_CHECKPOINT_KMS_KEY",
}
# Outputs a stack deployed before them lacks: the app does without (address search says it is
# not set up) until the stack is deployed again.
OPTIONAL_OUTPUT_ENV = {"PlaceIndexName": "PORCHLIGHT_PLACE_INDEX"}


# A host name (the IoT domain configuration's, which AWS chooses): letters, digits, dots, dashes.
HOST = re.compile(r"(?=.{4,253}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
MQTT_PORT = 443  # MQTT over TLS with ALPN "mqtt": the one port the custom authorizer serves


class SettingsError(ValueError):
    """The outputs or the arguments cannot make a complete stage; the message says why."""


def stack_outputs(path: Path, stage: str) -> dict[str, str]:
    """The outputs `cdk deploy --outputs-file` wrote for this stage's stack."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from exc
    stacks = {name: outputs for name, outputs in data.items() if isinstance(outputs, dict)}
    mine = [outputs for name, outputs in stacks.items() if stage.lower() in name.lower()]
    if len(mine) != 1:
        raise SettingsError(f"{path} should hold exactly one stack for stage {stage!r}; "
                            f"it holds {sorted(stacks) or 'none'}")
    return {str(k): str(v) for k, v in mine[0].items()}


def complete(settings: dict[str, Any], stage: str, outputs: dict[str, str], public_url: str,
             mail_from: str, vapid_public_key: str, mqtt_host: str = "") -> dict[str, Any]:
    if stage not in settings or stage == "base":
        raise SettingsError(f"zappa_settings.json has no stage {stage!r}")
    missing = sorted({*OUTPUT_ENV, "WebRoleArn"} - set(outputs))
    if missing:
        raise SettingsError(f"the stack outputs lack {', '.join(missing)}")
    if not public_url.startswith("https://"):
        raise SettingsError("--public-url must be the https address people will open")
    if mqtt_host and not HOST.fullmatch(mqtt_host):
        raise SettingsError(f"--mqtt-host must be a host name alone (no scheme, port or path), "
                            f"got {mqtt_host!r}")
    done = json.loads(json.dumps(settings))
    role_arn = outputs["WebRoleArn"]
    done[stage]["role_arn"] = role_arn
    done[stage]["role_name"] = role_arn.rsplit("/", 1)[-1]
    env = dict(done["base"].get("environment_variables", {}))
    env.update(done[stage].get("environment_variables", {}))
    env.update({name: outputs[key] for key, name in OUTPUT_ENV.items()})
    env.update({name: outputs[key] for key, name in OPTIONAL_OUTPUT_ENV.items() if key in outputs})
    env["PORCHLIGHT_PUBLIC_URL"] = public_url.rstrip("/")
    env["PORCHLIGHT_MAIL_FROM"] = mail_from
    if vapid_public_key:
        env["PORCHLIGHT_VAPID_PUBLIC_KEY"] = vapid_public_key
    if mqtt_host:
        env["PORCHLIGHT_DEVICE_CHANNEL"] = "iot"
        env["PORCHLIGHT_MQTT_URL"] = f"mqtts://{mqtt_host}:{MQTT_PORT}"
    done[stage]["environment_variables"] = env
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage", help="dev or prod (a stage in zappa_settings.json)")
    parser.add_argument("--outputs", type=Path, required=True,
                        help="the file `cdk deploy --outputs-file` wrote")
    parser.add_argument("--public-url", required=True, help="https://your.domain")
    parser.add_argument("--mail-from", required=True, help='"Porchlight <no-reply@your.domain>"')
    parser.add_argument("--vapid-public-key", default="",
                        help="the VAPID public key (base64url); empty: push is off")
    parser.add_argument("--mqtt-host", default="",
                        help="the host of the stack's IoT endpoint (DeviceEndpointName, "
                             "DEPLOY.md step 7); empty: no device channel, bridges poll")
    parser.add_argument("--settings", type=Path, default=ROOT / "zappa_settings.json")
    parser.add_argument("--out", type=Path, default=ROOT / ".zappa" / "zappa_settings.json")
    args = parser.parse_args(argv)
    try:
        base = json.loads(args.settings.read_text(encoding="utf-8"))
        done = complete(base, args.stage, stack_outputs(args.outputs, args.stage),
                        args.public_url, args.mail_from, args.vapid_public_key,
                        args.mqtt_host.strip())
    except (SettingsError, OSError, ValueError) as exc:
        sys.stderr.write(f"zappa settings not written: {exc}\n")
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(done, indent=4) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {args.out}; deploy with: zappa deploy {args.stage} -s {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
