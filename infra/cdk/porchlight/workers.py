"""The worker Lambdas: one per queue, per schedule and per AWS IoT Core trigger in
lambdas/registry.py.

Code: a worker whose folder has a Dockerfile (the clip cutter: PyAV + OpenCV + numpy exceed
the 250 MB zip limit) ships as a container image built from the repository root at deploy
time; every other worker is a zip of a folder prepare_assets.py built beforehand
(infra/cdk/build/<worker>/), so synthesizing never runs Docker or pip.

Access: NEEDS below says, worker by worker, which tables, objects, queues and mail identity its
code touches (read from the handlers and the services they call). A worker added to the
registry without an entry still deploys, with logs, the secret and its own queue only, and the
synth warns until its needs are written down here.

Concurrency: NEEDS also caps how many copies of each worker may run at once (Lambda reserved
concurrency), and an SQS-fed worker's event source polls with the same maximum, so SQS never
hands Lambda more batches than the cap allows (throttled batches would count as receives and
end in the dead-letter queue). The caps are small on purpose: their sum is taken from the
account's concurrency quota, which must keep 10 unreserved (DEPLOY.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.cdk.porchlight.access import Access, TableAccess
from infra.cdk.porchlight.data import Tables
from infra.cdk.porchlight.keys import log_retention, removal
from infra.cdk.porchlight.layout import REPO_ROOT, image_worker, lambda_handler, worker_of
from infra.cdk.porchlight.messaging import Queues
from infra.cdk.porchlight.nag import acknowledge
from infra.cdk.porchlight.storage import EVIDENCE, LIVE, ORIGINALS
from infra.cdk.stages import Stage
from lambdas.common import TABLES_ONLY_SETTINGS

R, A, W, P = TableAccess.READ, TableAccess.APPEND, TableAccess.WRITE, TableAccess.PUT
G, U = TableAccess.GET, TableAccess.UPDATE
AUDIT = {"audit-events": A, "audit-heads": A}  # audit.record(): read the head, append


@dataclass(frozen=True)
class Needs:
    tables: dict[str, TableAccess] = field(default_factory=dict)
    read_objects: dict[str, list[str]] = field(default_factory=dict)  # bucket → prefixes
    write_objects: dict[str, list[str]] = field(default_factory=dict)
    delete_objects: dict[str, list[str]] = field(default_factory=dict)
    # Every version of a key, for real (list the key's versions, delete each by id): the clips
    # bucket is versioned for Object Lock (app/services/footage/legal_holds.py delete_files).
    delete_versions: dict[str, list[str]] = field(default_factory=dict)
    hold_objects: dict[str, list[str]] = field(default_factory=dict)  # s3:PutObjectLegalHold
    send: tuple[str, ...] = ()  # queue base names
    ses: bool = False
    sign_checkpoints: bool = False  # kms:Sign and kms:GetPublicKey on the checkpoint key
    erase_audit: bool = False  # UpdateItem on audit events, limited to their sealed fields
    # False: no app secret, and of the settings only its stage and tables' prefix
    # (lambdas.common.tables_only, TABLES_ONLY_SETTINGS).
    reads_secret: bool = True
    memory_mb: int = 512
    ephemeral_mb: int = 512
    # Reserved concurrency, and the SQS event source's maximum concurrency for a queue-fed
    # worker (SQS's minimum there is 2). A scheduled worker runs one copy at a time.
    concurrency: int = 2


# SQS event sources cannot poll with fewer than 2 concurrent invocations.
SQS_MIN_CONCURRENCY = 2

NEEDS: dict[str, Needs] = {
    # SES on AWS (the outbox table is devstack's transport only).
    "mailer": Needs(ses=True, memory_mb=256, concurrency=2),
    # Each owner's event once per notice: a marker in the idempotency table (audit.record_once).
    "audit_fanout": Needs(tables={"idempotency": P, **AUDIT}, concurrency=2),
    # Reads the request, its targets (request-index), the agency's policy, the owner and their
    # devices (user-index); stamps notified_at, deletes dead subscriptions, stores answer
    # tokens; falls back to email through the mail queue.
    "push_sender": Needs(
        tables={"requests": R, "request-targets": W, "agencies": R, "users": R,
                "push-subscriptions": W, "tokens": P, "live-shares": R},
        send=("mail",), concurrency=3),
    # Reads the original (by byte ranges), writes the evidence; moves the target, stores the
    # Evidence item, closes the request, appends audit events (and reads the owner's for the
    # package), keeps its idempotency records. The package is a second step: the worker sends
    # itself a message on the clips queue once the clip is ready, and that step reads the
    # clip and manifest back from evidence/. 2 GB original + clip + package: the largest /tmp.
    # A re-cut of held evidence writes its files held (the upload's legal-hold header, then
    # legal_holds.save_cut), hence s3:PutObjectLegalHold on evidence/.
    # At most two clips at once: each copy holds 3 GB and 10 GB of /tmp for minutes; more
    # uploads wait in the queue (kept four days; SQS does not even receive them while both
    # copies run) rather than fanning out without bound.
    "clip_cutter": Needs(
        tables={"request-targets": W, "requests": W, "evidence": W, "agencies": R,
                "idempotency": W, **AUDIT},
        read_objects={"uploads": [ORIGINALS], "clips": [EVIDENCE]},
        write_objects={"clips": [EVIDENCE]},
        hold_objects={"clips": [EVIDENCE]},
        send=("clips",),
        memory_mb=3008, ephemeral_mb=10240, concurrency=2),
    # Expires requests, reminds owners (push queue + owner notices on the audit-fanout queue),
    # deletes due originals and evidence, closes live shares past their end (recording each
    # viewer's session) and deletes their video pieces, appends audit events. Evidence in the
    # clips bucket goes version by version (legal_holds.delete_files): S3 refuses a held one.
    "retention": Needs(
        tables={"requests": W, "request-targets": W, "evidence": W, "agencies": R,
                "live-shares": W, "live-segments": W, **AUDIT},
        delete_objects={"uploads": [ORIGINALS, LIVE]},
        delete_versions={"clips": [EVIDENCE]},
        send=("push", "audit-fanout"), concurrency=1),
    # Reads new audit events from its cursors, the owners' choices, clip nicknames; queues
    # pushes and the daily digest emails.
    "receipts": Needs(
        tables={"audit-events": R, "audit-heads": R, "receipt-cursors": W, "users": R,
                "request-targets": R},
        send=("push", "mail"), concurrency=1),
    # Erases a departed owner's sealed audit fields (ip, details, salt, erased_at only: an IAM
    # condition), then appends account.erased.
    "erasure": Needs(tables=dict(AUDIT), erase_audit=True, concurrency=2),
    # Reads every chain's head and the events since the last checkpoint, puts the new signed
    # checkpoint (conditional on its number being free), signs with the checkpoint key.
    "checkpoint": Needs(
        tables={"audit-events": R, "audit-heads": R, "audit-checkpoints": W},
        sign_checkpoints=True, memory_mb=1024, concurrency=1),
    # IoT Core's custom authorizer, at every bridge's connect and hourly refresh: reads the
    # device the connect names (bridges.authenticate, one GetItem) and nothing else, not even
    # the app secret; it answers anyone on the Internet who opens an MQTT connection. Four at
    # once: a reconnect storm waits its turn (refused connects are retried by the bridges,
    # backing off to a minute) instead of taking the account's concurrency.
    "iot_authorizer": Needs(tables={"bridge-devices": G}, reads_secret=False, concurrency=4),
    # The status rule's action: reads the device and sets its connected flag (handle_status,
    # a conditional UpdateItem); never adds or deletes a device.
    "bridge_status": Needs(tables={"bridge-devices": U}, memory_mb=256, concurrency=2),
}
# What the erasure worker may touch on an audit event (the keys must be listed too): never
# a hashed field, so an erasure cannot change what the chain proves.
ERASABLE_AUDIT_ATTRIBUTES = ("chain", "seq", "ip", "details", "salt", "erased_at")
PYTHON = lambda_.Runtime.PYTHON_3_12
# Queue base name → the setting naming its URL (app/config.py).
QUEUE_SETTINGS = {"mail": "PORCHLIGHT_MAIL_QUEUE_URL", "audit-fanout": "PORCHLIGHT_AUDIT_QUEUE_URL",
                  "push": "PORCHLIGHT_PUSH_QUEUE_URL", "clips": "PORCHLIGHT_CLIPS_QUEUE_URL"}


def queue_setting(base_name: str) -> str:
    return QUEUE_SETTINGS.get(base_name,
                              f"PORCHLIGHT_{base_name.upper().replace('-', '_')}_QUEUE_URL")


@dataclass
class Shared:
    """What every worker is built with."""

    stage: Stage
    key: kms.IKey
    tables: Tables
    buckets: dict[str, s3.Bucket]
    queues: Queues
    secret: secretsmanager.ISecret
    checkpoint_key: kms.IKey
    environment: dict[str, str]
    asset_root: Path


class Worker(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, shared: Shared, handler: str,
                 timeout_seconds: int) -> None:
        super().__init__(scope, construct_id)
        self.name = worker_of(handler)
        stage = shared.stage
        needs = NEEDS.get(self.name)
        if needs is None:
            cdk.Annotations.of(self).add_warning_v2(
                "porchlight:worker-needs",
                f"worker {self.name!r} has no entry in infra/cdk/porchlight/workers.py NEEDS: "
                "it gets logs, the secret and its own queue only")
            needs = Needs()
        self.needs = needs
        self.function_name = f"{stage.prefix}{self.name.replace('_', '-')}"
        self.log_group = logs.LogGroup(
            self, "Logs", log_group_name=f"/aws/lambda/{self.function_name}",
            encryption_key=shared.key,
            retention=log_retention(stage),
            removal_policy=removal(stage))
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Porchlight {stage.name} worker {self.name}: least privilege")
        self.log_group.grant_write(self.role)
        self.function = self._function(shared, handler, timeout_seconds, needs)
        self._grant(shared, needs)

    def _function(self, shared: Shared, handler: str, timeout_seconds: int,
                  needs: Needs) -> lambda_.Function:
        common = dict(
            function_name=self.function_name,
            description=f"Porchlight {shared.stage.name}: {handler}",
            role=self.role,
            timeout=cdk.Duration.seconds(timeout_seconds),
            memory_size=needs.memory_mb,
            ephemeral_storage_size=cdk.Size.mebibytes(needs.ephemeral_mb),
            architecture=lambda_.Architecture.X86_64,
            environment={k: v for k, v in shared.environment.items()
                         if needs.reads_secret or k in TABLES_ONLY_SETTINGS},
            log_group=self.log_group,
            reserved_concurrent_executions=needs.concurrency,
        )
        if image_worker(self.name):
            code = lambda_.DockerImageCode.from_image_asset(
                str(REPO_ROOT), file=f"lambdas/{self.name}/Dockerfile",
                platform=ecr_assets.Platform.LINUX_AMD64,
                ignore_mode=cdk.IgnoreMode.DOCKER,
                # The image copies app/ and lambdas/ only: stage nothing else (not .venv).
                exclude=["*", "!app", "!lambdas", "**/__pycache__", "**/*.pyc"])
            return lambda_.DockerImageFunction(self, "Function", code=code,
                                               **common)  # type: ignore[arg-type]
        folder = shared.asset_root / self.name
        if not folder.is_dir():
            raise FileNotFoundError(
                f"{folder} is missing: build the worker bundles first with "
                "`.venv/bin/python infra/cdk/prepare_assets.py`")
        function = lambda_.Function(self, "Function", runtime=PYTHON,
                                    handler=lambda_handler(handler),
                                    code=lambda_.Code.from_asset(
                                        str(folder), exclude=["**/__pycache__", "**/*.pyc"]),
                                    **common)  # type: ignore[arg-type]
        acknowledge(function, "AwsSolutions-L1", (
            "Python 3.12 on purpose: the worker bundles are built for cp312 wheels and must match "
            "the clip worker's image (public.ecr.aws/lambda/python:3.12, where av and numpy "
            "install from wheels) and the web Lambda's runtime in zappa_settings.json. It is "
            "an AWS-supported runtime; move all of them together when the pins allow."))
        return function

    def _grant(self, shared: Shared, needs: Needs) -> None:
        access = Access(self.role, shared.key)
        for base_name, level in sorted(needs.tables.items()):
            table = shared.tables.by_name[base_name]
            access.table(table.table, table.indexes, level)
        for what, objects, actions in (
                ("read", needs.read_objects, ["s3:GetObject"]),
                ("write", needs.write_objects, ["s3:PutObject", "s3:AbortMultipartUpload"]),
                ("delete", needs.delete_objects, ["s3:DeleteObject"]),
                ("delete-versions", needs.delete_versions, ["s3:DeleteObjectVersion"]),
                ("hold", needs.hold_objects, ["s3:PutObjectLegalHold"])):
            for bucket, prefixes in sorted(objects.items()):
                access.objects(shared.buckets[bucket], prefixes, actions,
                               f"{what}-{bucket}-objects")
        for bucket, prefixes in sorted(needs.delete_versions.items()):
            access.object_versions(shared.buckets[bucket], prefixes, f"list-{bucket}-versions")
        for base_name in needs.send:
            access.send(shared.queues.by_name[base_name].queue)
        if needs.ses:
            stage = shared.stage
            access.ses(sorted({stage.sender_identity, stage.sender_address}),
                       stage.sender_address)
        if needs.reads_secret:
            access.secret(shared.secret)
        if needs.erase_audit:
            access.statement(iam.PolicyStatement(
                sid="EraseSealedAuditFieldsOnly", actions=["dynamodb:UpdateItem"],
                resources=[shared.tables.by_name["audit-events"].table.table_arn],
                conditions={"ForAllValues:StringEquals": {"dynamodb:Attributes": list(
                    ERASABLE_AUDIT_ATTRIBUTES)}}))
        if needs.sign_checkpoints:
            access.raw("SignAuditCheckpoints", ["kms:GetPublicKey", "kms:Sign"],
                       [shared.checkpoint_key.key_arn])
        access.finish()

    def consume(self, queue: Queues, base_name: str, batch_size: int) -> None:
        # SQS polls with no more concurrent invocations than the function may run: beyond its
        # reserved concurrency Lambda would throttle, the batch would return to the queue and
        # count as a receive, and a burst could push good messages into the dead-letter queue.
        if self.needs.concurrency < SQS_MIN_CONCURRENCY:
            raise ValueError(f"worker {self.name!r} reads the {base_name} queue: its concurrency "
                             f"must be at least {SQS_MIN_CONCURRENCY} (SQS's minimum)")
        self.function.add_event_source(sources.SqsEventSource(
            queue.by_name[base_name].queue, batch_size=batch_size,
            report_batch_item_failures=True, max_concurrency=self.needs.concurrency))

    def schedule(self, expression: str, stage: Stage, base_name: str) -> None:
        rule = events.Rule(self, "Schedule", rule_name=f"{stage.prefix}{base_name}",
                           schedule=events.Schedule.expression(expression),
                           description=f"Porchlight {stage.name}: run {self.name}")
        rule.add_target(targets.LambdaFunction(self.function, retry_attempts=2))

