"""`make run` keeps its data between runs: the command a developer types, stopped with Ctrl-C
(SIGINT) and started again on the same folder. Tables, the objects they point at (with their
legal hold), a dead-lettered message, and the checkpoint key all come back; demo data is seeded
once; the logins are printed both times; `--fresh` starts empty."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support import Client

pytestmark = pytest.mark.slow  # about 40 s: three starts of the whole devstack

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def make_run(data: Path, *extra: str) -> Iterator[tuple[dict[str, str], list[str]]]:
    """`python -m devstack run` as `make run` starts it; yields the stack's environment (its
    .devstack.env) and what it printed, then stops it with Ctrl-C."""
    env_file = data.parent / "devstack.env"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run", "--port", str(port), "--data", str(data),
         "--env-file", str(env_file), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "PORCHLIGHT_", "DEVSTACK_"))})
    printed: list[str] = []
    assert process.stdout is not None
    try:
        for line in process.stdout:
            printed.append(line.rstrip())
            if line.startswith("Press Ctrl-C"):
                break
        else:
            raise AssertionError("make run stopped at start:\n" + "\n".join(printed))
        words = [w for w in shlex.split(env_file.read_text()) if w != "export"]
        env = dict(word.split("=", 1) for word in words)
        yield env, printed
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        printed.extend(rest.splitlines())
    assert process.returncode == 0, "\n".join(printed)
    assert not env_file.exists()


def client(env: dict[str, str], service: str) -> Any:
    endpoint = env.get("AWS_ENDPOINT_URL_DYNAMODB") if service == "dynamodb" else None
    return boto3.session.Session().client(
        service, region_name=env["AWS_REGION"],
        endpoint_url=endpoint or env["AWS_ENDPOINT_URL"], config=Config(signature_version="s3v4"),
        aws_access_key_id="devstack", aws_secret_access_key="devstack")


def dead_letters(env: dict[str, str]) -> tuple[Any, str]:
    sqs = client(env, "sqs")
    urls = sqs.list_queues(QueueNamePrefix="porchlight-devstack-mail-dlq")["QueueUrls"]
    return sqs, urls[0]


def test_make_run_keeps_what_it_had_and_fresh_starts_empty(tmp_path: Path) -> None:
    data = tmp_path / "kept"
    with make_run(data) as (env, printed):
        assert "Demo logins:" in printed
        assert any("owner@demo.porchlight.test" in line for line in printed)
        s3 = client(env, "s3")
        clips = env["PORCHLIGHT_CLIPS_BUCKET"]
        s3.put_object(Bucket=clips, Key="probe/clip.mp4", Body=b"evidence",
                      ContentType="video/mp4", Metadata={"case": "K-1"},
                      ObjectLockLegalHoldStatus="ON")
        sqs, dlq = dead_letters(env)
        sqs.send_message(QueueUrl=dlq, MessageBody='{"parked": true}')
        owner = Client(env["PORCHLIGHT_PUBLIC_URL"])
        signed_in = owner.login("owner@demo.porchlight.test", "owner-demo-pass-1")
        assert signed_in.status_code == 302
        footer = owner.get("/").text
        assert "kept in <code>kept/</code> between runs" in footer

    assert (data / "keys.json").stat().st_mode & 0o777 == 0o600
    with make_run(data) as (env, printed):
        assert any(line.startswith("Demo logins (as seeded") for line in printed)
        assert "(found from an earlier run)" in "\n".join(printed)
        s3 = client(env, "s3")
        got = s3.get_object(Bucket=env["PORCHLIGHT_CLIPS_BUCKET"], Key="probe/clip.mp4")
        assert got["Body"].read() == b"evidence" and got["ContentType"] == "video/mp4"
        assert got["Metadata"] == {"case": "K-1"} and got["ObjectLockLegalHoldStatus"] == "ON"
        sqs, dlq = dead_letters(env)
        parked = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1)["Messages"]
        assert [m["Body"] for m in parked] == ['{"parked": true}']
        # one demo agency, not two: seeded only into the empty stack
        agencies = client(env, "dynamodb").scan(
            TableName=env["PORCHLIGHT_TABLE_PREFIX"] + "agencies", Select="COUNT")["Count"]
        assert agencies == 1
        # the checkpoints signed by the first run still verify with the kept key
        verified = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app.wsgi", "audit", "verify"], cwd=ROOT,
            env={**{k: v for k, v in os.environ.items() if not k.startswith(
                ("AWS_", "PORCHLIGHT_"))}, **env}, capture_output=True, text=True, timeout=120)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "every checkpoint holds" in verified.stdout

    with make_run(data, "--fresh") as (env, printed):
        assert "Demo logins:" in printed
        listed = client(env, "s3").list_objects_v2(Bucket=env["PORCHLIGHT_CLIPS_BUCKET"])
        assert "Contents" not in listed
