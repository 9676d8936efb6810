"""The embedded AWS is built as the real one will be, and the worker loop behaves like Lambda."""

from __future__ import annotations

import json
import time
from typing import Any

from app import create_app
from app.models.outbox import OutboxMessage
from app.models.tables import table_definitions
from tests.support import AppServer, Client


def test_every_model_has_its_table(devstack: Any) -> None:
    names = set(devstack.client("dynamodb").list_tables()["TableNames"])
    for spec in table_definitions():
        assert "porchlight-devstack-" + spec["base_name"] in names


def test_ttl_is_set_where_the_model_has_one(devstack: Any) -> None:
    dynamodb = devstack.client("dynamodb")
    sessions = dynamodb.describe_time_to_live(TableName="porchlight-devstack-sessions")
    assert sessions["TimeToLiveDescription"]["AttributeName"] == "expires_epoch"


def test_bucket_is_encrypted_and_private(devstack: Any) -> None:
    s3 = devstack.client("s3")
    bucket = devstack.env["PORCHLIGHT_UPLOADS_BUCKET"]
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_queue_has_a_dead_letter_queue(devstack: Any) -> None:
    sqs = devstack.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=devstack.queue_url("mail"),
                                     AttributeNames=["RedrivePolicy"])["Attributes"]
    policy = json.loads(attrs["RedrivePolicy"])
    assert policy["deadLetterTargetArn"].endswith("mail-dlq")


def test_worker_delivers_queued_mail_once(devstack: Any) -> None:
    sqs = devstack.client("sqs")
    body = {"message_id": "m-once", "to": "once@example.org", "subject": "Hello", "text": "Hi"}
    with devstack.loop.paused("mail"):
        for _ in range(2):  # a duplicate delivery, as SQS may make
            sqs.send_message(QueueUrl=devstack.queue_url("mail"), MessageBody=json.dumps(body))
        assert devstack.loop.drain("mail") == 2  # both delivered, both taken off the queue
    found = list(OutboxMessage.scan(OutboxMessage.to == "once@example.org"))
    assert len(found) == 1 and found[0].subject == "Hello"


def test_unreadable_message_is_retried_then_parked_in_the_dlq(devstack: Any) -> None:
    sqs = devstack.client("sqs")
    sqs.send_message(QueueUrl=devstack.queue_url("mail"), MessageBody="{not json")
    dlq = devstack.env["DEVSTACK_DLQ_MAIL"]
    deadline = time.time() + 30
    parked: list[dict[str, Any]] = []
    while time.time() < deadline and not parked:
        parked = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1,
                                     AttributeNames=["All"]).get("Messages", [])
    assert parked, "the bad message never reached the dead-letter queue"
    assert parked[0]["Body"] == "{not json"
    assert int(parked[0]["Attributes"]["ApproximateReceiveCount"]) >= 3


def test_outbox_does_not_exist_outside_devstack(devstack: Any) -> None:
    prod_like = create_app(devstack.settings.with_overrides(env="dev", mail_transport="ses"))
    server = AppServer().start(prod_like)
    try:
        response = Client(server.url).get("/outbox")
    finally:
        server.stop()
    assert response.status_code == 404


def test_manifest_and_service_worker(client: Client) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["Content-Type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["display"] == "standalone" and data["start_url"].startswith("/")
    assert {icon["sizes"] for icon in data["icons"]} >= {"192x192", "512x512"}
    worker = client.get("/sw.js")
    assert worker.headers["Content-Type"].startswith("text/javascript")
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert "const SHELL_VERSION = '" in worker.text and '"/offline"' in worker.text
    assert client.get("/offline").status_code == 200
