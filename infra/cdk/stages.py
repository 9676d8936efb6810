"""The deployment stages: `cdk deploy -c stage=prod` (dev when none is given).

Each stage is one copy of everything, its names starting with the stage's prefix. Values that
depend on where you deploy can also be given on the command line without editing this file:

    cdk deploy -c stage=prod -c public_url=https://cameras.example.gov \\
        -c mail_from="Porchlight <no-reply@example.gov>" -c alarm_email=ops@example.gov

public_url must be the address people open (the same value the Zappa stage gets): the buckets
accept browser uploads from that origin only, and the workers put it in emails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from email.utils import parseaddr
from typing import Any


class StageError(ValueError):
    """The stage or one of its values is not usable; the message says which."""


@dataclass(frozen=True)
class Stage:
    name: str  # PORCHLIGHT_ENV on AWS
    prefix: str  # every table, bucket, queue and function name starts with it
    public_url: str  # https origin of the web app: CORS on the buckets, links in emails
    mail_from: str  # "Name <address>" the mailer sends from (an SES-verified identity)
    # Zappa's function for this stage: "<project_name>-<stage>" from zappa_settings.json. The
    # web role may write only that function's logs, and API Gateway (which Zappa points at the
    # function with this role as its credentials) may invoke only it.
    web_function_name: str
    vapid_public_key: str = ""
    vapid_subject: str = "mailto:admin@porchlight.invalid"
    ses_identity: str = ""  # SES identity allowed to send; empty: the domain of mail_from
    alarm_email: str = ""  # optional: alarms also go to this address (confirm the mail)
    protect: bool = False  # deletion protection on tables, RETAIN on everything stateful
    log_retention_days: int = 30  # CloudWatch Logs of the Lambdas
    access_log_days: int = 90  # S3 and API access logs (they hold phones' IP addresses)
    # "template": the template enables S3 Object Lock on the clips bucket. "by-hand": an
    # operator enabled it on an already deployed bucket (DEPLOY.md, Upgrading) and the template
    # leaves the setting alone, so CloudFormation never considers replacing the bucket.
    clips_object_lock: str = "template"

    @property
    def sender_identity(self) -> str:
        if self.ses_identity:
            return self.ses_identity
        address = parseaddr(self.mail_from)[1]
        return address.rsplit("@", 1)[-1] if "@" in address else address

    @property
    def sender_address(self) -> str:
        return parseaddr(self.mail_from)[1]


STAGES: dict[str, Stage] = {
    "dev": Stage(
        name="dev",
        prefix="porchlight-dev-",
        public_url="https://dev.porchlight.example.org",
        mail_from="Porchlight (dev) <no-reply@dev.porchlight.example.org>",
        web_function_name="porchlight-dev",
        protect=False,
        log_retention_days=30,
        access_log_days=30,
    ),
    "prod": Stage(
        name="prod",
        prefix="porchlight-prod-",
        public_url="https://porchlight.example.org",
        mail_from="Porchlight <no-reply@porchlight.example.org>",
        web_function_name="porchlight-prod",
        protect=True,
        log_retention_days=365,
        access_log_days=365,
    ),
}

# Values that may come from `-c name=value` on top of the stage's own.
OVERRIDABLE = ("public_url", "mail_from", "ses_identity", "vapid_public_key", "vapid_subject",
               "alarm_email", "web_function_name", "clips_object_lock")
CLIPS_OBJECT_LOCK = ("template", "by-hand")


def stage_from_context(context: Mapping[str, Any]) -> Stage:
    """The stage named by the `stage` context value, with any overrides given beside it."""
    name = str(context.get("stage") or "dev")
    if name not in STAGES:
        raise StageError(f"unknown stage {name!r}; choose one of {', '.join(sorted(STAGES))}")
    stage = STAGES[name]
    known = {f.name for f in fields(Stage)}
    changes = {key: str(context[key]) for key in OVERRIDABLE
               if key in known and context.get(key) not in (None, "")}
    stage = replace(stage, **changes)  # type: ignore[arg-type]
    check(stage)
    return stage


def check(stage: Stage) -> None:
    if not stage.public_url.startswith("https://") or stage.public_url.rstrip("/").count("/") > 2:
        raise StageError(f"public_url must be an https origin such as https://cams.example.gov, "
                         f"got {stage.public_url!r}")
    if "@" not in stage.sender_address:
        raise StageError(f"mail_from must hold an address, got {stage.mail_from!r}")
    if stage.clips_object_lock not in CLIPS_OBJECT_LOCK:
        raise StageError(f"clips_object_lock must be one of {', '.join(CLIPS_OBJECT_LOCK)}, "
                         f"got {stage.clips_object_lock!r}")
    if not stage.prefix.endswith("-") or not stage.prefix.islower():
        raise StageError(f"prefix must be lower case and end with '-', got {stage.prefix!r}")
