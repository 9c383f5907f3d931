# pragma version ==0.4.3
# pragma evm-version paris
# @license Apache-2.0
"""
@title Anjian checkpoint anchor
@notice Append-only record of Merkle log heads (tree size, root hash).
        An owner manages an allow-list of anchorer accounts; only an anchorer may
        anchor, and each anchored tree size must be strictly greater than the last.
@dev    Storage is one slot for the latest size plus one slot per anchor in
        `_roots` (size -> root), so an auditor can read the root anchored at any
        size. The cost of `anchor` is constant: it never depends on how many
        events the checkpoint covers. The latest root is `_roots[latest_size]`,
        not a slot of its own, which keeps the first anchor under 80,000 gas.
        A zero root is refused so that zero can mean "nothing anchored here".
        Compiled for the paris EVM (no PUSH0) so it runs on older consortium
        chains such as Hyperledger Besu.
"""

event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)

event AnchorerAdded:
    account: indexed(address)

event AnchorerRemoved:
    account: indexed(address)

event Anchored:
    tree_size: indexed(uint64)
    root: bytes32
    anchorer: indexed(address)


owner: public(address)
is_anchorer: public(HashMap[address, bool])
latest_size: public(uint64)
_roots: HashMap[uint64, bytes32]


@deploy
def __init__():
    self.owner = msg.sender
    log OwnershipTransferred(previous_owner=empty(address), new_owner=msg.sender)


@external
def transfer_ownership(new_owner: address):
    """
    @notice Hand the allow-list to another account (e.g. a rotated admin key).
    """
    assert msg.sender == self.owner, "only the owner"
    assert new_owner != empty(address), "owner cannot be zero"
    log OwnershipTransferred(previous_owner=self.owner, new_owner=new_owner)
    self.owner = new_owner


@external
def add_anchorer(account: address):
    assert msg.sender == self.owner, "only the owner"
    assert account != empty(address), "anchorer cannot be zero"
    assert not self.is_anchorer[account], "already an anchorer"
    self.is_anchorer[account] = True
    log AnchorerAdded(account=account)


@external
def remove_anchorer(account: address):
    assert msg.sender == self.owner, "only the owner"
    assert self.is_anchorer[account], "not an anchorer"
    self.is_anchorer[account] = False
    log AnchorerRemoved(account=account)


@external
def anchor(tree_size: uint64, root: bytes32):
    """
    @notice Record the head (tree_size, root) of the log.
    @dev    Reverts unless the sender is an anchorer, tree_size is greater than
            the latest anchored size, and root is not zero.
    """
    assert self.is_anchorer[msg.sender], "not an anchorer"
    assert tree_size > self.latest_size, "tree size must grow"
    assert root != empty(bytes32), "root cannot be zero"
    self.latest_size = tree_size
    self._roots[tree_size] = root
    log Anchored(tree_size=tree_size, root=root, anchorer=msg.sender)


@view
@external
def head() -> (uint64, bytes32):
    """
    @notice The latest anchored (tree size, root); (0, 0x00..00) before any anchor.
    """
    return self.latest_size, self._roots[self.latest_size]


@view
@external
def root_at(tree_size: uint64) -> bytes32:
    """
    @notice The root anchored at exactly tree_size, or zero if none was.
    """
    return self._roots[tree_size]
