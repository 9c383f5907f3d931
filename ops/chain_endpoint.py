"""Which chain node an operation talks to: the configured one, or the embedded anvil.

With ANJIAN_CHAIN_RPC_URL (or an explicit URL) that node is used as it is. Without, the
embedded anvil (ops/chain_node.py) is started from $ANJIAN_HOME/chain for the duration of the
operation, under $ANJIAN_HOME/chain/node.lock so that two commands never run two nodes on one
state file, and stopped again (its state is dumped on the clean stop).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ops.file_lock import locked
from ops.settings import Settings
from services.ledger.errors import ChainUnreachable

__all__ = ["chain_rpc"]


@contextmanager
def chain_rpc(settings: Settings, override: str | None = None) -> Iterator[str]:
    """The chain's JSON-RPC URL: `override`, ANJIAN_CHAIN_RPC_URL, or the embedded anvil,
    started from $ANJIAN_HOME/chain for the duration (ChainUnreachable if it cannot start)."""
    url = override or settings.chain_rpc_url
    if url:
        yield url
        return
    from ops.chain_node import AnvilNode, ChainNodeError

    chain_dir = settings.home / "chain"
    with locked(chain_dir / "node.lock"):
        try:
            node = AnvilNode(chain_dir)
            node.start()
        except ChainNodeError as exc:
            raise ChainUnreachable(f"the embedded chain node did not start: {exc}") from exc
        try:
            yield node.rpc_url
        finally:
            node.stop()
