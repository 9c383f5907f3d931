"""The authenticated caller of an entry point and the rights its role and scope give it.

A caller is one registered actor (the signing identity and the login are one person) seen
through one credential: a browser session or an API token. Its rights follow from its role and
scope as the log last recorded them:

- regulator: reads records of the regions its jurisdiction covers (province 42, prefecture
  4201, county itself); writes commands there, signed custodially.
- enterprise: reads and writes the records of the enterprises (USCCs) it is bound to.
- auditor: reads the log, proofs, anchors and actor keys, never personal data; no writes.
- integrator: reads records of the regions its jurisdiction covers; no writes.
- admin: administers accounts; no business reads or writes.

A token's `scope` may narrow a caller to reads: `read` tokens never write, whatever the role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.regions import PROVINCE, covers

__all__ = [
    "ADMIN",
    "AUDITOR",
    "CALLER_ROLES",
    "ENTERPRISE",
    "INTEGRATOR",
    "READ",
    "REGULATOR",
    "SCOPES",
    "WRITE",
    "Caller",
]

REGULATOR = "regulator"
ENTERPRISE = "enterprise"
AUDITOR = "auditor"
INTEGRATOR = "integrator"
ADMIN = "admin"
CALLER_ROLES = (REGULATOR, ENTERPRISE, AUDITOR, INTEGRATOR, ADMIN)

READ = "read"
WRITE = "write"
SCOPES = (READ, WRITE)


@dataclass(frozen=True)
class Caller:
    """Who is calling, with what rights (see the module docstring)."""

    account: str  # the actor's account: the signing identity
    role: str  # one of CALLER_ROLES
    jurisdiction: str  # GB/T 2260 code: 420000, 420100, 420102, …
    enterprises: frozenset[str] = field(default_factory=frozenset)  # USCCs (enterprise role)
    scope: str = WRITE  # READ or WRITE: what the credential allows
    via: str = "token"  # "session" or "token"

    def __post_init__(self) -> None:
        if self.role not in CALLER_ROLES:
            raise ValueError(f"role must be one of {', '.join(CALLER_ROLES)}, got {self.role!r}")
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be read or write, got {self.scope!r}")

    # -- reads ---------------------------------------------------------------------------------

    def sees_region(self, region: str) -> bool:
        """May read records of `region` (a regulator's or integrator's jurisdiction)."""
        return self.role in (REGULATOR, INTEGRATOR) and covers(self.jurisdiction, region)

    def sees_enterprise(self, uscc: str, region: str) -> bool:
        """May read the records of enterprise `uscc` registered in `region`."""
        if self.role == ENTERPRISE:
            return uscc in self.enterprises
        return self.sees_region(region)

    @property
    def sees_records(self) -> bool:
        """Reads business records at all (auditors and admins do not)."""
        return self.role in (REGULATOR, INTEGRATOR, ENTERPRISE)

    @property
    def sees_whole_log(self) -> bool:
        """May read the log's entries, every region's events: auditors, and province-wide
        regulators and integrators."""
        return self.role == AUDITOR or (
            self.role in (REGULATOR, INTEGRATOR) and self.jurisdiction == PROVINCE
        )

    @property
    def sees_personal_data(self) -> bool:
        """May see personal data opened from the vault (never auditors, integrators, admins)."""
        return self.role in (REGULATOR, ENTERPRISE)

    def visible(self, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (uscc, region) pairs this caller may read."""
        return [(u, r) for u, r in pairs if self.sees_enterprise(u, r)]

    # -- writes --------------------------------------------------------------------------------

    @property
    def writes_records(self) -> bool:
        """May record business commands (regulators and enterprises, with a write credential)."""
        return self.scope == WRITE and self.role in (REGULATOR, ENTERPRISE)

    @property
    def administers_accounts(self) -> bool:
        return self.scope == WRITE and self.role == ADMIN
