"""Inspection (监管执法检查): an on-site inspection of one enterprise by at least two officers.

安全生产法 §65 (inspection powers and measures), 行政处罚法 §42 (two officers).

    in_progress ──record_finding / order_measure──► in_progress ──close──► closed

Every step is signed by one of the inspecting officers the inspection names (`officers`, at
least two; 安全生产法 §68, 行政处罚法 §42): another regulator, even of the same jurisdiction,
is refused with NotAnOfficer.

Findings are numbered by the inspecting officers (`finding` refs, unique per inspection); hazard
cases and penalty cases opened from a finding carry `inspection` and `finding` and are checked
against it by `finding_of`. Measures (责令改正, 责令停产停业整顿, 查封扣押设备) must cite the
findings they answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.clocks import local_date, not_before, parse_date
from domain.commands import DATE, DOC_NO, REF, REGULATOR, USCC, UUID_, array, command, enum, text
from domain.context import Context
from domain.enterprise import enterprise_of
from domain.envelope import Envelope, SignedCommand
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFound
from domain.officers import OFFICERS, check_officers, check_signer
from domain.record import Record

RULE = "安全生产法 §65"
TWO_OFFICERS = "行政处罚法 §42"
TYPES = {
    "routine_plan": "计划检查",
    "special_campaign": "专项检查",
    "double_random": "双随机抽查",
    "complaint": "举报投诉核查",
    "accident_follow_up": "事故后检查",
    "re_inspection": "复查",
}
# A random draw or a complaint must be traceable to its source record.
NEEDS_SOURCE = ("double_random", "complaint")
FINDING_KINDS = {"hazard": "事故隐患", "violation": "违法行为"}
MEASURES = {
    "order_correct": "责令改正/限期整改",
    "stop_production": "责令停产停业整顿",
    "seal_equipment": "查封扣押设施设备",
}


class Inspection(Record):
    KIND = "inspection"
    KIND_ZH = "监管执法检查"

    @classmethod
    @command(
        "start",
        event="InspectionStarted",
        zh="开始执法检查",
        en="Start inspection",
        event_zh="执法检查已开始",
        rule=f"{RULE}; {TWO_OFFICERS}",
        roles=(REGULATOR,),
        creates=True,
        properties={
            "enterprise": USCC,
            "type": enum(*TYPES),
            "officers": OFFICERS,
            "source_ref": REF,
            "previous": UUID_,
        },
        required=("enterprise", "type", "officers"),
    )
    def start(cls, cmd: SignedCommand, ctx: Context) -> Inspection:
        """Preconditions: the enterprise is active; the signer is one of the officers; for a
        re-inspection, `previous` is a closed inspection of the same enterprise; double-random
        draws and complaints cite `source_ref`.
        """
        env, d = cmd.envelope, cmd.envelope.data
        ent = enterprise_of(cmd, ctx)
        if ctx.find(env.subject, Inspection) is not None:
            raise AlreadyExists(f"inspection {env.subject} exists already")
        check_officers(d["officers"], ctx, env.region, "data.officers")
        check_signer(env.actor, d["officers"], "the inspection")
        if d["type"] in NEEDS_SOURCE and "source_ref" not in d:
            raise InvalidValue(
                f"a {d['type']} inspection must cite its source_ref", rule=RULE, field="data"
            )
        if d["type"] == "re_inspection":
            if "previous" not in d:
                raise InvalidValue(
                    "a re-inspection must name the previous inspection", rule=RULE, field="data"
                )
            prev = ctx.find(UUID(d["previous"]), Inspection)
            if prev is None or prev.enterprise != ent.uscc:
                raise NotFound(
                    f"no inspection {d['previous']} of enterprise {ent.uscc}",
                    field="data.previous",
                )
            if prev.status != "closed":
                raise InvalidTransition(
                    f"inspection {d['previous']} is still {prev.status}; re-inspect after it "
                    "is closed",
                    rule=RULE,
                )
        elif "previous" in d:
            raise InvalidValue(
                "only a re-inspection names a previous inspection", field="data.previous"
            )
        return cls.create(cmd)

    def on_start(self, env: Envelope, d: dict[str, Any]) -> None:
        self.enterprise: str = d["enterprise"]
        self.type: str = d["type"]
        self.officers: list[str] = list(d["officers"])
        self.source_ref: str | None = d.get("source_ref")
        self.previous: str | None = d.get("previous")
        self.started_at: datetime = env.occurred_at
        self.last_at: datetime = env.occurred_at
        self.findings: dict[str, dict[str, Any]] = {}
        self.measures: dict[str, dict[str, Any]] = {}
        self.closed_at: datetime | None = None
        self.status = "in_progress"

    @command(
        "record_finding",
        event="InspectionFindingRecorded",
        zh="记录检查发现",
        en="Record finding",
        event_zh="检查发现已记录",
        rule=RULE,
        roles=(REGULATOR,),
        properties={
            "finding": REF,
            "kind": enum(*FINDING_KINDS),
            "description": text(2000),
            "basis": text(300),
            "location": text(300),
        },
        required=("finding", "kind", "description"),
    )
    def record_finding(self, cmd: SignedCommand, ctx: Context) -> None:
        d = cmd.envelope.data
        self.require("in_progress", action="a finding", rule=RULE)
        self.require_officer(cmd)
        not_before(cmd.envelope.occurred_at, self.last_at, "the finding")
        if d["finding"] in self.findings:
            raise AlreadyExists(
                f"inspection {self.id} has a finding {d['finding']} already", field="data.finding"
            )
        self.record(cmd)

    def on_record_finding(self, env: Envelope, d: dict[str, Any]) -> None:
        self.findings[d["finding"]] = {
            "kind": d["kind"],
            "description": d["description"],
            "basis": d.get("basis", ""),
            "location": d.get("location", ""),
            "at": env.occurred_at.isoformat(),
        }
        self.last_at = env.occurred_at

    @command(
        "order_measure",
        event="InspectionMeasureOrdered",
        zh="采取现场处理措施",
        en="Order measure",
        event_zh="现场处理措施已下达",
        rule=RULE,
        roles=(REGULATOR,),
        step="执法",
        properties={
            "measure_no": DOC_NO,
            "measure": enum(*MEASURES),
            "findings": array(REF, 1, 100),
            "deadline": DATE,
            "items": array(text(200), 1, 200),
            "note": text(1000),
        },
        required=("measure_no", "measure", "findings"),
    )
    def order_measure(self, cmd: SignedCommand, ctx: Context) -> None:
        """An order to correct needs a deadline; sealing names the sealed items (§65 (三)(四))."""
        env, d = cmd.envelope, cmd.envelope.data
        self.require("in_progress", action="a measure", rule=RULE)
        self.require_officer(cmd)
        not_before(env.occurred_at, self.last_at, "the measure")
        if d["measure_no"] in self.measures:
            raise AlreadyExists(
                f"inspection {self.id} has a measure {d['measure_no']} already",
                field="data.measure_no",
            )
        for ref in d["findings"]:
            if ref not in self.findings:
                raise NotFound(
                    f"inspection {self.id} has no finding {ref}; a measure answers findings",
                    rule=RULE,
                    field="data.findings",
                )
        if d["measure"] == "order_correct":
            if "deadline" not in d:
                raise InvalidValue(
                    "an order to correct sets a deadline (限期改正)",
                    rule=f"{RULE} (三)",
                    field="data.deadline",
                )
            if parse_date(d["deadline"], "data.deadline") < local_date(env.occurred_at):
                raise InvalidValue(
                    f"deadline {d['deadline']} is before the order", field="data.deadline"
                )
        if d["measure"] == "seal_equipment" and "items" not in d:
            raise InvalidValue(
                "sealing must list the sealed equipment", rule=f"{RULE} (四)", field="data.items"
            )
        self.record(cmd)

    def on_order_measure(self, env: Envelope, d: dict[str, Any]) -> None:
        self.measures[d["measure_no"]] = {
            "measure": d["measure"],
            "findings": list(d["findings"]),
            "deadline": d.get("deadline"),
            "items": list(d.get("items", [])),
            "at": env.occurred_at.isoformat(),
        }
        self.last_at = env.occurred_at

    @command(
        "close",
        event="InspectionClosed",
        zh="结束执法检查",
        en="Close inspection",
        event_zh="执法检查已结束",
        rule=RULE,
        roles=(REGULATOR,),
        properties={"summary": text(2000)},
        required=("summary",),
    )
    def close(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("in_progress", action="closing", rule=RULE)
        self.require_officer(cmd)
        not_before(cmd.envelope.occurred_at, self.last_at, "closing")
        self.record(cmd)

    def on_close(self, env: Envelope, d: dict[str, Any]) -> None:
        self.summary: str = d["summary"]
        self.closed_at = env.occurred_at
        self.last_at = env.occurred_at
        self.status = "closed"

    def require_officer(self, cmd: SignedCommand) -> None:
        """NotAnOfficer unless one of the inspecting officers signed `cmd`."""
        check_signer(cmd.envelope.actor, self.officers, f"inspection {self.id}")

    @property
    def stop_ordered(self) -> bool:
        return any(m["measure"] == "stop_production" for m in self.measures.values())


def finding_of(
    cmd: SignedCommand, ctx: Context, enterprise: str, kind: str | None = None
) -> tuple[Inspection, str] | None:
    """The inspection finding a case is opened from, when the command cites one.

    `data.inspection` and `data.finding` go together; the inspection must be about the same
    enterprise, hold that finding and, when `kind` is given, the finding must be of that kind.
    """
    d = cmd.envelope.data
    if "inspection" not in d and "finding" not in d:
        return None
    if "inspection" not in d or "finding" not in d:
        raise InvalidValue(
            "a case opened from an inspection cites both inspection and finding", field="data"
        )
    insp = ctx.find(UUID(d["inspection"]), Inspection)
    if insp is None:
        raise NotFound(f"no inspection {d['inspection']}", field="data.inspection")
    if insp.enterprise != enterprise:
        raise InvalidValue(
            f"inspection {insp.id} is about enterprise {insp.enterprise}, not {enterprise}",
            field="data.inspection",
        )
    finding = insp.findings.get(d["finding"])
    if finding is None:
        raise NotFound(
            f"inspection {insp.id} has no finding {d['finding']}", rule=RULE, field="data.finding"
        )
    if kind is not None and finding["kind"] != kind:
        raise InvalidValue(
            f"finding {d['finding']} is a {finding['kind']}, not a {kind}", field="data.finding"
        )
    return insp, d["finding"]
