"""An append-only RFC 6962 tree over stored leaf hashes and hash tiles.

Storage layout (the shape of c2sp.org/tlog-tiles, height 8):

- tile (t, n), t >= 0: the concatenated 32-byte hashes of the complete subtrees at tree level
  8t with node indices n*256 ... n*256+w-1 (w <= 256); node (8t, j) covers the leaves
  [j * 256**t, (j+1) * 256**t). Level-0 tiles are blocks of 256 leaf hashes. An update
  carries a tile when it is full and, for t >= 1, the rightmost partial tile, rewritten
  longer whenever a level-8t subtree completes; the newest, open block of leaf hashes is kept
  by the store as it likes (the SQL log rewrites it as a partial leaf block row each batch;
  `read_leaf_hashes` serves it when no tile holds it). Stored hashes never change, so any
  prefix of a stored tile is valid for every smaller tree size.

Any complete subtree (k, i) is then one tile away: 2**(k mod 8) entries of tile
(k // 8, (i << (k mod 8)) // 256), folded with at most 255 node hashes. A root, inclusion proof
or consistency proof at ANY size <= the stored size needs O(log n) complete subtrees (RFC 9162
ranges split into aligned subtrees), fetched with one tile query plus at most one leaf-row
range (the open block): O(log n) reads, never a rehash of all leaves.

Appending touches only the right edge: per 256 new leaves one level-0 tile and one level-8
hash (a level-1 tile rewrite), per 65 536 one level-16 hash, and so on: amortised O(1) stored
hashes per leaf. `Tree` keeps that right edge (the frontier) in memory; `prepare` computes an
update without changing anything, the caller stores it in its own transaction, then `commit`s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger.errors import LogCorruptError, ProofInputError
from ledger.rfc6962 import (
    EMPTY_ROOT,
    HASH_SIZE,
    NODE_PREFIX,
    consistency_ranges,
    inclusion_ranges,
)

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "MemoryTreeStore",
    "TileKey",
    "Tree",
    "TreeStore",
    "TreeUpdate",
    "consistency_proof_at",
    "inclusion_proof_at",
    "root_at",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # hashes in a full tile
_TILE_BYTES = TILE_WIDTH * HASH_SIZE

TileKey = tuple[int, int]
"""(tile level t >= 1, tile index n)."""

_sha256 = hashlib.sha256


class TreeStore(Protocol):
    """Read access to stored leaf hashes and tiles (writes go through the owner's transaction)."""

    def read_leaf_hashes(self, start: int, stop: int) -> Sequence[bytes]:
        """The stored leaf hashes of indices [start, stop), in order (fewer past the end)."""
        ...

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        """The stored tiles among `keys` (concatenated hashes); absent keys are left out."""
        ...


@dataclass(frozen=True)
class TreeUpdate:
    """What one append writes: the new leaf hashes from index `start`, and tiles to upsert
    (level-0 tiles only when full; partial tiles of levels >= 1 rewritten whole)."""

    start: int
    leaf_hashes: Sequence[bytes]
    tiles: Mapping[TileKey, bytes]
    levels: tuple[tuple[bytes, ...], ...]  # the frontier after the append

    @property
    def size(self) -> int:
        return self.start + len(self.leaf_hashes)


class MemoryTreeStore:
    """A TreeStore in memory, for tests and for cross-checking the SQL store."""

    def __init__(self) -> None:
        self.leaf_hashes: list[bytes] = []
        self.tiles: dict[TileKey, bytes] = {}

    def read_leaf_hashes(self, start: int, stop: int) -> Sequence[bytes]:
        return self.leaf_hashes[start:stop]

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        return {k: self.tiles[k] for k in keys if k in self.tiles}

    def write(self, update: TreeUpdate) -> None:
        if update.start != len(self.leaf_hashes):
            raise LogCorruptError(f"append at {update.start} to {len(self.leaf_hashes)} leaves")
        self.leaf_hashes.extend(update.leaf_hashes)
        self.tiles.update(update.tiles)


def _fold(hashes: Sequence[bytes]) -> bytes:
    """The root of a perfect subtree over 2**r consecutive same-level hashes."""
    level = list(hashes)
    while len(level) > 1:
        level = [
            _sha256(NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)
        ]
    return level[0]


def _split_hashes(blob: bytes) -> list[bytes]:
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


class Tree:
    """The writer's view: the stored size and the right edge needed to append.

    `levels[0]` holds the leaf hashes of the last, incomplete 256-leaf block; `levels[t]`
    the level-8t hashes of the partial tile (t, ...). Each holds fewer than 256 hashes.
    """

    def __init__(self, size: int, levels: Sequence[Sequence[bytes]]) -> None:
        self._size = size
        self._levels = tuple(tuple(level) for level in levels)

    @classmethod
    def empty(cls) -> Tree:
        return cls(0, [()])

    @classmethod
    def load(cls, store: TreeStore, size: int) -> Tree:
        """Rebuild the frontier of a stored tree of `size` leaves (reads one row per level)."""
        block = size - size % TILE_WIDTH
        leaves = list(store.read_leaf_hashes(block, size))
        if len(leaves) != size - block:
            raise LogCorruptError(f"leaf hashes {block}..{size - 1} are not all stored")
        levels: list[Sequence[bytes]] = [leaves]
        wanted: dict[TileKey, int] = {}
        t = 1
        while size >> (TILE_HEIGHT * t):
            count = size >> (TILE_HEIGHT * t)
            if count % TILE_WIDTH:
                wanted[(t, count // TILE_WIDTH)] = count % TILE_WIDTH
            t += 1
        tiles = store.read_tiles(wanted.keys()) if wanted else {}
        for level in range(1, t):
            count = size >> (TILE_HEIGHT * level)
            key = (level, count // TILE_WIDTH)
            if key not in wanted:
                levels.append(())
                continue
            blob = tiles.get(key, b"")
            if len(blob) < wanted[key] * HASH_SIZE:
                raise LogCorruptError(
                    f"tile {key} holds {len(blob) // HASH_SIZE} hashes, "
                    f"size {size} needs {wanted[key]}"
                )
            levels.append(_split_hashes(blob[: wanted[key] * HASH_SIZE]))
        return cls(size, levels)

    @property
    def size(self) -> int:
        return self._size

    @property
    def open_block(self) -> tuple[bytes, ...]:
        """The leaf hashes of the last, incomplete 256-leaf block (empty at a block boundary)."""
        return self._levels[0]

    def prepare(self, leaf_hashes: Sequence[bytes]) -> TreeUpdate:
        """The update that appends `leaf_hashes`; changes nothing until `commit`."""
        lengths = set(map(len, leaf_hashes))  # in C: this runs for every appended leaf
        if lengths - {HASH_SIZE}:
            raise ProofInputError(
                "a leaf hash has the wrong length", expected=HASH_SIZE, computed=sorted(lengths)
            )
        levels = [list(level) for level in self._levels]
        tiles: dict[TileKey, bytes] = {}
        touched: set[int] = set()
        n, pos = self._size, 0
        while pos < len(leaf_hashes):
            # Fill the open block in one slice: the per-leaf work stays in C.
            take = leaf_hashes[pos : pos + TILE_WIDTH - len(levels[0])]
            levels[0].extend(take)
            pos += len(take)
            n += len(take)
            t = 0
            # A full block or tile becomes one hash one tile-level up (a carry).
            while len(levels[t]) == TILE_WIDTH:
                full = levels[t]
                tiles[(t, (n >> (TILE_HEIGHT * t)) // TILE_WIDTH - 1)] = b"".join(full)
                touched.discard(t)
                levels[t] = []
                t += 1
                if t == len(levels):
                    levels.append([])
                levels[t].append(_fold(full))
                touched.add(t)
        for t in touched:
            tiles[(t, (n >> (TILE_HEIGHT * t)) // TILE_WIDTH)] = b"".join(levels[t])
        return TreeUpdate(
            start=self._size,
            leaf_hashes=list(leaf_hashes),
            tiles=tiles,
            levels=tuple(tuple(level) for level in levels),
        )

    def commit(self, update: TreeUpdate) -> None:
        """Adopt `update` once its rows are durably stored."""
        if update.start != self._size:
            raise LogCorruptError(f"update starts at {update.start}, tree has {self._size}")
        self._size = update.size
        self._levels = update.levels


def _subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """Aligned complete subtrees (level k, index i) covering [lo, hi), largest first.

    Precondition (true of every RFC 9162 range): lo is a multiple of the largest of them.
    """
    nodes: list[tuple[int, int]] = []
    while lo < hi:
        k = (hi - lo).bit_length() - 1
        nodes.append((k, lo >> k))
        lo += 1 << k
    return nodes


def _node_hashes(
    store: TreeStore, nodes: Collection[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """Hashes of complete subtrees (k, i), all inside the stored tree, in one pass of reads."""
    keys: dict[tuple[int, int], TileKey] = {}
    for k, i in nodes:
        t, r = divmod(k, TILE_HEIGHT)
        keys[(k, i)] = (t, (i << r) // TILE_WIDTH)
    tiles = dict(store.read_tiles(set(keys.values())))
    for t, n in set(keys.values()):
        if t == 0 and (0, n) not in tiles:
            # The newest leaf block is not a full tile yet: its hashes are only in leaf rows.
            tiles[(0, n)] = b"".join(store.read_leaf_hashes(n * TILE_WIDTH, (n + 1) * TILE_WIDTH))
    out: dict[tuple[int, int], bytes] = {}
    for (k, i), key in keys.items():
        r = k % TILE_HEIGHT
        start = ((i << r) % TILE_WIDTH) * HASH_SIZE
        end = start + (HASH_SIZE << r)
        blob = tiles.get(key, b"")
        if len(blob) < end:
            raise LogCorruptError(f"tile {key} lacks the hashes of node ({k}, {i})")
        out[(k, i)] = _fold(_split_hashes(blob[start:end]))
    return out


def _range_hashes(store: TreeStore, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """MTH(D[lo:hi]) for each range: the right fold of its aligned complete subtrees."""
    split = [_subtrees(lo, hi) for lo, hi in ranges]
    known = _node_hashes(store, {node for nodes in split for node in nodes})
    out: list[bytes] = []
    for nodes in split:
        h = known[nodes[-1]]
        for node in reversed(nodes[:-1]):
            h = _sha256(NODE_PREFIX + known[node] + h).digest()
        out.append(h)
    return out


def root_at(store: TreeStore, size: int) -> bytes:
    """MTH of the first `size` stored leaves. Precondition: size <= stored size."""
    if size < 0:
        raise ProofInputError("negative tree size", expected=">= 0", computed=size)
    if size == 0:
        return EMPTY_ROOT
    return _range_hashes(store, [(0, size)])[0]


def inclusion_proof_at(store: TreeStore, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) from storage. Precondition: size <= stored size."""
    return _range_hashes(store, inclusion_ranges(index, size))


def consistency_proof_at(store: TreeStore, size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[size2]) from storage. Precondition: size2 <= stored size."""
    return _range_hashes(store, consistency_ranges(size1, size2))
