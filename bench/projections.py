"""Projections benchmark: our follower against the eventsourcing library's own ProjectionRunner
on the same event store in the same run, a full rebuild of every read model, and analytics.

    .venv/bin/python -m bench.projections [--events 1000000] [--runner-events 50000]
        [--catchup-batch 5000] [--runs 3]

How the events are made (cheaply, but real): a generator writes signed commands (Ed25519, RFC
8785 envelopes) for a province of enterprises living through the whole lifecycle — registration,
risk points, permits, certificates, inspections, general and major hazard cases, penalty cases
to payment, accidents with investigations, sensors with alarms. A small history from the same
generator is first run through Records.execute_batch (every schema, signature and domain rule
checked) to prove the generator writes only commands the platform accepts; the big history is
then inserted directly through the recorder (`recorder.insert_events`, 10,000 stored events per
transaction) in the exact stored form Records produces, which the library's mapper decodes too.

Figures (medians of --runs, each on fresh read-model files, same machine, same run):
- catch-up, timeline only: our Follower vs the library's ProjectionRunner running the same
  timeline logic (one event per transaction, the library's way, its view a TrackingRecorder).
  SQLite has no subscription, so the runner's application gets a SQLite recorder whose
  subscribe() is the library's own ListenNotifySubscription (set by APPLICATION_RECORDER_TOPIC).
- full rebuild = catch-up from nothing of every projection (9 read models and one credit
  projection per rulebook, v1 and v2) over --events events (target ≤ 120 s for 1M);
- analytics: each analysis over the rebuilt read models of the whole province.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.application import Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    ListenNotifySubscription,
    StoredEvent,
    Subscription,
    Tracking,
)
from eventsourcing.projection import Projection as LibProjection
from eventsourcing.projection import ProjectionRunner
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteTrackingRecorder
from eventsourcing.utils import get_topic

from domain.actor import PLATFORM_ACCOUNT
from domain.application import Records
from domain.catalog import CATALOG
from domain.envelope import SignedCommand
from domain.ids import actor_id, device_id, enterprise_id
from domain.regions import COMPLETE, PREFECTURES
from domain.uscc import make_uscc
from ledger.canonical import canonical_text
from ledger.keys import KeyPair
from ledger.notary import Ed25519Notary
from ops.bootstrap import sqlite_env
from ops.schemas import CatalogSchemas
from projections import analytics
from projections.follower import ReadModelFollower
from projections.registry import all_projections
from projections.store import open_store
from projections.timeline import Timeline

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2023, 1, 1, 9, 0, tzinfo=SHANGHAI)
SMALL_FINE = {"types": ["fine"], "fine_yuan": 10_000}
EVIDENCE = [{"ref": "photo-1", "sha256": "ab" * 32}]
PLAN = {
    "goal": "消除隐患",
    "method": "更换设备",
    "funds_materials": "资金已落实",
    "responsible": "设备部",
    "safety_measures": "停用并制定应急预案",
}
CRITERIA = [f"GB-HC-{i:02d}" for i in range(1, 13)]
INDUSTRIES = [
    "hazardous_chemicals",
    "non_coal_mining",
    "metallurgy",
    "construction",
    "fireworks",
    "industry_trade",
    "warehousing",
]
INSERT_CHUNK = 10_000


# -- the generator -----------------------------------------------------------------------------


@dataclass(order=True)
class Planned:
    at: datetime
    seq: int
    account: str = field(compare=False)
    ctype: str = field(compare=False)
    region: str = field(compare=False)
    subject: uuid.UUID = field(compare=False)
    data: dict[str, Any] = field(compare=False)


class Synth:
    """Plans a province's worth of commands and signs them in log order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.keys: dict[str, KeyPair] = {PLATFORM_ACCOUNT: KeyPair.generate()}
        self.roles: dict[str, str] = {PLATFORM_ACCOUNT: "platform"}
        self.plan: list[Planned] = []
        self.seq = 0
        self.serial = 0
        self.prefectures = sorted(PREFECTURES)
        self.add(
            START - timedelta(days=30),
            PLATFORM_ACCOUNT,
            "actor.register",
            "420000",
            actor_id(PLATFORM_ACCOUNT),
            self._actor_data(PLATFORM_ACCOUNT, "platform", "420000"),
        )
        for p in self.prefectures:
            for account in (f"r-{p}", f"o-{p}-1", f"o-{p}-2"):
                self.actor(START - timedelta(days=29), account, "regulator", p)

    def add(  # noqa: PLR0917  (one planned command: when, who, what, where, on what, data)
        self,
        at: datetime,
        account: str,
        ctype: str,
        region: str,
        subject: uuid.UUID,
        data: dict[str, Any],
    ) -> None:
        self.seq += 1
        self.plan.append(Planned(at, self.seq, account, ctype, region, subject, data))

    def _actor_data(
        self, account: str, role: str, jurisdiction: str, enterprise: str | None = None
    ) -> dict[str, Any]:
        key = self.keys.setdefault(account, KeyPair.generate())
        self.roles[account] = role
        data = {
            "account": account,
            "role": role,
            "name": account,
            "jurisdiction": jurisdiction,
            "public_key": key.public_key_b64,
            "custody": "own",
        }
        if enterprise:
            data["enterprise"] = enterprise
        return data

    def actor(
        self,
        at: datetime,
        account: str,
        role: str,
        jurisdiction: str,
        enterprise: str | None = None,
    ) -> None:
        self.add(
            at,
            PLATFORM_ACCOUNT,
            "actor.register",
            jurisdiction,
            actor_id(account),
            self._actor_data(account, role, jurisdiction, enterprise),
        )

    def enterprise(self) -> None:
        """One enterprise's story, its steps at strictly increasing instants."""
        rng = self.rng
        pref = rng.choice(self.prefectures)
        if pref in COMPLETE:  # a prefecture whose counties are all known: one of them
            region = rng.choice(sorted(COMPLETE[pref]))
        else:
            region = pref if pref.startswith("4290") else pref[:4] + f"{rng.randint(1, 12):02d}"
        self.serial += 1
        uscc = make_uscc(f"91{region}MA{self.serial:07d}"[:17])
        reg, o1, o2 = f"r-{pref}", f"o-{pref}-1", f"o-{pref}-2"
        me, ent = f"e-{uscc}", enterprise_id(uscc)
        t = START + timedelta(days=rng.uniform(0, 540))

        def step(days: float = 0.0, minutes: int = 7) -> datetime:
            nonlocal t
            t = t + timedelta(days=days, minutes=minutes)
            return t

        self.add(
            step(),
            reg,
            "enterprise.register",
            region,
            ent,
            {
                "uscc": uscc,
                "name": f"企业{self.serial}",
                "industry": rng.choice(INDUSTRIES),
                "standardisation": rng.choice(["level1", "level2", "level2", "level3", "none"]),
                "employees": rng.randint(10, 2000),
            },
        )
        self.actor(step(), me, "enterprise", region, uscc)
        for i in range(rng.choice([1, 1, 2])):
            self.add(
                step(),
                reg,
                "enterprise.assess_risk_point",
                region,
                ent,
                {
                    "uscc": uscc,
                    "point": f"RP-{i}",
                    "name": "风险点",
                    "five_highs": ["process"],
                    "colour": rng.choice(["red", "orange", "yellow", "yellow", "blue", "blue"]),
                },
            )
        if rng.random() < 0.3:
            permit = uuid.uuid4()
            self.add(
                step(),
                reg,
                "permit.apply",
                region,
                permit,
                {"enterprise": uscc, "industry": "hazardous_chemicals", "scope": "生产"},
            )
            self.add(step(3), reg, "permit.grant", region, permit, {"number": "安许"})
        if rng.random() < 0.6:
            self.add(
                step(),
                reg,
                "certificate.issue",
                region,
                uuid.uuid4(),
                {
                    "enterprise": uscc,
                    "category": "welding_cutting",
                    "operation": "焊接",
                    "holder": {
                        "ref": str(uuid.uuid4()),
                        "commitment": "5e" * 32,
                        "sealed": "c2VhbGVk",
                    },
                    "number": f"T{self.serial}",
                    "exam_score": 88,
                    "exam_on": (t - timedelta(days=3)).date().isoformat(),
                },
            )
        inspection = uuid.uuid4()
        self.add(
            step(rng.uniform(1, 60)),
            o1,
            "inspection.start",
            region,
            inspection,
            {"enterprise": uscc, "type": "routine_plan", "officers": [o1, o2]},
        )
        self.add(
            step(),
            o1,
            "inspection.record_finding",
            region,
            inspection,
            {"finding": "F1", "kind": "violation", "description": "未按规定排查"},
        )
        self.add(step(), o1, "inspection.close", region, inspection, {"summary": "检查结束"})
        for _ in range(rng.choice([1, 2, 3, 4])):
            self._hazard(step(rng.uniform(1, 90)), uscc, region, reg, me, o1, o2, "general")
        # Major hazards: some enterprises meet the same criterion again (repeated hazards).
        criteria = rng.sample(CRITERIA, 2)
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3])):
            self._hazard(
                step(rng.uniform(1, 30)),
                uscc,
                region,
                reg,
                me,
                o1,
                o2,
                "major",
                rng.choice(criteria),
            )
            t = max(t, self.plan[-1].at)
        # Most are penalised at most twice; a few repeat offenders four times in 150 days
        # while a major hazard is open (安全生产法 §113).
        if rng.random() < 0.02:
            self._hazard(
                step(1), uscc, region, reg, me, o1, o2, "major", criteria[0], keep_open=True
            )
            for _ in range(4):
                self._penalty(step(rng.uniform(20, 35)), uscc, region, o1, o2)
                t = max(t, self.plan[-1].at)
        for _ in range(rng.choice([0, 1, 1, 2])):
            self._penalty(step(rng.uniform(1, 120)), uscc, region, o1, o2)
            t = max(t, self.plan[-1].at)
        if rng.random() < 0.08:
            self._accident(step(rng.uniform(1, 200)), uscc, region, reg)
            t = max(t, self.plan[-1].at)
        if rng.random() < 0.3:
            self._sensors(step(rng.uniform(1, 30)), uscc, region, reg, me)

    def _hazard(  # noqa: PLR0917  (the enterprise's parties, as in enterprise())
        self,
        t: datetime,
        uscc: str,
        region: str,
        reg: str,
        me: str,
        o1: str,
        o2: str,
        grade: str,
        criterion: str = "",
        *,
        keep_open: bool = False,
    ) -> None:
        rng, case = self.rng, uuid.uuid4()
        deadline = (t + timedelta(days=30)).date().isoformat()
        data: dict[str, Any] = {
            "enterprise": uscc,
            "grade": grade,
            "source": "public_tip",
            "description": "隐患",
        }
        if grade == "major":
            data["criterion_ref"] = criterion or rng.choice(CRITERIA)
        steps: list[tuple[float, str, str, dict[str, Any]]] = [
            (0, reg, "report", data),
            (0.1, reg, "order_rectification", {"deadline": deadline, "requirements": "整改"}),
        ]
        if grade == "major":
            steps += [
                (
                    1,
                    me,
                    "report_to_regulator",
                    {"status_and_cause": "老化", "harm_analysis": "中毒"},
                ),
                (
                    2,
                    reg,
                    "list_for_supervision",
                    {"supervisor": "应急管理局", "document_no": "DB-1"},
                ),
                (3, me, "file_plan", {**PLAN, "time_limit": deadline}),
            ]
        steps += [
            (5, me, "rectify", {"description": "已整改", "evidence": EVIDENCE}),
            (6, me, "request_recheck", {}),
            (8, reg, "accept", {"officers": [o1, o2], "on_site": True, "report": "合格"}),
            (9, reg, "close", {"document_no": "XH-1"}),
        ]
        # Some cases stay open (and go overdue); more major ones stay under supervision.
        if keep_open:
            steps = steps[:4]
        elif rng.random() < (0.4 if grade == "major" else 0.15):
            steps = steps[: rng.randint(2, len(steps) - 1)]
        for i, (days, who, verb, d) in enumerate(steps):
            self.add(t + timedelta(days=days, minutes=i), who, f"hazard.{verb}", region, case, d)

    def _penalty(self, t: datetime, uscc: str, region: str, o1: str, o2: str) -> None:
        case = uuid.uuid4()
        steps: list[tuple[str, dict[str, Any]]] = [
            (
                "file",
                {
                    "enterprise": uscc,
                    "case_no": f"罚-{case.hex[:8]}",
                    "violation": "未按规定排查隐患",
                    "basis": "安全生产法 §102",
                    "violation_date": (t - timedelta(days=5)).date().isoformat(),
                },
            ),
            ("investigate", {"officers": [o1, o2], "facts": "查明", "evidence": EVIDENCE}),
            ("review", {"conclusion": "penalty", "opinion": "事实清楚", "proposed": SMALL_FINE}),
            (
                "notify",
                {
                    "facts": "事实",
                    "basis": "§102",
                    "proposed": SMALL_FINE,
                    "rights": ["statement", "defence"],
                },
            ),
            (
                "decide",
                {
                    "decision_no": "决-1",
                    "outcome": "penalty",
                    "penalty": SMALL_FINE,
                    "reasons": "理由",
                },
            ),
            ("serve", {"method": "on_the_spot", "receipt": "R-1"}),
            ("pay", {"amount_fen": 1_000_000, "receipt": "BANK-1"}),
            ("close", {"summary": "结案"}),
        ]
        if self.rng.random() < 0.2:
            steps = steps[: self.rng.randint(1, 7)]
        for i, (verb, d) in enumerate(steps):
            self.add(
                t + timedelta(days=i * 0.5 if verb in ("pay", "close") else 0, minutes=i),
                o1,
                f"penalty.{verb}",
                region,
                case,
                d,
            )

    def _accident(self, t: datetime, uscc: str, region: str, reg: str) -> None:
        rng, subject = self.rng, uuid.uuid4()
        deaths = rng.choice([0, 0, 0, 1, 1, 3, 10])
        self.add(
            t,
            reg,
            "accident.report",
            region,
            subject,
            {
                "enterprise": uscc,
                "happened_at": (t - timedelta(minutes=30)).isoformat(),
                "kind": "fall_from_height",
                "summary": "事故",
                "deaths": deaths,
                "serious_injuries": rng.choice([0, 0, 2, 12]),
                "direct_loss": 50_000,
            },
        )
        self.add(
            t + timedelta(days=1),
            reg,
            "accident.open_investigation",
            region,
            subject,
            {"authority": "应急管理局"},
        )
        self.add(
            t + timedelta(days=20),
            reg,
            "accident.submit_report",
            region,
            subject,
            {"cause": "违章", "liability": rng.random() < 0.7},
        )
        self.add(
            t + timedelta(days=25), reg, "accident.close", region, subject, {"decision": "结案"}
        )

    def _sensors(self, t: datetime, uscc: str, region: str, reg: str, me: str) -> None:
        serial, dev = f"GD-{uscc}", f"d-{uscc}"
        self.add(
            t,
            reg,
            "enterprise.register_hazard_source",
            region,
            enterprise_id(uscc),
            {
                "uscc": uscc,
                "source": "T-01",
                "name": "罐区",
                "people_within_500m": 40,
                "substances": [{"name": "丙烯", "quantity": 200, "critical": 10, "beta": 1.5}],
            },
        )
        self.actor(t + timedelta(minutes=1), dev, "device", region, uscc)
        self.add(
            t + timedelta(minutes=2),
            me,
            "sensor.install",
            region,
            device_id(serial),
            {
                "enterprise": uscc,
                "serial": serial,
                "account": dev,
                "source": "T-01",
                "quantity": "combustible_gas",
                "unit": "%LEL",
                "high": 20,
                "high_high": 40,
            },
        )
        for i in range(self.rng.choice([1, 2, 3])):
            alarm, at = uuid.uuid4(), t + timedelta(days=1 + i * 10)
            value, level = self.rng.choice([(30, "level1"), (45, "level2")])
            self.add(
                at,
                dev,
                "sensor_alarm.raise",
                region,
                alarm,
                {
                    "enterprise": uscc,
                    "device": str(device_id(serial)),
                    "value": value,
                    "level": level,
                },
            )
            if self.rng.random() < 0.8:
                self.add(at + timedelta(hours=1), me, "sensor_alarm.acknowledge", region, alarm, {})
                if self.rng.random() < 0.8:
                    self.add(at + timedelta(hours=3), me, "sensor_alarm.clear", region, alarm, {})

    def commands(self, n_events: int) -> list[SignedCommand]:
        """Stories until at least n_events commands, signed in log (time) order, cut to n."""
        while len(self.plan) < n_events:
            self.enterprise()
        out = []
        for p in sorted(self.plan)[:n_events]:
            env = {
                "actor": p.account,
                "data": p.data,
                "id": str(uuid.uuid4()),
                "occurred_at": p.at.isoformat(),
                "region": p.region,
                "role": self.roles[p.account],
                "subject": str(p.subject),
                "type": p.ctype,
            }
            text = canonical_text(env)
            key = self.keys[p.account]
            out.append(SignedCommand.of(text, key.sign_b64(text.encode()), key.key_id))
        return out


