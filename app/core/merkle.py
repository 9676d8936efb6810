"""Merkle trees as in RFC 6962 (Certificate Transparency): roots and inclusion proofs.

Pure functions, no I/O: the checkpoint code builds trees over audit events and chain heads with
these, and the stand-alone verifier (tools/audit_proof.py) checks proofs with a copy of the same
few lines, so anyone can check an exported event without Porchlight's code or data.

Leaves are hashed as SHA-256(0x00 || data) and inner nodes as SHA-256(0x01 || left || right);
a tree of n leaves splits at the largest power of two below n, so no leaf is ever duplicated and
a proof names its leaf's index and the tree's size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root(hashes: Sequence[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(_root(hashes[:k]), _root(hashes[k:]))


def root(leaves: Sequence[bytes]) -> str:
    """The tree's root (hex) over the leaves' data; EMPTY_ROOT for no leaves."""
    if not leaves:
        return EMPTY_ROOT
    level = [leaf_hash(leaf) for leaf in leaves]
    return _root(level).hex()


def _path(hashes: Sequence[bytes], index: int) -> list[bytes]:
    if len(hashes) == 1:
        return []
    k = _split(len(hashes))
    if index < k:
        return [*_path(hashes[:k], index), _root(hashes[k:])]
    return [*_path(hashes[k:], index - k), _root(hashes[:k])]


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[str]:
    """The audit path (hex, leaf side first) proving leaves[index] is in root(leaves)."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)}")
    return [h.hex() for h in _path([leaf_hash(leaf) for leaf in leaves], index)]


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[str]) -> str:
    """Recompute the root from one leaf and its audit path (RFC 9162, section 2.1.3.2)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn = index, size - 1
    current = leaf_hash(leaf)
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
