"""Intake: turns JSON command lines into signed commands for the domain.

A line is either pre-signed by a device, terminal or key-holding user:

    {"envelope": {...}, "signature": "<base64 Ed25519>", "key_id": "<hex>"}

or unsigned, from a user without a key of their own, whom the platform signs for with the
custodial key bound to that account (the platform account signs with the platform key):

    {"type": "hazard.report", "actor": "u-420102-001", "region": "420102",
     "data": {...}, "subject": "<uuid>"?, "id": "<uuid>"?, "occurred_at": "..."?, "role": "..."?}

Missing optional fields are filled in before signing: a new command id, the subject (derived
from the natural key for enterprises and actors, new otherwise), the actor's registered role,
and the current time in Asia/Shanghai.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError

from domain.actor import PLATFORM_ACCOUNT, Actor
from domain.application import Records
from domain.catalog import CATALOG
from domain.envelope import FIELDS, SignedCommand
from domain.errors import InvalidEnvelope, NotFound, UnknownActor
from domain.ids import actor_id, device_id, enterprise_id
from ledger.canonical import CanonicalError, canonical_text
from ledger.keys import KeyPair
from ops.keystore import Keystore

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNSIGNED_FIELDS = frozenset(
    {"type", "actor", "region", "data", "subject", "id", "occurred_at", "role"}
)

Sealer = Callable[[str, dict[str, Any]], dict[str, Any]]


class Intake:
    """Parses, completes, seals personal data and (custodially) signs command lines."""

    def __init__(
        self,
        records: Records,
        keystore: Keystore,
        sealer: Sealer | None = None,
        channel: str | None = None,
    ) -> None:
        """`channel`: the channel every custodial signature names (the demo: "migration")."""
        self.records = records
        self.keystore = keystore
        self.sealer = sealer
        self.channel = channel

    def parse_line(self, line: str) -> SignedCommand:
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise InvalidEnvelope(f"not JSON: {exc}") from None
        return self.parse(obj)

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
        return SignedCommand.of(text, obj["signature"], obj["key_id"])

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
        data = obj["data"]
        if not isinstance(data, dict):
            raise InvalidEnvelope("data must be a JSON object", field="data")
        if self.sealer is not None:
            data = self.sealer(ctype, data)
        account = obj["actor"]
        if not isinstance(account, str):
            raise InvalidEnvelope("actor must be a string", field="actor")
        key, role = self._custodial(account, obj.get("role"), ctype, data)
        envelope = {
            "actor": account,
            "data": data,
            "id": str(obj.get("id") or uuid4()),
            "occurred_at": obj.get("occurred_at") or datetime.now(SHANGHAI).isoformat(),
            "region": obj["region"],
            "role": role,
            "subject": str(obj.get("subject") or default_subject(ctype, data)),
            "type": ctype,
        }
        if self.channel is not None:
            envelope["channel"] = self.channel
        assert envelope.keys() - {"channel"} == FIELDS
        try:
            text = canonical_text(envelope)
        except CanonicalError as exc:
            raise InvalidEnvelope(f"command cannot be canonicalised: {exc}") from None
        return SignedCommand.of(text, key.sign_b64(text.encode("utf-8")), key.key_id)

    def _custodial(
        self, account: str, role: object, ctype: str, data: dict[str, Any]
    ) -> tuple[KeyPair, str]:
        if account == PLATFORM_ACCOUNT:
            return self.keystore.platform_key(), "platform"
        if isinstance(role, str):
            return self.keystore.custodial(account), role
        try:
            actor: object = self.records.repository.get(actor_id(account))
        except AggregateNotFoundError:
            actor = None
        if not isinstance(actor, Actor):
            raise UnknownActor(f"actor {account} is not registered", field="actor")
        return self.keystore.custodial(account), actor.role


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
