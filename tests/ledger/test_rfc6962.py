"""RFC 6962 / RFC 9162 hashing, proofs and verifiers.

Known answers: the 8-leaf example tree of the RFC 6962 test vectors, as published in
transparency-dev/merkle (testonly/constants.go RootHashes and NodeHashes, proof/verify_test.go
inclusionProofs and consistencyProofs). Each root is also derived here from its expression in
L (leaf hash) and N (node hash); the comment above ROOTS gives the one-line commands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import ProofError, ProofInputError, ProofLengthError, RootMismatchError
from ledger.rfc6962 import (
    EMPTY_ROOT,
    LEAF_PREFIX,
    NODE_PREFIX,
    consistency_proof,
    consistency_proof_length,
    inclusion_proof,
    inclusion_proof_length,
    leaf_hash,
    node_hash,
    root_from_hashes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]


def h(x: str) -> bytes:
    return bytes.fromhex(x)


def L(x: bytes) -> bytes:  # an independent leaf hash, straight from RFC 6962 §2.1
    return hashlib.sha256(b"\x00" + x).digest()


def N(a: bytes, b: bytes) -> bytes:  # an independent node hash
    return hashlib.sha256(b"\x01" + a + b).digest()


d = LEAVES
# (size, how the root is derived, the published root). To reproduce one by hand, evaluate its
# expression (here size 3's) with nothing but Python's hashlib:
# python3 -c "import hashlib as h;L=lambda x:h.sha256(b'\0'+x).digest();N=lambda a,b:h.sha256(b'\1'+a+b).digest();d=[bytes.fromhex(x) for x in ('','00','10','2021','3031','40414243','5051525354555657','606162636465666768696a6b6c6d6e6f')];print(N(N(L(d[0]),L(d[1])),L(d[2])).hex())"  # noqa: E501
# or, for size 2, with openssl and coreutils only:
# (printf '\1'; printf '\0' | openssl dgst -sha256 -binary; printf '\0\0' | openssl dgst -sha256 -binary) | sha256sum  # noqa: E501
ROOTS = [
    (0, "SHA-256 of nothing", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (1, "L(d[0])", "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    (2, "N(L(d[0]),L(d[1]))", "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    (
        3,
        "N(N(L(d[0]),L(d[1])),L(d[2]))",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    ),
    (
        4,
        "N(N(L(d[0]),L(d[1])),N(L(d[2]),L(d[3])))",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ),
    (
        5,
        "N(N(N(L(d[0]),L(d[1])),N(L(d[2]),L(d[3]))),L(d[4]))",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    ),
    (
        6,
        "N(N(N(L(d[0]),L(d[1])),N(L(d[2]),L(d[3]))),N(L(d[4]),L(d[5])))",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    ),
    (
        7,
        "N(N(N(L(d[0]),L(d[1])),N(L(d[2]),L(d[3]))),N(N(L(d[4]),L(d[5])),L(d[6])))",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    ),
    (
        8,
        "N(N(N(L(d[0]),L(d[1])),N(L(d[2]),L(d[3]))),N(N(L(d[4]),L(d[5])),N(L(d[6]),L(d[7]))))",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ),
]

# Published proofs (transparency-dev/merkle proof/verify_test.go): (leaf index, size, proof).
INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (size1, size2, proof)
CONSISTENCY = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def root_of(size: int) -> bytes:
    return h(ROOTS[size][2])


# -- a naive recursive reference, straight from the RFC 6962 §2.1 definitions ----------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(data: Sequence[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return L(data[0])
    k = _k(n)
    return N(ref_mth(data[:k]), ref_mth(data[k:]))


def ref_path(m: int, data: Sequence[bytes]) -> list[bytes]:
    n = len(data)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, data[:k]), ref_mth(data[k:])]
    return [*ref_path(m - k, data[k:]), ref_mth(data[:k])]


def ref_subproof(m: int, data: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if complete else [ref_mth(data)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, data[:k], complete), ref_mth(data[k:])]
    return [*ref_subproof(m - k, data[k:], False), ref_mth(data[:k])]


def ref_consistency(m: int, data: Sequence[bytes]) -> list[bytes]:
    return [] if m in (0, len(data)) else ref_subproof(m, data, True)


# -- known answers ---------------------------------------------------------------------------


def test_prefixes_are_the_rfc_domain_separation_bytes() -> None:
    assert LEAF_PREFIX == b"\x00"
    assert NODE_PREFIX == b"\x01"
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT


@pytest.mark.parametrize(("size", "derivation", "expected"), ROOTS)
def test_root_of_the_standard_8_leaf_tree_matches_published_value(
    size: int, derivation: str, expected: str
) -> None:
    assert root_hash(LEAVES[:size]).hex() == expected
    if size:  # the derivation, evaluated with the independent L and N, gives the same root
        assert eval(derivation, {"L": L, "N": N, "d": d}).hex() == expected


def test_leaf_and_node_hash_match_published_node_hashes() -> None:
    assert leaf_hash(LEAVES[7]).hex() == (
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"
    )
    assert node_hash(leaf_hash(LEAVES[0]), leaf_hash(LEAVES[1])).hex() == (
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
    )


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proof_matches_published_proof_and_verifies(
    index: int, size: int, proof: list[str]
) -> None:
    assert [p.hex() for p in inclusion_proof(LEAVES[:size], index)] == proof
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), [h(p) for p in proof], root_of(size))


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_consistency_proof_matches_published_proof_and_verifies(
    size1: int, size2: int, proof: list[str]
) -> None:
    assert [p.hex() for p in consistency_proof(LEAVES[:size2], size1)] == proof
    verify_consistency(size1, size2, root_of(size1), root_of(size2), [h(p) for p in proof])


def test_every_proof_of_the_8_leaf_tree_verifies_and_has_the_predicted_length() -> None:
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(LEAVES[:size], index)
            assert len(proof) == inclusion_proof_length(index, size)
            verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, root_of(size))
        for size1 in range(size + 1):
            proof = consistency_proof(LEAVES[:size], size1)
            assert len(proof) == consistency_proof_length(size1, size)
            verify_consistency(size1, size, root_of(size1), root_of(size), proof)


# -- cross-check against the naive reference ---------------------------------------------------

trees = st.lists(st.binary(max_size=12), min_size=1, max_size=80)


@settings(max_examples=300, deadline=None)
@given(leaves=trees, data=st.data())
def test_fast_functions_agree_with_naive_recursive_reference(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    size1 = data.draw(st.integers(0, size))
    assert root_hash(leaves) == ref_mth(leaves)
    assert root_from_hashes([L(x) for x in leaves]) == ref_mth(leaves)
    assert inclusion_proof(leaves, index) == ref_path(index, leaves)
    assert consistency_proof(leaves, size1) == ref_consistency(size1, leaves)
    verify_inclusion(index, size, L(leaves[index]), ref_path(index, leaves), ref_mth(leaves))
    verify_consistency(
        size1, size, ref_mth(leaves[:size1]), ref_mth(leaves), ref_consistency(size1, leaves)
    )


@settings(max_examples=300, deadline=None)
@given(leaves=trees, data=st.data())
def test_any_single_bit_flip_in_a_random_proof_is_rejected(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = ref_path(index, leaves)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        proof[i] = bytes(
            b ^ (1 << (bit % 8)) if j == bit // 8 else b for j, b in enumerate(proof[i])
        )
        with pytest.raises(RootMismatchError):
            verify_inclusion(index, size, L(leaves[index]), proof, ref_mth(leaves))
    size1 = data.draw(st.integers(1, size))
    cproof = ref_consistency(size1, leaves)
    if cproof:
        i = data.draw(st.integers(0, len(cproof) - 1))
        cproof[i] = bytes([cproof[i][0] ^ 0x10]) + cproof[i][1:]
        with pytest.raises(RootMismatchError):
            verify_consistency(size1, size, ref_mth(leaves[:size1]), ref_mth(leaves), cproof)


# -- negative probes as data ------------------------------------------------------------------
# Each probe changes one thing in a valid proof's arguments (after transparency-dev/merkle's
# corruptInclusionProof and corruptConsistencyProof); every one of them must be rejected.

InclusionArgs = tuple[int, int, bytes, list[bytes], bytes]
ConsistencyArgs = tuple[int, int, bytes, bytes, list[bytes]]


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    return [bytes([p[0] ^ 8]) + p[1:] if j == i else p for j, p in enumerate(proof)]


def inclusion_probes(a: InclusionArgs) -> list[tuple[str, InclusionArgs]]:
    i, n, leaf, proof, root = a
    return [
        ("index - 1", (i - 1, n, leaf, proof, root)),
        ("index + 1", (i + 1, n, leaf, proof, root)),
        ("index ^ 2", (i ^ 2, n, leaf, proof, root)),
        ("size * 2", (i, n * 2, leaf, proof, root)),
        ("size // 2", (i, n // 2, leaf, proof, root)),
        ("wrong leaf", (i, n, L(b"WrongLeaf"), proof, root)),
        ("short leaf hash", (i, n, leaf[:31], proof, root)),
        ("padded leaf hash", (i, n, leaf + b"\0", proof, root)),
        ("empty root", (i, n, leaf, proof, EMPTY_ROOT)),
        ("random root", (i, n, leaf, proof, SOME_HASH)),
        ("short root", (i, n, leaf, proof, root[:-1])),
        ("trailing garbage", (i, n, leaf, [*proof, b""], root)),
        ("trailing root", (i, n, leaf, [*proof, root], root)),
        ("preceding garbage", (i, n, leaf, [b"", *proof], root)),
        ("preceding root", (i, n, leaf, [root, *proof], root)),
        ("truncated", (i, n, leaf, proof[:-1], root)),
        ("inserted hash", (i, n, leaf, [proof[0], SOME_HASH, *proof[1:]], root)),
        ("short proof hash", (i, n, leaf, [proof[0][:16], *proof[1:]], root)),
        ("padded proof hash", (i, n, leaf, [proof[0] + b"\0", *proof[1:]], root)),
        *[
            (f"flipped bit in proof[{j}]", (i, n, leaf, _flip(proof, j), root))
            for j in range(len(proof))
        ],
    ]


def consistency_probes(a: ConsistencyArgs) -> list[tuple[str, ConsistencyArgs]]:
    m, n, r1, r2, proof = a
    return [
        ("size1 - 1", (m - 1, n, r1, r2, proof)),
        ("size1 + 1", (m + 1, n, r1, r2, proof)),
        ("size1 ^ 2", (m ^ 2, n, r1, r2, proof)),
        ("size2 * 2", (m, n * 2, r1, r2, proof)),
        ("size2 // 2", (m, n // 2, r1, r2, proof)),
        ("wrong root1", (m, n, SOME_HASH, r2, proof)),
        ("wrong root2", (m, n, r1, SOME_HASH, proof)),
        ("short root1", (m, n, r1[:9], r2, proof)),
        ("swapped roots", (m, n, r2, r1, proof)),
        ("empty proof", (m, n, r1, r2, [])),
        ("trailing garbage", (m, n, r1, r2, [*proof, b""])),
        ("trailing root1", (m, n, r1, r2, [*proof, r1])),
        ("trailing root2", (m, n, r1, r2, [*proof, r2])),
        ("preceding garbage", (m, n, r1, r2, [b"", *proof])),
        ("preceding root1", (m, n, r1, r2, [r1, *proof])),
        ("preceding root2", (m, n, r1, r2, [r2, *proof])),
        ("preceding proof[0]", (m, n, r1, r2, [proof[0], *proof])),
        ("truncated", (m, n, r1, r2, proof[:-1])),
        ("padded proof hash", (m, n, r1, r2, [proof[0] + b"\0", *proof[1:]])),
        *[
            (f"flipped bit in proof[{j}]", (m, n, r1, r2, _flip(proof, j)))
            for j in range(len(proof))
        ],
    ]


GOOD_INCLUSION: list[InclusionArgs] = [
    (i, n, leaf_hash(LEAVES[i]), [h(p) for p in proof], root_of(n)) for i, n, proof in INCLUSION
]
GOOD_CONSISTENCY: list[ConsistencyArgs] = [
    (m, n, root_of(m), root_of(n), [h(p) for p in proof]) for m, n, proof in CONSISTENCY
]


@pytest.mark.parametrize("good", GOOD_INCLUSION, ids=lambda a: f"{a[0]}of{a[1]}")
def test_every_corruption_of_a_valid_inclusion_proof_is_rejected(good: InclusionArgs) -> None:
    verify_inclusion(*good)  # the unmodified proof holds, so each probe alone makes it fail
    accepted = []
    for probe, bad in inclusion_probes(good):
        assert bad != good, f"probe {probe!r} changed nothing"
        try:
            verify_inclusion(*bad)
        except ProofError:
            continue
        accepted.append(probe)
    assert accepted == []


@pytest.mark.parametrize("good", GOOD_CONSISTENCY, ids=lambda a: f"{a[0]}to{a[1]}")
def test_every_corruption_of_a_valid_consistency_proof_is_rejected(good: ConsistencyArgs) -> None:
    verify_consistency(*good)
    accepted = []
    for probe, bad in consistency_probes(good):
        assert bad != good, f"probe {probe!r} changed nothing"
        try:
            verify_consistency(*bad)
        except ProofError:
            continue
        accepted.append(probe)
    assert accepted == []


# -- edge cases and the errors' content ---------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 4)])
def test_inclusion_with_index_outside_the_tree_is_an_input_error(index: int, size: int) -> None:
    with pytest.raises(ProofInputError):
        verify_inclusion(index, size, SOME_HASH, [], SOME_HASH)


def test_single_leaf_tree_has_empty_inclusion_proof_and_its_leaf_hash_as_root() -> None:
    leaf = leaf_hash(b"data")
    verify_inclusion(0, 1, leaf, [], leaf)
    with pytest.raises(RootMismatchError):
        verify_inclusion(0, 1, leaf, [], SOME_HASH)


@pytest.mark.parametrize(
    "case",
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], None),
        (0, 8, EMPTY_ROOT, h(ROOTS[8][2]), [], None),
        (3, 3, h(ROOTS[3][2]), h(ROOTS[3][2]), [], None),
        (0, 1, SOME_HASH, h(ROOTS[1][2]), [], RootMismatchError),  # not the empty tree's root
        (3, 3, h(ROOTS[3][2]), SOME_HASH, [], RootMismatchError),
        (3, 3, h(ROOTS[3][2]), h(ROOTS[3][2]), [SOME_HASH], ProofLengthError),
        (0, 4, EMPTY_ROOT, h(ROOTS[4][2]), [EMPTY_ROOT], ProofLengthError),
        (2, 1, h(ROOTS[2][2]), h(ROOTS[1][2]), [], ProofInputError),  # time travel
        (1, 2, h(ROOTS[1][2]), h(ROOTS[2][2]), [], ProofLengthError),
        (1, 2, b"don't care 1", b"don't care 2", [], ProofInputError),  # not 32-byte hashes
        (-1, 2, EMPTY_ROOT, EMPTY_ROOT, [], ProofInputError),
    ],
)
def test_consistency_edge_cases(
    case: tuple[int, int, bytes, bytes, list[bytes], type[ProofError] | None],
) -> None:
    size1, size2, root1, root2, proof, error = case
    if error is None:
        verify_consistency(size1, size2, root1, root2, proof)
    else:
        with pytest.raises(error):
            verify_consistency(size1, size2, root1, root2, proof)


def test_root_mismatch_carries_expected_and_computed_roots() -> None:
    proof = inclusion_proof(LEAVES, 3)
    with pytest.raises(RootMismatchError) as caught:
        verify_inclusion(3, 8, leaf_hash(LEAVES[3]), proof, SOME_HASH)
    assert caught.value.expected == SOME_HASH
    assert caught.value.computed == root_of(8)
    assert SOME_HASH.hex() in str(caught.value)


def test_wrong_proof_length_carries_expected_and_actual_counts() -> None:
    proof = inclusion_proof(LEAVES, 3)
    with pytest.raises(ProofLengthError) as caught:
        verify_inclusion(3, 8, leaf_hash(LEAVES[3]), proof[:-1], root_of(8))
    assert (caught.value.expected, caught.value.computed) == (3, 2)
    with pytest.raises(ProofLengthError) as caught:
        verify_consistency(6, 8, root_of(6), root_of(8), [*consistency_proof(LEAVES, 6), SOME_HASH])
    assert (caught.value.expected, caught.value.computed) == (3, 4)


def test_wrong_hash_length_is_an_input_error_that_says_so() -> None:
    with pytest.raises(ProofInputError) as caught:
        verify_inclusion(0, 1, b"\0" * 31, [], root_of(1))
    assert (caught.value.expected, caught.value.computed) == (32, 31)


def test_proof_generators_refuse_indices_and_sizes_outside_the_tree() -> None:
    with pytest.raises(ProofInputError):
        inclusion_proof(LEAVES, 8)
    with pytest.raises(ProofInputError):
        inclusion_proof([], 0)
    with pytest.raises(ProofInputError):
        consistency_proof(LEAVES, 9)
    with pytest.raises(ProofInputError):
        consistency_proof(LEAVES, -1)
