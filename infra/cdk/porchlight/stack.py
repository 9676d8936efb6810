"""Porchlight's stack for one stage: key, secret, tables, buckets, queues, workers, web role,
the place index, the device channel on AWS IoT Core, alarms, the API's access log and WAF web
ACL, and an output for every name the web app, infra/api_stage.py and DEPLOY.md need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from infra.cdk.porchlight.data import Tables
from infra.cdk.porchlight.devices import DeviceChannel
from infra.cdk.porchlight.gateway import Gateway
from infra.cdk.porchlight.keys import AppSecret, CheckpointKey, ProjectKey
from infra.cdk.porchlight.layout import worker_of
from infra.cdk.porchlight.messaging import Queues
from infra.cdk.porchlight.monitoring import Alarms
from infra.cdk.porchlight.places import PlaceIndex
from infra.cdk.porchlight.storage import ORIGINALS, Buckets, bucket_name
from infra.cdk.porchlight.web import WebRole
from infra.cdk.porchlight.workers import Shared, Worker, queue_setting
from infra.cdk.stages import Stage
from lambdas.registry import IOT, QUEUES, SCHEDULES


def stack_name(stage: Stage) -> str:
    # Not "porchlight-<stage>": that is the name of the stack Zappa makes for API Gateway.
    return f"porchlight-{stage.name}-infra"


class PorchlightStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage, asset_root: Path,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.stage = stage
        key = ProjectKey(self, "ProjectKey", stage=stage)
        secret = AppSecret(self, "AppSecret", stage=stage, key=key.key).secret
        tables = Tables(self, "Tables", stage=stage, key=key.key)
        buckets = Buckets(self, "Buckets", stage=stage, key=key.key)
        queues = Queues(self, "Queues", stage=stage, key=key.key)
        uploads_name = bucket_name(stage, "uploads")
        queues.notify_on_uploads(buckets.uploads, uploads_name, ORIGINALS)
        key.allow_s3_notifications(uploads_name)
        key.allow_alarms(stage.prefix)

        checkpoint_key = CheckpointKey(self, "CheckpointKey", stage=stage)
        environment = {
            "PORCHLIGHT_ENV": stage.name,
            "PORCHLIGHT_TABLE_PREFIX": stage.prefix,
            "PORCHLIGHT_UPLOADS_BUCKET": buckets.uploads.bucket_name,
            "PORCHLIGHT_CLIPS_BUCKET": buckets.clips.bucket_name,
            "PORCHLIGHT_PUBLIC_URL": stage.public_url.rstrip("/"),
            "PORCHLIGHT_MAIL_FROM": stage.mail_from,
            "PORCHLIGHT_MAIL_TRANSPORT": "ses",
            "PORCHLIGHT_VAPID_SUBJECT": stage.vapid_subject,
            "PORCHLIGHT_SECRETS_ARN": secret.secret_arn,
            "PORCHLIGHT_CHECKPOINT_KMS_KEY": checkpoint_key.key.key_arn,
            **{queue_setting(name): work.queue.queue_url
               for name, work in queues.by_name.items()},
        }
        if stage.vapid_public_key:
            environment["PORCHLIGHT_VAPID_PUBLIC_KEY"] = stage.vapid_public_key
        shared = Shared(stage=stage, key=key.key, tables=tables,
                        buckets={"uploads": buckets.uploads, "clips": buckets.clips},
                        queues=queues, secret=secret, checkpoint_key=checkpoint_key.key,
                        environment=environment,
                        asset_root=asset_root)
        alarms = Alarms(self, "Alarms", stage=stage, key=key.key)
        alarms.dead_letters(queues)
        self.workers: dict[str, Worker] = {}
        for spec in QUEUES:
            worker = self._worker(shared, spec.handler, spec.timeout_seconds)
            worker.consume(queues, spec.base_name, spec.batch_size)
            alarms.worker(worker)
        for schedule in SCHEDULES:
            worker = self._worker(shared, schedule.handler, schedule.timeout_seconds)
            worker.schedule(schedule.schedule, stage, schedule.base_name)
            alarms.worker(worker)
        for spec in IOT:
            alarms.worker(self._worker(shared, spec.handler, spec.timeout_seconds))
        devices = DeviceChannel(self, "Devices", stage=stage,
                                authorizer=self.workers["iot_authorizer"].function,
                                status=self.workers["bridge_status"].function)

        places = PlaceIndex(self, "Places", stage=stage)
        web = WebRole(self, "Web", stage=stage, key=key.key, tables=tables,
                      uploads=buckets.uploads, clips=buckets.clips, queues=queues,
                      secret=secret, checkpoint_key=checkpoint_key.key,
                      place_index_arn=places.arn)
        alarms.web()
        gateway = Gateway(self, "Gateway", stage=stage, key=key.key)

        outputs = {
            "TablePrefix": (stage.prefix, "PORCHLIGHT_TABLE_PREFIX"),
            "UploadsBucket": (buckets.uploads.bucket_name, "PORCHLIGHT_UPLOADS_BUCKET"),
            "ClipsBucket": (buckets.clips.bucket_name, "PORCHLIGHT_CLIPS_BUCKET"),
            **{Queues.output_name(name): (work.queue.queue_url, queue_setting(name))
               for name, work in queues.by_name.items()},
            "SecretsArn": (secret.secret_arn, "PORCHLIGHT_SECRETS_ARN"),
            "WebRoleArn": (web.role.role_arn, "the Zappa stage's role_arn"),
            "WebFunctionName": (stage.web_function_name,
                                "the Zappa function the web role is scoped to"),
            "KmsKeyArn": (key.key.key_arn, "the project key"),
            "CheckpointKeyArn": (checkpoint_key.key.key_arn, "PORCHLIGHT_CHECKPOINT_KMS_KEY"),
            "PlaceIndexName": (places.name, "PORCHLIGHT_PLACE_INDEX"),
            "AlarmTopicArn": (alarms.topic.topic_arn, "alarms; subscribe people to it"),
            "ApiAccessLogGroupArn": (gateway.access_log_arn,
                                     "infra/api_stage.py: the REST API stage's access log"),
            "ApiGatewayCloudWatchRoleArn": (gateway.cloudwatch_role.role_arn,
                                            "API Gateway's account-level CloudWatch role"),
            "WebAclArn": (gateway.web_acl.attr_arn,
                          "infra/api_stage.py: the WAF web ACL of the REST API stage"),
            "DeviceEndpointName": (devices.domain_name,
                                   "the IoT domain configuration bridges connect to: its host "
                                   "(aws iot describe-domain-configuration) is "
                                   "PORCHLIGHT_MQTT_URL's"),
        }
        for name, (value, what) in outputs.items():
            cdk.CfnOutput(self, name, value=value, description=what)

    def _worker(self, shared: Shared, handler: str, timeout_seconds: int) -> Worker:
        name = worker_of(handler)
        worker = Worker(self, f"Worker-{name}", shared=shared, handler=handler,
                        timeout_seconds=timeout_seconds)
        self.workers[name] = worker
        return worker
