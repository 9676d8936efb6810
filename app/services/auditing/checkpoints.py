"""Signed audit checkpoints: proof that the log an auditor exports is the log the system wrote.

A checkpoint (made at least daily by the `checkpoint` worker, and on demand with
`flask --app app.wsgi audit checkpoint`) collects every chain's head. For each chain it also
builds a Merkle tree over the events added since the previous checkpoint (their hashes, in seq
order): its root is that chain's `batch_root`. The chain leaves
`{"chain", "seq", "hash", "from_seq", "batch_root"}`, sorted by chain, make a second Merkle tree
whose root the checkpoint's *statement* carries, with its number, time and the previous
checkpoint's hash:

    {"version": 1, "seq": 12, "at": "...Z", "previous": "<sha256 of checkpoint 11's statement>",
     "root": "<merkle root>", "chains": 3}

The statement's canonical JSON is signed (ECDSA P-256, SHA-256) with a KMS key on AWS or a
configured PEM key (devstack makes one). The feed of checkpoints and the public key are public
(/transparency/checkpoints.json): anyone may mirror them, and once a checkpoint is mirrored
nobody can change an event it covers without the change showing.

An event's inclusion proof (`proof_for`) is: the event (its hashed fields, its sealed fields and
salt), its audit path into its chain's batch root, the chain leaf and its audit path into the
checkpoint root, and the signed statement. tools/audit_proof.py checks it with nothing but the
exported file and the public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pynamodb.exceptions import PutError

from app.aws import aws_client
from app.config import ConfigError, Settings
from app.core import auditchain, merkle
from app.models.audit import AuditCheckpoint, AuditEvent
from app.models.base import condition_failed
from app.services import clock
from app.services.auditing import audit

FEED = "checkpoints"
VERSION = 1
ALGORITHM = "ECDSA_P256_SHA256"


class Signer(Protocol):
    key_id: str

    def sign(self, message: bytes) -> bytes: ...

    def public_pem(self) -> str: ...


class LocalSigner:
    """A PEM EC P-256 private key from the configuration."""

    def __init__(self, pem: str) -> None:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ConfigError("PORCHLIGHT_CHECKPOINT_PRIVATE_KEY must be an EC P-256 key")
        self.key = key
        self.key_id = "local:" + _fingerprint(self.public_pem())

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message, ec.ECDSA(hashes.SHA256()))

    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class KmsSigner:
    """A KMS key (KeySpec ECC_NIST_P256, KeyUsage SIGN_VERIFY): the private key never leaves KMS.

    The statement is sent whole (MessageType RAW; it is far below KMS's 4 KB limit)."""

    def __init__(self, settings: Settings) -> None:
        self.client = aws_client(settings, "kms")
        self.key_id = settings.checkpoint_kms_key
        self._pem = ""

    def sign(self, message: bytes) -> bytes:
        answer = self.client.sign(KeyId=self.key_id, Message=message, MessageType="RAW",
                                  SigningAlgorithm="ECDSA_SHA_256")
        return bytes(answer["Signature"])

    def public_pem(self) -> str:
        if not self._pem:
            der = self.client.get_public_key(KeyId=self.key_id)["PublicKey"]
            key = serialization.load_der_public_key(bytes(der))
            self._pem = key.public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        return self._pem


def _fingerprint(pem: str) -> str:
    return hashlib.sha256(pem.encode()).hexdigest()[:16]


def signer_for(settings: Settings) -> Signer:
    if settings.checkpoint_kms_key:
        return KmsSigner(settings)
    if settings.checkpoint_private_key:
        return LocalSigner(settings.checkpoint_private_key)
    raise ConfigError("No key signs audit checkpoints: set PORCHLIGHT_CHECKPOINT_KMS_KEY (AWS) "
                      "or PORCHLIGHT_CHECKPOINT_PRIVATE_KEY (a PEM EC P-256 key).")


def verify_signature(public_pem: str, message: bytes, signature_b64: str) -> bool:
    key = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        key.verify(base64.b64decode(signature_b64), message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


# ---------------------------------------------------------------- pure parts


def chain_leaf(entry: dict[str, Any]) -> bytes:
    return auditchain.canonical_json({k: entry[k] for k in (
        "chain", "seq", "hash", "from_seq", "batch_root")}).encode()


def statement_bytes(statement: dict[str, Any]) -> bytes:
    return auditchain.canonical_json(statement).encode()


def statement_hash(statement: dict[str, Any]) -> str:
    return hashlib.sha256(statement_bytes(statement)).hexdigest()


def batch_root(event_hashes: Sequence[str]) -> str:
    return merkle.root([bytes.fromhex(h) for h in event_hashes])


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    statement: dict[str, Any]
    hash: str
    signature: str
    key_id: str
    chains: list[dict[str, Any]]

    @classmethod
    def of(cls, item: AuditCheckpoint) -> Checkpoint:
        return cls(int(item.seq), json.loads(item.statement), item.hash, item.signature,
                   item.key_id, json.loads(item.chains))

    def entry(self, chain: str) -> dict[str, Any] | None:
        return next((c for c in self.chains if c["chain"] == chain), None)

    def public(self) -> dict[str, Any]:
        return {"statement": self.statement, "hash": self.hash, "signature": self.signature,
                "key_id": self.key_id, "algorithm": ALGORITHM, "chains": self.chains}


def latest() -> Checkpoint | None:
    for item in AuditCheckpoint.query(FEED, scan_index_forward=False, limit=1,
                                      consistent_read=True):
        return Checkpoint.of(item)
    return None


def all_checkpoints(newest_first: bool = False) -> list[Checkpoint]:
    return [Checkpoint.of(item) for item in AuditCheckpoint.query(
        FEED, scan_index_forward=not newest_first, consistent_read=True)]


def feed(settings: Settings, limit: int = 100) -> dict[str, Any]:
    """The public feed: the newest checkpoints and the key that signs them."""
    signer = signer_for(settings)
    items = [Checkpoint.of(i) for i in AuditCheckpoint.query(FEED, scan_index_forward=False,
                                                              limit=limit)]
    return {"algorithm": ALGORITHM, "key_id": signer.key_id, "public_key": signer.public_pem(),
            "checkpoints": [c.public() for c in items]}


# ---------------------------------------------------------------- making


def _events(chain: str, from_seq: int, to_seq: int) -> list[AuditEvent]:
    if to_seq < from_seq:
        return []
    return list(AuditEvent.query(chain, AuditEvent.seq.between(from_seq, to_seq),
                                 consistent_read=True))


def make(settings: Settings) -> Checkpoint:
    """Collect every chain's head into a new signed checkpoint."""
    signer = signer_for(settings)
    for _ in range(5):
        previous = latest()
        entries = []
        for head in sorted(audit.chains(), key=lambda h: h.chain):
            before = previous.entry(head.chain) if previous else None
            from_seq = int(before["seq"]) + 1 if before else 1
            events = _events(head.chain, from_seq, int(head.seq))
            entries.append({"chain": head.chain, "seq": int(head.seq), "hash": head.hash,
                            "from_seq": from_seq,
                            "batch_root": batch_root([e.hash for e in events])})
        seq = previous.seq + 1 if previous else 1
        statement = {"version": VERSION, "seq": seq, "at": clock.iso(clock.now()),
                     "previous": previous.hash if previous else auditchain.GENESIS,
                     "root": merkle.root([chain_leaf(e) for e in entries]),
                     "chains": len(entries)}
        message = statement_bytes(statement)
        item = AuditCheckpoint(
            FEED, seq, at=statement["at"], statement=message.decode(),
            hash=statement_hash(statement),
            signature=base64.b64encode(signer.sign(message)).decode(), key_id=signer.key_id,
            chains=json.dumps(entries, sort_keys=True, separators=(",", ":")))
        try:
            item.save(condition=AuditCheckpoint.seq.does_not_exist())
        except PutError as exc:
            if not condition_failed(exc):
                raise
            continue  # another maker took this number at the same moment: build on theirs
        return Checkpoint.of(item)
    raise RuntimeError("could not place a checkpoint after 5 tries")


# ---------------------------------------------------------------- verifying


def verify(settings: Settings, events_by_chain: dict[str, list[dict[str, Any]]]
           ) -> list[str]:
    """Check every checkpoint against the chains (events as `AuditEvent.as_record()` dicts, in
    seq order): signatures, the links between checkpoints, and that every event each one
    covers is still what it was. Problems in plain words; empty when all holds."""
    problems: list[str] = []
    signer = signer_for(settings)
    public = signer.public_pem()
    previous_hash = auditchain.GENESIS
    for checkpoint in all_checkpoints():
        name = f"checkpoint {checkpoint.seq}"
        if statement_hash(checkpoint.statement) != checkpoint.hash:
            problems.append(f"{name}: its statement does not match its hash")
        if checkpoint.key_id == signer.key_id and not verify_signature(
                public, statement_bytes(checkpoint.statement), checkpoint.signature):
            problems.append(f"{name}: the signature does not verify")
        if checkpoint.statement.get("previous") != previous_hash:
            problems.append(f"{name}: it does not follow checkpoint {checkpoint.seq - 1}")
        previous_hash = checkpoint.hash
        if merkle.root([chain_leaf(e) for e in checkpoint.chains]) != \
                checkpoint.statement.get("root"):
            problems.append(f"{name}: its chain list does not match its signed root")
        for entry in checkpoint.chains:
            events = events_by_chain.get(entry["chain"], [])
            covered = events[int(entry["from_seq"]) - 1:int(entry["seq"])]
            at_head = events[int(entry["seq"]) - 1] if 0 < int(entry["seq"]) <= len(events) \
                else None
            if at_head is None or at_head["hash"] != entry["hash"]:
                problems.append(f"{name}: chain {entry['chain']} no longer holds the event it "
                                f"recorded at seq {entry['seq']}: the chain changed after it")
            elif batch_root([e["hash"] for e in covered]) != entry["batch_root"]:
                problems.append(f"{name}: events {entry['from_seq']}..{entry['seq']} of chain "
                                f"{entry['chain']} changed after it")
    return problems


# ---------------------------------------------------------------- proofs


def _covering(checkpoints: Iterable[Checkpoint], chain: str, seq: int) -> Checkpoint | None:
    for checkpoint in checkpoints:
        entry = checkpoint.entry(chain)
        if entry and int(entry["from_seq"]) <= seq <= int(entry["seq"]):
            return checkpoint
    return None


class ProofMaker:
    """Inclusion proofs for many events, reading each checkpoint batch once."""

    def __init__(self) -> None:
        self.checkpoints = all_checkpoints()
        self._batches: dict[tuple[int, str], list[bytes]] = {}

    def proof(self, event: AuditEvent) -> dict[str, Any] | None:
        """The event's proof, or None when no checkpoint covers it yet."""
        seq = int(event.seq)
        checkpoint = _covering(self.checkpoints, event.chain, seq)
        if checkpoint is None:
            return None
        entry = checkpoint.entry(event.chain)
        assert entry is not None
        key = (checkpoint.seq, event.chain)
        if key not in self._batches:
            self._batches[key] = [bytes.fromhex(e.hash) for e in _events(
                event.chain, int(entry["from_seq"]), int(entry["seq"]))]
        batch = self._batches[key]
        index = seq - int(entry["from_seq"])
        leaves = [chain_leaf(c) for c in checkpoint.chains]
        chain_index = checkpoint.chains.index(entry)
        return {
            "checkpoint": checkpoint.seq,
            "batch": {"index": index, "size": len(batch),
                      "path": merkle.inclusion_path(batch, index)},
            "chain_leaf": entry,
            "root_path": {"index": chain_index, "size": len(leaves),
                          "path": merkle.inclusion_path(leaves, chain_index)},
        }


def proof_for(event: AuditEvent) -> dict[str, Any] | None:
    return ProofMaker().proof(event)


def export(settings: Settings, events: Sequence[AuditEvent]) -> dict[str, Any]:
    """Events with their inclusion proofs, the checkpoints those name and the public key:
    everything tools/audit_proof.py needs to check them without the rest of the log."""
    signer = signer_for(settings)
    maker = ProofMaker()
    rows, used = [], {}
    for event in events:
        row = audit.event_json(event)
        row["proof"] = maker.proof(event)
        if row["proof"]:
            number = row["proof"]["checkpoint"]
            used[str(number)] = next(c for c in maker.checkpoints if c.seq == number)
        rows.append(row)
    return {"format": "porchlight-audit-export/1", "exported_at": clock.iso(clock.now()),
            "algorithm": ALGORITHM, "key_id": signer.key_id, "public_key": signer.public_pem(),
            "checkpoints": {k: {"statement": c.statement, "hash": c.hash,
                                "signature": c.signature, "key_id": c.key_id}
                            for k, c in sorted(used.items())},
            "events": rows}
