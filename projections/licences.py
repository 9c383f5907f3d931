"""Safety production permits (安全生产许可证) and special-operation certificates (特种作业操作证):
which expire within 90 days, which have lapsed, which certificates are due for review.

Terms mirror domain.permit and domain.certificate: a term is [start, expires_on); on its expiry
date a permit or certificate no longer holds. Both kinds share one table (`kind`); "expiring"
and "lapsed" depend on the day asked about and are decided at query time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Integer,
    String,
    Table,
    or_,
    select,
)

from domain.certificate import (
    CLEAN_REVIEW_YEARS,
    CLEAN_YEARS_NEEDED,
    REVIEW_YEARS,
    VALID_YEARS,
)
from domain.clocks import local_date
from domain.permit import TERM_YEARS
from domain.terms import add_years
from projections.events import Event
from projections.rows import Row, RowProjection
from projections.store import metadata, within

licences = Table(
    "rm_licences",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("kind", String(12), nullable=False),  # permit | certificate
    Column("enterprise", String(18), nullable=False, index=True),
    Column("region", String(6), nullable=False, index=True),
    Column("category", String(40), nullable=False),  # permit industry / certificate category
    Column("number", String(64)),
    Column("status", String(20), nullable=False),
    Column("expires_on", Date, index=True),
    Column("review_due", Date),  # certificates: next 复审
    Column("renewal_pending", Boolean, nullable=False),
    Column("failed_reviews", Integer, nullable=False),
    Column("last_notification_id", BigInteger, nullable=False),
)

HOLDING = ("active", "suspended")  # statuses in which a licence can still expire or lapse
PERMIT_STATUS = {
    "grant": "active",
    "refuse": "refused",
    "suspend": "suspended",
    "reinstate": "active",
    "revoke": "revoked",
    "cancel": "cancelled",
}
CERTIFICATE_STATUS = {
    "suspend": "suspended",
    "reinstate": "active",
    "revoke": "revoked",
    "cancel": "cancelled",
}


class Licences(RowProjection):
    name = "licences"
    kinds: ClassVar[frozenset[str]] = frozenset({"permit", "certificate"})
    tables = (licences,)
    table = licences

    def evolve(self, row: Row | None, e: Event) -> Row | None:
        row = self._permit(row, e) if e.kind == "permit" else self._certificate(row, e)
        if row is not None:
            row["last_notification_id"] = e.notification_id
        return row

    def _permit(self, row: Row | None, e: Event) -> Row | None:
        d, verb = e.data, e.verb
        if verb == "apply":
            return _new(e, "permit", d["industry"], "applied")
        if row is None:
            return None
        row["status"] = PERMIT_STATUS.get(verb, row["status"])
        if verb == "grant":
            row["number"] = d["number"]
            row["expires_on"] = add_years(e.day, TERM_YEARS)
        elif verb == "apply_renewal":
            row["renewal_pending"] = True
        elif verb in ("renew", "extend"):
            row["expires_on"] = add_years(row["expires_on"], TERM_YEARS)
            row["number"] = d.get("number", row["number"])
            row["renewal_pending"] = False
        elif verb in ("refuse_renewal", "revoke", "cancel"):
            row["renewal_pending"] = False
        return row

    def _certificate(self, row: Row | None, e: Event) -> Row | None:
        d, verb = e.data, e.verb
        if verb == "issue":
            row = _new(e, "certificate", d["category"], "active")
            row["number"] = d["number"]
            row["expires_on"] = add_years(e.day, VALID_YEARS)
            row["review_due"] = add_years(e.day, REVIEW_YEARS)
            return row
        if row is None:
            return None
        row["status"] = CERTIFICATE_STATUS.get(verb, row["status"])
        if verb == "apply_review":
            row["renewal_pending"] = True
        elif verb == "review":
            row["renewal_pending"] = False
            if d["result"] == "failed":
                row["failed_reviews"] += 1
                if row["failed_reviews"] >= 2:
                    row["status"] = "invalid"
                return row
            base = row["review_due"]
            years = CLEAN_REVIEW_YEARS if d["clean_years"] >= CLEAN_YEARS_NEEDED else REVIEW_YEARS
            row["review_due"] = add_years(base, years)
            if row["review_due"] > row["expires_on"]:
                row["expires_on"] = add_years(base, VALID_YEARS)
            row["failed_reviews"] = 0
        return row


def _new(e: Event, kind: str, category: str, status: str) -> Row:
    return {
        "subject": e.subject,
        "kind": kind,
        "enterprise": e.data["enterprise"],
        "region": e.region,
        "category": category,
        "number": None,
        "status": status,
        "expires_on": None,
        "review_due": None,
        "renewal_pending": False,
        "failed_reviews": 0,
    }


@dataclass(frozen=True)
class LicenceRow:
    subject: str
    kind: str
    enterprise: str
    region: str
    category: str
    number: str | None
    status: str
    expires_on: date
    review_due: date | None
    renewal_pending: bool
    days_left: int  # until expiry; ≤ 0 when lapsed


def expiring(conn: Connection, jurisdiction: str, at: datetime, days: int = 90) -> list[LicenceRow]:
    """Permits and certificates still held that expire within `days` of the day of `at`."""
    today = local_date(at)
    q = (
        select(licences)
        .where(
            within(licences.c.region, jurisdiction),
            licences.c.status.in_(HOLDING),
            licences.c.expires_on > today,
            licences.c.expires_on <= today + timedelta(days=days),
        )
        .order_by(licences.c.expires_on, licences.c.subject)
    )
    return [_row(r._mapping, today) for r in conn.execute(q)]


def lapsed(conn: Connection, jurisdiction: str, at: datetime) -> list[LicenceRow]:
    """Held past their expiry without renewal (to be cancelled, 注销), or certificates past
    their review date with no review applied for."""
    today = local_date(at)
    q = (
        select(licences)
        .where(
            within(licences.c.region, jurisdiction),
            licences.c.status.in_(HOLDING),
            or_(
                licences.c.expires_on <= today,
                (licences.c.kind == "certificate")
                & (licences.c.review_due < today)
                & ~licences.c.renewal_pending,
            ),
        )
        .order_by(licences.c.expires_on, licences.c.subject)
    )
    return [_row(r._mapping, today) for r in conn.execute(q)]


def _row(m: Any, today: date) -> LicenceRow:
    return LicenceRow(
        m["subject"],
        m["kind"],
        m["enterprise"],
        m["region"],
        m["category"],
        m["number"],
        m["status"],
        m["expires_on"],
        m["review_due"],
        m["renewal_pending"],
        (m["expires_on"] - today).days,
    )
