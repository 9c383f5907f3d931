"""Personal data (个人信息): every data subject a record holds sealed, and whether it is erased.

A row per vault ref: the record whose command carried the subject's sealed form (the fields the
catalog types as sealed persons, domain.catalog.sealed_fields), that record's kind, enterprise
and region, and, once `person.erase` is recorded (domain.data_subject), when, by whom, why and
by which event it was erased. The view never holds a person: only refs, as the log does.
`anjian privacy` reads it to find the record that holds a subject and to list subjects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Column, Connection, DateTime, String, Table, delete, select

from domain.catalog import CATALOG, sealed_fields
from projections.bulk import insert_rows
from projections.events import Event
from projections.follower import Projection
from projections.results import instant
from projections.store import metadata, within
from projections.subjects import _chunks

ERASE = "person.erase"
# Command types that carry sealed persons, and the fields that hold them.
SEALING = {t: f for t in sorted(CATALOG) if (f := sealed_fields(t))}

personal_data = Table(
    "rm_personal_data",
    metadata,
    Column("ref", String(36), primary_key=True),
    Column("record", String(36), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("enterprise", String(18)),
    Column("region", String(6), nullable=False, index=True),
    Column("status", String(10), nullable=False),  # sealed | erased
    Column("sealed_event_id", String(60), nullable=False),
    Column("sealed_at", DateTime, nullable=False),
    Column("erased_at", DateTime),
    Column("erased_by", String(64)),
    Column("erasure_event_id", String(60)),
    Column("reason", String(1000)),
    Column("last_notification_id", BigInteger, nullable=False),
)

Row = dict[str, Any]


class PersonalData(Projection):
    name = "personal_data"
    kinds: ClassVar[frozenset[str]] = frozenset(
        {ERASE.partition(".")[0], *(t.partition(".")[0] for t in SEALING)}
    )
    tables = (personal_data,)

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        events = [e for e in events if e.type == ERASE or e.type in SEALING]
        refs = sorted({ref for e in events for ref in _refs(e)})
        rows: dict[str, Row | None] = dict.fromkeys(refs)
        for chunk in _chunks(refs):
            for found in conn.execute(select(personal_data).where(personal_data.c.ref.in_(chunk))):
                rows[found.ref] = dict(found._mapping)
        stored = [ref for ref, row in rows.items() if row is not None]
        for e in events:
            for ref in _refs(e):
                rows[ref] = _evolve(rows[ref], ref, e)
        for chunk in _chunks(stored):
            conn.execute(delete(personal_data).where(personal_data.c.ref.in_(chunk)))
        insert_rows(conn, personal_data, [row for row in rows.values() if row is not None])


def _refs(e: Event) -> list[str]:
    """The subjects an event is about: the erased one, or those its command sealed."""
    if e.type == ERASE:
        return [e.subject]
    out: list[str] = []
    for name, many in SEALING[e.type].items():
        value = e.data.get(name)
        for person in value if many and isinstance(value, list) else [value]:
            if isinstance(person, dict) and isinstance(person.get("ref"), str):
                out.append(person["ref"])
    return out


def _evolve(row: Row | None, ref: str, e: Event) -> Row:
    if e.type != ERASE:
        row = row or {
            "ref": ref,
            "record": e.subject,
            "kind": e.kind,
            "enterprise": e.data.get("enterprise"),
            "region": e.region,
            "status": "sealed",
            "sealed_event_id": e.event_id,
            "sealed_at": e.at,
        }
    else:
        row = row or {  # the domain erases only subjects a record holds; kept total anyway
            "ref": ref,
            "record": e.data["record"],
            "kind": "",
            "region": e.region,
            "sealed_event_id": "",
            "sealed_at": e.at,
        }
        row.update(
            status="erased",
            erased_at=e.at,
            erased_by=e.actor,
            erasure_event_id=e.event_id,
            reason=e.data.get("reason"),
        )
    row["last_notification_id"] = e.notification_id
    return row


@dataclass(frozen=True)
class SubjectRow:
    ref: str
    record: str
    kind: str
    enterprise: str | None
    region: str
    status: str
    sealed_event_id: str
    erased_at: datetime | None
    erased_by: str | None
    erasure_event_id: str | None
    reason: str | None

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            **{k: v for k, v in vars(self).items() if k != "erased_at"},
            "erased_at": instant(self.erased_at, zone),
        }


def subjects(conn: Connection, jurisdiction: str) -> list[SubjectRow]:
    """The data subjects of records in `jurisdiction`, in the order they were sealed."""
    query = (
        select(personal_data)
        .where(within(personal_data.c.region, jurisdiction))
        .order_by(personal_data.c.sealed_at, personal_data.c.ref)
    )
    return [_row(m) for m in conn.execute(query).mappings()]


def subject(conn: Connection, ref: str) -> SubjectRow | None:
    """One data subject by its vault ref, or None if no record holds it."""
    m = conn.execute(select(personal_data).where(personal_data.c.ref == ref)).mappings().first()
    return None if m is None else _row(m)


def _row(m: Any) -> SubjectRow:
    return SubjectRow(**{k: m[k] for k in SubjectRow.__dataclass_fields__})
