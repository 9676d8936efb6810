"""The LAN trigger endpoint: key required (403), callback and 202 with it, one address only."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from bridge.trigger import KEY_HEADER, TriggerServer
from tests.bridge.conftest import KEY


class Calls:
    def __init__(self) -> None:
        self.triggers: list[tuple[list[str] | None, int | None]] = []

    def trigger(self, cameras: Sequence[str] | None, minutes: int | None) -> None:
        self.triggers.append((list(cameras) if cameras else None, minutes))

    @staticmethod
    def status() -> dict[str, Any]:
        return {"bridge": "Test shop", "cameras": [{"camera": "front", "state": "live"}]}


@pytest.fixture()
def calls() -> Calls:
    return Calls()


@pytest.fixture()
def server(calls: Calls) -> Iterator[TriggerServer]:
    trigger = TriggerServer("127.0.0.1", 0, KEY, ["front", "yard"], calls.trigger,
                            calls.status).start()
    yield trigger
    trigger.close()


def request(server: TriggerServer, method: str, path: str, body: bytes | None = None,
            key: str | None = KEY, host: str = "127.0.0.1") -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection(host, server.port, timeout=5)
    try:
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers[KEY_HEADER] = key
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        return answer.status, json.loads(data) if data else {}
    finally:
        connection.close()


def test_trigger_without_the_key_is_refused(server: TriggerServer, calls: Calls) -> None:
    assert request(server, "POST", "/trigger", b"", key=None)[0] == 403
    status, body = request(server, "POST", "/trigger", b"", key="wrong-key-0123456789xx")
    assert status == 403 and KEY_HEADER in body["error"]
    assert request(server, "POST", "/trigger", b"", key=KEY + "x")[0] == 403
    assert request(server, "POST", "/trigger", b"", key="")[0] == 403
    assert calls.triggers == []


def test_trigger_with_the_key_calls_back_and_answers_202(server: TriggerServer,
                                                         calls: Calls) -> None:
    status, body = request(server, "POST", "/trigger", b"")
    assert status == 202 and body == {"accepted": True, "cameras": None, "minutes": None}
    status, body = request(server, "POST", "/trigger",
                           json.dumps({"cameras": ["yard"], "minutes": 5}).encode())
    assert status == 202 and body["cameras"] == ["yard"] and body["minutes"] == 5
    assert calls.triggers == [(None, None), (["yard"], 5)]


@pytest.mark.parametrize(("body", "words"), [
    (b"not json", "must be JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"cameras": ["garage"]}', "no camera named garage"),
    (b'{"cameras": "front"}', "list of camera names"),
    (b'{"minutes": 0}', "minutes must be"),
    (b'{"minutes": 500}', "minutes must be"),
    (b'{"camera": ["front"]}', "unknown field"),
])
def test_bad_trigger_bodies_are_refused_plainly(server: TriggerServer, calls: Calls,
                                                body: bytes, words: str) -> None:
    status, answer = request(server, "POST", "/trigger", body)
    assert status == 400 and words in answer["error"]
    assert calls.triggers == []


def test_a_long_body_is_refused(server: TriggerServer, calls: Calls) -> None:
    assert request(server, "POST", "/trigger", b" " * 5000)[0] == 413
    assert calls.triggers == []


def test_status_needs_the_key_too(server: TriggerServer) -> None:
    assert request(server, "GET", "/status", key=None)[0] == 403
    status, body = request(server, "GET", "/status")
    assert status == 200 and body["cameras"][0]["state"] == "live"


def test_no_other_routes(server: TriggerServer) -> None:
    assert request(server, "GET", "/")[0] == 404
    assert request(server, "GET", "/trigger")[0] == 404
    assert request(server, "POST", "/status", b"")[0] == 404
    assert request(server, "PUT", "/trigger", b"")[0] == 405
    assert request(server, "DELETE", "/anything")[0] == 404


def test_binds_only_to_its_address(server: TriggerServer) -> None:
    assert server.address == ("127.0.0.1", server.port)
    # another address of this same machine does not reach it
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", server.port), timeout=2).close()
    # nor does a second server on the same address and port start
    with pytest.raises(OSError, match="already in use"):
        TriggerServer("127.0.0.1", server.port, KEY, [], lambda _c, _m: None, dict).start()
