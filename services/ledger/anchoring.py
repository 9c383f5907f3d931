"""Anchoring the newest checkpoint on the platform's chain (the `Chain` port).

Through the chain the composition root wired (services/ledger/chain.py; ops/chain.py for the
settings), first the recorded anchors the chain lost are submitted again
(ledger.anchors.reanchor_lost), then the chain's newest anchor is checked to be a head of this
log, then the newest checkpoint is anchored if it is newer than the newest anchor. An
unreachable chain is no error: the outcome says why, and the checkpoints stay queued. A chain
that contradicts the log, or refuses our anchor, raises ChainConflict.

The chain stack (web3, eth-account) is imported only inside the functions, so that the
commands that never anchor (status, proofs, offline audits) do not load it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ledger.anchors import reanchor_lost
from services.ledger.errors import ChainConflict, ChainUnreachable
from services.ledger.stores import Ledger

if TYPE_CHECKING:
    from ledger.chain import AnchorChain, AnchorReceipt

__all__ = ["AnchorOutcome", "anchor_newest"]


@dataclass
class AnchorOutcome:
    """What one anchoring pass did (whatever it did before the chain went away stays done)."""

    anchor: AnchorReceipt | None = None  # the newest checkpoint, anchored now
    reanchored: int = 0  # recorded anchors the chain had lost, submitted again
    chain_error: str | None = None  # why the chain could not be used (checkpoints queue)


def anchor_newest(ledger: Ledger) -> AnchorOutcome:
    """Anchor the newest checkpoint (see the module docstring). Raises ChainConflict."""
    from ledger.chain import AnchorRejected, ChainError, ChainUnavailable, ContractMissing

    outcome = AnchorOutcome()
    try:
        with ledger.chain.anchoring(ledger.anchors) as chain:
            outcome.reanchored = reanchor_lost(ledger.anchors, chain)
            _check_head(ledger, chain)
            latest = ledger.checkpoints.latest()
            if latest is not None and latest.size > ledger.anchors.anchored_size():
                receipt = chain.anchor(latest.size, latest.root)
                ledger.anchors.add(receipt, latest.seq)
                outcome.anchor = receipt
    except (ChainUnavailable, ChainUnreachable) as exc:
        outcome.chain_error = str(exc)
    except (AnchorRejected, ContractMissing) as exc:
        raise ChainConflict(f"the chain refused the anchor: {exc}") from exc
    except ChainError as exc:
        raise ChainConflict(str(exc)) from exc
    return outcome


def _check_head(ledger: Ledger, chain: AnchorChain) -> None:
    """The chain's newest anchor must be a head of this log."""
    size, root = chain.head()
    have = ledger.log.size()
    if size > have:
        raise ChainConflict(
            f"the chain's newest anchor covers {size} leaves, the log holds {have}: "
            "a forged anchor, or leaves lost from the log"
        )
    if size and ledger.log.root(size) != root:
        raise ChainConflict(
            f"the chain anchors root 0x{root.hex()} at size {size}, "
            f"the log's root there is 0x{ledger.log.root(size).hex()}"
        )
