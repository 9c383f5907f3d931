"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification.

This is the auditors' API: pure standard library, no I/O. Byte layouts (RFC 9162 §2.1.1):

    leaf hash  = SHA-256(0x00 || leaf data)
    node hash  = SHA-256(0x01 || left hash || right hash)
    MTH({})    = SHA-256("")                     (the empty tree)
    MTH(D[n])  = node hash(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n

Proofs are lists of 32-byte hashes, ordered from the leaf (or the older tree) upwards, exactly
as RFC 9162 §2.1.3.1 (PATH) and §2.1.4.1 (PROOF/SUBPROOF) produce them. The verifiers implement
RFC 9162 §2.1.3.2 and §2.1.4.2 step by step; the cases those sections leave out (consistency
between equal sizes or from the empty tree) follow c2sp.org/merkle-tree. Every failure raises a
`ProofError` subclass carrying what was expected and what was computed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ledger.errors import ProofInputError, ProofLengthError, RootMismatchError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "consistency_proof",
    "consistency_proof_length",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_proof_length",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "root_from_hashes",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

LEAF_PREFIX = b"\x00"
"""Domain separation byte prepended to leaf data (RFC 9162 §2.1.1)."""
NODE_PREFIX = b"\x01"
"""Domain separation byte prepended to two child hashes (RFC 9162 §2.1.1)."""
HASH_SIZE = 32
"""SHA-256 output size; every hash in a proof, root or leaf hash has exactly this length."""
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty tree: SHA-256 of nothing (e3b0c442...b855)."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one leaf's raw data."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return _sha256(NODE_PREFIX + left + right).digest()


def root_from_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves. Iterative, O(n) hashes, O(log n) memory.

    Keeps the stack of complete-subtree hashes of the prefix read so far (sizes strictly
    decreasing, one per set bit of the count); the right-fold of that stack is the root.
    """
    if not hashes:
        return EMPTY_ROOT
    stack: list[bytes] = []
    for count, leaf in enumerate(hashes, start=1):
        # Merge as many times as `count` has trailing zero bits: a binary counter.
        h = leaf
        for _ in range((count & -count).bit_length() - 1):
            h = _sha256(NODE_PREFIX + stack.pop() + h).digest()
        stack.append(h)
    root = stack.pop()
    while stack:
        root = _sha256(NODE_PREFIX + stack.pop() + root).digest()
    return root


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the raw leaf data `leaves`; SHA-256 of nothing when empty."""
    return root_from_hashes([leaf_hash(d) for d in leaves])


def _split(n: int) -> int:
    """k: the largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges [lo, hi) whose tree hashes form PATH(index, D[size]), in proof order.

    RFC 9162 §2.1.3.1 unrolled: PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) when m < k,
    PATH(m - k, D[k:n]) : MTH(D[0:k]) otherwise. Every range starts at a multiple of a power
    of two at least its length, so it splits into aligned complete subtrees. Precondition:
    0 <= index < size, else ProofInputError.
    """
    if not 0 <= index < size:
        raise ProofInputError("leaf index out of range", expected=f"< {size}", computed=index)
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()  # PATH lists the sibling nearest the leaf first
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges [lo, hi) whose tree hashes form PROOF(size1, D[size2]), in proof order.

    RFC 9162 §2.1.4.1 unrolled: SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
    when m <= k, SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) otherwise, and
    SUBPROOF(m, D[m], false) = {MTH(D[m])}. Empty when size1 is 0 or size2.
    Precondition: 0 <= size1 <= size2, else ProofInputError.
    """
    if not 0 <= size1 <= size2:
        raise ProofInputError("sizes out of order", expected=f"<= {size2}", computed=size1)
    if size1 in (0, size2):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, size2, size1, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            complete = False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 §2.1.3.1 over the raw leaf data `leaves`.

    Precondition: 0 <= index < len(leaves), else ProofInputError.
    """
    ranges = inclusion_ranges(index, len(leaves))
    hashes = [leaf_hash(d) for d in leaves]
    return [root_from_hashes(hashes[lo:hi]) for lo, hi in ranges]


def consistency_proof(leaves: Sequence[bytes], size1: int) -> list[bytes]:
    """PROOF(size1, D[n]) of RFC 9162 §2.1.4.1; empty when size1 is 0 or n.

    Precondition: 0 <= size1 <= len(leaves), else ProofInputError.
    """
    ranges = consistency_ranges(size1, len(leaves))
    hashes = [leaf_hash(d) for d in leaves]
    return [root_from_hashes(hashes[lo:hi]) for lo, hi in ranges]


