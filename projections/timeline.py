"""Enterprise lifecycle timeline (全生命周期): every record about an enterprise, by stage.

Each entry carries its event id (`<subject>:<version>`) and notification id, so a regulator
can take any line of the timeline to `anjian show` and prove it with the ledger. The stages
follow the catalog: 准入 → 监管 → 执法 → 处罚 → 信用 (and 平台 for account records).

Each entry keeps both times — when the signer says it happened (`occurred_at`) and when the
platform recorded it (`recorded_at`) — and the envelope's channel, so a view can show where the
two differ and mark history entered through the migration path (`migrated`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    select,
)

from domain.clocks import CLOCK_SKEW, MIGRATION
from projections.bulk import insert_tuples
from projections.catalog_view import STAGES, event_name_of, stage_of
from projections.events import Event, utc_naive
from projections.follower import Projection
from projections.results import instant
from projections.store import metadata, within
from projections.subjects import SubjectIndex

timeline = Table(
    "rm_timeline",
    metadata,
    # INTEGER PRIMARY KEY on SQLite is the rowid itself; BIGINT would add a second index.
    Column(
        "notification_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("uscc", String(18), nullable=False),
    Column("region", String(6), nullable=False),
    Column("stage", String(4), nullable=False),
    Column("type", String(60), nullable=False),
    Column("subject", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("occurred_at", DateTime, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("channel", String(10)),  # the envelope's channel: "migration" marks migrated history
    # The event ids a module's record names as its causes (a warning's triggers, the accident an
    # incident was opened on), space-separated.
    Column("cites", String(4000)),
    Index("ix_rm_timeline_uscc_notification_id", "uscc", "notification_id"),
)

timeline_subjects = Table(
    "rm_timeline_subjects",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("uscc", String(18), nullable=False),
    sqlite_with_rowid=False,  # one B-tree keyed by subject, not a rowid table plus an index
)


class Timeline(Projection):
    name = "timeline"
    version = "3"  # 2: the envelope's channel; 3: the causes a module's record cites
    tables = (timeline_subjects, timeline)

    def __init__(self) -> None:
        self.subjects = SubjectIndex(timeline_subjects)

    def forget(self) -> None:
        self.subjects.forget()

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        self.subjects.prefetch(conn, events)
        owner = self.subjects.owner
        rows = []
        for e in events:
            uscc = owner(e)
            if uscc is None:
                continue
            # In the column order of `timeline`.
            rows.append(
                (
                    e.notification_id,
                    uscc,
                    e.region,
                    stage_of(e.type),
                    e.type,
                    e.subject,
                    e.version,
                    e.actor,
                    e.role,
                    e.at,
                    utc_naive(e.recorded_at),
                    e.channel,
                    _cites(e),
                )
            )
        self.subjects.flush(conn)
        insert_tuples(conn, timeline, rows)


def _cites(e: Event) -> str | None:
    """The events a module's record names as its causes: a warning step's triggers, the
    accident or warning an incident was opened on (`data.cause` of `emergency.open`)."""
    causes: object = None
    if e.kind == "warning":
        causes = e.data.get("triggers")
    elif e.type == "emergency.open" and isinstance(e.data.get("cause"), str):
        causes = [e.data["cause"]]
    if isinstance(causes, list) and causes:
        return " ".join(str(t) for t in causes)
    return None


@dataclass(frozen=True)
class Entry:
    notification_id: int
    event_id: str
    type: str
    event: str  # Chinese event name
    stage: str
    actor: str
    role: str
    region: str
    occurred_at: datetime  # naive UTC, as declared by the signer
    recorded_at: datetime  # naive UTC, the platform's clock
    channel: str | None = None
    cites: tuple[str, ...] = ()  # the event ids a module's record names as its causes

    @property
    def migrated(self) -> bool:
        """Entered through the marked migration path (history from before go-live)."""
        return self.channel == MIGRATION

    @property
    def times_differ(self) -> bool:
        """Declared and recorded time lie further apart than a signer's clock may drift."""
        return abs(self.recorded_at - self.occurred_at) > CLOCK_SKEW

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "event_id": self.event_id,
            "type": self.type,
            "event": self.event,
            "stage": self.stage,
            "actor": self.actor,
            "role": self.role,
            "region": self.region,
            "occurred_at": instant(self.occurred_at, zone),
            "recorded_at": instant(self.recorded_at, zone),
            "channel": self.channel,
            "migrated": self.migrated,
            "cites": list(self.cites),
        }


@dataclass(frozen=True)
class Lifecycle:
    """One enterprise's records, in log order, and the event ids behind each stage."""

    uscc: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def stages(self) -> dict[str, list[str]]:
        """Stage → event ids, stages in lifecycle order (empty stages included)."""
        out: dict[str, list[str]] = {s: [] for s in STAGES}
        for e in self.entries:
            out.setdefault(e.stage or "?", []).append(e.event_id)
        return out

    @property
    def reached(self) -> str:
        """The furthest lifecycle stage with a record ('' when none)."""
        stages = self.stages
        done = [s for s in STAGES if stages[s]]
        return done[-1] if done else ""

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "uscc": self.uscc,
            "reached": self.reached,
            "stages": self.stages,
            "entries": [e.to_json(zone) for e in self.entries],
        }


def lifecycle(
    conn: Connection, uscc: str, jurisdiction: str, limit: int | None = None
) -> Lifecycle:
    """The enterprise's timeline, empty when it is unknown or outside `jurisdiction`."""
    q = (
        select(timeline)
        .where(timeline.c.uscc == uscc, within(timeline.c.region, jurisdiction))
        .order_by(timeline.c.notification_id)
    )
    if limit is not None:
        q = q.limit(limit)
    out = Lifecycle(uscc, [])
    for r in conn.execute(q):
        out.entries.append(
            Entry(
                r.notification_id,
                f"{r.subject}:{r.version}",
                r.type,
                event_name_of(r.type),
                r.stage,
                r.actor,
                r.role,
                r.region,
                r.occurred_at,
                r.recorded_at,
                r.channel,
                tuple((r.cites or "").split()),
            )
        )
    return out


def owners(conn: Connection, notification_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """The enterprise (USCC) and region each event of `notification_ids` is about, for the
    events the timeline holds (records about an enterprise); others are left out."""
    out: dict[int, tuple[str, str]] = {}
    ids = sorted(set(notification_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        q = select(timeline.c.notification_id, timeline.c.uscc, timeline.c.region).where(
            timeline.c.notification_id.in_(chunk)
        )
        for nid, uscc, region in conn.execute(q):
            out[int(nid)] = (str(uscc), str(region))
    return out
