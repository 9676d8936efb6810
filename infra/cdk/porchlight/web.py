"""The web Lambda's execution role. Zappa deploys the function onto it (manage_roles: false).

Trust: lambda.amazonaws.com runs the function; apigateway.amazonaws.com because Zappa's REST
API integrations use the function's role as their credentials (API Gateway assumes it to invoke
the function, hence lambda:InvokeFunction on that one function); events.amazonaws.com because
Zappa passes the role to the EventBridge rules it makes for keep_warm and scheduled events,
which is Zappa's default trust policy. A service can use the role only where someone with
iam:PassRole on it configured that service, so no other account can borrow it.

Permissions: the app's own tables (all but the clip worker's idempotency records; devstack's
outbox is not on AWS at all), the audit log append-only, its object prefixes in the buckets
(and legal holds on evidence; the program's map read-only), sending to every worker queue, the
secret, its own log group, text searches of the place index, the key through those services,
and publishing to bridges' command topics through AWS IoT Core (the device channel).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.cdk.porchlight.access import Access, TableAccess
from infra.cdk.porchlight.data import Tables
from infra.cdk.porchlight.devices import topics
from infra.cdk.porchlight.keys import log_retention, removal
from infra.cdk.porchlight.messaging import Queues
from infra.cdk.porchlight.nag import acknowledge
from infra.cdk.porchlight.storage import CAMERA_PHOTOS, EVIDENCE, LIVE, MAP, ORIGINALS
from infra.cdk.stages import Stage

# Tables the web app never touches on AWS: the clip worker's idempotency records. (Devstack's
# mail outbox is devstack_only and is not created on AWS at all.)
NOT_FOR_THE_WEB = ("idempotency",)
APPEND_ONLY = ("audit-events", "audit-heads")


class WebRole(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage, key: kms.IKey,
                 tables: Tables, uploads: s3.Bucket, clips: s3.Bucket, queues: Queues,
                 secret: secretsmanager.ISecret, checkpoint_key: kms.IKey,
                 place_index_arn: str) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self, "Role",
            role_name=f"{stage.prefix}web",
            description=f"Porchlight {stage.name}: the web Lambda (Zappa, manage_roles false)",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("lambda.amazonaws.com"),
                iam.ServicePrincipal("apigateway.amazonaws.com"),
                iam.ServicePrincipal("events.amazonaws.com")),
        )
        # Zappa's function logs here; made in advance so it is KMS-encrypted and expires.
        self.log_group = logs.LogGroup(
            self, "Logs", log_group_name=f"/aws/lambda/{stage.web_function_name}",
            encryption_key=key, retention=log_retention(stage),
            removal_policy=removal(stage))
        self.log_group.grant_write(self.role)
        access = Access(self.role, key)
        for base_name, table in sorted(tables.by_name.items()):
            if base_name in NOT_FOR_THE_WEB:
                continue
            level = TableAccess.APPEND if base_name in APPEND_ONLY else TableAccess.WRITE
            access.table(table.table, table.indexes, level)
        # Phones upload originals in parts to presigned URLs the app signs (create, sign parts,
        # list the parts that arrived, complete, abort); an owner who leaves the program has
        # the originals that never became evidence deleted at once (accounts/leaving.py; the
        # evidence itself, originals included, goes with the retention worker, which alone
        # may delete evidence). Camera photos by presigned POST, which the app then inspects
        # (HEAD), shows (presigned GET) and deletes.
        access.objects(uploads, [ORIGINALS],
                       ["s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload",
                        "s3:DeleteObject"],
                       "upload-originals")
        access.objects(uploads, [CAMERA_PHOTOS],
                       ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], "camera-photos")
        # Live-share pieces: bridges and phones PUT to presigned URLs, the app checks their size
        # (HEAD), deletes a piece that is not what was announced, and police GET them.
        access.objects(uploads, [LIVE], ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                       "live-video")
        # The program's own map: the app reads the PMTiles archive by byte ranges for browsers,
        # and the street list; nothing else under map/, and it writes nothing there.
        access.objects(uploads, [MAP], ["s3:GetObject"], "read-the-programs-map")
        # Address search: text searches of the stack's place index, nothing else of Location.
        access.raw("SearchThePlaceIndex", ["geo:SearchPlaceIndexForText"], [place_index_arn])
        # Detectives play and download evidence through presigned GETs the app signs.
        access.objects(clips, [EVIDENCE], ["s3:GetObject"], "read-evidence")
        # A supervisor's legal hold is also an S3 Object Lock legal hold on the evidence
        # objects (the clips bucket has Object Lock): place, lift and read holds, nothing else
        # (no retention periods, no governance bypass). Lifting a hold lifts it from every
        # version of each file, found by listing the key's versions (app/services/
        # legal_holds.py lift).
        access.objects(clips, [EVIDENCE], ["s3:GetObjectLegalHold", "s3:PutObjectLegalHold"],
                       "evidence-legal-holds")
        access.object_versions(clips, [EVIDENCE], "list-evidence-versions")
        for _, work in sorted(queues.by_name.items()):
            access.send(work.queue)
        access.secret(secret)
        # The public checkpoint feed shows the signing key's public half (never signs).
        access.raw("ReadTheCheckpointPublicKey", ["kms:GetPublicKey"], [checkpoint_key.key_arn])
        stack = cdk.Stack.of(self)
        # The device channel: the app tells a bridge to ask now by publishing on the bridge's
        # command topic through IoT Core's data plane (app/services/realtime/channel.py).
        # Publish only, command topics only: no status topic, no connecting or subscribing.
        pattern = topics(stage, "*", "cmd")
        access.raw("WakeBridgesOnTheirCommandTopics", ["iot:Publish"], [stack.format_arn(
            service="iot", resource="topic", resource_name=pattern,
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME)])
        acknowledge(self.role, "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:"
                    f"<AWS::Region>:<AWS::AccountId>:topic/{pattern}]", (
                        "iot:Publish on the command topics of this stage's bridges only: the "
                        "device id is the one part of the topic made at run time (a bridge is "
                        "paired at any time), so a topic pattern is the narrowest resource IoT "
                        "can name. Status topics, connecting and subscribing are not granted."))
        self.function_arn = stack.format_arn(
            service="lambda", resource="function", resource_name=stage.web_function_name,
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
        access.raw("ApiGatewayInvokesTheWebFunction", ["lambda:InvokeFunction"],
                   [self.function_arn])
        access.finish()
