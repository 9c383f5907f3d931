"""Who an entry point authenticated: the one account the platform may sign for custodially.

Every entry point turns its own authentication into a `Principal` and hands it to the intake:
the command line's `--as ACCOUNT` (channel `cli`) or `--migrate` (history from before go-live,
channel `migration`), and later the API's token (`api`) and the NATS workers' service keys
(`stream`). The intake signs an unsigned line only when the principal admits it.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.actor import PLATFORM_ACCOUNT
from domain.commands import PLATFORM, CommandSpec
from domain.envelope import CHANNELS
from domain.errors import InvalidValue, NotAuthorized

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """Who the entry point authenticated; the intake signs custodially only for them."""

    account: str | None  # the one account unsigned lines may name; None = migration
    channel: str  # one of domain.envelope.CHANNELS

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise InvalidValue(
                f"channel must be one of {', '.join(sorted(CHANNELS))}, got {self.channel!r}",
                field="channel",
            )
        if self.account is not None and not self.account:
            raise InvalidValue("the principal's account must not be empty", field="account")

    @classmethod
    def operator(cls, account: str) -> Principal:
        """An operator of the command line acting as `account` (`anjian record --as`)."""
        return cls(account, "cli")

    @classmethod
    def migration(cls) -> Principal:
        """History from before go-live (`anjian record --migrate`, the demo): any registered
        account, every envelope marked with the migration channel."""
        return cls(None, "migration")

    def admit(self, account: str, spec: CommandSpec) -> None:
        """Raise unless this principal may have the platform sign `spec.type` for `account`."""
        if self.account is not None and account != self.account:
            raise NotAuthorized(
                f"authenticated as {self.account}, the platform does not sign for {account}",
                field="actor",
            )
        if account == PLATFORM_ACCOUNT and PLATFORM not in spec.roles:
            raise NotAuthorized(
                f"the platform account does not sign {spec.type} "
                f"(allowed: {', '.join(sorted(spec.roles))})",
                field="actor",
                rule=spec.rule,
            )
