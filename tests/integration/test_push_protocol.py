"""Web Push end to end at the protocol level: this test is the push service.

Each test runs a small HTTP server on loopback that records every POST and answers 201 (410
under /gone/, 500 under /fail/), subscribes an owner's device through the real API with a P-256
key pair and an auth secret generated here (as a browser would), sends a footage request over
HTTP as a detective, and reads what the push worker (lambdas/push_sender, fed by devstack's
worker loop) POSTed: the aes128gcm body is decrypted with the device's private key, and the
VAPID JWT is verified against the server's public key.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from app.models.footage import PushSubscription, RequestTarget
from app.services import clock
from app.services.push import subscription_id
from lambdas.push_sender.handler import PUSH_TTL_SECONDS
from tests.builders.cameras import camera_body
from tests.builders.footage import ask, window
from tests.builders.push import WAIT_S, Device, PushService, b64url, subscribe, unb64url, wait_until
from tests.support import Account, Client, form_token, wait_for_mail

pytestmark = pytest.mark.slow  # about 8 s in all: left out of `make check`


def verify_vapid(authorization: str, public_key: str) -> dict[str, Any]:
    """The JWT's claims, once its ES256 signature checks out with the server's public key."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == public_key  # the key browsers were given as applicationServerKey
    head, claims, signature = parts["t"].split(".")
    assert json.loads(unb64url(head)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    assert len(raw) == 64  # JWS ES256: r and s, 32 bytes each, not DER
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    signed = f"{head}.{claims}".encode()
    key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):  # the check is real: another text fails it
        key.verify(der, signed + b"x", ec.ECDSA(hashes.SHA256()))
    decoded: dict[str, Any] = json.loads(unb64url(claims))
    return decoded


@pytest.fixture
def owner_and_camera(signed_in: Any) -> dict[str, Any]:
    owner, account = signed_in("owner")
    detective, _ = signed_in("detective")
    nickname = f"Lilac porch {uuid.uuid4().hex[:4]}"
    cam = owner.send_json("POST", "/api/cameras", camera_body(nickname=nickname))
    assert cam.status_code == 201, cam.text
    return {"owner": owner, "account": account, "detective": detective,
            "camera_id": cam.json()["camera"]["id"], "nickname": nickname}


def send_request(scene: dict[str, Any], case: str, offense: str = "burglary") -> dict[str, Any]:
    made = ask(scene["detective"], [scene["camera_id"]], *window(), case_number=case,
               offense=offense)
    assert made.status_code == 201, made.text
    board: dict[str, Any] = made.json()
    return board


def subscription_exists(endpoint: str) -> bool:
    try:
        PushSubscription.get(subscription_id(endpoint), consistent_read=True)
    except PushSubscription.DoesNotExist:
        return False
    return True


# ---------------------------------------------------------------- the tests


def test_the_push_is_encrypted_signed_and_answers_without_a_session(
        owner_and_camera: dict[str, Any], push_service: PushService, base_url: str,
        settings: Any) -> None:
    owner, nickname = owner_and_camera["owner"], owner_and_camera["nickname"]
    key = owner.get("/api/push/key").json()
    assert key["enabled"] is True and key["public_key"]
    device = Device.new(push_service.endpoint("phone"))
    subscribe(owner, device)
    stored = PushSubscription.get(subscription_id(device.endpoint), consistent_read=True)
    assert stored.user_id == owner_and_camera["account"].user.user_id

    case = f"24-{uuid.uuid4().int % 10**6:06d}"
    board = send_request(owner_and_camera, case, offense="traffic_collision")
    target_id = board["targets"][0]["id"]
    [message] = push_service.wait_for(device.endpoint)

    headers = message.headers
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) == PUSH_TTL_SECONDS > 0
    claims = verify_vapid(headers["authorization"], key["public_key"])
    assert claims["aud"] == push_service.origin  # the endpoint's origin, no path
    assert claims["sub"] == settings.vapid_subject and claims["sub"].startswith("mailto:")
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600  # RFC 8292: at most 24 h
    # RFC 8188 header: 16-byte salt, record size, the sender's 65-byte ephemeral public key.
    assert int.from_bytes(message.body[16:20], "big") >= 18 and message.body[20] == 65

    payload = device.read(message)
    assert payload["kind"] == "footage_request"
    assert payload["title"] == "Police ask for your footage"
    assert case in payload["body"] and "traffic collision" in payload["body"]
    assert nickname in payload["body"]
    assert payload["url"] == f"/requests/{target_id}"
    assert payload["answer_url"] == "/api/answers"
    assert [(a["action"], a["title"]) for a in payload["actions"]] == [
        ("approve", "Approve"), ("decline", "Decline")]
    tokens = {a["action"]: a["token"] for a in payload["actions"]}
    assert all(isinstance(t, str) and len(t) > 20 for t in tokens.values())
    assert tokens["approve"] != tokens["decline"]
    wait_until(lambda: RequestTarget.get(target_id, consistent_read=True).notified_at,
               "notified_at set")

    # The Approve button, as the service worker presses it: no cookie, no CSRF token.
    anonymous = Client(base_url)
    answered = anonymous.send_json("POST", "/api/answers", {"token": tokens["approve"]},
                                   csrf=False)
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"status": "approved", "url": f"/requests/{target_id}"}
    assert RequestTarget.get(target_id, consistent_read=True).status == "approved"
    assert owner.get(f"/api/targets/{target_id}").json()["status"] == "approved"
    # A button works once: the same token a second time is refused, and changes nothing.
    again = anonymous.send_json("POST", "/api/answers", {"token": tokens["approve"]}, csrf=False)
    assert again.status_code == 422, again.text
    assert RequestTarget.get(target_id, consistent_read=True).status == "approved"