def check_generator(seed: int, n: int = 4000) -> None:
    """Run a small history from the same generator through the real write path."""
    cmds = Synth(seed).commands(n)
    # Each command is recorded a second after it occurred, as the big store holds it
    # (stored_events): statutory clocks are judged on recorded time.
    now = [datetime.now(UTC)]
    records = Records(
        Ed25519Notary(), CatalogSchemas(), env=sqlite_env(":memory:"), clock=lambda: now[0]
    )
    try:
        for c in cmds:
            now[0] = c.envelope.occurred_at + timedelta(seconds=1)
            records.execute(c)
    finally:
        records.close()


def stored_events(cmds: Sequence[SignedCommand]) -> list[StoredEvent]:
    """The commands in the stored form Records gives them (see domain.record)."""
    versions: dict[uuid.UUID, int] = {}
    topics: dict[tuple[str, bool], tuple[str, str]] = {}
    out = []
    for c in cmds:
        env = c.envelope
        spec = CATALOG[env.type]
        v = versions.get(env.subject, 0) + 1
        versions[env.subject] = v
        key = (env.type, v == 1)
        if key not in topics:
            agg = spec.aggregate
            topics[key] = (get_topic(agg.Created if v == 1 else agg.Event), get_topic(agg))
        topic, agg_topic = topics[key]
        recorded = (env.occurred_at + timedelta(seconds=1)).astimezone(UTC).isoformat()
        state: dict[str, Any] = {"timestamp": {"_type_": "datetime_iso", "_data_": recorded}}
        if v == 1:
            state["originator_topic"] = agg_topic
        state.update(envelope=c.text, signature=c.signature, key_id=c.key_id)
        out.append(
            StoredEvent(
                originator_id=env.subject,
                originator_version=v,
                topic=topic,
                state=json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode(),
            )
        )
    return out


