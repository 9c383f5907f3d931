"""Accident (生产安全事故, 生产安全事故报告和调查处理条例 国务院令第493号).

Lifecycle:

    report ──► reported ──► investigating ──► report_submitted ──► closed
      │ update_casualties (within 30 days of the accident; the grade is re-derived)
      │ extend_investigation (once, ≤ 60 days)
      └ flag_concealment (any time before closing: 瞒报/谎报, for the credit rules)

The grade is derived, never asserted: the highest band that any of deaths, serious injuries
or direct economic loss reaches (条例 §3). Time limits are facts to record, not reasons to
refuse a true report: a unit report more than 1 hour after the accident (§9) is recorded with
`reported_late`, an investigation report after its due date with `investigation_late`. The
unit's own clocks (the report, the 30 days of casualty updates) are judged at the platform's
recorded time when the unit signs (domain.clocks); every step is dated in order, so nothing is
dated before the report, nor the report before the accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.clocks import TooLate, judged_at_command, judged_note
from domain.commands import (
    ENTERPRISE,
    INSTANT,
    REGULATOR,
    USCC,
    boolean,
    command,
    enum,
    integer,
    number,
    text,
)
from domain.context import Context
from domain.enterprise import enterprise_of
from domain.envelope import Envelope, SignedCommand
from domain.errors import InvalidTransition, InvalidValue
from domain.record import Record
from domain.terms import parse_instant

RULE = "生产安全事故报告和调查处理条例"
GRADE_RULE = RULE + " §3"
REPORT_RULE = RULE + " §9 (单位负责人1小时内报告)"
UPDATE_RULE = RULE + " §13 (30日内伤亡人数变化及时补报)"
INVESTIGATION_RULE = RULE + " §29 (60日内提交调查报告, 可延长≤60日)"
CONCEALMENT_RULE = RULE + " §36 (谎报/瞒报)"

REPORT_WITHIN = timedelta(hours=1)
UPDATES_WITHIN = timedelta(days=30)
INVESTIGATION_DAYS = 60
MAX_EXTENSION_DAYS = 60
YUAN_PER_WAN = 10_000


@dataclass(frozen=True)
class Band:
    grade: str
    zh: str
    deaths: int
    serious_injuries: int
    direct_loss: int  # yuan


# Lower bounds of each band, most severe first (条例 §3).
BANDS = (
    Band("especially_major", "特别重大", 30, 100, 10_000 * YUAN_PER_WAN),
    Band("major", "重大", 10, 50, 5_000 * YUAN_PER_WAN),
    Band("larger", "较大", 3, 10, 1_000 * YUAN_PER_WAN),
)
GENERAL = Band("general", "一般", 0, 0, 0)
GRADES = {b.grade: b.zh for b in (*BANDS, GENERAL)}
# GB 6441-86 accident categories (a selection), with their Chinese names.
KINDS = {
    "object_strike": "物体打击",
    "vehicle_injury": "车辆伤害",
    "mechanical_injury": "机械伤害",
    "lifting_injury": "起重伤害",
    "electric_shock": "触电",
    "drowning": "淹溺",
    "burn": "灼烫",
    "fire": "火灾",
    "fall_from_height": "高处坠落",
    "collapse": "坍塌",
    "roof_fall": "冒顶片帮",
    "water_inrush": "透水",
    "blasting": "放炮",
    "gas_explosion": "瓦斯爆炸",
    "explosion": "爆炸",
    "poisoning_asphyxiation": "中毒和窒息",
    "other": "其他伤害",
}
CASUALTIES = {
    "deaths": integer(0, 100_000),
    "serious_injuries": integer(0, 100_000),
    "direct_loss": number(0),
}


def grade_of(deaths: int, serious_injuries: int, direct_loss: float) -> Band:
    """The most severe band that any one measure reaches."""
    for band in BANDS:
        if (
            deaths >= band.deaths
            or serious_injuries >= band.serious_injuries
            or direct_loss >= band.direct_loss
        ):
            return band
    return GENERAL


class Accident(Record):
    KIND = "accident"
    KIND_ZH = "生产安全事故"

    @classmethod
    @command(
        "report",
        event="AccidentReported",
        zh="事故报告",
        en="Report accident",
        event_zh="事故已报告",
        rule=REPORT_RULE,
        roles=(ENTERPRISE, REGULATOR),
        creates=True,
        step="监管",
        properties={
            "enterprise": USCC,
            "happened_at": INSTANT,
            "kind": enum(*KINDS),
            "place": text(300),
            "summary": text(2000),
            **CASUALTIES,
        },
        required=(
            "enterprise",
            "happened_at",
            "kind",
            "summary",
            "deaths",
            "serious_injuries",
            "direct_loss",
        ),
    )
    def report(cls, cmd: SignedCommand, ctx: Context) -> Accident:
        enterprise_of(cmd, ctx)
        happened = parse_instant(cmd.envelope.data["happened_at"], "data.happened_at")
        if happened > cmd.envelope.occurred_at:
            raise InvalidValue(
                "an accident cannot be reported before it happened",
                field="data.happened_at",
                rule=REPORT_RULE,
            )
        return cls.create(cmd)

    def on_report(self, env: Envelope, d: dict[str, Any]) -> None:
        self.enterprise: str = d["enterprise"]
        self.happened_at: datetime = parse_instant(d["happened_at"], "data.happened_at")
        self.kind: str = d["kind"]
        self.summary: str = d["summary"]
        self.reported_at: datetime = env.occurred_at
        # Judged at the recorded time when the unit signs (domain.clocks): a late report cannot
        # be backdated into time.
        self.reported_late: bool = self.judged_at_event(env) - self.happened_at > REPORT_WITHIN
        self._set_casualties(d)
        self.investigation_due: date = (
            self.happened_at + timedelta(days=INVESTIGATION_DAYS)
        ).date()
        self.extended: bool = False
        self.investigation_late: bool = False
        self.liability: bool | None = None
        self.concealment: str | None = None  # "concealed" (瞒报) | "false_report" (谎报)
        self.status = "reported"

    def _set_casualties(self, d: dict[str, Any]) -> None:
        self.deaths: int = d.get("deaths", getattr(self, "deaths", 0))
        self.serious_injuries: int = d.get("serious_injuries", getattr(self, "serious_injuries", 0))
        self.direct_loss: float = d.get("direct_loss", getattr(self, "direct_loss", 0))
        band = grade_of(self.deaths, self.serious_injuries, self.direct_loss)
        self.grade: str = band.grade
        self.grade_zh: str = band.zh

    @property
    def fatal(self) -> bool:
        return self.deaths > 0

    # -- casualty updates ----------------------------------------------------------------------

    @command(
        "update_casualties",
        event="AccidentCasualtiesUpdated",
        zh="事故伤亡补报",
        en="Update casualties",
        event_zh="事故伤亡已补报",
        rule=UPDATE_RULE,
        roles=(ENTERPRISE, REGULATOR),
        step="监管",
        properties={**CASUALTIES, "note": text(1000)},
    )
    def update_casualties(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("reported", "investigating", action="a casualty update", rule=UPDATE_RULE)
        d = cmd.envelope.data
        if not CASUALTIES.keys() & d.keys():
            raise InvalidValue(
                "a casualty update must give deaths, serious_injuries or direct_loss",
                field="data",
                rule=UPDATE_RULE,
            )
        if judged_at_command(cmd) - self.happened_at > UPDATES_WITHIN:
            raise TooLate(
                f"casualty updates are taken for 30 days after the accident of "
                f"{self.happened_at.date()}, this one is {judged_note(cmd)}; record later "
                "changes in the investigation report",
                rule=UPDATE_RULE,
                field="occurred_at",
            )
        self.record(cmd)

    def on_update_casualties(self, env: Envelope, d: dict[str, Any]) -> None:
        self._set_casualties(d)

    # -- investigation -------------------------------------------------------------------------

    @command(
        "open_investigation",
        event="AccidentInvestigationOpened",
        zh="事故调查组成立",
        en="Open investigation",
        event_zh="事故调查已启动",
        rule=INVESTIGATION_RULE,
        roles=(REGULATOR,),
        step="执法",
        properties={"team_lead": text(200), "authority": text(200)},
        required=("authority",),
    )
    def open_investigation(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("reported", action="opening an investigation", rule=INVESTIGATION_RULE)
        self.record(cmd)

    def on_open_investigation(self, env: Envelope, d: dict[str, Any]) -> None:
        self.authority: str = d["authority"]
        self.status = "investigating"

    @command(
        "extend_investigation",
        event="AccidentInvestigationExtended",
        zh="延长事故调查期限",
        en="Extend investigation",
        event_zh="事故调查期限已延长",
        rule=INVESTIGATION_RULE,
        roles=(REGULATOR,),
        step="执法",
        properties={"days": integer(1, MAX_EXTENSION_DAYS), "reason": text(1000)},
        required=("days", "reason"),
    )
    def extend_investigation(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("investigating", action="an extension", rule=INVESTIGATION_RULE)
        if self.extended:
            raise InvalidTransition(
                "the investigation period was extended already", rule=INVESTIGATION_RULE
            )
        if cmd.envelope.data["days"] > MAX_EXTENSION_DAYS:
            raise InvalidValue(
                f"an extension is at most {MAX_EXTENSION_DAYS} days",
                field="data.days",
                rule=INVESTIGATION_RULE,
            )
        if cmd.envelope.occurred_at.date() > self.investigation_due:
            raise InvalidTransition(
                f"the extension must be decided before the due date {self.investigation_due}",
                rule=INVESTIGATION_RULE,
            )
        self.record(cmd)

    def on_extend_investigation(self, env: Envelope, d: dict[str, Any]) -> None:
        self.investigation_due += timedelta(days=d["days"])
        self.extended = True

    @command(
        "submit_report",
        event="AccidentInvestigationReported",
        zh="提交事故调查报告",
        en="Submit investigation report",
        event_zh="事故调查报告已提交",
        rule=INVESTIGATION_RULE,
        roles=(REGULATOR,),
        step="执法",
        properties={"cause": text(4000), "liability": boolean(), "measures": text(4000)},
        required=("cause", "liability"),
    )
    def submit_report(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("investigating", action="an investigation report", rule=INVESTIGATION_RULE)
        self.record(cmd)

    def on_submit_report(self, env: Envelope, d: dict[str, Any]) -> None:
        self.liability = d["liability"]
        self.investigation_late = env.occurred_at.date() > self.investigation_due
        self.status = "report_submitted"

    def is_investigation_overdue(self, at: datetime) -> bool:
        """True when no investigation report was submitted by the due date."""
        return self.status in ("reported", "investigating") and at.date() > self.investigation_due

    # -- concealment and closing ---------------------------------------------------------------

    @command(
        "flag_concealment",
        event="AccidentConcealmentFound",
        zh="认定瞒报谎报",
        en="Flag concealment",
        event_zh="事故瞒报谎报已认定",
        rule=CONCEALMENT_RULE,
        roles=(REGULATOR,),
        step="执法",
        properties={"finding": enum("concealed", "false_report"), "basis": text(2000)},
        required=("finding", "basis"),
    )
    def flag_concealment(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require(
            "reported",
            "investigating",
            "report_submitted",
            action="a concealment finding",
            rule=CONCEALMENT_RULE,
        )
        if self.concealment is not None:
            raise InvalidTransition(
                f"the accident is flagged {self.concealment} already", rule=CONCEALMENT_RULE
            )
        self.record(cmd)

    def on_flag_concealment(self, env: Envelope, d: dict[str, Any]) -> None:
        self.concealment = d["finding"]

    @command(
        "close",
        event="AccidentClosed",
        zh="事故结案",
        en="Close accident case",
        event_zh="事故已结案",
        rule=RULE + " §32",
        roles=(REGULATOR,),
        step="执法",
        properties={"decision": text(2000)},
        required=("decision",),
    )
    def close(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require(
            "report_submitted",
            action="closing the case (after the investigation report)",
            rule=RULE + " §32",
        )
        self.record(cmd)

    def on_close(self, env: Envelope, d: dict[str, Any]) -> None:
        self.status = "closed"
