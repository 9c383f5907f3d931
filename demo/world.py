"""The demo province's state: regulators, enterprises and the few facts that processes share.

Each record has one process that drives it (demo.hazards, .penalties, …) and keeps its own
state; what several processes touch — an enterprise being open, its licence being suspended by
a stop order, its accidents checked at a licence extension, a sensor still being in service —
lives here and is updated when the line that changes it is emitted.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from hashlib import sha256
from typing import Any
from uuid import UUID

from demo.province import SHORT, Place
from demo.sim import Sim
from domain.ids import enterprise_id
from ledger.keys import KeyPair


def child(rng: random.Random) -> random.Random:
    """An independent RNG for a sub-process, seeded from its parent."""
    return random.Random(rng.getrandbits(64))


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the demo's means are small."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass(eq=False)
class Bureau:
    """A regulator (应急管理部门) of one jurisdiction and its officers' accounts."""

    code: str
    name: str
    officers: list[str]
    legal: str  # 法制审核: never one of a case's investigators
    host: str  # hearing host: likewise
    parent: Bureau | None = None

    @property
    def short(self) -> str:
        return SHORT.get(self.code) or (self.parent.short if self.parent else "鄂")

    def team(self, rng: random.Random, size: int = 2) -> list[str]:
        return rng.sample(self.officers, min(size, len(self.officers)))


@dataclass(eq=False)
class PermitState:
    id: UUID
    industry: str
    status: str = "applied"
    term_start: date | None = None
    expires_on: date | None = None
    renewal_pending: bool = False
    suspended_by: str | None = None
    number: str = ""

    def usable(self, day: date) -> bool:
        return self.status == "active" and self.expires_on is not None and day < self.expires_on


@dataclass(eq=False)
class SensorState:
    id: UUID
    serial: str
    account: str
    quantity: str
    unit: str
    high: float | None
    high_high: float | None
    installed_at: datetime
    active: bool = True


@dataclass(eq=False)
class AccidentState:
    id: UUID
    happened: date
    deaths: int


@dataclass(eq=False)
class Ent:
    """One enterprise of the province and what its processes share."""

    index: int
    uscc: str
    name: str
    place: Place
    industry: str
    employees: int
    standardisation: str
    founded: datetime
    bureau: Bureau  # the inspecting bureau: county where it has one, else prefecture
    pref: Bureau
    rng: random.Random
    account_ready: bool = False
    active: bool = True
    closing: datetime | None = None
    permit: PermitState | None = None
    sources: dict[str, str] = field(default_factory=dict)  # ref -> name
    sensors: list[SensorState] = field(default_factory=list)
    accidents: list[AccidentState] = field(default_factory=list)
    risk_points: dict[str, str] = field(default_factory=dict)  # ref -> name
    gateways: dict[str, str] = field(default_factory=dict)  # source ref -> device account

    @property
    def region(self) -> str:
        return self.place.county

    @property
    def id(self) -> UUID:
        return enterprise_id(self.uscc)

    @property
    def account(self) -> str:
        return f"e-{self.uscc}"

    def side(self) -> tuple[str, str]:
        """Who signs the enterprise's own steps: its account, or — for records migrated from
        before it had one — the prefecture's registrar on its behalf."""
        if self.account_ready:
            return self.account, "enterprise"
        return self.pref.officers[0], "regulator"

    def open_for(self, t: datetime) -> bool:
        """True when new records may be opened about it at `t` (not closing down)."""
        return self.active and (self.closing is None or t < self.closing - timedelta(days=45))


class World:
    """Everything the processes share: the scheduler, regulators, enterprises, numbering."""

    def __init__(
        self,
        sim: Sim,
        seed: int,
        custodial_key: Callable[[str], str],
    ) -> None:
        self.sim = sim
        self.seed = seed
        self.custodial_key = custodial_key  # account -> base64 public key held by the platform
        self.province: Bureau
        self.bureaus: dict[str, Bureau] = {}
        self.ents: list[Ent] = []
        self._numbers: dict[str, itertools.count[int]] = {}

    def number(self, series: str) -> int:
        """The next number of a document series (case numbers, licence numbers, …)."""
        return next(self._numbers.setdefault(series, itertools.count(1)))

    def device_key(self, account: str) -> KeyPair:
        """A device's own Ed25519 key, derived from the demo seed (the platform never holds it)."""
        return KeyPair(sha256(f"anjian-demo/{self.seed}/device/{account}".encode()).digest())

    @property
    def now(self) -> datetime:
        return self.sim.now

    # -- emitting on behalf of the province's actors -----------------------------------------

    def as_ent(
        self, rng: random.Random, ent: Ent, ctype: str, subject: UUID, data: dict[str, Any]
    ) -> None:
        """A step the enterprise takes itself (see `Ent.side`)."""
        actor, role = ent.side()
        self.sim.emit(rng, ctype, subject, data, actor=actor, role=role, region=ent.region)

    def as_officer(
        self,
        rng: random.Random,
        ent: Ent,
        ctype: str,
        subject: UUID,
        data: dict[str, Any],
        *,
        by: str,
    ) -> None:
        """A step a regulator's officer (account `by`) takes about the enterprise."""
        self.sim.emit(rng, ctype, subject, data, actor=by, role="regulator", region=ent.region)

    def as_platform(
        self, rng: random.Random, ctype: str, region: str, subject: UUID, data: dict[str, Any]
    ) -> None:
        self.sim.emit(rng, ctype, subject, data, actor="platform", role="platform", region=region)