def inclusion_proof_length(index: int, size: int) -> int:
    """Number of hashes in the inclusion proof of `index` in a tree of `size` leaves."""
    if not 0 <= index < size:
        raise ProofInputError("leaf index out of range", expected=f"< {size}", computed=index)
    # Below the level where the paths to `index` and to the last leaf part, every level
    # contributes a sibling; above it, only the levels where `index` is a right child do.
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def consistency_proof_length(size1: int, size2: int) -> int:
    """Number of hashes in the consistency proof from `size1` to `size2` leaves."""
    if not 0 <= size1 <= size2:
        raise ProofInputError("sizes out of order", expected=f"<= {size2}", computed=size1)
    if size1 in (0, size2):
        return 0
    shift = (size1 & -size1).bit_length() - 1  # trailing zeros of size1
    length = inclusion_proof_length(size1 - 1, size2) - shift
    # The hash of the old tree's rightmost complete subtree leads the proof, unless that
    # subtree is the whole old tree (size1 a power of two): the verifier then uses root1.
    return length if size1 == 1 << shift else length + 1


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofInputError(
            f"{what} has the wrong length", expected=HASH_SIZE, computed=len(value)
        )


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for i, p in enumerate(proof):
        _check_hash(f"proof hash {i}", p)


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf_hash` is leaf `index` of the tree of `size` leaves with `root`.

    RFC 9162 §2.1.3.2. Returns None on success; raises ProofInputError (bad index, size or
    hash length), ProofLengthError (too many or too few hashes) or RootMismatchError.
    """
    if size < 0 or index < 0:
        raise ProofInputError("negative index or size", expected=">= 0", computed=(index, size))
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root", root)
    _check_proof_hashes(proof)
    # 1. If leaf_index >= tree_size, fail.
    if index >= size:
        raise ProofInputError(
            "leaf index not below tree size", expected=f"< {size}", computed=index
        )
    # 2.-3. fn = leaf_index, sn = tree_size - 1, r = hash.
    fn, sn, r = index, size - 1, leaf_hash
    # 4. For each p in the path:
    for p in proof:
        # a. If sn is 0, stop and fail.
        if sn == 0:
            raise ProofLengthError(
                "inclusion proof too long",
                expected=inclusion_proof_length(index, size),
                computed=len(proof),
            )
        # b. If LSB(fn) is set, or fn equals sn: r = HASH(0x01 || p || r); then, if LSB(fn)
        #    is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
        if fn & 1 or fn == sn:
            r = _sha256(NODE_PREFIX + p + r).digest()
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        # Otherwise r = HASH(0x01 || r || p).
        else:
            r = _sha256(NODE_PREFIX + r + p).digest()
        # c. Right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. Compare sn to 0 and r to the root.
    if sn != 0:
        raise ProofLengthError(
            "inclusion proof too short",
            expected=inclusion_proof_length(index, size),
            computed=len(proof),
        )
    if r != root:
        raise RootMismatchError("inclusion proof leads to another root", expected=root, computed=r)


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of `size1` leaves with `root1` is a prefix of the one of `size2`.

    RFC 9162 §2.1.4.2 for 0 < size1 < size2. Equal sizes need an empty proof and equal roots;
    size1 = 0 needs an empty proof and root1 = SHA-256("") (c2sp.org/merkle-tree). Raises
    ProofInputError, ProofLengthError or RootMismatchError; returns None on success.
    """
    if size1 < 0 or size2 < 0:
        raise ProofInputError("negative size", expected=">= 0", computed=(size1, size2))
    _check_hash("first root", root1)
    _check_hash("second root", root2)
    _check_proof_hashes(proof)
    if size1 > size2:
        raise ProofInputError("first size exceeds second", expected=f"<= {size2}", computed=size1)
    if size1 in (0, size2):
        if proof:
            raise ProofLengthError("proof must be empty", expected=0, computed=len(proof))
        if size1 == 0 and root1 != EMPTY_ROOT:
            raise RootMismatchError(
                "not the empty tree's root", expected=root1, computed=EMPTY_ROOT
            )
        if size1 == size2 and root1 != root2:
            raise RootMismatchError("equal sizes, different roots", expected=root1, computed=root2)
        return
    expected_length = consistency_proof_length(size1, size2)
    # 1. If consistency_path is empty, stop and fail.
    if not proof:
        raise ProofLengthError("empty consistency proof", expected=expected_length, computed=0)
    path = list(proof)
    # 2. If first is an exact power of 2, prepend first_hash to the path.
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    # 3. fn = first - 1, sn = second - 1.
    fn, sn = size1 - 1, size2 - 1
    # 4. If LSB(fn) is set, right-shift fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. fr = sr = the first value of the path.
    fr = sr = path[0]
    # 6. For each subsequent value c of the path:
    for c in path[1:]:
        # a. If sn is 0, stop and fail.
        if sn == 0:
            raise ProofLengthError(
                "consistency proof too long", expected=expected_length, computed=len(proof)
            )
        # b. If LSB(fn) is set, or fn equals sn: fr = HASH(0x01 || c || fr),
        #    sr = HASH(0x01 || c || sr); then, if LSB(fn) is not set, right-shift fn and sn
        #    equally until LSB(fn) is set or fn is 0.
        if fn & 1 or fn == sn:
            fr = _sha256(NODE_PREFIX + c + fr).digest()
            sr = _sha256(NODE_PREFIX + c + sr).digest()
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        # Otherwise sr = HASH(0x01 || sr || c).
        else:
            sr = _sha256(NODE_PREFIX + sr + c).digest()
        # c. Right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. Check fr = first_hash, sr = second_hash and sn = 0.
    if sn != 0:
        raise ProofLengthError(
            "consistency proof too short", expected=expected_length, computed=len(proof)
        )
    if fr != root1:
        raise RootMismatchError(
            "proof does not lead to the first root", expected=root1, computed=fr
        )
    if sr != root2:
        raise RootMismatchError(
            "proof does not lead to the second root", expected=root2, computed=sr
        )
