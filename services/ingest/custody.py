"""The intake's port to the platform's signing keys (ops.keystore.Keystore implements it).

The platform signs custodially for accounts without a key of their own, with a key derived for
each account from the platform's custody secret, and registers itself with its own key. Where
the secrets live (files in the data directory, an HSM) is the adapter's business.
"""

from __future__ import annotations

from typing import Protocol

from ledger.keys import KeyPair

__all__ = ["Custody"]


class Custody(Protocol):
    """The platform's keys, as the intake and genesis use them."""

    def platform_key(self) -> KeyPair:
        """The platform (genesis) key, which registers the platform and administers actors."""
        ...

    def custodial(self, account: str) -> KeyPair:
        """The custodial key of `account`, the same for the account every time."""
        ...