def test_a_gone_subscription_is_deleted_and_the_owner_gets_email(
        owner_and_camera: dict[str, Any], push_service: PushService) -> None:
    owner, account = owner_and_camera["owner"], owner_and_camera["account"]
    device = Device.new(push_service.endpoint("old-laptop", "gone"))
    subscribe(owner, device)
    assert subscription_exists(device.endpoint)

    case = f"24-{uuid.uuid4().int % 10**6:06d}"
    target_id = send_request(owner_and_camera, case)["targets"][0]["id"]
    push_service.wait_for(device.endpoint)  # tried once, answered 410
    mail = wait_for_mail(account.email, "Police ask for your footage", timeout=WAIT_S)
    assert case in mail.text and f"/requests/{target_id}" in mail.text
    assert owner_and_camera["nickname"] in mail.text
    assert not subscription_exists(device.endpoint)
    assert len(push_service.posts_to(device.endpoint)) == 1  # not retried: 410 is final


def run_push_worker(body: dict[str, Any]) -> None:
    """The push worker on one SQS message, here and now rather than via the queue.

    record_handler, not the Lambda handler: the module's BatchProcessor is shared with
    devstack's worker thread, which Lambda never does (one invocation at a time per process).
    """
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from lambdas.push_sender.handler import record_handler

    record_handler(SQSRecord({"messageId": uuid.uuid4().hex, "body": json.dumps(body)}))


def test_every_device_is_pushed_and_a_reminder_pushes_again(
        owner_and_camera: dict[str, Any], push_service: PushService, devstack: Any) -> None:
    owner = owner_and_camera["owner"]
    phone = Device.new(push_service.endpoint("phone"))
    tablet = Device.new(push_service.endpoint("tablet"))
    subscribe(owner, phone)
    subscribe(owner, tablet)

    case = f"24-{uuid.uuid4().int % 10**6:06d}"
    board = send_request(owner_and_camera, case)
    target_id = board["targets"][0]["id"]
    [to_phone] = push_service.wait_for(phone.endpoint)
    [to_tablet] = push_service.wait_for(tablet.endpoint)
    first = phone.read(to_phone)
    assert first["title"] == "Police ask for your footage"
    assert tablet.read(to_tablet) == first  # the same notice, encrypted for each device
    assert to_phone.body != to_tablet.body
    with pytest.raises(http_ece.ECEException):  # AES-GCM's tag: not the phone's message
        phone.read(to_tablet)
    wait_until(lambda: RequestTarget.get(target_id, consistent_read=True).notified_at,
               "notified_at set")

    # SQS delivers at least once: the same message again notifies nobody a second time.
    run_push_worker({"request_id": board["id"], "reminder": False})
    assert len(push_service.posts_to(phone.endpoint)) == 1
    assert len(push_service.posts_to(tablet.endpoint)) == 1

    # A reminder (the retention worker queues it) pushes every device again, with new buttons.
    devstack.client("sqs").send_message(QueueUrl=devstack.queue_url("push"), MessageBody=json.dumps(
        {"request_id": board["id"], "reminder": True}))
    second_phone = push_service.wait_for(phone.endpoint, 2)[1]
    second_tablet = push_service.wait_for(tablet.endpoint, 2)[1]
    again = phone.read(second_phone)
    assert again["title"] == "Reminder: police ask for your footage"
    assert case in again["body"] and again["url"] == f"/requests/{target_id}"
    assert tablet.read(second_tablet) == again
    assert again["actions"][0]["token"] != first["actions"][0]["token"]


