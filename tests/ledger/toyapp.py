"""A test-local eventsourcing application whose events carry what Anjian's events carry:
`envelope` (canonical JSON text), `signature` (base64 Ed25519) and `key_id`. It lets the
ledger be tested against a real event store without the domain's rules."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from ledger.canonical import canonical_text
from ledger.keys import KeyPair

_counter = itertools.count(1)


class Toy(Aggregate):
    @event("Created")
    def __init__(self, envelope: str, signature: str, key_id: str) -> None:
        pass

    @event("Recorded")
    def record(self, envelope: str, signature: str, key_id: str) -> None:
        pass


class ToyApp(Application[UUID]):
    """Saves toy aggregates; `recorder` is the notification log the ledger follows."""


def sqlite_env(path: str) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}


def postgres_env(host: str, port: int, user: str, dbname: str) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": "",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
    }


def signed(key: KeyPair, subject: UUID, kind: str = "toy.record") -> tuple[str, str, str]:
    """(envelope text, base64 signature, key id) of a fresh command about `subject`."""
    envelope = canonical_text(
        {
            "actor": "inspector-0042",
            "data": {"n": next(_counter), "note": '隐患 "quoted" \\ back\nline'},
            "id": str(uuid4()),
            "occurred_at": "2024-05-01T10:00:00+08:00",
            "region": "420100",
            "role": "inspector",
            "subject": str(subject),
            "type": kind,
        }
    )
    return envelope, key.sign_b64(envelope.encode()), key.key_id


def populate(app: ToyApp, key: KeyPair, aggregates: int, events_each: int = 2) -> list[Toy]:
    """Save `aggregates` toys with `events_each` events each, in saves of up to 200 toys."""
    toys: list[Toy] = []
    pending: list[Toy] = []
    for _ in range(aggregates):
        subject = uuid4()
        toy = Toy(*signed(key, subject, "toy.create"))
        for _ in range(events_each - 1):
            toy.record(*signed(key, toy.id))
        toys.append(toy)
        pending.append(toy)
        if len(pending) == 200:
            app.save(*pending)
            pending = []
    if pending:
        app.save(*pending)
    return toys


def new_app(env: Mapping[str, str]) -> ToyApp:
    return ToyApp(env=dict(env))