# -- the library's way -------------------------------------------------------------------------


class PollingSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite recorder with the library's own pull subscription (SQLite cannot push)."""

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return ListenNotifySubscription(self, gt, topics)


class StoreApp(Application[uuid.UUID]):
    """The same event store as Records, opened by the library without the platform ports."""

    name = "anjian"


class LibTimelineView(SQLiteTrackingRecorder):
    """The timeline rows and subject map, written with tracking one event at a time."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS lib_timeline (notification_id INTEGER PRIMARY KEY, "
            "uscc TEXT, region TEXT, stage TEXT, type TEXT, subject TEXT, version INTEGER, "
            "actor TEXT, role TEXT, occurred_at TEXT, recorded_at TEXT)",
            "CREATE TABLE IF NOT EXISTS lib_subjects (subject TEXT PRIMARY KEY, uscc TEXT)",
        ]

    def record(
        self, row: tuple[Any, ...] | None, new_subject: tuple[str, str] | None, tracking: Tracking
    ) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._write(c, row, new_subject)
            self._insert_tracking(c, tracking)

    @staticmethod
    def _write(
        c: SQLiteCursor, row: tuple[Any, ...] | None, new_subject: tuple[str, str] | None
    ) -> None:
        if new_subject is not None:
            c.execute("INSERT INTO lib_subjects VALUES (?, ?)", new_subject)
        if row is not None:
            c.execute("INSERT INTO lib_timeline VALUES (?,?,?,?,?,?,?,?,?,?,?)", row)

    def count(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COUNT(*) FROM lib_timeline")
            return int(c.fetchone()[0])


class LibTimeline(LibProjection[LibTimelineView]):
    """Our timeline's logic as a library Projection (domain events from the mapper)."""

    name = "libtimeline"

    def __init__(self, view: LibTimelineView) -> None:
        super().__init__(view)
        self.owners: dict[str, str] = {}

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        env = json.loads(domain_event.envelope)
        subject = str(domain_event.originator_id)
        d = env["data"]
        named = d.get("uscc") if env["type"].startswith("enterprise.") else d.get("enterprise")
        uscc = self.owners.get(subject)
        new = None
        if uscc is None and isinstance(named, str):
            uscc = self.owners[subject] = named
            new = (subject, named)
        row = None
        if uscc is not None:
            spec = CATALOG.get(env["type"])
            row = (
                tracking.notification_id,
                uscc,
                env["region"],
                spec.step if spec else "",
                env["type"],
                subject,
                domain_event.originator_version,
                env["actor"],
                env["role"],
                env["occurred_at"],
                domain_event.timestamp.isoformat(),
            )
        self.view.record(row, new, tracking)


