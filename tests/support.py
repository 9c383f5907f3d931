"""A test harness: a real Records application with genesis done and actors that sign."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from domain.actor import PLATFORM_ACCOUNT, Actor
from domain.application import Records
from domain.envelope import SignedCommand
from domain.errors import NotFound
from domain.ids import actor_id, enterprise_id
from domain.stored import Recorded
from domain.uscc import make_uscc
from ledger.canonical import canonical_text
from ledger.keys import KeyPair
from ledger.notary import Ed25519Notary
from ops.bootstrap import sqlite_env
from ops.schemas import CatalogSchemas

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=SHANGHAI)
_serial = itertools.count(1)

SQLITE_MEMORY = sqlite_env(":memory:")


def new_uscc(region: str = "420102") -> str:
    """A valid, unique USCC whose positions 3-8 are `region`."""
    n = next(_serial)
    return make_uscc(f"91{region}MA{n:07d}"[:17])


class Harness:
    """Signs commands as named actors and runs them through the real application.

    The platform records each command at the instant it was signed (its `occurred_at`: the
    signers' clocks are right), unless a test sets `recording_at`, the platform's clock, to
    record commands later than they are dated (backdating).
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.records = Records(
            Ed25519Notary(),
            CatalogSchemas(),
            env=dict(env or SQLITE_MEMORY),
            clock=lambda: (self.recording_at or self.signed_at).astimezone(UTC),
        )
        self.keys: dict[str, KeyPair] = {PLATFORM_ACCOUNT: KeyPair.generate()}
        self._custody: dict[str, str] = {PLATFORM_ACCOUNT: "own"}
        self.clock = T0  # the signers' clock: the next command is dated a minute later
        self.signed_at = T0  # the occurred_at of the last command signed
        self.recording_at: datetime | None = None
        self.run_as(
            PLATFORM_ACCOUNT,
            "actor.register",
            "420000",
            {
                "account": PLATFORM_ACCOUNT,
                "role": "platform",
                "name": "平台",
                "jurisdiction": "420000",
                "public_key": self.keys[PLATFORM_ACCOUNT].public_key_b64,
                "custody": "own",
            },
            subject=actor_id(PLATFORM_ACCOUNT),
        )

    def close(self) -> None:
        self.records.close()

    def roles(self, account: str) -> str:
        if account == PLATFORM_ACCOUNT:
            return "platform"
        return self.records.load(actor_id(account), Actor).role

    def custodial_channel(self, account: str) -> str | None:
        """The channel `cli` for an actor the platform signs for (custody "platform"), else
        None: Records refuses a custodial signature that names no channel."""
        if account not in self._custody:
            try:
                self._custody[account] = self.records.load(actor_id(account), Actor).custody
            except NotFound:
                return None
        return "cli" if self._custody[account] == "platform" else None

    def tick(self, **delta: float) -> datetime:
        self.clock += timedelta(**delta) if delta else timedelta(minutes=1)
        return self.clock

    def sign(
        self,
        account: str,
        ctype: str,
        region: str,
        data: dict[str, Any],
        *,
        subject: UUID | None = None,
        occurred_at: datetime | None = None,
        key: KeyPair | None = None,
        role: str | None = None,
        channel: str | None = "auto",
    ) -> SignedCommand:
        """`channel`: "auto" names "cli" for a custodial actor and nothing otherwise; None
        names nothing."""
        key = key or self.keys[account]
        self.signed_at = occurred_at or self.tick()
        envelope: dict[str, Any] = {
            "actor": account,
            "data": data,
            "id": str(uuid4()),
            "occurred_at": self.signed_at.isoformat(),
            "region": region,
            "role": role or self.roles(account),
            "subject": str(subject or uuid4()),
            "type": ctype,
        }
        if channel == "auto":
            channel = self.custodial_channel(account)
        if channel is not None:
            envelope["channel"] = channel
        text = canonical_text(envelope)
        return SignedCommand.of(text, key.sign_b64(text.encode()), key.key_id)

    def run_as(
        self, account: str, ctype: str, region: str, data: dict[str, Any], **kw: Any
    ) -> Recorded:
        return self.records.execute(self.sign(account, ctype, region, data, **kw))

    def actor(
        self,
        account: str,
        role: str,
        jurisdiction: str,
        enterprise: str | None = None,
        custody: str = "own",
    ) -> KeyPair:
        key = KeyPair.generate()
        data: dict[str, Any] = {
            "account": account,
            "role": role,
            "name": account,
            "jurisdiction": jurisdiction,
            "public_key": key.public_key_b64,
            "custody": custody,
        }
        if enterprise:
            data["enterprise"] = enterprise
        self.run_as(
            PLATFORM_ACCOUNT, "actor.register", jurisdiction, data, subject=actor_id(account)
        )
        self.keys[account] = key
        return key

    def enterprise(
        self,
        regulator: str,
        region: str = "420102",
        industry: str = "hazardous_chemicals",
        uscc: str | None = None,
    ) -> str:
        uscc = uscc or new_uscc(region)
        self.run_as(
            regulator,
            "enterprise.register",
            region,
            {
                "uscc": uscc,
                "name": f"企业{uscc[-6:]}",
                "industry": industry,
                "standardisation": "level2",
            },
            subject=enterprise_id(uscc),
        )
        return uscc
