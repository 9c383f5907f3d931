"""Real regulatory histories for projection tests: every record goes through Records.execute."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.ids import actor_id, device_id, enterprise_id
from tests.projections.world import World
from tests.support import SHANGHAI, new_uscc

EVIDENCE = [{"ref": "photo-1", "sha256": "ab" * 32}]
PLAN = {
    "goal": "消除隐患",
    "method": "更换阀门",
    "funds_materials": "资金已落实",
    "responsible": "设备部",
    "safety_measures": "停用储罐并制定应急预案",
}


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SHANGHAI)


# Every site was registered before any history a test tells about it (no record may be dated
# before its enterprise was registered).
REGISTERED = at("2018-01-02", 9)


class Site:
    """One enterprise in `region`, its own account and its regulator's two officers."""

    def __init__(
        self,
        w: World,
        regulator: str,
        region: str,
        *,
        industry: str = "hazardous_chemicals",
        standardisation: str = "level2",
        name: str = "",
    ) -> None:
        self.w, self.h, self.reg, self.region = w, w.h, regulator, region
        self.uscc = new_uscc(region)
        self.h.run_as(
            regulator,
            "enterprise.register",
            region,
            {
                "uscc": self.uscc,
                "name": name or f"企业{self.uscc[-6:]}",
                "industry": industry,
                "standardisation": standardisation,
            },
            subject=enterprise_id(self.uscc),
            occurred_at=REGISTERED,
        )
        self.account = f"e-{self.uscc}"
        self.h.actor(self.account, "enterprise", region, enterprise=self.uscc)
        self.officers = [f"{regulator}-o1", f"{regulator}-o2"]
        jurisdiction = self.h.records.load(actor_id(regulator), Actor).jurisdiction
        for o in self.officers:
            if o not in self.h.keys:
                self.h.actor(o, "regulator", jurisdiction)

    def run(
        self,
        ctype: str,
        data: dict[str, Any],
        subject: UUID,
        *,
        who: str | None = None,
        when: datetime | None = None,
    ) -> None:
        self.h.run_as(who or self.reg, ctype, self.region, data, subject=subject, occurred_at=when)

    # -- enterprise --------------------------------------------------------------------------

    def profile(self, when: datetime | None = None, **changes: Any) -> None:
        self.run(
            "enterprise.update_profile",
            {"uscc": self.uscc, **changes},
            enterprise_id(self.uscc),
            when=when,
        )

    def risk_point(self, point: str, colour: str) -> None:
        self.run(
            "enterprise.assess_risk_point",
            {
                "uscc": self.uscc,
                "point": point,
                "name": f"风险点{point}",
                "five_highs": ["process"],
                "colour": colour,
            },
            enterprise_id(self.uscc),
        )

    # -- hazards -----------------------------------------------------------------------------

    def hazard(
        self, grade: str = "general", criterion: str = "HC-2017-121-7", when: datetime | None = None
    ) -> UUID:
        case = uuid4()
        data: dict[str, Any] = {
            "enterprise": self.uscc,
            "grade": grade,
            "source": "public_tip",
            "description": "储罐阀门泄漏",
        }
        if grade == "major":
            data["criterion_ref"] = criterion
        self.run("hazard.report", data, case, when=when)
        return case

    def order(self, case: UUID, deadline: str, when: datetime | None = None) -> None:
        self.run(
            "hazard.order_rectification",
            {"deadline": deadline, "requirements": "限期整改"},
            case,
            when=when,
        )

    def supervise(
        self, case: UUID, deadline: str = "2030-12-31", when: datetime | None = None
    ) -> None:
        """A reported major hazard, ordered, reported by the unit and listed (挂牌督办)."""
        self.order(case, deadline, when)
        self.run(
            "hazard.report_to_regulator",
            {"status_and_cause": "阀门老化", "harm_analysis": "可能中毒"},
            case,
            who=self.account,
            when=when,
        )
        self.run(
            "hazard.list_for_supervision",
            {"supervisor": "应急管理局", "document_no": "DB-1"},
            case,
            when=when,
        )

    def remove(
        self, case: UUID, major: bool, plan_limit: str = "2030-12-31", when: datetime | None = None
    ) -> None:
        """Rectify, re-check and close (销号) an ordered (or listed) case."""
        if major:
            self.run(
                "hazard.file_plan",
                {**PLAN, "time_limit": plan_limit},
                case,
                who=self.account,
                when=when,
            )
        self.run(
            "hazard.rectify",
            {"description": "已整改", "evidence": EVIDENCE},
            case,
            who=self.account,
            when=when,
        )
        self.run("hazard.request_recheck", {}, case, who=self.account, when=when)
        self.run(
            "hazard.accept",
            {"officers": self.officers, "on_site": True, "report": "合格"},
            case,
            when=when,
        )
        self.run("hazard.close", {"document_no": "XH-1"}, case, when=when)

    # -- penalties ---------------------------------------------------------------------------

    def penalty(
        self, fine_yuan: int = 10_000, when: datetime | None = None, served: bool = True
    ) -> UUID:
        """A small fine filed, investigated, reviewed, noticed, decided (and served)."""
        case = uuid4()
        when = when or self.h.tick()
        day = (when - timedelta(days=3)).date().isoformat()
        o1 = self.officers[0]
        self.run(
            "penalty.file",
            {
                "enterprise": self.uscc,
                "case_no": f"罚-{case.hex[:6]}",
                "violation": "未按规定排查隐患",
                "basis": "安全生产法 §102",
                "violation_date": day,
            },
            case,
            who=o1,
            when=when,
        )
        self.run(
            "penalty.investigate",
            {"officers": self.officers, "facts": "查明", "evidence": EVIDENCE},
            case,
            who=o1,
            when=when,
        )
        proposed = {"types": ["fine"], "fine_yuan": fine_yuan}
        self.run(
            "penalty.review",
            {"conclusion": "penalty", "opinion": "事实清楚", "proposed": proposed},
            case,
            who=o1,
            when=when,
        )
        self.run(
            "penalty.notify",
            {
                "facts": "事实",
                "basis": "§102",
                "proposed": proposed,
                "rights": ["statement", "defence"],
            },
            case,
            who=o1,
            when=when,
        )
        self.run(
            "penalty.decide",
            {"decision_no": "决-1", "outcome": "penalty", "penalty": proposed, "reasons": "理由"},
            case,
            who=o1,
            when=when,
        )
        if served:
            self.run(
                "penalty.serve",
                {"method": "on_the_spot", "receipt": "R-1"},
                case,
                who=o1,
                when=when,
            )
        return case

    def pay(self, case: UUID, fen: int, when: datetime | None = None) -> None:
        self.run(
            "penalty.pay",
            {"amount_fen": fen, "receipt": "BANK-1"},
            case,
            who=self.officers[0],
            when=when,
        )

    def revoke_penalty(self, case: UUID, when: datetime | None = None) -> None:
        self.run(
            "penalty.revoke",
            {"by": "reconsideration", "reason": "复议撤销"},
            case,
            who=self.officers[0],
            when=when,
        )

    # -- accidents ---------------------------------------------------------------------------

    def accident(
        self, deaths: int = 0, injuries: int = 0, loss: float = 0, when: datetime | None = None
    ) -> UUID:
        subject = uuid4()
        when = when or self.h.tick()
        self.run(
            "accident.report",
            {
                "enterprise": self.uscc,
                "happened_at": (when - timedelta(minutes=30)).isoformat(),
                "kind": "fall_from_height",
                "summary": "坍塌",
                "deaths": deaths,
                "serious_injuries": injuries,
                "direct_loss": loss,
            },
            subject,
            when=when,
        )
        return subject

    def investigate_accident(
        self, subject: UUID, liability: bool, when: datetime | None = None
    ) -> None:
        self.run("accident.open_investigation", {"authority": "应急管理局"}, subject, when=when)
        self.run(
            "accident.submit_report", {"cause": "违章", "liability": liability}, subject, when=when
        )

    def conceal(self, subject: UUID, when: datetime | None = None) -> None:
        self.run(
            "accident.flag_concealment",
            {"finding": "concealed", "basis": "查实瞒报"},
            subject,
            when=when,
        )

    # -- licences ----------------------------------------------------------------------------

    def permit(self, when: datetime) -> UUID:
        subject = uuid4()
        self.run(
            "permit.apply",
            {"enterprise": self.uscc, "industry": "hazardous_chemicals", "scope": "液氯生产"},
            subject,
            when=when,
        )
        self.run("permit.grant", {"number": "安许-1"}, subject, when=when)
        return subject

    def certificate(self, when: datetime) -> UUID:
        subject = uuid4()
        self.run(
            "certificate.issue",
            {
                "enterprise": self.uscc,
                "holder": {"ref": str(uuid4()), "commitment": "5e" * 32, "sealed": "c2VhbGVk"},
                "category": "welding_cutting",
                "operation": "焊接",
                "number": "T-1",
                "exam_score": 90,
                "exam_on": (when - timedelta(days=5)).date().isoformat(),
            },
            subject,
            when=when,
        )
        return subject

    # -- sensors -----------------------------------------------------------------------------

    def alarm(self, value: float = 30, level: str = "level1") -> UUID:
        """An alarm from a combustible-gas detector (set points 20/40 %LEL) at source T-01."""
        serial = f"GD-{self.uscc[-6:]}"
        device = device_id(serial)
        dev = f"dev-{self.uscc}"
        if dev not in self.h.keys:
            self.run(
                "enterprise.register_hazard_source",
                {
                    "uscc": self.uscc,
                    "source": "T-01",
                    "name": "罐区",
                    "substances": [{"name": "丙烯", "quantity": 200, "critical": 10, "beta": 1.5}],
                    "people_within_500m": 40,
                },
                enterprise_id(self.uscc),
            )
            self.h.actor(dev, "device", self.region, enterprise=self.uscc)
            self.run(
                "sensor.install",
                {
                    "enterprise": self.uscc,
                    "serial": serial,
                    "account": dev,
                    "source": "T-01",
                    "quantity": "combustible_gas",
                    "unit": "%LEL",
                    "high": 20,
                    "high_high": 40,
                    "substance": "丙烯",
                },
                device,
                who=self.account,
            )
        subject = uuid4()
        self.run(
            "sensor_alarm.raise",
            {"enterprise": self.uscc, "device": str(device), "value": value, "level": level},
            subject,
            who=dev,
        )
        return subject
