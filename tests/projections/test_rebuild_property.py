"""Property: for any history, rebuilding from scratch gives exactly the state reached
incrementally — whatever the batch sizes, restarts and moments the follower ran at — and every
row that mirrors a record agrees with the record's own aggregate."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.accident import Accident
from domain.certificate import TrainingCertificate
from domain.data_subject import DataSubject
from domain.errors import DomainError
from domain.hazard import HazardCase
from domain.penalty import PenaltyCase
from domain.permit import Permit
from domain.sensor import SensorAlarm
from projections.accidents import accidents
from projections.alarms import alarms
from projections.follower import ReadModelFollower
from projections.hazards import hazards
from projections.licences import licences
from projections.penalties import penalties
from projections.personal_data import personal_data
from projections.registry import all_projections
from projections.store import metadata, open_store, tracking
from tests.projections.scenes import EVIDENCE, PLAN, Site
from tests.projections.world import WUHAN, YICHANG, World, dump

REGIONS = [(WUHAN, "420102"), (WUHAN, "420111"), (YICHANG, "420502")]
LEVELS = ["level1", "level2", "level3", "none"]
# The next step of a hazard case by its status (major cases take the listed path); where
# there are two, the drawn boolean picks.
NEXT_STEP = {
    "reported": ("order", "order"),
    "ordered": ("rectify", "report_to_regulator"),
    "reported_to_regulator": ("list", "list"),
    "listed": ("plan", "plan"),
    "planned": ("rectify", "rectify"),
    "rectified": ("recheck", "recheck"),
    "recheck_requested": ("accept", "reject"),
    "accepted": ("close", "close"),
    "closed": ("reopen", "reopen"),
}

idx = st.integers(0, 50)
action = st.one_of(
    st.tuples(st.just("register"), st.integers(0, 2), st.sampled_from(LEVELS)),
    st.tuples(st.just("profile"), idx, st.sampled_from(LEVELS)),
    st.tuples(st.just("hazard"), idx, st.sampled_from(["general", "major"])),
    *[st.tuples(st.just("hazard_step"), idx, st.booleans())] * 3,
    *[st.tuples(st.just("hazards_step"), st.just(0), st.booleans())] * 3,
    st.tuples(st.just("penalty"), idx, st.integers(1, 50)),
    st.tuples(st.just("pay"), idx, st.integers(1, 3)),
    st.tuples(st.just("revoke"), idx, st.just(0)),
    st.tuples(st.just("accident"), idx, st.sampled_from([0, 1, 3, 10])),
    st.tuples(st.just("investigate"), idx, st.booleans()),
    st.tuples(st.just("conceal"), idx, st.just(0)),
    st.tuples(st.just("permit"), idx, st.integers(0, 4)),
    st.tuples(st.just("certificate"), idx, st.integers(0, 7)),
    st.tuples(st.just("erase_holder"), idx, st.just(0)),
    st.tuples(st.just("alarm"), idx, st.sampled_from([25, 45])),
    st.tuples(st.just("alarm_step"), idx, st.sampled_from(["acknowledge", "clear"])),
    st.tuples(st.just("risk"), idx, st.sampled_from(["red", "orange", "yellow", "blue"])),
    st.tuples(st.just("wait"), st.integers(1, 400), st.just(0)),
    st.tuples(st.just("follow"), st.integers(1, 40), st.just(0)),
    st.tuples(st.just("restart"), st.just(0), st.just(0)),
)


class Story:
    """Plays actions on a world; rejected commands are part of life and leave nothing."""

    def __init__(self, w: World, follower_batch: int) -> None:
        self.w = w
        self.sites: list[Site] = []
        self.hazards: list[tuple[Site, UUID, str]] = []
        self.penalties: list[tuple[Site, UUID]] = []
        self.accidents: list[tuple[Site, UUID]] = []
        self.alarms: list[tuple[Site, UUID]] = []
        self.certificates: list[tuple[Site, UUID]] = []
        self.follower = w.follower(all_projections(), follower_batch)

    def pick(self, items: list[Any], i: int) -> Any:
        return items[i % len(items)] if items else None

    def play(self, kind: str, a: Any, b: Any) -> None:
        h = self.w.h
        h.tick(hours=7)
        if kind == "wait":
            h.tick(days=a)
        elif kind == "follow":
            self.follower.batch_size = a
            self.follower.step()
        elif kind == "restart":
            self.follower = ReadModelFollower(
                h.records.recorder, self.w.engine, all_projections(), self.follower.batch_size
            )
        elif kind == "register":
            regulator, region = REGIONS[a]
            self.sites.append(Site(self.w, regulator, region, standardisation=b))
        elif self.sites:
            with contextlib.suppress(DomainError):
                self._act(kind, a, b)

    def _act(self, kind: str, a: int, b: Any) -> None:
        h = self.w.h
        site: Site = self.pick(self.sites, a)
        soon = (h.clock + timedelta(days=20)).date().isoformat()
        if kind == "profile":
            site.profile(standardisation=b)
        elif kind == "hazard":
            self.hazards.append((site, site.hazard(b), b))
        elif kind == "hazard_step" and self.hazards:
            s, case, grade = self.pick(self.hazards, a)
            self._hazard_step(s, case, grade, b, soon)
        elif kind == "hazards_step":
            for s, case, grade in self.hazards:
                with contextlib.suppress(DomainError):
                    self._hazard_step(s, case, grade, b, soon)
        elif kind == "penalty":
            self.penalties.append((site, site.penalty(fine_yuan=b * 1000, served=b % 4 != 0)))
        elif kind == "pay" and self.penalties:
            s, case = self.pick(self.penalties, a)
            fine = h.records.load(case, PenaltyCase).owed_fen(h.clock)
            s.pay(case, max(1, fine // b))
        elif kind == "revoke" and self.penalties:
            s, case = self.pick(self.penalties, a)
            s.revoke_penalty(case)
        elif kind == "accident":
            self.accidents.append((site, site.accident(deaths=b)))
        elif kind == "investigate" and self.accidents:
            s, acc = self.pick(self.accidents, a)
            s.investigate_accident(acc, liability=b)
        elif kind == "conceal" and self.accidents:
            s, acc = self.pick(self.accidents, a)
            s.conceal(acc)
        elif kind == "permit":
            site.permit(h.clock - timedelta(days=365 * b))
        elif kind == "certificate":
            self.certificates.append((site, site.certificate(h.clock - timedelta(days=365 * b))))
        elif kind == "erase_holder" and self.certificates:
            s, cert = self.pick(self.certificates, a)
            holder = UUID(h.records.load(cert, TrainingCertificate).holder_ref)
            s.run("person.erase", {"record": str(cert)}, holder)
        elif kind == "alarm":
            self.alarms.append((site, site.alarm(b, "level1" if b < 40 else "level2")))
        elif kind == "alarm_step" and self.alarms:
            s, alarm = self.pick(self.alarms, a)
            s.run(f"sensor_alarm.{b}", {}, alarm, who=s.account)
        elif kind == "risk":
            site.risk_point(f"RP{a % 3}", b)

    def _hazard_step(self, s: Site, case: UUID, grade: str, choice: bool, soon: str) -> None:
        status = self.w.h.records.load(case, HazardCase).status
        step = NEXT_STEP[status][int(choice or (grade == "major" and status == "ordered"))]
        rec: dict[str, tuple[str, dict[str, Any], str | None]] = {
            "order": ("order_rectification", {"deadline": soon, "requirements": "整改"}, None),
            "report_to_regulator": (
                "report_to_regulator",
                {"status_and_cause": "老化", "harm_analysis": "中毒"},
                s.account,
            ),
            "list": ("list_for_supervision", {"supervisor": "局", "document_no": "D-1"}, None),
            "plan": ("file_plan", {**PLAN, "time_limit": soon}, s.account),
            "rectify": ("rectify", {"description": "已整改", "evidence": EVIDENCE}, s.account),
            "recheck": ("request_recheck", {}, s.account),
            "accept": ("accept", {"officers": s.officers, "on_site": True, "report": "合格"}, None),
            "reject": (
                "reject",
                {"officers": s.officers, "on_site": True, "reasons": "不合格"},
                None,
            ),
            "close": ("close", {"document_no": "XH-1"}, None),
            "reopen": ("reopen", {"reason": "复发", "deadline": soon}, None),
        }
        verb, data, who = rec[step]
        s.run(f"hazard.{verb}", data, case, who=who)


def state(w_engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    with w_engine.connect() as conn:
        return dump(conn, tables=[t for t in metadata.sorted_tables if t is not tracking])


def mirrors_the_aggregates(w: World) -> None:
    load = w.h.records.load
    with w.engine.connect() as conn:
        for r in conn.execute(select(hazards)):
            assert load(UUID(r.subject), HazardCase).status == r.status
        for r in conn.execute(select(penalties)):
            assert load(UUID(r.subject), PenaltyCase).status == r.status
        for r in conn.execute(select(accidents)):
            acc = load(UUID(r.subject), Accident)
            assert (acc.grade, acc.liability, acc.status) == (r.grade, r.liability, r.status)
        for r in conn.execute(select(alarms)):
            assert load(UUID(r.subject), SensorAlarm).status == r.status
        for r in conn.execute(select(personal_data)):
            holder = load(UUID(r.record), TrainingCertificate).holder_ref
            assert holder == r.ref
            if r.status == "erased":
                assert load(UUID(r.ref), DataSubject).record_id == r.record
        for r in conn.execute(select(licences)):
            if r.kind == "permit":
                p = load(UUID(r.subject), Permit)
                assert (p.status, p.expires_on) == (r.status, r.expires_on)
            else:
                c = load(UUID(r.subject), TrainingCertificate)
                assert (c.status, c.valid_until, c.review_due) == (
                    r.status,
                    r.expires_on,
                    r.review_due,
                )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    actions=st.lists(action, min_size=15, max_size=60),
    batch=st.integers(1, 30),
    rebuild_batch=st.integers(1, 5000),
)
def test_rebuild_from_scratch_equals_the_incremental_state(
    actions: list[tuple[str, Any, Any]], batch: int, rebuild_batch: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        w = World(None, f"sqlite:///{Path(tmp) / 'incremental.sqlite'}")
        try:
            story = Story(w, batch)
            story.play("register", 0, "level1")
            story.play("register", 2, "level2")
            for kind, a, b in actions:
                story.play(kind, a, b)
            story.follower.catch_up()
            incremental = state(w.engine)

            fresh = open_store(f"sqlite:///{Path(tmp) / 'fresh.sqlite'}")
            ReadModelFollower(
                w.h.records.recorder, fresh, all_projections(), rebuild_batch
            ).catch_up()
            assert state(fresh) == incremental
            fresh.dispose()

            story.follower.rebuild()
            assert state(w.engine) == incremental
            mirrors_the_aggregates(w)
        finally:
            w.close()
