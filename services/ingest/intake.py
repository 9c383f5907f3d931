"""Intake: turns JSON command lines into signed commands for the domain.

A line is either pre-signed by a device, terminal or key-holding user:

    {"envelope": {...}, "signature": "<base64 Ed25519>", "key_id": "<hex>"}

or unsigned, from a user without a key of their own, whom the platform signs for with the
custodial key bound to that account (the platform account signs with the platform key):

    {"type": "hazard.report", "actor": "u-420102-001", "region": "420102",
     "data": {...}, "subject": "<uuid>"?, "id": "<uuid>"?, "occurred_at": "..."?, "role": "..."?}

The platform signs an unsigned line only for the `Principal` its entry point authenticated:
the line must name the principal's account (the migration principal may name any registered
account), and the envelope records the principal's channel. A custodial signature therefore
says "the platform authenticated this account through this channel"; it does not say that
the person held a key. The platform account itself signs only the command types whose catalog
roles include the platform, and only when the principal is the platform or the migration.

Missing optional fields are filled in before signing: a new command id, the subject (derived
from the natural key for enterprises and actors, new otherwise), the actor's registered role,
and the current time in Asia/Shanghai. Every string of `data` must be plain text
(domain.plain_text) and every line one unambiguous I-JSON document
(services.ingest.strict_json). A line naming the `id` of a recorded command is that command
again when everything it supplies is equal (services.ingest.resubmitted_lines).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.actor import PLATFORM_ACCOUNT, Actor
from domain.application import Records
from domain.catalog import CATALOG
from domain.clocks import CST
from domain.envelope import FIELDS, SignedCommand
from domain.errors import (
    InvalidEnvelope,
    InvalidValue,
    NotAuthenticated,
    NotAuthorized,
    NotFound,
    UnknownActor,
)
from domain.ids import actor_id, device_id, enterprise_id
from domain.plain_text import check_plain
from ledger.canonical import CanonicalError, canonical_text
from ledger.keys import KeyPair
from services.ingest import strict_json
from services.ingest.custody import Custody
from services.ingest.principal import Principal
from services.ingest.resubmitted_lines import SamePerson, as_recorded

UNSIGNED_FIELDS = frozenset(
    {"type", "actor", "region", "data", "subject", "id", "occurred_at", "role"}
)

Sealer = Callable[[str, dict[str, Any]], dict[str, Any]]
UNAUTHENTICATED = (
    "unsigned command: pass --as ACCOUNT (the account you are authenticated as) or sign it"
)


class Intake:
    """Parses, completes, seals personal data and (custodially) signs command lines.

    Unsigned lines are signed only for `principal` (see Principal); pre-signed lines need
    none, their signature speaks for itself.
    """

    def __init__(
        self,
        records: Records,
        custody: Custody,
        sealer: Sealer | None = None,
        principal: Principal | None = None,
        same_person: SamePerson | None = None,
        *,
        zone: tzinfo = CST,
    ) -> None:
        """`zone`: the time zone a filled-in occurred_at is written in."""
        self.records = records
        self.custody = custody
        self.zone = zone  # of the occurred_at filled in for a line that gives none
        self.sealer = sealer
        self.principal = principal
        self.same_person = same_person  # resubmitted plain persons vs recorded sealed ones

    def parse_line(self, line: str) -> SignedCommand:
        return self.parse(strict_json.loads(line))

    def parse(self, obj: object) -> SignedCommand:
        if not isinstance(obj, dict):
            raise InvalidEnvelope("a command must be a JSON object")
        if "envelope" in obj:
            return self._presigned(obj)
        return self._sign_for(obj)

    def _presigned(self, obj: dict[str, Any]) -> SignedCommand:
        extra = obj.keys() - {"envelope", "signature", "key_id"}
        if extra:
            raise InvalidEnvelope(f"a signed command has unknown fields {sorted(extra)}")
        for name in ("signature", "key_id"):
            if not isinstance(obj.get(name), str):
                raise InvalidEnvelope(f"a signed command needs a {name} string", field=name)
        try:
            text = canonical_text(obj["envelope"])
        except CanonicalError as exc:
            raise InvalidEnvelope(f"envelope cannot be canonicalised: {exc}") from None
        cmd = SignedCommand.of(text, obj["signature"], obj["key_id"])
        if self.sealer is not None and (
            self.sealer(cmd.envelope.type, dict(cmd.envelope.data)) != cmd.envelope.data
        ):
            raise InvalidValue(
                "personal data in a signed command must be sealed by this platform's vault "
                "before signing",
                field="data",
            )
        return cmd

    def _sign_for(self, obj: dict[str, Any]) -> SignedCommand:
        extra = obj.keys() - UNSIGNED_FIELDS
        if extra:
            raise InvalidEnvelope(f"unknown fields {', '.join(sorted(extra))}")
        for name in ("type", "actor", "region", "data"):
            if name not in obj:
                raise InvalidEnvelope(f"missing {name}", field=name)
        ctype = obj["type"]
        spec = CATALOG.get(ctype) if isinstance(ctype, str) else None
        if spec is None:
            raise InvalidEnvelope(f"unknown command type {ctype!r}", field="type")
        account = obj["actor"]
        if not isinstance(account, str):
            raise InvalidEnvelope("actor must be a string", field="actor")
        principal = self.principal
        if principal is None:
            raise NotAuthenticated(UNAUTHENTICATED, field="actor")
        principal.admit(account, spec)
        data = obj["data"]
        if not isinstance(data, dict):
            raise InvalidEnvelope("data must be a JSON object", field="data")
        check_plain(data, "/data")  # before sealing: sealed text is never seen again
        if obj.get("id") and (again := as_recorded(self.records, obj, self.same_person)):
            return again
        if self.sealer is not None:
            data = self.sealer(ctype, data)
        key, role = self._custodial(account, obj.get("role"))
        envelope = {
            "actor": account,
            "channel": principal.channel,
            "data": data,
            "id": str(obj.get("id") or uuid4()),
            "occurred_at": obj.get("occurred_at") or datetime.now(self.zone).isoformat(),
            "region": obj["region"],
            "role": role,
            "subject": str(obj.get("subject") or default_subject(ctype, data)),
            "type": ctype,
        }
        assert envelope.keys() == FIELDS | {"channel"}
        try:
            text = canonical_text(envelope)
        except CanonicalError as exc:
            raise InvalidEnvelope(f"command cannot be canonicalised: {exc}") from None
        return SignedCommand.of(text, key.sign_b64(text.encode("utf-8")), key.key_id)

    def _custodial(self, account: str, role: object) -> tuple[KeyPair, str]:
        if account == PLATFORM_ACCOUNT:
            return self.custody.platform_key(), "platform"
        if isinstance(role, str):
            return self.custody.custodial(account), role
        try:
            actor: object = self.records.repository.get(actor_id(account))
        except AggregateNotFoundError:
            actor = None
        if not isinstance(actor, Actor):
            raise UnknownActor(f"actor {account} is not registered", field="actor")
        if actor.custody != "platform":
            raise NotAuthorized(
                f"actor {account} holds a key of its own: sign the command with it", field="actor"
            )
        return self.custody.custodial(account), actor.role


def default_subject(ctype: str, data: dict[str, Any]) -> UUID:
    if ctype == "enterprise.register" and isinstance(data.get("uscc"), str):
        return enterprise_id(data["uscc"])
    if ctype == "actor.register" and isinstance(data.get("account"), str):
        return actor_id(data["account"])
    if ctype == "sensor.install" and isinstance(data.get("serial"), str):
        return device_id(data["serial"])
    if CATALOG[ctype].creates:
        return uuid4()
    raise NotFound(f"{ctype} needs the subject (the record's id)", field="subject")
