"""Integrators: other departments' systems that read Anjian's event stream over NATS, each a
read-only nkey user confined to one jurisdiction (and optionally some kinds of record).

Subjects are `anjian.events.<prefecture, 4 digits>.<county, 6 digits>.<kind>.<event>`. A
region's scope:

    420000 (the province)            anjian.events.>
    420100 (a prefecture)            anjian.events.4201.>
    420102, 429004 (a county, a      anjian.events.*.420102.>
      province-administered city)
    --kinds hazard,penalty           one subject per kind: anjian.events.4201.*.hazard.> ...

What the user may do, and nothing else (NATS subject permissions; the server refuses the rest):

- subscribe to its scope's subjects (live, core NATS) and to its own inbox prefix
  `_INBOX_<name>.>` (it connects with `inbox_prefix="_INBOX_<name>"`): the replies of its
  JetStream requests and the messages of its fetches arrive there, and no other user's do;
- create (or update) its durable pull consumer on the stream ANJIAN_EVENTS through the
  subject `$JS.API.CONSUMER.CREATE.ANJIAN_EVENTS.<consumer>.<filter>`, whose filter must lie in
  its scope (the server checks that the filter of the request matches the one of the subject);
  the consumer is named `<name>`, or `<name>_<kind>` per kind with --kinds;
- read that consumer's info, fetch from it (`$JS.API.CONSUMER.MSG.NEXT...`), acknowledge its
  messages (`$JS.ACK.ANJIAN_EVENTS.<consumer>.>`) and delete it; `$JS.API.INFO`.

It may not publish to anjian.events.>, use another consumer, create a consumer without a
filter (the legacy `CONSUMER.DURABLE.CREATE` subject carries none), nor call any stream API.

The credential is an nkey: its seed is printed once by `integrators add` (with a ready .creds
file if asked); the store keeps only the public key. The store is `integrators.json` in
$ANJIAN_HOME/nats (mode 0600): name, public key, region, kinds, created, revoked.

Errors::

    IntegratorError
    ├── InvalidIntegrator   a bad name, region or kind (nothing written)
    ├── IntegratorExists    the name is taken (revoked names stay taken: the log of grants)
    └── UnknownIntegrator   no integrator of that name, or it is revoked already
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from domain.catalog import KIND_NAMES
from domain.errors import InvalidValue
from domain.regions import PROVINCE, prefecture_of, validate_region
from ops.file_lock import locked
from ops.nats_server import NatsUser, write_private
from streams.stream import STREAM

__all__ = [
    "STREAM",
    "SUBJECT_ROOT",
    "Grant",
    "Integrator",
    "IntegratorError",
    "IntegratorExists",
    "IntegratorStore",
    "InvalidIntegrator",
    "UnknownIntegrator",
    "grants",
    "integrator_user",
    "new_user_seed",
    "public_key_of",
    "scope_subjects",
]

SUBJECT_ROOT = "anjian.events"
_NAME = re.compile(r"[a-z][a-z0-9-]{1,31}")


class IntegratorError(Exception):
    """Base class of the errors of integrator access."""


class InvalidIntegrator(IntegratorError):
    """A name, region or kind that cannot make an integrator."""


class IntegratorExists(IntegratorError):
    """An integrator of that name exists (or existed: names are never reused)."""


class UnknownIntegrator(IntegratorError):
    """No active integrator of that name."""


@dataclass(frozen=True)
class Integrator:
    name: str
    public_key: str
    region: str
    kinds: tuple[str, ...]
    created: str
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None

    @property
    def inbox_prefix(self) -> str:
        return f"_INBOX_{self.name}"


@dataclass(frozen=True)
class Grant:
    """A durable consumer an integrator may create, and the subjects its filter may cover."""

    consumer: str
    filter: str


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidIntegrator(
            f"integrator name {name!r} must be 2 to 32 of a-z, 0-9 and '-', starting with a letter"
        )
    return name


def check_region(region: str) -> str:
    try:
        return validate_region(region)
    except InvalidValue as exc:
        raise InvalidIntegrator(str(exc)) from None


def check_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    unknown = [k for k in kinds if k not in KIND_NAMES]
    if unknown:
        raise InvalidIntegrator(
            f"unknown kind(s) {', '.join(map(repr, unknown))}: one of {', '.join(KIND_NAMES)}"
        )
    return tuple(dict.fromkeys(kinds))


def scope_subjects(region: str, kinds: Sequence[str] = ()) -> list[str]:
    """The subjects a region (and kinds) covers, as NATS wildcard subjects."""
    if region == PROVINCE:
        head = [SUBJECT_ROOT]
        place = ["*", "*"]
    elif prefecture_of(region) == region and not region.startswith("4290"):
        head = [SUBJECT_ROOT, region[:4]]
        place = ["*"]
    else:
        head = [SUBJECT_ROOT, "*", region]
        place = []
    if not kinds:
        return [".".join([*head, ">"])]
    return [".".join([*head, *place, kind, ">"]) for kind in kinds]


def grants(integrator: Integrator) -> list[Grant]:
    """Its durable consumers: `<name>` over its scope, or `<name>_<kind>` per kind."""
    subjects = scope_subjects(integrator.region, integrator.kinds)
    if not integrator.kinds:
        return [Grant(integrator.name, subjects[0])]
    return [
        Grant(f"{integrator.name}_{kind}", subject)
        for kind, subject in zip(integrator.kinds, subjects, strict=True)
    ]


def integrator_user(integrator: Integrator) -> NatsUser:
    """The integrator's nkey user and its permissions (see the module docstring)."""
    api = "$JS.API"
    publish = [f"{api}.INFO"]
    for grant in grants(integrator):
        c = grant.consumer
        publish += [
            f"{api}.CONSUMER.CREATE.{STREAM}.{c}.{grant.filter}",
            f"{api}.CONSUMER.INFO.{STREAM}.{c}",
            f"{api}.CONSUMER.MSG.NEXT.{STREAM}.{c}",
            f"{api}.CONSUMER.DELETE.{STREAM}.{c}",
            f"$JS.ACK.{STREAM}.{c}.>",
        ]
    subscribe = [
        f"{integrator.inbox_prefix}.>",
        *scope_subjects(integrator.region, integrator.kinds),
    ]
    kinds = f", kinds {','.join(integrator.kinds)}" if integrator.kinds else ""
    return NatsUser(
        integrator.public_key,
        f"integrator {integrator.name}: region {integrator.region}{kinds}",
        publish=tuple(publish),
        subscribe=tuple(subscribe),
    )


