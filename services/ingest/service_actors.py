"""The service actors: the platform's modules (风险预警 `svc-warning`, 应急协调指挥
`svc-emergency`) as accounts of their own, each with its own Ed25519 key.

A module writes back only through the command path, like everyone else, signed by its own
account: role `service`, jurisdiction the province. The platform holds the key (custody
"platform", derived from the custody secret like every custodial key: the Custody port), so
the module's worker signs through the intake with a `Principal(account, "stream")`, and each
of its envelopes names the channel `stream`. Only the platform registers a service actor
(domain.actor), and the catalog lists the commands the `service` role may sign.

    ensure_service_actor(ingest, "svc-warning")   # idempotent; True when registered now
"""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.actor import PLATFORM_ACCOUNT, Actor
from domain.commands import SERVICE
from domain.envelope import SignedCommand
from domain.errors import InvalidValue
from domain.ids import actor_id
from domain.regions import PROVINCE
from ledger.canonical import canonical_text
from services.ingest.genesis import ensure_genesis
from services.ingest.principal import Principal
from services.ingest.service import Ingest

__all__ = ["SERVICE_NAMES", "ensure_service_actor", "service_principal"]

# The modules and their names; a service actor is one of these.
SERVICE_NAMES = {
    "svc-warning": "风险预警模块 (risk warning)",
    "svc-emergency": "应急协调指挥模块 (emergency command)",
}


def service_principal(account: str) -> Principal:
    """Who a module's worker is: its service account, authenticated by holding the process
    the platform runs it in; its envelopes name the channel `stream`."""
    return Principal(account, "stream")


def ensure_service_actor(ingest: Ingest, account: str) -> bool:
    """Register the service actor `account` (a key of SERVICE_NAMES) unless it is registered;
    True when it was registered now. Records the genesis first if the store has none.
    InvalidValue when `account` names no module, or is registered as something else or with
    another key than the platform's custody holds for it (nothing is written then)."""
    if account not in SERVICE_NAMES:
        raise InvalidValue(
            f"{account!r} is not a service account (one of {', '.join(SERVICE_NAMES)})",
            field="account",
        )
    key = ingest.custody.custodial(account)
    try:
        actor: object = ingest.records.repository.get(actor_id(account))
    except AggregateNotFoundError:
        actor = None
    if actor is not None:
        if not isinstance(actor, Actor) or actor.role != SERVICE or actor.custody != "platform":
            raise InvalidValue(
                f"account {account} is registered, but not as a service the platform holds",
                field="account",
            )
        if key.key_id not in actor.keys or actor.keys[key.key_id].status != "current":
            raise InvalidValue(
                f"service {account}'s current key is not the one the platform's custody "
                f"derives ({key.key_id}): the custody secret changed?",
                field="account",
            )
        return False
    ensure_genesis(ingest)
    platform = ingest.custody.platform_key()
    text = canonical_text(
        {
            "actor": PLATFORM_ACCOUNT,
            "data": {
                "account": account,
                "role": SERVICE,
                "name": SERVICE_NAMES[account],
                "jurisdiction": PROVINCE,
                "public_key": key.public_key_b64,
                "custody": "platform",
            },
            "id": str(uuid4()),
            "occurred_at": datetime.now(ingest.zone).isoformat(),
            "region": PROVINCE,
            "role": "platform",
            "subject": str(actor_id(account)),
            "type": "actor.register",
        }
    )
    ingest.records.execute(
        SignedCommand.of(text, platform.sign_b64(text.encode()), platform.key_id)
    )
    return True
