"""Check a Porchlight audit export without Porchlight: `python tools/audit_proof.py export.json`.

Needs Python 3.10+ and the `cryptography` package, nothing else: no access to the system, its
database or the rest of the log. For every event in the export it checks that

1. its IP address and details are the ones its seal covers (unless they were erased when the
   person left the program: the event then keeps only a pseudonym, and this says so);
2. its hash is the SHA-256 of the previous hash and its fields;
3. that hash is a leaf of the Merkle tree of its chain's batch in a checkpoint (audit path),
   the batch's chain leaf is a leaf of the checkpoint's root (audit path),
4. and the checkpoint's statement is signed by the program's key.

Give the key as published (the `public_key` of /transparency/checkpoints.json, mirrored by
anyone): `--public-key key.pem`. Without it the key inside the export is used, and the output
says that this proves only that the export is consistent, not whose key signed it.

Exit status 0 when every event with a proof checks out, 1 otherwise. Events newer than the latest
checkpoint carry no proof yet; they are listed as such and do not fail the check.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

HASHED = ("event_id", "at", "actor_id", "actor_role", "action", "subject_id", "agency_id",
          "sealed", "prev_hash", "chain", "seq")
CHAIN_LEAF = ("chain", "seq", "hash", "from_seq", "batch_root")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[str]) -> str:
    """RFC 9162 section 2.1.3.2: the root an audit path leads to from one leaf."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn, current = index, size - 1, leaf_hash(leaf)
    for step in path:
        sibling = bytes.fromhex(step)
        if sn == 0:
            raise ValueError("the path is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            current = node_hash(sibling, current)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            current = node_hash(current, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the path is shorter than the tree is deep")
    return current.hex()


def signature_ok(public_pem: str, message: bytes, signature_b64: str) -> bool:
    key = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        key.verify(base64.b64decode(signature_b64), message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def check_fields(event: dict[str, Any]) -> str:
    """"" when the event's seal and hash hold; else what is wrong."""
    if "salt" in event:
        seal = sha256_hex(event["salt"] + "\n" + canonical(
            {"details": event.get("details_json", ""), "ip": event.get("ip", "")}))
        if seal != event.get("sealed"):
            return "its details or IP address are not the ones its seal covers"
    elif not event.get("erased_at"):
        return "it has neither its sealed fields nor an erasure"
    body = {name: event[name] for name in HASHED}
    if sha256_hex(event["prev_hash"] + "\n" + canonical(body)) != event.get("hash"):
        return "its fields do not match its hash"
    return ""


def check_event(event: dict[str, Any], checkpoints: dict[str, Any], public_pem: str) -> str:
    """"" when the event checks out; else what is wrong, in plain words."""
    problem = check_fields(event)
    if problem:
        return problem
    proof = event.get("proof")
    if not proof:
        return ""
    checkpoint = checkpoints.get(str(proof["checkpoint"]))
    if checkpoint is None:
        return f"checkpoint {proof['checkpoint']} is not in the export"
    entry = proof["chain_leaf"]
    if entry["chain"] != event["chain"]:
        return "its proof is for another chain"
    try:
        batch = proof["batch"]
        if root_from_path(bytes.fromhex(event["hash"]), int(batch["index"]), int(batch["size"]),
                          batch["path"]) != entry["batch_root"]:
            return "its hash is not in its chain's batch of the checkpoint"
        leaf = canonical({k: entry[k] for k in CHAIN_LEAF}).encode()
        top = proof["root_path"]
        if root_from_path(leaf, int(top["index"]), int(top["size"]), top["path"]) != \
                checkpoint["statement"]["root"]:
            return "its chain's batch is not under the checkpoint's root"
    except (KeyError, ValueError) as error:
        return f"its proof cannot be read ({error})"
    message = canonical(checkpoint["statement"]).encode()
    if hashlib.sha256(message).hexdigest() != checkpoint["hash"]:
        return f"checkpoint {proof['checkpoint']}'s statement does not match its hash"
    if not signature_ok(public_pem, message, checkpoint["signature"]):
        return f"checkpoint {proof['checkpoint']} is not signed by this key"
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path, help="the JSON export (auditor's export with proofs)")
    parser.add_argument("--public-key", type=Path,
                        help="the program's published public key (PEM)")
    args = parser.parse_args(argv)
    data = json.loads(args.export.read_text(encoding="utf-8"))
    if args.public_key:
        public_pem, source = args.public_key.read_text(encoding="utf-8"), str(args.public_key)
    else:
        public_pem, source = data["public_key"], "the key inside the export"
    checkpoints = {str(k): v for k, v in data.get("checkpoints", {}).items()}
    bad = unproven = erased = 0
    for event in data.get("events", []):
        problem = check_event(event, checkpoints, public_pem)
        where = f"{event.get('chain')} seq {event.get('seq')} ({event.get('action')})"
        if problem:
            bad += 1
            print(f"FAILED {where}: {problem}")
        elif not event.get("proof"):
            unproven += 1
            print(f"no proof yet {where}: newer than the latest checkpoint")
        if event.get("erased_at"):
            erased += 1
    total = len(data.get("events", []))
    print(f"{total - bad - unproven} of {total} event(s) proven against checkpoints signed by "
          f"{source}; {unproven} newer than the latest checkpoint; {erased} with personal data "
          f"erased; {bad} failed.")
    if not args.public_key:
        print("Checked with the key inside the export: compare it with the key the program "
              "publishes (/transparency/checkpoints.json) before trusting the result.")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