def new_user_seed() -> bytes:
    """A fresh nkey user seed (SU...)."""
    import nkeys

    seed: bytes = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    return seed


def public_key_of(seed: bytes) -> str:
    """The user public key (U...) of an nkey seed."""
    import nkeys

    key: bytes = nkeys.from_seed(seed).public_key
    return key.decode("ascii")


class IntegratorStore:
    """integrators.json in `directory` ($ANJIAN_HOME/nats), 0600; changes under a lock."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "integrators.json"

    def all(self) -> list[Integrator]:
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))["integrators"]
        except FileNotFoundError:
            return []
        return [Integrator(**{**row, "kinds": tuple(row["kinds"])}) for row in rows]

    def active(self) -> list[Integrator]:
        return [i for i in self.all() if i.active]

    def _save(self, integrators: Sequence[Integrator]) -> None:
        rows = [asdict(i) | {"kinds": list(i.kinds)} for i in integrators]
        write_private(self.path, json.dumps({"integrators": rows}, indent=2) + "\n")

    def add(self, name: str, region: str, kinds: Sequence[str], public_key: str) -> Integrator:
        """Record a new integrator (checked first: nothing is written for a bad one)."""
        integrator = Integrator(
            check_name(name),
            public_key,
            check_region(region),
            check_kinds(kinds),
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with locked(self.directory / "integrators.lock"):
            known = self.all()
            if any(i.name == name for i in known):
                raise IntegratorExists(f"an integrator named {name} exists already")
            self._save([*known, integrator])
        return integrator

    def revoke(self, name: str) -> Integrator:
        with locked(self.directory / "integrators.lock"):
            known = self.all()
            found = [i for i in known if i.name == name and i.active]
            if not found:
                raise UnknownIntegrator(f"no active integrator named {name}")
            now = datetime.now(UTC).isoformat(timespec="seconds")
            changed = [
                Integrator(**{**asdict(i), "revoked": now}) if i is found[0] else i for i in known
            ]
            self._save(changed)
        return next(i for i in changed if i.name == name)
