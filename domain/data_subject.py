"""DataSubject (个人信息主体): a person whose data a record holds sealed, and its erasure.

个人信息保护法 §47: personal information is deleted when its purpose is met, its retention
period has run out, consent is withdrawn, it was processed unlawfully, or a law so requires.
The log never holds a person in the clear, only the vault's sealed form (domain.catalog.
SEALED_PERSON; ledger.privacy), so deletion is crypto-shredding: the erasure is recorded here,
as a signed event, and the platform then destroys the subject's key. Every event, proof and
anchor stays valid; the ciphertext in the log can no longer be opened.

    (no record) ──erase──► erased

The subject's id is the vault ref of the sealed form. `erase` names the record that holds the
subject (`data.record`, e.g. the certificate whose holder it is) and is filed in that record's
region, so the signer is a regulator whose jurisdiction covers it, or the platform. A subject
is erased once: a second erase is refused (AlreadyExists).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.commands import PLATFORM, REGULATOR, UUID_, command, text
from domain.context import Context
from domain.envelope import Envelope, SignedCommand
from domain.errors import AlreadyExists, InvalidValue, NotFound
from domain.record import Record

RULE = "个人信息保护法 §47"


class DataSubject(Record):
    KIND = "person"
    KIND_ZH = "个人信息主体"

    @classmethod
    @command(
        "erase",
        event="PersonalDataErased",
        zh="删除个人信息",
        en="Erase personal data",
        event_zh="个人信息已删除",
        rule=RULE,
        roles=(REGULATOR, PLATFORM),
        creates=True,
        step="平台",
        properties={"record": UUID_, "reason": text(1000)},
        required=("record",),
    )
    def erase(cls, cmd: SignedCommand, ctx: Context) -> DataSubject:
        """Preconditions: the subject was not erased before; `record` exists, holds the
        subject's sealed data and lies in the command's region."""
        env, d = cmd.envelope, cmd.envelope.data
        if ctx.find(env.subject, DataSubject) is not None:
            raise AlreadyExists(
                f"personal data subject {env.subject} was erased already", field="subject"
            )
        holder = ctx.find(UUID(d["record"]), Record)
        if holder is None:
            raise NotFound(f"no record {d['record']}", field="data.record")
        if str(env.subject) not in personal_refs(holder):
            raise InvalidValue(
                f"{holder.KIND} record {holder.id} holds no personal data of subject {env.subject}",
                rule=RULE,
                field="data.record",
            )
        if holder.region != env.region:
            raise InvalidValue(
                f"record {holder.id} is in region {holder.region}, not {env.region}",
                field="region",
            )
        return cls.create(cmd)

    def on_erase(self, env: Envelope, d: dict[str, Any]) -> None:
        self.record_id: str = d["record"]
        self.reason: str | None = d.get("reason")
        self.erased_at: datetime = env.occurred_at
        self.status = "erased"


def personal_refs(record: Record) -> frozenset[str]:
    """The vault refs of the persons `record` holds sealed (its `personal_refs`, if any)."""
    refs: frozenset[str] = getattr(record, "personal_refs", frozenset())
    return refs
