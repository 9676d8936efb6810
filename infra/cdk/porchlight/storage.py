"""The S3 buckets: owners' uploads, the clip worker's evidence, and the access logs of both.

Deletion is real in this product: versioning guards against an accidental overwrite for a day,
then non-current versions expire; the retention worker deletes on schedule, and a lifecycle
rule expires originals and evidence after the longest retention an agency may set, in case the
worker ever misses one.

The clips bucket has S3 Object Lock enabled, with no default retention: nothing is locked
unless the app places a legal hold on an evidence object (a supervisor's hold for a case or a
court order). A held version cannot be deleted or overwritten, by the retention worker, the
lifecycle rules or anyone else, until the hold is lifted; everything else expires as before.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from app.core.footage import POLICY_LIMITS
from infra.cdk.porchlight.keys import removal
from infra.cdk.porchlight.nag import acknowledge
from infra.cdk.stages import Stage

# owners' uploaded videos, each attempt under a key of its own, written once:
# originals/<request>/<target>/original.<attempt>.<ext>
ORIGINALS = "originals/"
CAMERA_PHOTOS = "camera-photos/"  # owners' photos of their cameras
EVIDENCE = "evidence/"  # clips, posters, contact sheets, manifests, packages
# live-share video pieces, written once: live/<share>/<camera's alias in it, or phone>/<name>;
# not evidence
LIVE = "live/"
LIVE_DAYS = 1  # the retention worker deletes them an hour after the share; this is the backstop
# The program's own map and street list (app.config.MAP_PREFIX): put there by the operator
# (DEPLOY.md, "Your map"), read by the web app, never expired.
MAP = "map/"
# The longest retention an agency's policy may set (the policy form's upper bound).
MAX_RETENTION_DAYS = int(POLICY_LIMITS["retention_days"][2])


def bucket_name(stage: Stage, what: str) -> str:
    """Globally unique, and known before the bucket exists (policies name it without a cycle)."""
    return f"{stage.prefix}{what}-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}"


def _common_rules() -> list[s3.LifecycleRule]:
    return [
        s3.LifecycleRule(id="deleted-means-gone",
                         noncurrent_version_expiration=cdk.Duration.days(1),
                         abort_incomplete_multipart_upload_after=cdk.Duration.days(7)),
        s3.LifecycleRule(id="drop-expired-delete-markers", expired_object_delete_marker=True),
    ]


class Buckets(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage,
                 key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.access_logs = s3.Bucket(
            self, "AccessLogs",
            bucket_name=bucket_name(stage, "access-logs"),
            # S3 server access logging can deliver only to a bucket encrypted with S3-managed
            # keys (SSE-KMS is not supported for the log destination).
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(id="keep-access-logs",
                                 expiration=cdk.Duration.days(stage.access_log_days),
                                 noncurrent_version_expiration=cdk.Duration.days(1),
                                 abort_incomplete_multipart_upload_after=cdk.Duration.days(7)),
            ],
            removal_policy=removal(stage),
        )
        acknowledge(self.access_logs, "AwsSolutions-S1", (
            "This is the server-access-log destination of the uploads and clips buckets; logging "
            "its own writes would log the log deliveries themselves. Reads of it are API calls "
            "that CloudTrail records, and only the account's administrators can read it."))
        self.uploads = self._bucket("Uploads", "uploads", key, [
            s3.CorsRule(allowed_origins=[stage.public_url.rstrip("/")],
                        allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.POST,
                                         s3.HttpMethods.GET],
                        allowed_headers=["*"], exposed_headers=["ETag"], max_age=3000),
        ], [ORIGINALS, LIVE])
        # Object Lock only makes legal holds possible (s3:PutObjectLegalHold, the web role on
        # evidence/*); no default retention, so nothing is locked until a hold is placed.
        # "by-hand": enabled on a bucket deployed before this setting (DEPLOY.md, Upgrading);
        # the template then leaves it out rather than risk CloudFormation replacing the bucket.
        self.clips = self._bucket("Clips", "clips", key, [
            s3.CorsRule(allowed_origins=[stage.public_url.rstrip("/")],
                        allowed_methods=[s3.HttpMethods.GET], allowed_headers=["*"],
                        max_age=3000),
        ], [EVIDENCE], object_lock=stage.clips_object_lock == "template")

    def _bucket(self, construct_id: str, what: str, key: kms.IKey, cors: list[s3.CorsRule],
                expire_prefixes: list[str], object_lock: bool = False) -> s3.Bucket:
        days = {LIVE: LIVE_DAYS}  # every other prefix: the longest retention a policy may set
        backstop = [
            s3.LifecycleRule(id=f"retention-backstop-{p.rstrip('/')}", prefix=p,
                             expiration=cdk.Duration.days(days.get(p, MAX_RETENTION_DAYS)))
            for p in expire_prefixes
        ]
        return s3.Bucket(
            self, construct_id,
            bucket_name=bucket_name(self.stage, what),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            object_lock_enabled=object_lock or None,
            cors=cors,
            lifecycle_rules=[*_common_rules(), *backstop],
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{what}/",
            removal_policy=removal(self.stage),
        )