def test_unsubscribe_removes_one_device_and_bad_subscriptions_are_refused(
        signed_in: Any, push_service: PushService) -> None:
    owner, account = signed_in("owner")
    other, _ = signed_in("owner")
    phone = Device.new(push_service.endpoint("phone"))
    tablet = Device.new(push_service.endpoint("tablet"))
    subscribe(owner, phone)
    subscribe(owner, tablet)

    # Another user cannot turn off this owner's device, even knowing its endpoint.
    stranger = other.send_json("DELETE", "/api/push/subscriptions", {"endpoint": phone.endpoint})
    assert stranger.status_code == 200 and stranger.json() == {"removed": False}
    assert subscription_exists(phone.endpoint)

    gone = owner.send_json("DELETE", "/api/push/subscriptions", {"endpoint": phone.endpoint})
    assert gone.status_code == 200 and gone.json() == {"removed": True}
    assert not subscription_exists(phone.endpoint)
    assert subscription_exists(tablet.endpoint)
    left = PushSubscription.user_index.query(account.user.user_id)
    assert [s.endpoint for s in left] == [tablet.endpoint]
    again = owner.send_json("DELETE", "/api/push/subscriptions", {"endpoint": phone.endpoint})
    assert again.json() == {"removed": False}

    def refused(body: dict[str, Any], field: str) -> str:
        answer = owner.send_json("POST", "/api/push/subscriptions", body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        errors: dict[str, str] = answer.json()["errors"]
        assert field in errors, errors
        return errors[field]

    good = Device.new(push_service.endpoint("new")).to_json()
    assert "https" in refused({**good, "endpoint": "http://push.example.com/send/abc"},
                              "endpoint")
    refused({**good, "keys": {**good["keys"], "p256dh": "not base64!" * 8}}, "keys.p256dh")
    refused({**good, "keys": {**good["keys"], "p256dh": good["keys"]["p256dh"][:40]}},
            "keys.p256dh")
    not_a_point = b64url(b"\x04" + bytes(range(64)))  # right length and prefix, off the curve
    assert "P-256" in refused({**good, "keys": {**good["keys"], "p256dh": not_a_point}},
                              "keys.p256dh")
    refused({**good, "keys": {**good["keys"], "auth": "short"}}, "keys.auth")
    refused({**good, "keys": {**good["keys"], "auth": "A" * 24}}, "keys.auth")  # 18 bytes
    refused({**good, "keys": {"p256dh": good["keys"]["p256dh"]}}, "keys.auth")
    refused({"endpoint": good["endpoint"]}, "keys")
    assert not subscription_exists(good["endpoint"])


def test_one_owners_broken_devices_do_not_silence_the_others(
        signed_in: Any, push_service: PushService, devstack: Any) -> None:
    """A push service answering 500, and a stored key no push can be encrypted for, cost that
    owner's devices their push (the owner gets the email instead); the neighbour asked in the
    same request is still pushed, and the message is done with, not retried."""
    detective, _ = signed_in("detective")
    people: dict[str, tuple[Client, Account]] = {}
    cameras = []
    for _ in range(2):
        owner, account = signed_in("owner")
        cam = owner.send_json("POST", "/api/cameras", camera_body())
        assert cam.status_code == 201, cam.text
        people[account.user.user_id] = (owner, account)
        cameras.append(cam.json()["camera"]["id"])
    made = ask(detective, cameras, *window())
    assert made.status_code == 201, made.text
    board = made.json()
    # Nobody has a device yet, so both are emailed; the reminder below is what pushes. The worker
    # goes through the cameras in target-id order: the first one's owner has the broken devices,
    # so a failure there that stopped the loop would leave the second owner unreached.
    for _, account in people.values():
        wait_for_mail(account.email, "Police ask for your footage", timeout=WAIT_S)
    first, second = sorted(board["targets"], key=lambda t: t["id"])
    broken, broken_account = people[RequestTarget.get(first["id"]).owner_id]
    fine, _ = people[RequestTarget.get(second["id"]).owner_id]
    down = Device.new(push_service.endpoint("down", "fail"))
    subscribe(broken, down)
    legacy = push_service.endpoint("legacy")  # stored before keys were checked: off the curve
    PushSubscription(subscription_id=subscription_id(legacy),
                     user_id=broken_account.user.user_id, endpoint=legacy,
                     p256dh=b64url(b"\x04" + bytes(range(64))), auth=b64url(bytes(16)),
                     created_at=clock.now()).save()
    working = Device.new(push_service.endpoint("working"))
    subscribe(fine, working)

    sqs, queue = devstack.client("sqs"), devstack.queue_url("push")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(
        {"request_id": board["id"], "reminder": True}))
    pushed = working.read(push_service.wait_for(working.endpoint)[0])
    assert pushed["title"] == "Reminder: police ask for your footage"
    assert pushed["url"] == f"/requests/{second['id']}"
    push_service.wait_for(down.endpoint)  # tried, answered 500
    mail = wait_for_mail(broken_account.email, "Reminder: police ask for your footage",
                         timeout=WAIT_S)
    assert f"/requests/{first['id']}" in mail.text
    assert push_service.posts_to(legacy) == []  # nothing could be encrypted for it

    def drained() -> bool:  # deleted after the handler returned, so it did not fail
        counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        return all(int(n) == 0 for n in counts["Attributes"].values())

    wait_until(drained, "the push message done with")
    assert len(push_service.posts_to(down.endpoint)) == 1
    assert len(push_service.posts_to(working.endpoint)) == 1


