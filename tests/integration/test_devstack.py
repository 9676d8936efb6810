"""The embedded AWS is built as the real one will be, and the worker loop behaves like Lambda."""

from __future__ import annotations

import ipaddress
import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from app import create_app
from app.models.outbox import OutboxMessage
from app.models.tables import table_definitions
from devstack import dynamodb_local
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


def _listening(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port`, from the kernel's own tables."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                raw = bytes.fromhex(address)
                # the kernel prints each 32-bit word in host (little-endian) order
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(str(ipaddress.ip_address(words)) if width == 8
                          else str(ipaddress.IPv6Address(words)))
    return found


def test_dynamodb_local_listens_on_loopback_only(devstack: Any) -> None:
    """The jar binds every interface; devstack's launcher must leave only 127.0.0.1 open."""
    assert devstack.dynamodb.port
    assert _listening(devstack.dynamodb.port) == {"127.0.0.1"}
    assert devstack.client("dynamodb").list_tables()["TableNames"]


def test_the_jar_alone_would_listen_everywhere() -> None:
    """Why the launcher exists: the same jar started as AWS documents it listens on every
    interface (if this ever fails, the jar gained a host option: use it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    jar = dynamodb_local.JAR_DIR
    process = subprocess.Popen(
        ["java", f"-Djava.library.path={jar / 'DynamoDBLocal_lib'}", "-jar",
         str(jar / "DynamoDBLocal.jar"), "-inMemory", "-disableTelemetry", "-port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while not (found := _listening(port)) and time.time() < deadline:
            time.sleep(0.1)
        assert found and found <= {"0.0.0.0", "::"}, found
    finally:
        process.terminate()
        process.wait(timeout=15)
