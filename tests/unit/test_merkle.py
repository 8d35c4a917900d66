"""The Merkle tree against RFC 6962's own recursive definitions.

The reference below is written straight from RFC 6962 §2.1 (MTH, PATH,
SUBPROOF) and shares no code with ``omd_gov.audit``: the stored-node proofs
and the CompactRange must agree with it, and the verifiers must refuse any
tampering.
"""

from __future__ import annotations

import hashlib
from functools import cache

import pytest

from omd_gov.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    Node,
    blocks,
    consistency_ranges,
    fold,
    inclusion_ranges,
    needed_nodes,
    proof_hashes,
)
from omd_gov.audit.verifier import leaf_hash, node_hash, verify_consistency, verify_inclusion

# --- reference implementation: RFC 6962 §2.1, verbatim recursion ------------------

LEAVES = [f"event {i}".encode() for i in range(1000)]


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def ref_mth(lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + LEAVES[lo]).digest()
    k = _k(n)
    return hashlib.sha256(b"\x01" + ref_mth(lo, lo + k) + ref_mth(lo + k, hi)).digest()


def ref_path(m: int, lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return ref_path(m, lo, lo + k) + [ref_mth(lo + k, hi)]
    return ref_path(m - k, lo + k, hi) + [ref_mth(lo, lo + k)]


def ref_subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if b else [ref_mth(lo, hi)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, lo, lo + k, b) + [ref_mth(lo + k, hi)]
    return ref_subproof(m - k, lo + k, hi, False) + [ref_mth(lo, lo + k)]


# --- the stored tree: every complete node, as the database keeps them ------------


def build_store(size: int) -> tuple[dict[Node, bytes], list[bytes]]:
    """All complete node hashes and the root after each append, via CompactRange."""
    store: dict[Node, bytes] = {}
    roots = [CompactRange().root()]
    tree = CompactRange()
    for leaf in LEAVES[:size]:
        store.update(tree.append(leaf_hash(leaf)))
        roots.append(tree.root())
    return store, roots


STORE, ROOTS = build_store(1000)
SMALL = 64


def inclusion_proof(index: int, size: int) -> list[bytes]:
    return proof_hashes(inclusion_ranges(index, size), STORE)


def consistency_proof(old: int, new: int) -> list[bytes]:
    return proof_hashes(consistency_ranges(old, new), STORE)


def flip(proof: list[bytes], at: int) -> list[bytes]:
    tampered = list(proof)
    tampered[at] = bytes([tampered[at][0] ^ 1]) + tampered[at][1:]
    return tampered


# --- roots -----------------------------------------------------------------------


def test_roots_match_the_reference_for_every_size_up_to_1000() -> None:
    for size in range(1001):
        assert ROOTS[size] == ref_mth(0, size), size
        assert fold([STORE[node] for node in blocks(0, size)]) == ROOTS[size], size


def completed_nodes(index: int) -> list[Node]:
    """Reference: the parents that appending leaf ``index`` completes."""
    nodes, size, level = [], index + 1, 1
    while size % (1 << level) == 0:
        nodes.append((level, (size >> level) - 1))
        level += 1
    return nodes


def test_compact_range_reports_exactly_the_completed_nodes() -> None:
    tree = CompactRange()
    for index in range(300):
        added = tree.append(leaf_hash(LEAVES[index]))
        assert [node for node, _ in added] == [(0, index), *completed_nodes(index)]
        for (level, i), digest in added:
            assert digest == ref_mth(i << level, (i + 1) << level)


def test_compact_range_json_round_trip_keeps_appending_correctly() -> None:
    tree = CompactRange()
    for size in range(40):
        restored = CompactRange.from_json(tree.to_json())
        assert restored.size == size and restored.root() == ref_mth(0, size)
        restored.append(leaf_hash(LEAVES[size]))
        tree.append(leaf_hash(LEAVES[size]))
        assert restored.root() == tree.root() == ref_mth(0, size + 1)


def test_compact_range_refuses_hashes_that_do_not_fit_its_size() -> None:
    with pytest.raises(ValueError):
        CompactRange(3, [b"\x00" * 32])  # 3 leaves need 2 blocks
    with pytest.raises(ValueError):
        CompactRange(1, [b"\x00" * 31])


CT_LEAVES = [b"", b"\x00", b"\x10", b" !", b"01", b"@ABC", b"PQRSTUVW", b"`abcdefghijklmno"]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_PATH_0_OF_8 = [
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]


def test_certificate_transparency_test_vectors() -> None:
    tree, store = CompactRange(), dict[Node, bytes]()
    assert tree.root().hex() == CT_ROOTS[0] == EMPTY_ROOT.hex()
    for size, leaf in enumerate(CT_LEAVES, start=1):
        store.update(tree.append(leaf_hash(leaf)))
        assert tree.root().hex() == CT_ROOTS[size]
    path = proof_hashes(inclusion_ranges(0, 8), store)
    assert [h.hex() for h in path] == CT_PATH_0_OF_8
    root = bytes.fromhex(CT_ROOTS[8])
    assert verify_inclusion(leaf_hash(b""), 0, 8, path, root)


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert fold([]) == EMPTY_ROOT


# --- blocks and nodes ------------------------------------------------------------


def test_blocks_split_like_rfc_6962() -> None:
    assert blocks(0, 0) == []
    assert blocks(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert blocks(8, 13) == [(2, 2), (0, 12)]
    assert blocks(0, 8) == [(3, 0)]


@pytest.mark.parametrize("lo, hi", [(1, 3), (2, 7), (4, 12), (-1, 2), (5, 4)])
def test_blocks_refuse_ranges_no_proof_uses(lo: int, hi: int) -> None:
    with pytest.raises(ValueError):
        blocks(lo, hi)


def test_completed_nodes() -> None:
    assert completed_nodes(0) == []
    assert completed_nodes(2) == []
    assert completed_nodes(3) == [(1, 1), (2, 0)]
    assert completed_nodes(7) == [(1, 3), (2, 1), (3, 0)]
    assert completed_nodes(5) == [(1, 2)]


def test_needed_nodes_are_the_stored_blocks_of_the_ranges() -> None:
    assert needed_nodes([(0, 4), (4, 6), (6, 7)]) == [(0, 6), (1, 2), (2, 0)]


def test_proof_hashes_need_every_node() -> None:
    with pytest.raises(KeyError):
        proof_hashes(inclusion_ranges(0, 8), {})


# --- inclusion proofs ------------------------------------------------------------


def test_inclusion_proofs_match_the_reference_and_verify() -> None:
    for size in range(1, SMALL + 1):
        for index in range(size):
            proof = inclusion_proof(index, size)
            assert proof == ref_path(index, 0, size), (index, size)
            assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


def test_inclusion_proofs_fail_when_anything_is_wrong() -> None:
    for size in range(1, SMALL + 1):
        for index in range(size):
            leaf, proof, root = leaf_hash(LEAVES[index]), inclusion_proof(index, size), ROOTS[size]
            assert not verify_inclusion(leaf_hash(b"tampered"), index, size, proof, root)
            if size > 1:
                other = (index + 1) % size
                assert not verify_inclusion(leaf, other, size, proof, root)
                assert not verify_inclusion(leaf, index, size, proof, flip([root], 0)[0])
            # a wrong size fails against its own root (a checkpoint signs them together)
            for wrong in (size - 1, size + 1, 2 * size):
                assert not verify_inclusion(leaf, index, wrong, proof, ROOTS[wrong])
            for at in range(len(proof)):
                assert not verify_inclusion(leaf, index, size, flip(proof, at), root)
            if proof:
                assert not verify_inclusion(leaf, index, size, proof[:-1], root)
            assert not verify_inclusion(leaf, index, size, [*proof, root], root)
            assert not verify_inclusion(leaf, index, size, [*proof, b"\x00" * 32], root)


def test_a_proof_must_be_exactly_as_long_as_the_claimed_tree_needs() -> None:
    for n in (1, 2, 4, 8, 16, 32):
        for i in range(n):
            # too short: the path of a leaf in the left half is a prefix of its longer path
            if 2 * n <= SMALL:
                assert verify_inclusion(leaf_hash(LEAVES[i]), i, n, inclusion_proof(i, n), ROOTS[n])
                assert not verify_inclusion(
                    leaf_hash(LEAVES[i]), i, 2 * n, inclusion_proof(i, n), ROOTS[n]
                )
            # too long: leaf n+i of 2n leaves claimed as leaf i of n, with one hash too many
            proof = inclusion_proof(n + i, 2 * n)
            assert not verify_inclusion(leaf_hash(LEAVES[n + i]), i, n, proof, ROOTS[2 * n])


@pytest.mark.parametrize("index, size", [(-1, 4), (-1, 1), (4, 4), (0, 0), (5, 3), (1, 1)])
def test_out_of_range_inclusion_is_refused(index: int, size: int) -> None:
    assert not verify_inclusion(leaf_hash(LEAVES[0]), index, size, [], ROOTS[1])
    with pytest.raises(ValueError):
        inclusion_ranges(index, size)


# --- consistency proofs ----------------------------------------------------------


def test_consistency_proofs_match_the_reference_and_verify() -> None:
    for new in range(SMALL + 1):
        for old in range(new + 1):
            proof = consistency_proof(old, new)
            expected = ref_subproof(old, 0, new, True) if 0 < old < new else []
            assert proof == expected, (old, new)
            assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof), (old, new)


def test_consistency_proofs_fail_when_anything_is_wrong() -> None:
    for new in range(2, SMALL + 1):
        for old in range(1, new):
            proof, old_root, new_root = consistency_proof(old, new), ROOTS[old], ROOTS[new]
            assert not verify_consistency(old, new, ROOTS[old - 1], new_root, proof)
            assert not verify_consistency(old, new, old_root, ROOTS[new - 1], proof)
            assert not verify_consistency(old, new, old_root, ROOTS[new + 1], proof)
            assert not verify_consistency(old + 1, new, ROOTS[old + 1], new_root, proof)
            assert not verify_consistency(old - 1, new, ROOTS[old - 1], new_root, proof)
            assert not verify_consistency(old, new + 1, old_root, ROOTS[new + 1], proof)
            assert not verify_consistency(old, new - 1, old_root, ROOTS[new - 1], proof)
            assert not verify_consistency(new, old, new_root, old_root, proof)
            for at in range(len(proof)):
                assert not verify_consistency(old, new, old_root, new_root, flip(proof, at))
            assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
            assert not verify_consistency(old, new, old_root, new_root, [*proof, new_root])


def test_consistency_proofs_with_a_hash_too_many_are_refused() -> None:
    # past the new tree's root, an extra hash would wrap both roots alike
    extra = leaf_hash(b"extra")
    for new in range(2, SMALL + 1):
        for old in range(1, new):
            if old & (old - 1):  # (a power of two starts its path with the old root itself)
                proof = [*consistency_proof(old, new), extra]
                wrapped_old, wrapped_new = (
                    node_hash(extra, ROOTS[old]),
                    node_hash(extra, ROOTS[new]),
                )
                assert not verify_consistency(old, new, wrapped_old, wrapped_new, proof)


def test_negative_sizes_are_refused() -> None:
    for new in range(2, 33):
        for old in range(1, new):
            proof = consistency_proof(old, new)
            for negative in range(-40, 0):
                assert not verify_consistency(negative, new, ROOTS[old], ROOTS[new], proof)


def test_consistency_edge_cases() -> None:
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    assert not verify_consistency(0, 5, ROOTS[1], ROOTS[5], [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [ROOTS[5]])
    assert verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[4], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[5], [ROOTS[5]])
    assert not verify_consistency(-1, 5, EMPTY_ROOT, ROOTS[5], [])
    with pytest.raises(ValueError):
        consistency_ranges(6, 5)
