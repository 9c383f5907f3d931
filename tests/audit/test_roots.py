"""RootsAt: roots at chosen sizes in one pass agree with the RFC 9162 tree hash."""

from __future__ import annotations

import random

from audit.roots import RootsAt
from ledger import rfc6962


def test_roots_at_every_size_of_a_random_log_match_the_tree_hash() -> None:
    rng = random.Random(9162)
    leaves = [rng.randbytes(rng.randrange(1, 60)) for _ in range(300)]
    sizes = [0, 1, 2, 3, 7, 8, 9, 255, 256, 257, 300, *rng.sample(range(1, 301), 40)]
    roots = RootsAt(sizes)
    for leaf in leaves:
        roots.add(rfc6962.leaf_hash(leaf))
    assert roots.count == 300
    for size in sizes:
        assert roots.roots[size] == rfc6962.root_hash(leaves[:size]), size


def test_sizes_beyond_the_leaves_get_no_root() -> None:
    roots = RootsAt([5])
    for i in range(4):
        roots.add(rfc6962.leaf_hash(bytes([i])))
    assert 5 not in roots.roots