# -- measurements ------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def make_store(path: Path, n: int, seed: int) -> Records:
    records = Records(Ed25519Notary(), CatalogSchemas(), env=sqlite_env(str(path)))
    cmds = Synth(seed).commands(n)
    events = stored_events(cmds)
    del cmds
    for i in range(0, len(events), INSERT_CHUNK):
        records.recorder.insert_events(events[i : i + INSERT_CHUNK])
    # The library can read what we wrote: decode a sample with its own mapper.
    for n_ in records.recorder.select_notifications(1, 50):
        records.mapper.to_domain_event(n_)
    return records


def ours_timeline(records: Records, url: str, batch: int) -> tuple[float, int]:
    engine = open_store(url)
    f = ReadModelFollower(records.recorder, engine, [Timeline()], batch_size=batch)
    seconds = timed(f.catch_up)
    engine.dispose()
    return seconds, f.head()


def library_timeline(events_path: Path, view_path: Path, head: int) -> tuple[float, int]:
    env = {
        **sqlite_env(str(events_path)),
        "APPLICATION_RECORDER_TOPIC": get_topic(PollingSQLiteRecorder),
        "LIBTIMELINE_SQLITE_DBNAME": str(view_path),
    }
    t0 = time.perf_counter()
    with ProjectionRunner(
        application_class=StoreApp,
        projection_class=LibTimeline,
        view_class=LibTimelineView,
        env=env,
    ) as runner:
        runner.wait(head, timeout=3600)
        seconds = time.perf_counter() - t0
        rows = runner.view.count()
    return seconds, rows


