"""A small province for property tests: a file-backed store under a data directory (so the
real CLI, the ledger guard and the read models open it), actors that sign, and what the write
path has accepted so far (the records commands may address, the event ids they may cite)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.catalog import CATALOG
from domain.errors import DomainError
from domain.ids import actor_id
from domain.regions import covers
from ledger.canonical import CanonicalError
from ledger.keys import KeyPair
from ops.bootstrap import store_env
from ops.settings import Settings
from tests.projections.scenes import Site
from tests.projections.world import WUHAN, YICHANG, World

REGIONS = ("420102", "420111", "420502", "420100", "420500", "420000")


@dataclass
class Subject:
    """A record the write path created: its kind ("hazard"), region and enterprise."""

    kind: str
    region: str
    enterprise: str | None
    versions: int = 1
    account: str | None = None  # for an actor record, its account


@dataclass
class Attempt:
    """One command as drawn: who signs what, about which record, when."""

    account: str
    type: str
    region: str
    data: dict[str, Any]
    subject: UUID
    occurred_at: str
    new_key: KeyPair | None = None  # actor.register, actor.rotate_key: the key it brings


def stage(site: Site) -> None:
    """Records at many steps of their lifecycles, so that random next steps find states they
    apply to: hazards reported, ordered, listed and closed; penalty cases filed, decided and
    served; an accident under investigation; a permit and a certificate in force; an
    inspection under way; a gas detector with an alarm raised."""
    site.alarm()  # a hazard source, a device account, an installed detector, an alarm
    site.hazard()
    site.order(site.hazard(), "2024-06-30")
    site.supervise(site.hazard("major"))
    closed = site.hazard()
    site.order(closed, "2024-06-30")
    site.remove(closed, major=False)
    site.penalty(served=False)
    site.penalty()
    site.run(
        "penalty.file",
        {
            "enterprise": site.uscc,
            "case_no": f"F-{site.uscc[-6:]}",
            "violation": "未按规定排查隐患",
            "basis": "安全生产法 §102",
            "violation_date": "2024-02-20",
        },
        uuid4(),
        who=site.officers[0],
    )
    accident = site.accident(deaths=1)
    site.run("accident.open_investigation", {"authority": "应急管理局"}, accident)
    site.permit(site.h.clock)
    site.certificate(site.h.clock)
    site.run(
        "inspection.start",
        {"enterprise": site.uscc, "type": "routine_plan", "officers": site.officers},
        uuid4(),
        who=site.officers[0],
    )


class Province:
    """Two enterprises (Wuhan, Yichang) with their accounts, officers and a gas detector,
    recorded through the real write path into `home` (an ANJIAN_HOME)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.settings = Settings(home=home)
        self.world = World(store_env(self.settings), f"sqlite:///{home / 'scratch.sqlite'}")
        self.h = self.world.h
        self.sites = [Site(self.world, WUHAN, "420102"), Site(self.world, YICHANG, "420502")]
        for site in self.sites:
            stage(site)
        for module in ("svc-warning", "svc-emergency"):  # the modules' service accounts
            self.h.actor(module, "service", "420000")
        self.subjects: dict[UUID, Subject] = {}
        self.accounts = {account: self.h.roles(account) for account in self.h.keys}
        self.jurisdictions = {
            a: self.h.records.load(actor_id(a), Actor).jurisdiction for a in self.accounts
        }
        self.bound: dict[str, str] = {}  # enterprise and device accounts → their USCC
        for site in self.sites:
            self.bound[site.account] = self.bound[f"dev-{site.uscc}"] = site.uscc
        for rec in self.h.records.notifications():
            env = rec.envelope
            self._learn(rec.subject, env["type"], env["region"], env["data"])
        self.clock = self.h.clock
        self.accepted: list[str] = []  # event ids
        self.refused = 0

    def _learn(self, subject: UUID, ctype: str, region: str, data: dict[str, Any]) -> None:
        known = self.subjects.get(subject)
        if known is not None:
            known.versions += 1
            return
        enterprise = data.get("uscc") or data.get("enterprise")
        account = data.get("account") if ctype == "actor.register" else None
        self.subjects[subject] = Subject(ctype.partition(".")[0], region, enterprise, 1, account)

    # -- what commands may name ----------------------------------------------------------------

    # Lists keep the order things were recorded in, never an order of random ids: the same
    # draws must pick the same things on every run (Hypothesis replays and shrinks).

    def usccs(self) -> list[str]:
        return list(dict.fromkeys(s.enterprise for s in self.subjects.values() if s.enterprise))

    def registered(self) -> list[str]:
        """The USCCs of registered enterprises (others appear only inside data)."""
        return [
            s.enterprise for s in self.subjects.values() if s.kind == "enterprise" and s.enterprise
        ]

    def of_kind(self, kind: str) -> list[UUID]:
        return [k for k, s in self.subjects.items() if s.kind == kind]

    def event_ids(self) -> list[str]:
        return [f"{k}:{v}" for k, s in self.subjects.items() for v in range(1, s.versions + 1)]

    def signers(self, ctype: str) -> list[str]:
        roles = CATALOG[ctype].roles
        return [a for a, r in self.accounts.items() if r in roles]

    def may_act(self, account: str, region: str, uscc: str | None) -> bool:
        """Whether the account's jurisdiction (and enterprise binding) allow acting here."""
        if self.accounts[account] == "platform":
            return True
        bound = self.bound.get(account)
        return covers(self.jurisdictions[account], region) and bound in (None, uscc)

    def officers(self) -> list[str]:
        return [a for a, r in self.accounts.items() if r == "regulator"]

    # -- recording -----------------------------------------------------------------------------

    def tick(self, minutes: int) -> datetime:
        self.clock += timedelta(minutes=minutes)
        return self.clock

    def record(self, a: Attempt) -> bool:
        """Sign and record one attempt; False when the domain refused it (with a DomainError:
        anything else propagates and fails the property). Signing parses the envelope as the
        intake does, so its refusals count as the write path's."""
        try:
            cmd = self.h.sign(
                a.account,
                a.type,
                a.region,
                a.data,
                subject=a.subject,
                occurred_at=datetime.fromisoformat(a.occurred_at),
                role=self.accounts[a.account],
            )
            recorded = self.h.records.execute(cmd)
        except (DomainError, CanonicalError):
            self.refused += 1
            return False
        self.accepted.append(recorded.event_id)
        self._learn(a.subject, a.type, a.region, a.data)
        if a.new_key is not None:
            account = self.subjects[a.subject].account
            assert account is not None
            self.h.keys[account] = a.new_key
            if a.type == "actor.register":
                self.accounts[account] = a.data["role"]
                self.jurisdictions[account] = a.data["jurisdiction"]
                if "enterprise" in a.data:
                    self.bound[account] = a.data["enterprise"]
        return True

    def close(self) -> None:
        self.world.close()
