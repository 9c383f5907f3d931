"""The ledger service's port to the chain; ops/chain.py implements it for the settings.

Where the chain is (a configured node or the embedded anvil, started for the duration), which
contract the platform anchors in and who deploys, allow-lists and funds it are concrete wiring
that lives in ops. The service asks for two things only, each for the duration of a `with`:

- `rpc`: a JSON-RPC URL the auditor's client can read anchors from;
- `anchoring`: the anchorer's client of the platform's contract, ready to anchor (deployed,
  allow-listed and funded as the wiring sees fit), recording a deployment in `anchors`.

Either raises ChainUnreachable (services.ledger.errors) when the chain cannot be had: anchoring
waits and the checkpoints stay queued.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from ledger.anchors import AnchorStore

if TYPE_CHECKING:  # web3 is loaded only by the commands that anchor
    from ledger.chain import AnchorChain

__all__ = ["Chain"]


class Chain(Protocol):
    def describe(self) -> str:
        """Where the chain is, for a person (`anjian ledger status`)."""
        ...

    def rpc(self, override: str | None = None) -> AbstractContextManager[str]:
        """The chain's JSON-RPC URL (`override` if given) for the duration."""
        ...

    def anchoring(self, anchors: AnchorStore) -> AbstractContextManager[AnchorChain]:
        """The anchorer's client of the platform's contract for the duration."""
        ...
