"""HazardCase (事故隐患): one hazard of one enterprise, from report to 销号.

总局令第16号 (事故隐患排查治理暂行规定) §§10-18; 安全生产法 2021 §41, §65, §102, §112, §113.

    reported ─order_rectification─► ordered ─────────────────────────────┐ general
                                      │ major                           │
                                      ▼                                 ▼
              report_to_regulator ► reported_to_regulator           rectify ► rectified
              list_for_supervision ► listed (挂牌督办)                    ▲         │
              file_plan ► planned (six items) ──────────── rectify ─────┘   request_recheck
                                                                              ▼
      closed ◄─close (销号)─ accepted ◄─accept (on site)─ recheck_requested ─reject─► back to
        │                                                                  ordered/planned
        └─reopen─► ordered (general) / planned (major)

Overdue is not an event: a case is overdue from the day after its rectification deadline while
rectification is not done (`overdue_since`, `is_overdue(at)`). The deadline binds the
enterprise's rectification; the regulator's own clock — the on-site re-check within 10 days of
the request (§18) — is tracked separately: a late re-check is still recorded, because the case
can only move on through it, and the lateness is exposed in `breaches`.

The enterprise's clocks are judged at the platform's recorded time when it signs the step
(domain.clocks): whether a rectification was on time (`rectified_late`), whether a plan's time
limit has passed; and the regulator's 10 days run from the recorded time of a re-check request
the enterprise signed, so backdating it makes neither side look timely or late.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain.clocks import (
    judged_at_command,
    last_day,
    local_date,
    not_before,
    parse_date,
    within,
)
from domain.commands import (
    DATE,
    DOC_NO,
    ENTERPRISE,
    REF,
    REGULATOR,
    USCC,
    UUID_,
    array,
    boolean,
    command,
    enum,
    obj,
    text,
)
from domain.context import Context
from domain.enterprise import enterprise_of
from domain.envelope import Envelope, SignedCommand
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotAuthorized
from domain.inspection import finding_of
from domain.officers import OFFICERS, check_officers
from domain.record import Record

ORDER = "总局令第16号"
RULE = f"{ORDER}; 安全生产法 §41"
GRADES = {"general": "一般事故隐患", "major": "重大事故隐患"}
SOURCES = {
    "self_check": "企业自查",
    "inspection": "监管检查",
    "public_tip": "群众举报",
    "sensor": "在线监测",
}
# Who may report from which source: enterprises report what they find themselves.
SOURCE_ROLES = {
    "self_check": (ENTERPRISE,),
    "inspection": (REGULATOR,),
    "public_tip": (REGULATOR,),
    "sensor": (ENTERPRISE, REGULATOR),
}
PLAN_ITEMS = {
    "goal": "治理的目标和任务",
    "method": "采取的方法和措施",
    "funds_materials": "经费和物资的落实",
    "responsible": "负责治理的机构和人员",
    "time_limit": "治理的时限和要求",
    "safety_measures": "安全措施和应急预案",
}
RECHECK_DAYS = 10  # §18: 收到申请报告后10日内进行现场审查
RECTIFYING = ("ordered", "reported_to_regulator", "listed", "planned")
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
EVIDENCE = obj({"ref": REF, "sha256": SHA256, "description": text(500)}, ("ref", "sha256"))


class HazardCase(Record):
    KIND = "hazard"
    KIND_ZH = "事故隐患"

    @classmethod
    @command(
        "report",
        event="HazardReported",
        zh="报告事故隐患",
        en="Report hazard",
        event_zh="事故隐患已登记",
        rule=f"{ORDER} §10; 安全生产法 §41",
        roles=(ENTERPRISE, REGULATOR),
        creates=True,
        properties={
            "enterprise": USCC,
            "grade": enum(*GRADES),
            "criterion_ref": REF,
            "source": enum(*SOURCES),
            "description": text(2000),
            "location": text(300),
            "inspection": UUID_,
            "finding": REF,
            "alarm": UUID_,
        },
        required=("enterprise", "grade", "source", "description"),
    )
    def report(cls, cmd: SignedCommand, ctx: Context) -> HazardCase:
        """Preconditions: a major hazard cites the criterion (判定标准) it meets; a hazard found
        by an inspection cites that inspection's hazard finding; only a sensor hazard names the
        alarm it came from.
        """
        env, d = cmd.envelope, cmd.envelope.data
        ent = enterprise_of(cmd, ctx)
        if ctx.find(env.subject, HazardCase) is not None:
            raise AlreadyExists(f"hazard case {env.subject} exists already")
        if d["grade"] == "major" and "criterion_ref" not in d:
            raise InvalidValue(
                "a major hazard must cite the criterion it meets (重大事故隐患判定标准)",
                rule=f"{ORDER} §3",
                field="data.criterion_ref",
            )
        if d["grade"] == "general" and "criterion_ref" in d:
            raise InvalidValue(
                "criterion_ref cites a major-hazard criterion; this hazard is general",
                field="data.criterion_ref",
            )
        if env.role not in SOURCE_ROLES[d["source"]]:
            raise NotAuthorized(
                f"a {env.role} does not report {d['source']} hazards", rule=RULE, field="role"
            )
        if d["source"] == "inspection":
            if finding_of(cmd, ctx, ent.uscc, kind="hazard") is None:
                raise InvalidValue(
                    "a hazard found by an inspection cites the inspection and its finding",
                    field="data.inspection",
                )
        elif "inspection" in d or "finding" in d:
            raise InvalidValue(
                f"a {d['source']} hazard cites no inspection finding", field="data.inspection"
            )
        if "alarm" in d and d["source"] != "sensor":
            raise InvalidValue("only a sensor hazard names an alarm", field="data.alarm")
        return cls.create(cmd)

    def on_report(self, env: Envelope, d: dict[str, Any]) -> None:
        self.enterprise: str = d["enterprise"]
        self.grade: str = d["grade"]
        self.criterion_ref: str | None = d.get("criterion_ref")
        self.source: str = d["source"]
        self.description: str = d["description"]
        self.location: str = d.get("location", "")
        self.inspection: str | None = d.get("inspection")
        self.finding: str | None = d.get("finding")
        self.alarm: str | None = d.get("alarm")
        self.reported_at: datetime = env.occurred_at
        self.last_at: datetime = env.occurred_at
        self.deadline: date | None = None
        self.stop_production = False
        self.evacuate = False
        self.supervision: dict[str, Any] | None = None
        self.plan: dict[str, str] | None = None
        self.evidence: list[dict[str, Any]] = []
        self.rectified_at: datetime | None = None
        self.recheck_requested_at: datetime | None = None
        self.recheck_received_at: datetime | None = None  # judged (domain.clocks): the 10 days
        self.accepted_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.rejections = 0
        self.reopenings = 0
        self.breaches: list[dict[str, str]] = []
        self.status = "reported"

    @property
    def major(self) -> bool:
        return self.grade == "major"

    # -- rectification order and the major-hazard steps ---------------------------------------

    @command(
        "order_rectification",
        event="HazardRectificationOrdered",
        zh="下达隐患整改指令",
        en="Order rectification",
        event_zh="隐患整改已责令",
        rule=f"{ORDER} §§15-16; 安全生产法 §65",
        roles=(REGULATOR, ENTERPRISE),
        properties={
            "deadline": DATE,
            "requirements": text(2000),
            "stop_production": boolean(),
            "evacuate": boolean(),
            "document_no": DOC_NO,
        },
        required=("deadline", "requirements"),
    )
    def order_rectification(self, cmd: SignedCommand, ctx: Context) -> None:
        """A general hazard may be put under rectification by the enterprise itself (立即/限期
        整改); a major one only by the regulator, which may stop production and evacuate.
        """
        env, d = cmd.envelope, cmd.envelope.data
        self.require("reported", action="a rectification order", rule=RULE)
        not_before(env.occurred_at, self.last_at, "the rectification order")
        if self.major and env.role != REGULATOR:
            raise NotAuthorized(
                "only the regulator orders the rectification of a major hazard",
                rule=f"{ORDER} §16",
                field="role",
            )
        if not self.major and (d.get("stop_production") or d.get("evacuate")):
            raise InvalidValue(
                "stopping production or evacuating is ordered for major hazards only "
                "(a general hazard can be removed at once)",
                rule=f"{ORDER} §3",
                field="data.stop_production",
            )
        self._check_deadline(d["deadline"], env.occurred_at)
        self.record(cmd)

    def on_order_rectification(self, env: Envelope, d: dict[str, Any]) -> None:
        self.deadline = date.fromisoformat(d["deadline"])
        self.requirements: str = d["requirements"]
        self.stop_production = bool(d.get("stop_production", False))
        self.evacuate = bool(d.get("evacuate", False))
        self.ordered_at: datetime = env.occurred_at
        self.last_at = env.occurred_at
        self.status = "ordered"

    @command(
        "report_to_regulator",
        event="MajorHazardReportedToRegulator",
        zh="重大事故隐患报告",
        en="Report major hazard to regulator",
        event_zh="重大事故隐患已报告监管部门",
        rule=f"{ORDER} §14",
        roles=(ENTERPRISE,),
        properties={"status_and_cause": text(2000), "harm_analysis": text(2000)},
        required=("status_and_cause", "harm_analysis"),
    )
    def report_to_regulator(self, cmd: SignedCommand, ctx: Context) -> None:
        self._major_only("reporting to the regulator")
        self.require("ordered", action="the major-hazard report", rule=f"{ORDER} §14")
        not_before(cmd.envelope.occurred_at, self.last_at, "the major-hazard report")
        self.record(cmd)

    def on_report_to_regulator(self, env: Envelope, d: dict[str, Any]) -> None:
        self.regulator_report = {
            "status_and_cause": d["status_and_cause"],
            "harm_analysis": d["harm_analysis"],
            "at": env.occurred_at.isoformat(),
        }
        self.last_at = env.occurred_at
        self.status = "reported_to_regulator"

    @command(
        "list_for_supervision",
        event="HazardListedForSupervision",
        zh="重大事故隐患挂牌督办",
        en="List major hazard for supervision",
        event_zh="重大事故隐患已挂牌督办",
        rule=f"{ORDER} §20; 安全生产法 §65",
        roles=(REGULATOR,),
        properties={"supervisor": text(200), "document_no": DOC_NO},
        required=("supervisor", "document_no"),
    )
    def list_for_supervision(self, cmd: SignedCommand, ctx: Context) -> None:
        self._major_only("挂牌督办")
        self.require("reported_to_regulator", action="挂牌督办", rule=f"{ORDER} §20")
        not_before(cmd.envelope.occurred_at, self.last_at, "挂牌督办")
        self.record(cmd)

    def on_list_for_supervision(self, env: Envelope, d: dict[str, Any]) -> None:
        self.supervision = {
            "supervisor": d["supervisor"],
            "document_no": d["document_no"],
            "listed_at": env.occurred_at.isoformat(),
            "lifted_at": None,
        }
        self.last_at = env.occurred_at
        self.status = "listed"

    @command(
        "file_plan",
        event="HazardTreatmentPlanFiled",
        zh="报送重大事故隐患治理方案",
        en="File treatment plan",
        event_zh="重大事故隐患治理方案已报送",
        rule=f"{ORDER} §15",
        roles=(ENTERPRISE, REGULATOR),
        properties={
            "goal": text(2000),
            "method": text(2000),
            "funds_materials": text(2000),
            "responsible": text(500),
            "time_limit": DATE,
            "safety_measures": text(2000),
        },
        required=tuple(PLAN_ITEMS),
    )
    def file_plan(self, cmd: SignedCommand, ctx: Context) -> None:
        """All six items of §15 are required and none may be blank; the plan's time limit may
        not run past the rectification deadline. A listed case may file a revised plan.
        """
        env, d = cmd.envelope, cmd.envelope.data
        self._major_only("a treatment plan")
        self.require("listed", "planned", action="a treatment plan", rule=f"{ORDER} §15")
        not_before(env.occurred_at, self.last_at, "the treatment plan")
        for item, name in PLAN_ITEMS.items():
            if not str(d[item]).strip():
                raise InvalidValue(
                    f"the treatment plan lacks {name}", rule=f"{ORDER} §15", field=f"data.{item}"
                )
        limit = parse_date(d["time_limit"], "data.time_limit")
        if self.deadline is not None and limit > self.deadline:
            raise InvalidValue(
                f"the plan's time limit {limit} runs past the rectification deadline "
                f"{self.deadline}",
                rule=f"{ORDER} §15",
                field="data.time_limit",
            )
        if limit < local_date(judged_at_command(cmd)):
            raise InvalidValue(f"the plan's time limit {limit} has passed", field="data.time_limit")
        self.record(cmd)

    def on_file_plan(self, env: Envelope, d: dict[str, Any]) -> None:
        self.plan = {item: d[item] for item in PLAN_ITEMS}
        self.last_at = env.occurred_at
        self.status = "planned"

    # -- rectification, re-check, acceptance ------------------------------------------------

    @command(
        "rectify",
        event="HazardRectified",
        zh="隐患整改完成",
        en="Report rectification done",
        event_zh="隐患已整改",
        rule=f"{ORDER} §§15-17",
        roles=(ENTERPRISE, REGULATOR),
        properties={"description": text(2000), "evidence": array(EVIDENCE, 1, 100)},
        required=("description", "evidence"),
    )
    def rectify(self, cmd: SignedCommand, ctx: Context) -> None:
        """A major hazard is rectified only under its filed six-item plan."""
        if self.major and self.status in ("ordered", "reported_to_regulator", "listed"):
            raise InvalidTransition(
                f"major hazard {self.id} is {self.status}: it must be reported, listed for "
                "supervision and have its six-item treatment plan before rectification",
                rule=f"{ORDER} §§14-15",
            )
        self.require(
            "planned" if self.major else "ordered", action="rectification", rule=f"{ORDER} §15"
        )
        not_before(cmd.envelope.occurred_at, self.last_at, "the rectification")
        self.record(cmd)

    def on_rectify(self, env: Envelope, d: dict[str, Any]) -> None:
        self.evidence.extend(dict(e) for e in d["evidence"])
        self.rectification: str = d["description"]
        self.rectified_at = env.occurred_at
        self.rectified_late = self.deadline is not None and not within(
            self.judged_at_event(env), self.deadline
        )
        self.last_at = env.occurred_at
        self.status = "rectified"

    @command(
        "request_recheck",
        event="HazardRecheckRequested",
        zh="申请隐患复查销号",
        en="Request re-check",
        event_zh="隐患复查已申请",
        rule=f"{ORDER} §18",
        roles=(ENTERPRISE,),
        properties={"note": text(1000)},
    )
    def request_recheck(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("rectified", action="a re-check request", rule=f"{ORDER} §18")
        not_before(cmd.envelope.occurred_at, self.last_at, "the re-check request")
        self.record(cmd)

    def on_request_recheck(self, env: Envelope, d: dict[str, Any]) -> None:
        self.recheck_requested_at = env.occurred_at
        self.recheck_received_at = self.judged_at_event(env)
        self.last_at = env.occurred_at
        self.status = "recheck_requested"

    @property
    def recheck_due(self) -> date | None:
        """The last day for the on-site re-check of the pending request (§18: 10 days)."""
        if self.status != "recheck_requested" or self.recheck_received_at is None:
            return None
        return last_day(self.recheck_received_at, RECHECK_DAYS)

    @command(
        "accept",
        event="HazardRectificationAccepted",
        zh="隐患整改复查合格",
        en="Accept rectification on site",
        event_zh="隐患整改复查合格",
        rule=f"{ORDER} §18",
        roles=(REGULATOR,),
        properties={"officers": OFFICERS, "on_site": boolean(), "report": text(2000)},
        required=("officers", "on_site", "report"),
    )
    def accept(self, cmd: SignedCommand, ctx: Context) -> None:
        self._recheck(cmd, ctx, "acceptance")
        self.record(cmd)

    def on_accept(self, env: Envelope, d: dict[str, Any]) -> None:
        self._note_recheck(env, "acceptance")
        self.accepted_at = env.occurred_at
        self.status = "accepted"

    @command(
        "reject",
        event="HazardRectificationRejected",
        zh="隐患整改复查不合格",
        en="Reject rectification",
        event_zh="隐患整改复查不合格",
        rule=f"{ORDER} §18",
        roles=(REGULATOR,),
        properties={
            "officers": OFFICERS,
            "on_site": boolean(),
            "reasons": text(2000),
            "deadline": DATE,
        },
        required=("officers", "on_site", "reasons"),
    )
    def reject(self, cmd: SignedCommand, ctx: Context) -> None:
        """Back to rectification, under a new deadline when one is given."""
        self._recheck(cmd, ctx, "rejection")
        if "deadline" in cmd.envelope.data:
            self._check_deadline(cmd.envelope.data["deadline"], cmd.envelope.occurred_at)
        self.record(cmd)

    def on_reject(self, env: Envelope, d: dict[str, Any]) -> None:
        self._note_recheck(env, "rejection")
        if "deadline" in d:
            self.deadline = date.fromisoformat(d["deadline"])
        self.rejections += 1
        self.rectified_at = None
        self.recheck_requested_at = None
        self.status = "planned" if self.major else "ordered"

    def _recheck(self, cmd: SignedCommand, ctx: Context, action: str) -> None:
        env, d = cmd.envelope, cmd.envelope.data
        self.require("recheck_requested", action=action, rule=f"{ORDER} §18")
        not_before(env.occurred_at, self.last_at, action)
        if not d["on_site"]:
            raise InvalidValue(
                "the re-check is an on-site review (现场审查)",
                rule=f"{ORDER} §18",
                field="data.on_site",
            )
        check_officers(d["officers"], ctx, env.region, "data.officers")

    def _note_recheck(self, env: Envelope, action: str) -> None:
        due = self.recheck_due
        if due is not None and not within(env.occurred_at, due):
            self.breaches.append(
                {
                    "rule": f"{ORDER} §18",
                    "step": action,
                    "due": due.isoformat(),
                    "at": env.occurred_at.isoformat(),
                }
            )
        self.last_at = env.occurred_at

    # -- 销号 and reopening ------------------------------------------------------------------

    @command(
        "close",
        event="HazardClosed",
        zh="隐患销号",
        en="Close hazard case",
        event_zh="隐患已销号",
        rule=f"{ORDER} §18",
        roles=(REGULATOR,),
        properties={"document_no": DOC_NO, "note": text(1000)},
    )
    def close(self, cmd: SignedCommand, ctx: Context) -> None:
        """销号 follows an accepted on-site re-check; for a listed major hazard it also lifts
        the 挂牌督办."""
        self.require("accepted", action="销号", rule=f"{ORDER} §18")
        not_before(cmd.envelope.occurred_at, self.last_at, "销号")
        self.record(cmd)

    def on_close(self, env: Envelope, d: dict[str, Any]) -> None:
        if self.supervision is not None:
            self.supervision["lifted_at"] = env.occurred_at.isoformat()
        self.closed_at = env.occurred_at
        self.last_at = env.occurred_at
        self.status = "closed"

    @command(
        "reopen",
        event="HazardReopened",
        zh="隐患重新整改",
        en="Reopen hazard case",
        event_zh="隐患已重新打开",
        rule=f"{ORDER} §18; 安全生产法 §65",
        roles=(REGULATOR,),
        properties={"reason": text(2000), "deadline": DATE},
        required=("reason", "deadline"),
    )
    def reopen(self, cmd: SignedCommand, ctx: Context) -> None:
        """A closed case found not (or no longer) rectified returns to rectification under a new
        deadline; a major one keeps its listing and plan and is listed again."""
        self.require("closed", action="reopening", rule=RULE)
        not_before(cmd.envelope.occurred_at, self.last_at, "reopening")
        self._check_deadline(cmd.envelope.data["deadline"], cmd.envelope.occurred_at)
        self.record(cmd)

    def on_reopen(self, env: Envelope, d: dict[str, Any]) -> None:
        self.deadline = date.fromisoformat(d["deadline"])
        if self.supervision is not None:
            self.supervision["lifted_at"] = None
        self.reopenings += 1
        self.rectified_at = self.recheck_requested_at = None
        self.accepted_at = self.closed_at = None
        self.last_at = env.occurred_at
        self.status = "planned" if self.major else "ordered"

    # -- derived -----------------------------------------------------------------------------

    @property
    def overdue_since(self) -> date | None:
        """The first day past the rectification deadline, while rectification is not done."""
        if self.deadline is None or self.status not in RECTIFYING:
            return None
        return self.deadline + timedelta(days=1)

    def is_overdue(self, at: datetime) -> bool:
        """True when, at `at`, the deadline has passed and rectification is still not done."""
        since = self.overdue_since
        return since is not None and local_date(at) >= since

    def _major_only(self, action: str) -> None:
        if not self.major:
            raise InvalidTransition(
                f"hazard {self.id} is general; {action} applies to major hazards only",
                rule=f"{ORDER} §14",
            )

    def _check_deadline(self, value: str, at: datetime) -> None:
        deadline = parse_date(value, "data.deadline")
        if deadline < local_date(at):
            raise InvalidValue(
                f"deadline {deadline} is before the day of the order {local_date(at)}",
                rule=RULE,
                field="data.deadline",
            )