def every_projection(records: Records, url: str) -> float:
    engine = open_store(url)
    f = ReadModelFollower(records.recorder, engine, all_projections())
    seconds = timed(f.catch_up)
    engine.dispose()
    return seconds


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} events/s ({seconds:.2f} s)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000, help="events of the full rebuild")
    ap.add_argument(
        "--catchup-batch",
        type=int,
        default=5_000,
        help="batch size of our follower in the timeline comparison",
    )
    ap.add_argument(
        "--runner-events",
        type=int,
        default=50_000,
        help="events for the (slow) library ProjectionRunner comparison",
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2018)
    args = ap.parse_args()
    results: dict[str, str] = {}
    load_before = os.getloadavg()[0]
    t = timed(lambda: check_generator(args.seed))
    print(f"generator checked through Records.execute_batch (4,000 commands, {t:.1f} s)")

    with tempfile.TemporaryDirectory(prefix="anjian-bench-") as tmp:
        root = Path(tmp)
        # 1. catch-up, timeline: ours vs the library's ProjectionRunner, same events file.
        small = make_store(root / "runner-events.sqlite", args.runner_events, args.seed)
        head = int(small.recorder.max_notification_id() or 0)
        ours, lib = [], []
        for i in range(args.runs):
            s, _ = ours_timeline(
                small, f"sqlite:///{root / f'rm-small-{i}.sqlite'}", args.catchup_batch
            )
            ours.append(s)
            s, rows = library_timeline(
                root / "runner-events.sqlite", root / f"lib-view-{i}.sqlite", head
            )
            lib.append(s)
        engine = open_store(f"sqlite:///{root / 'rm-small-0.sqlite'}")
        with engine.connect() as conn:
            ours_rows = conn.exec_driver_sql("SELECT COUNT(*) FROM rm_timeline").scalar()
        engine.dispose()
        assert ours_rows == rows, (ours_rows, rows)
        small.close()
        o, li = statistics.median(ours), statistics.median(lib)
        results[
            f"catch-up, timeline, {head:,} events: our Follower (batches of {args.catchup_batch:,})"
        ] = rate(head, o)
        results[f"catch-up, timeline, {head:,} events: library ProjectionRunner"] = rate(head, li)
        results["ratio (ours / library)"] = f"{li / o:.1f}×"
        print(results)

        # 2. catch-up, every projection, and 3. full rebuild on the big store.
        big_path = root / "events.sqlite"
        n = args.events
        t = timed(lambda: make_store(big_path, n, args.seed + 1).close())
        print(f"{n:,} events generated and inserted in {t:.0f} s")
        records = Records(Ed25519Notary(), CatalogSchemas(), env=sqlite_env(str(big_path)))
        head = int(records.recorder.max_notification_id() or 0)
        rebuilds = []
        for i in range(args.runs):
            url = f"sqlite:///{root / f'rm-big-{i}.sqlite'}"
            rebuilds.append(every_projection(records, url))
            print(f"rebuild {i + 1}: {rebuilds[-1]:.1f} s")
            if i < args.runs - 1:
                os.remove(root / f"rm-big-{i}.sqlite")
        r = statistics.median(rebuilds)
        results[f"full rebuild, every projection, {head:,} events"] = rate(head, r)

        # 4. analytics over the rebuilt read models (whole province).
        engine = open_store(f"sqlite:///{root / f'rm-big-{args.runs - 1}.sqlite'}")
        at = datetime(2025, 1, 1, tzinfo=SHANGHAI)
        with engine.connect() as conn:
            for name in analytics.ANALYSES:
                times = []
                rows_out = 0
                for _ in range(max(3, args.runs)):
                    t0 = time.perf_counter()
                    rows_out = analytics.run(name, conn, "420000", at).height
                    times.append(time.perf_counter() - t0)
                results[f"analytics {name} (province)"] = (
                    f"{statistics.median(times) * 1000:,.0f} ms ({rows_out:,} rows)"
                )
        engine.dispose()
        records.close()
    print(
        f"1-minute load average before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    for k, v in results.items():
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
