"""Event: one stored notification decoded for projections, straight from the stored bytes.

Precondition: the event store keeps state as plain JSON (no cipher, no compressor) — the same
precondition the ledger has. The stored state is
`{"timestamp": {"_type_": "datetime_iso", "_data_": ISO}, "envelope": str, "signature": str,
"key_id": str[, "originator_topic": str]}`; the envelope is the signed canonical JSON text
`{"actor", "channel"?, "data", "id", "occurred_at", "region", "role", "subject", "type"}`.
Decoding with the stdlib json (two `loads` per event) is several times faster than the library's
per-event transcoding into aggregate event objects, and is all a read model needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.catalog import CATALOG
from domain.clocks import judged_at
from domain.envelope import parse_instant
from domain.errors import DomainError
from domain.instants import check_instants
from domain.log_reader import Raw
from projections.errors import Quarantined, UndecodableEvent


@dataclass(slots=True)  # not frozen: frozen slots construct ~2x slower, and it is read-only
class Event:
    """A business event as a projection sees it."""

    notification_id: int
    subject: str  # aggregate uuid
    version: int  # aggregate version
    type: str  # command type, "hazard.report"
    actor: str
    role: str
    region: str  # GB/T 2260 code
    occurred_at: str  # ISO 8601 with offset, the actor's clock
    recorded_at: str  # ISO 8601, the platform's clock
    channel: str | None  # how a custodial signer was authenticated; "migration" for history
    data: dict[str, Any]
    at: datetime  # occurred_at as naive UTC (how read models store instants)
    kind: str  # the command type before the dot: "hazard"
    verb: str  # and after it: "report"

    @property
    def event_id(self) -> str:
        """`<subject>:<version>`: the id `anjian show` and the ledger prove."""
        return f"{self.subject}:{self.version}"

    @property
    def instant(self) -> datetime:
        """occurred_at as an aware datetime (what the domain's clocks take)."""
        return datetime.fromisoformat(self.occurred_at)

    @property
    def judged(self) -> datetime:
        """The instant the statutory clocks judge this step at, as the domain does
        (domain.clocks.judged_at: recorded time for the regulated party's own steps)."""
        recorded = datetime.fromisoformat(self.recorded_at)
        return judged_at(self.role, self.channel, self.instant, recorded)

    @property
    def day(self) -> date:
        """The calendar day of occurred_at in its own offset (the domain's terms use this)."""
        return datetime.fromisoformat(self.occurred_at).date()


def decode(raw: Raw) -> Event:
    """Decode one raw notification; raise UndecodableEvent naming it if it is not an envelope,
    and Quarantined if one of its instants lies outside the platform's bounds (see bounded)."""
    nid, originator_id, version, topic, state_bytes = raw
    try:
        state = json.loads(state_bytes)
        env = json.loads(state["envelope"])
        ts = state["timestamp"]
        occurred = env["occurred_at"]
        kind, _, verb = env["type"].partition(".")
        return Event(
            notification_id=nid,
            subject=str(originator_id),
            version=version,
            type=env["type"],
            actor=env["actor"],
            role=env["role"],
            region=env["region"],
            occurred_at=occurred,
            recorded_at=ts["_data_"] if isinstance(ts, dict) else str(ts),
            channel=env.get("channel"),
            data=env["data"],
            at=bounded(nid, str(originator_id), version, env),
            kind=kind,
            verb=verb,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise UndecodableEvent(
            f"notification {nid} ({topic}) is not a signed-envelope event: {exc}"
        ) from None


# Where each command type's data holds dates and instants (most types hold none).
_INSTANTS = {t: spec.instants for t, spec in CATALOG.items() if spec.instants}


def bounded(nid: int, subject: str, version: int, env: dict[str, Any]) -> datetime:
    """occurred_at as naive UTC, once it and every date and instant of `data` the catalog
    declares are within the platform's bounds (domain.instants), as intake checks them.

    Intake refuses anything else, but a store may hold such an event from before the bounds
    or from an insider; converting it overflows (9999-12-31T23:59-01:00 is year 10000 in
    UTC), and adding a read model's periods to it would too. It is Quarantined instead.
    """
    try:
        t = parse_instant(env["occurred_at"], "occurred_at")
        paths = _INSTANTS.get(env["type"])
        if paths:
            check_instants(paths, env["data"])
    except DomainError as exc:
        raise Quarantined(
            nid, f"{subject}:{version}", env["type"], f"{type(exc).__name__}: {exc}"
        ) from None
    offset = t.utcoffset()
    assert offset is not None  # parse_instant refuses naive times
    return t.replace(tzinfo=None) - offset


def utc_naive(iso: str) -> datetime:
    """An ISO 8601 instant as naive UTC (SQLite keeps no offsets; PostgreSQL gets the same)."""
    t = datetime.fromisoformat(iso)
    offset = t.utcoffset()
    if offset is None:
        return t
    return t.replace(tzinfo=None) - offset


def as_date(value: str | None) -> date | None:
    """A date from 'YYYY-MM-DD' or from an ISO instant (its local calendar date)."""
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value).date()
