"""The stored tree (ledger.tree) against the pure functions of ledger.rfc6962."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import rfc6962
from ledger.errors import LogCorruptError, ProofInputError
from ledger.tree import (
    TILE_WIDTH,
    MemoryTreeStore,
    TileKey,
    Tree,
    TreeUpdate,
    consistency_proof_at,
    inclusion_proof_at,
    root_at,
)


def leaf_data(i: int) -> bytes:
    return b"leaf %d" % i


def build(
    sizes: Sequence[int], *, reload_every: int = 0
) -> tuple[MemoryTreeStore, list[bytes], Tree]:
    """A memory store grown by appends of the given batch sizes."""
    store, tree, data = MemoryTreeStore(), Tree.empty(), list[bytes]()
    for n, batch in enumerate(sizes, start=1):
        new = [leaf_data(len(data) + j) for j in range(batch)]
        data.extend(new)
        update = tree.prepare([rfc6962.leaf_hash(x) for x in new])
        store.write(update)
        tree.commit(update)
        if reload_every and n % reload_every == 0:  # as after a restart
            tree = Tree.load(store, tree.size)
    return store, data, tree


@settings(max_examples=60, deadline=None)
@given(
    batches=st.lists(st.sampled_from([1, 2, 7, 255, 256, 257, 600]), min_size=1, max_size=12),
    reload_every=st.integers(0, 3),
    data=st.data(),
)
def test_stored_tree_gives_the_same_roots_and_proofs_as_rfc6962(
    batches: list[int], reload_every: int, data: st.DataObject
) -> None:
    store, leaves, tree = build(batches, reload_every=reload_every)
    assert tree.size == len(leaves)
    for _ in range(5):
        size = data.draw(st.integers(1, len(leaves)))
        index = data.draw(st.integers(0, size - 1))
        size1 = data.draw(st.integers(0, size))
        assert root_at(store, size) == rfc6962.root_hash(leaves[:size])
        assert inclusion_proof_at(store, index, size) == rfc6962.inclusion_proof(
            leaves[:size], index
        )
        assert consistency_proof_at(store, size1, size) == rfc6962.consistency_proof(
            leaves[:size], size1
        )


@pytest.mark.slow
def test_stored_tree_agrees_with_rfc6962_across_second_level_tiles() -> None:
    # 70 000 leaves: full level-0 and level-1 tiles, a partial level-2 tile (65 536 = 256**2).
    rng = random.Random(6962)
    batches: list[int] = []
    while sum(batches) < 70_000:
        batches.append(rng.choice([1, 100, 1000, 4096]))
    store, leaves, tree = build(batches, reload_every=5)
    hashes = [rfc6962.leaf_hash(x) for x in leaves]
    assert tree.size == len(leaves)
    assert root_at(store, len(leaves)) == rfc6962.root_from_hashes(hashes)
    for size in [65_536, 65_537, len(leaves), *rng.sample(range(1, len(leaves)), 12)]:
        root = rfc6962.root_from_hashes(hashes[:size])
        assert root_at(store, size) == root
        for index in (0, size - 1, rng.randrange(size)):
            proof = inclusion_proof_at(store, index, size)
            rfc6962.verify_inclusion(index, size, hashes[index], proof, root)
        size1 = rng.randrange(size + 1)
        proof = consistency_proof_at(store, size1, size)
        rfc6962.verify_consistency(
            size1, size, rfc6962.root_from_hashes(hashes[:size1]), root, proof
        )


class VirtualStore:
    """A store of any size whose hashes are made up on demand; it counts what is read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.calls = 0
        self.hashes_read = 0

    @staticmethod
    def _h(*parts: int) -> bytes:
        return hashlib.sha256(repr(parts).encode()).digest()

    def read_leaf_hashes(self, start: int, stop: int) -> Sequence[bytes]:
        self.calls += 1
        out = [self._h(0, i) for i in range(start, min(stop, self.size))]
        self.hashes_read += len(out)
        return out

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        self.calls += 1
        out = {}
        for t, n in keys:
            width = min(TILE_WIDTH, (self.size >> (8 * t)) - n * TILE_WIDTH)
            if width <= 0 or (t == 0 and width < TILE_WIDTH):
                continue  # level-0 tiles exist only when full
            out[(t, n)] = b"".join(self._h(t, n * TILE_WIDTH + j) for j in range(width))
            self.hashes_read += width
        return out


@pytest.mark.parametrize("size", [1_000, 1_000_000, 10**9, 2**40 - 3])
def test_any_proof_costs_at_most_two_reads_and_a_bounded_number_of_hashes(size: int) -> None:
    rng = random.Random(size)
    levels = (size.bit_length() + 7) // 8  # tile levels in use: O(log n)
    for _ in range(20):
        tree_size = rng.randrange(1, size + 1)
        index = rng.randrange(tree_size)
        size1 = rng.randrange(tree_size + 1)
        for what in ("root", "inclusion", "consistency"):
            store = VirtualStore(size)
            if what == "root":
                root_at(store, tree_size)
            elif what == "inclusion":
                inclusion_proof_at(store, index, tree_size)
            else:
                consistency_proof_at(store, size1, tree_size)
            # One tile query, plus one leaf-row range when the newest block is involved:
            # never a scan of the leaves, whatever the size.
            assert store.calls <= 2
            assert store.hashes_read <= 3 * TILE_WIDTH * (levels + 1)


def test_appending_one_leaf_at_a_time_stores_amortised_constant_hashes() -> None:
    tree, store = Tree.empty(), MemoryTreeStore()
    written = 0
    n = 3 * TILE_WIDTH * TILE_WIDTH // 2  # crosses level-0, level-1 and level-2 tiles
    for i in range(n):
        update = tree.prepare([rfc6962.leaf_hash(leaf_data(i))])
        written += sum(len(blob) for blob in update.tiles.values()) // rfc6962.HASH_SIZE
        store.write(update)
        tree.commit(update)
    # Per leaf: its own row, plus about one hash in a level-0 tile and one in a level-1 tile.
    assert written <= 3 * n
    assert root_at(store, n) == rfc6962.root_hash([leaf_data(i) for i in range(n)])


def test_prepare_changes_nothing_until_commit() -> None:
    _, _, tree = build([300])
    update = tree.prepare([rfc6962.leaf_hash(b"x")] * 300)
    again = tree.prepare([rfc6962.leaf_hash(b"x")] * 300)
    assert tree.size == 300
    assert update == again
    stale = TreeUpdate(start=299, leaf_hashes=[], tiles={}, levels=update.levels)
    with pytest.raises(LogCorruptError):
        tree.commit(stale)  # an update prepared for another size


def test_loading_a_frontier_with_a_missing_tile_is_refused() -> None:
    store, _, tree = build([300 * TILE_WIDTH + 5])
    del store.tiles[(1, 1)]  # the partial level-1 tile holding 44 level-8 hashes
    with pytest.raises(LogCorruptError):
        Tree.load(store, tree.size)


def test_proof_over_a_missing_leaf_block_is_refused() -> None:
    store, _, _ = build([600])
    del store.tiles[(0, 0)]
    store.leaf_hashes = store.leaf_hashes[:100]  # and the block's rows are gone too
    with pytest.raises(LogCorruptError):
        inclusion_proof_at(store, 3, 500)


def test_leaf_hashes_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ProofInputError):
        Tree.empty().prepare([b"short"])
