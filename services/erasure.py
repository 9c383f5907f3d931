"""Erasing a data subject's personal data (个人信息保护法 §47): record the erasure, then shred.

`erase` records `person.erase` (domain.data_subject) through the one command path — the intake
signs it for the operator's account, the platform by default — naming the record that holds the
subject (found in the personal-data view, projections.personal_data) in that record's region.
Only then does it destroy the subject's key and salt in the vault (crypto-shredding,
ledger.privacy). The event is untouched by the shredding, and so is every other event: proofs
and anchors stay valid, while the ciphertexts in the log can no longer be opened.

Erasing twice is idempotent: when the subject's erasure is recorded already (by an earlier run,
or by a command fed to `anjian record`), nothing is recorded again, the key is destroyed if it
is still there (completing a run interrupted between the two steps) and the original erasure
event is answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from sqlalchemy import Connection

from domain.actor import PLATFORM_ACCOUNT
from domain.data_subject import DataSubject
from domain.errors import NotFound
from ledger.privacy import Vault
from projections.personal_data import subject as view_subject
from services.ingest.principal import Principal
from services.ingest.service import Ingest

__all__ = ["Erasure", "erase"]


@dataclass(frozen=True)
class Erasure:
    subject: UUID
    record: str  # the record holding the subject's sealed data
    event_id: str  # the person.erase event
    recorded_now: bool  # False: the erasure was recorded before (idempotent retry)
    shredded_at: datetime  # when the vault destroyed the key

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": str(self.subject),
            "record": self.record,
            "event_id": self.event_id,
            "recorded_now": self.recorded_now,
            "shredded_at": self.shredded_at.isoformat(),
        }


def erase(
    ingest: Ingest,
    vault: Vault,
    view: Connection,
    subject: UUID,
    *,
    reason: str | None = None,
    account: str = PLATFORM_ACCOUNT,
) -> Erasure:
    """Record the erasure of `subject` as `account`, then shred its key.

    Preconditions: `view` reads the personal-data view caught up with the log. Raises
    ledger.privacy.UnknownSubject when the vault never held the subject, NotFound when no
    record holds it, and the write path's DomainError when the command is refused.
    """
    vault.erased_at(subject)  # UnknownSubject for a subject the vault never held
    held = view_subject(view, str(subject))
    if held is None:
        raise NotFound(f"no record holds personal data subject {subject}", field="subject")
    try:
        ingest.records.repository.get(subject)
    except AggregateNotFoundError:
        data = {"record": held.record, **({"reason": reason} if reason else {})}
        line = {
            "type": "person.erase",
            "actor": account,
            "region": held.region,
            "subject": str(subject),
            "data": data,
        }
        recorded = ingest.records.execute(ingest.intake(Principal.operator(account)).parse(line))
        event_id, now = recorded.event_id, True
    else:
        ingest.records.load(subject, DataSubject)  # NotFound if the id is another record's
        event_id, now = f"{subject}:1", False
    return Erasure(subject, held.record, event_id, now, vault.erase(subject))
