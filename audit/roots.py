"""Merkle roots at chosen tree sizes, computed in one pass over the leaf hashes.

`RootsAt` keeps the RFC 9162 frontier while leaf hashes stream in: the stack of complete
subtree hashes of the prefix read so far (one per set bit of the count, sizes decreasing).
When the count reaches a wanted size, the right fold of the stack is MTH(D[0:size]). Memory is
O(log n), work O(n) hashes plus O(log n) per wanted size, so an auditor can check every
checkpoint and every anchor of a large log while reading its leaves once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ledger.rfc6962 import EMPTY_ROOT, NODE_PREFIX

__all__ = ["RootsAt"]

_sha256 = hashlib.sha256


class RootsAt:
    """Feed leaf hashes in order with `add`; read `roots[size]` for each wanted size reached."""

    def __init__(self, sizes: Iterable[int]) -> None:
        self._wanted = {s for s in sizes if s > 0}
        self._stack: list[bytes] = []
        self.count = 0
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT}

    def add(self, leaf_hash: bytes) -> None:
        self.count += 1
        count = self.count
        h = leaf_hash
        # Merge once per trailing zero bit of the new count: a binary counter.
        for _ in range((count & -count).bit_length() - 1):
            h = _sha256(NODE_PREFIX + self._stack.pop() + h).digest()
        self._stack.append(h)
        if count in self._wanted:
            root = self._stack[-1]
            for left in reversed(self._stack[:-1]):
                root = _sha256(NODE_PREFIX + left + root).digest()
            self.roots[count] = root
