"""Search (查询): enterprises by name (Chinese, any part of it), USCC or region; cases and
documents by their number — penalty case and decision numbers, rectification order numbers,
permit and certificate numbers — any part of it, within a jurisdiction.

Every document hit names its record, the company and the event id behind it (the record's
latest event, which `anjian show` opens), as the to-do lists do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from sqlalchemy import Column, Connection, Table, select

from domain.catalog import KIND_NAMES
from projections.enterprises import EnterpriseRow, enterprise_row, enterprises
from projections.hazards import hazards
from projections.licences import licences
from projections.penalties import penalties
from projections.store import within
from projections.timeline import timeline

__all__ = ["DocumentHit", "find_documents", "find_enterprises"]

LIMIT = 500
# Where each kind of number is kept: (kind, what it is, table, column, the record's kind;
# None: the row's own `kind`).
NUMBERS: tuple[tuple[str, str, Table, str, str | None], ...] = (
    ("penalty_case", "立案号", penalties, "case_no", "penalty"),
    ("penalty_decision", "处罚决定书", penalties, "decision_no", "penalty"),
    ("rectification_order", "责令整改指令书", hazards, "document_no", "hazard"),
    ("licence", "证书编号", licences, "number", None),
)


def find_enterprises(
    conn: Connection,
    jurisdiction: str,
    *,
    name: str | None = None,
    uscc: str | None = None,
    limit: int = LIMIT,
) -> list[EnterpriseRow]:
    """Enterprises in `jurisdiction` whose name holds `name` and whose USCC holds `uscc`
    (either part of it, case-insensitive for the USCC), by USCC."""
    q = select(enterprises).where(within(enterprises.c.region, jurisdiction))
    if name:
        q = q.where(enterprises.c.name.contains(name.strip(), autoescape=True))
    if uscc:
        q = q.where(enterprises.c.uscc.contains(uscc.strip().upper(), autoescape=True))
    q = q.order_by(enterprises.c.uscc).limit(limit)
    return [enterprise_row(r._mapping) for r in conn.execute(q)]


@dataclass(frozen=True)
class DocumentHit:
    kind: str  # a kind of NUMBERS
    what: str  # 立案号, 处罚决定书, …
    number: str
    record: str  # the record's subject
    record_kind: str  # penalty | hazard | permit | certificate
    enterprise: str
    enterprise_name: str | None
    region: str
    status: str
    event_id: str  # the record's latest event (anjian show)

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "number": self.number,
            "record": self.record,
            "record_kind": self.record_kind,
            "record_kind_zh": KIND_NAMES.get(self.record_kind, self.record_kind),
            "enterprise": self.enterprise,
            "enterprise_name": self.enterprise_name,
            "region": self.region,
            "status": self.status,
            "event_id": self.event_id,
        }


def find_documents(
    conn: Connection, jurisdiction: str, number: str, limit: int = LIMIT
) -> list[DocumentHit]:
    """Cases and documents in `jurisdiction` whose number holds `number`, exact matches
    first."""
    text = number.strip()
    if not text:
        return []
    hits: list[DocumentHit] = []
    for kind, what, table, column, of in NUMBERS:
        col: Column[Any] = table.c[column]
        q = (
            select(
                table,
                col.label("_number"),
                enterprises.c.name.label("_name"),
                timeline.c.version.label("_version"),
            )
            .select_from(
                table.outerjoin(enterprises, enterprises.c.uscc == table.c.enterprise).outerjoin(
                    timeline, timeline.c.notification_id == table.c.last_notification_id
                )
            )
            .where(within(table.c.region, jurisdiction), col.contains(text, autoescape=True))
            .order_by(col, table.c.subject)
            .limit(limit)
        )
        for r in conn.execute(q):
            m = r._mapping
            record_kind = of or m["kind"]
            version = m["_version"]
            hits.append(
                DocumentHit(
                    kind,
                    what,
                    m["_number"],
                    m["subject"],
                    record_kind,
                    m["enterprise"],
                    m["_name"],
                    m["region"],
                    m["status"],
                    f"{m['subject']}:{version}" if version is not None else "",
                )
            )
    hits.sort(key=lambda h: (h.number != text, h.number, h.kind, h.record))
    return hits[:limit]
