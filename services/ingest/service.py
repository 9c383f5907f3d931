"""The ingest service: the one way in for every write (DESIGN: one write path).

`Ingest` holds what a process needs to take commands in, for its lifetime: the write path
(`Records`), the platform's keys (the `Custody` port), the sealer of personal data and its
matcher (backed by the vault), and the time zone that dates a line which gives no time. Entry
points call `record` with the principal they authenticated; each call gets its own intake,
which signs custodially only for that principal.

    ops/bootstrap.py builds it  ─►  Ingest.record(lines, principal, batch=N)
        services/ingest/intake.py      parse, complete, seal, sign (for the principal only)
        services/ingest/batches.py     batches through Records, a receipt per commit
        services/ingest/receipts.py    with `signed`, receipts signed by the log key
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import tzinfo

from domain.application import Records
from domain.clocks import CST
from domain.stored import Recorded
from services.ingest.batches import Committed, Line, record_batches
from services.ingest.custody import Custody
from services.ingest.intake import Intake, Sealer
from services.ingest.principal import Principal
from services.ingest.receipts import ReceiptSigner, issue_receipts
from services.ingest.resubmitted_lines import SamePerson

__all__ = ["Ingest"]


class Ingest:
    """Parse, seal, sign for the authenticated principal, record in batches."""

    def __init__(
        self,
        records: Records,
        custody: Custody,
        *,
        sealer: Sealer | None = None,
        same_person: SamePerson | None = None,
        zone: tzinfo = CST,
        receipts: ReceiptSigner | None = None,
    ) -> None:
        self.records = records
        self.receipts = receipts
        self.custody = custody
        self.sealer = sealer
        self.same_person = same_person
        self.zone = zone

    def intake(self, principal: Principal | None = None) -> Intake:
        """An intake that signs unsigned lines only for `principal` (None: pre-signed lines
        only), sealing personal data before anything is signed."""
        return Intake(
            self.records,
            self.custody,
            sealer=self.sealer,
            principal=principal,
            same_person=self.same_person,
            zone=self.zone,
        )

    def record(
        self,
        lines: Iterable[Line],
        principal: Principal | None = None,
        *,
        batch: int = 1,
        signed: bool = False,
    ) -> Iterator[Committed]:
        """Record `lines` as `principal`, `batch` commands a transaction, yielding each batch
        as it commits; LineRefused names the first line refused (services.ingest.batches).
        With `signed`, each batch carries the receipts the log key signed for its events
        (ValueError if this Ingest has no ReceiptSigner)."""
        sign = None
        if signed:
            signer = self.receipts
            if signer is None:
                raise ValueError("this ingest signs no receipts: it was given no ReceiptSigner")

            def sign(recorded: Sequence[Recorded]) -> tuple[str, ...]:
                return issue_receipts(self.records, signer, recorded)

        return record_batches(
            self.records, self.intake(principal).parse, lines, batch=batch, sign=sign
        )
