"""Signed checkpoints: a change to any event a checkpoint covers shows, even when the attacker
recomputes the whole chain; an exported event's proof checks out with nothing but the file and
the public key, and fails for an altered event; KMS signs as well as a local key."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.aws import aws_client
from app.core import auditchain
from app.models.audit import AuditEvent, AuditHead
from app.services.auditing import audit, checkpoints
from tools import audit_proof


def fresh_chain(n: int) -> tuple[str, list[AuditEvent]]:
    agency = f"cp-{uuid.uuid4().hex[:8]}"
    actor = audit.Actor(f"u-{agency}", "detective", "198.51.100.4")
    events = [audit.record(agency, actor, "registry.searched", "-",
                           {"case": f"24-{i:06d}", "radius_m": 100}) for i in range(n)]
    return audit.chain_for(agency), events


def problems_for(settings: Any, chain: str) -> list[str]:
    events_by_chain, _heads = audit.load_chains()
    found = checkpoints.verify(settings, events_by_chain)
    global_problems = [p for p in found if "signature" in p or "does not follow" in p
                       or "signed root" in p]
    return global_problems + [p for p in found if chain in p]


def rewrite_chain_from(chain: str, seq: int, details: str) -> None:
    """What an insider with write access would do: change an event's details, re-seal it and
    recompute every later hash and the head, so that the chain alone verifies again."""
    events = list(audit.iter_chain(chain))
    prev = events[seq - 2].hash if seq > 1 else auditchain.GENESIS
    for event in events[seq - 1:]:
        if int(event.seq) == seq:
            event.details = details
            event.sealed = auditchain.seal(event.salt or "", event.ip, details)
        event.prev_hash = prev
        event.hash = auditchain.event_hash(prev, event.body())
        event.save()
        prev = event.hash
    head = AuditHead.get(chain)
    head.hash = prev
    head.save()


def test_a_checkpoint_catches_a_rewritten_chain(settings: Any) -> None:
    chain, _events = fresh_chain(6)
    made = checkpoints.make(settings)
    entry = made.entry(chain)
    assert entry is not None and entry["seq"] == 6
    assert problems_for(settings, chain) == []
    feed = checkpoints.feed(settings)
    assert feed["checkpoints"][0]["statement"]["seq"] == made.seq
    assert checkpoints.verify_signature(
        feed["public_key"], checkpoints.statement_bytes(made.statement), made.signature)

    originals = [AuditEvent.get(chain, e.seq) for e in audit.iter_chain(chain)]
    head = AuditHead.get(chain)
    rewrite_chain_from(chain, 3, '{"case":"24-999999","radius_m":100}')
    try:
        _count, _events_read, breaks = audit.verify_all(only=chain)
        assert breaks == []  # the chain alone no longer shows anything
        found = problems_for(settings, chain)
        assert found and "changed after it" in found[0], found
    finally:  # put the chain back: later tests verify every chain against every checkpoint
        for item in originals:
            item.save()
        head.save()
    assert problems_for(settings, chain) == []


def test_events_after_a_checkpoint_join_the_next_one(settings: Any) -> None:
    chain, _events = fresh_chain(3)
    first = checkpoints.make(settings)
    actor = audit.Actor("u-later", "detective", "198.51.100.9")
    audit.record(chain.split("#", 1)[1], actor, "clip.viewed", "-", {"case": "24-1"})
    second = checkpoints.make(settings)
    assert second.statement["previous"] == first.hash
    entry = second.entry(chain)
    assert entry is not None and (entry["from_seq"], entry["seq"]) == (4, 4)
    assert problems_for(settings, chain) == []


def test_an_exported_event_proves_itself_and_an_altered_one_fails(
        settings: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chain, events = fresh_chain(5)
    checkpoints.make(settings)
    late = audit.record(events[0].agency_id, audit.Actor("u-late", "detective", ""),
                        "registry.viewed", "-", {})
    exported = checkpoints.export(settings, [*events, late])
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    key = tmp_path / "key.pem"
    key.write_text(checkpoints.feed(settings)["public_key"], encoding="utf-8")

    assert audit_proof.main([str(path), "--public-key", str(key)]) == 0
    out = capsys.readouterr().out
    assert "5 of 6 event(s) proven" in out and "1 newer than the latest checkpoint" in out

    altered = json.loads(path.read_text(encoding="utf-8"))
    altered["events"][2]["details_json"] = '{"case":"24-000999","radius_m":100}'
    path.write_text(json.dumps(altered), encoding="utf-8")
    assert audit_proof.main([str(path), "--public-key", str(key)]) == 1
    assert "not the ones its seal covers" in capsys.readouterr().out

    rehashed = json.loads(json.dumps(exported))  # a forger who recomputes seal and hash too
    event = rehashed["events"][2]
    event["details_json"] = '{"case":"24-000999","radius_m":100}'
    event["sealed"] = auditchain.seal(event["salt"], event["ip"], event["details_json"])
    event["hash"] = auditchain.event_hash(event["prev_hash"], {
        k: event[k] for k in audit_proof.HASHED})
    path.write_text(json.dumps(rehashed), encoding="utf-8")
    assert audit_proof.main([str(path), "--public-key", str(key)]) == 1
    assert "not in its chain's batch" in capsys.readouterr().out

    other = tmp_path / "other.pem"
    other.write_text(checkpoints.LocalSigner(_new_pem()).public_pem(), encoding="utf-8")
    path.write_text(json.dumps(exported), encoding="utf-8")
    assert audit_proof.main([str(path), "--public-key", str(other)]) == 1
    assert "not signed by this key" in capsys.readouterr().out
    assert chain in {e["chain"] for e in exported["events"]}


def test_kms_signs_checkpoints(settings: Any) -> None:
    kms = aws_client(settings, "kms")
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256",
                            Description="porchlight checkpoints (test)")["KeyMetadata"]["KeyId"]
    with_kms = replace(settings, checkpoint_kms_key=key_id)
    signer = checkpoints.signer_for(with_kms)
    assert isinstance(signer, checkpoints.KmsSigner)
    message = b'{"root":"abc","seq":1}'
    signature = signer.sign(message)
    import base64

    assert checkpoints.verify_signature(signer.public_pem(), message,
                                        base64.b64encode(signature).decode())
    assert not checkpoints.verify_signature(signer.public_pem(), message + b" ",
                                            base64.b64encode(signature).decode())


def _new_pem() -> str:
    from devstack.stack import checkpoint_key

    return checkpoint_key()["PORCHLIGHT_CHECKPOINT_PRIVATE_KEY"]