def test_a_leftover_button_cannot_undo_an_answer(signed_in: Any, settings: Any,
                                                 base_url: str) -> None:
    """Both devices got Approve and Decline: once the phone approved, the tablet's Decline
    answers 409 and the approval stands."""
    from app.models.footage import FootageRequest, RequestTarget
    from app.services import push as push_service
    from tests.builders.cameras import camera_body
    from tests.builders.footage import ask, window
    from tests.support import Client

    owner, _ = signed_in("owner")
    detective, _ = signed_in("detective")
    cam = owner.send_json("POST", "/api/cameras", camera_body()).json()["camera"]["id"]
    made = ask(detective, [cam], *window()).json()
    target = RequestTarget.get(made["targets"][0]["id"])
    expires = int(FootageRequest.get(made["id"]).expires_at.timestamp())
    approve = push_service.issue_answer_token(settings, target, "approve", expires)
    decline = push_service.issue_answer_token(settings, target, "decline", expires)
    anonymous = Client(base_url)
    assert anonymous.send_json("POST", "/api/answers", {"token": approve},
                               csrf=False).json()["status"] == "approved"
    late = anonymous.send_json("POST", "/api/answers", {"token": decline}, csrf=False)
    assert late.status_code == 409 and "already approved" in late.json()["detail"]
    assert RequestTarget.get(target.target_id).status == "approved"


def test_an_owner_who_chose_spanish_is_asked_in_spanish(
        owner_and_camera: dict[str, Any], push_service: PushService) -> None:
    """The language the owner chose in the app (the footer's switch, kept on the account)
    is the push's: its words, the offense, the buttons, and the window's day and zone."""
    owner = owner_and_camera["owner"]
    page = owner.get("/cameras").text
    owner.post_form("/language", {"language": "es"}, token=form_token(page))
    device = Device.new(push_service.endpoint("telefono"))
    subscribe(owner, device)
    case = f"24-{uuid.uuid4().int % 10**6:06d}"
    send_request(owner_and_camera, case, offense="traffic_collision")
    [message] = push_service.wait_for(device.endpoint)
    payload = device.read(message)
    assert payload["title"] == "La policía pide su video"
    assert payload["body"].startswith("La policía pide el video de ")
    assert "hora de Chicago" in payload["body"] and "choque de tránsito" in payload["body"]
    assert case in payload["body"] and owner_and_camera["nickname"] in payload["body"]
    assert [a["title"] for a in payload["actions"]] == ["Aprobar", "Rechazar"]
