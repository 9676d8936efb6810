"""Merkle roots and inclusion proofs (RFC 6962/9162): every leaf of every small tree proves
into its root, and a changed leaf, index or path does not."""

from __future__ import annotations

import hashlib

import pytest

from app.core import merkle


def leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(n)]


@pytest.mark.parametrize("n", range(1, 34))
def test_every_leaf_proves_into_the_root(n: int) -> None:
    data = leaves(n)
    root = merkle.root(data)
    for index in range(n):
        path = merkle.inclusion_path(data, index)
        assert merkle.root_from_path(data[index], index, n, path) == root


def test_known_shapes() -> None:
    a, b, c = leaves(3)
    la, lb, lc = (merkle.leaf_hash(x) for x in (a, b, c))
    assert merkle.root([a]) == la.hex()
    assert merkle.root([a, b]) == merkle.node_hash(la, lb).hex()
    assert merkle.root([a, b, c]) == merkle.node_hash(merkle.node_hash(la, lb), lc).hex()
    assert merkle.root([]) == merkle.EMPTY_ROOT


def test_a_changed_leaf_index_or_path_fails() -> None:
    data = leaves(11)
    root = merkle.root(data)
    path = merkle.inclusion_path(data, 6)
    assert merkle.root_from_path(b"not the leaf", 6, 11, path) != root
    assert merkle.root_from_path(data[6], 5, 11, path) != root
    bent = [path[0][:-2] + ("00" if path[0][-2:] != "00" else "11"), *path[1:]]
    assert merkle.root_from_path(data[6], 6, 11, bent) != root
    with pytest.raises(ValueError):
        merkle.root_from_path(data[6], 6, 11, path[:-1])
    with pytest.raises(ValueError):
        merkle.root_from_path(data[6], 11, 11, path)
