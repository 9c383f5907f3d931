"""Risk warnings (风险预警; 在线监测与风险预警系统, 五高): what the warning module decides from the
stream, recorded as signed records like every other.

Levels are the four risk colours (DOMAIN.md, 风险分级): blue 低, yellow 一般, orange 较大,
red 重大 (red highest). The warning service (`svc-warning`, role `service`, its own key held by
the platform) issues, escalates and lifts warnings by the rules of the warning rulebook
(projections/rulebooks/warning-v1.json, domain.warning_policy); every such step names the rule
(`<rule id>@<rulebook version>`) and the event ids that triggered it. People act on them:

    issue (service) ──► issued ──acknowledge (enterprise)──► acknowledged
                          │                                      │
                          │                         dispose (regulator, measures)
                          │                                      ▼
                          ├── escalate (service, by rule) ──  disposed
                          │   a level up, the county addressed; from any open state
                          └── lift ──► lifted   (from any open state: the service when the
                              rule's condition cleared, or a regulator with a reason)

- issue: to the enterprise (`enterprise`, which acknowledges it), to the regulator of a region
  (`addressee`), or both.
- acknowledge: by an account bound to the warning's enterprise; `acknowledge_by` (set at issue
  from the rulebook's limit) is the time limit, an acknowledgement after it is recorded as late;
  a warning addressed to a county (no enterprise) is not acknowledged by an enterprise.
- dispose: a regulator records the measures taken (the warning stays in force until lifted).
- escalate: by rule only, to a higher level.
- lift: the service when the rule's lifting condition holds, or a regulator with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.commands import (
    ENTERPRISE,
    INSTANT,
    REGION,
    REGULATOR,
    SERVICE,
    USCC,
    array,
    command,
    enum,
    obj,
    text,
)
from domain.context import Context
from domain.enterprise import enterprise_of
from domain.envelope import Envelope, SignedCommand
from domain.errors import InvalidTransition, InvalidValue, NotAuthorized
from domain.record import Record
from domain.regions import covers, validate_region
from domain.stored import parse_event_id
from domain.terms import parse_instant

__all__ = ["LEVELS", "LEVEL_ZH", "WARNING_SERVICE", "RiskWarning", "higher"]

RULE = "在线监测与风险预警 (湖北省安全生产信息化规划 2018–2020); 风险分级 四色"
WARNING_SERVICE = "svc-warning"
LEVELS = ("blue", "yellow", "orange", "red")  # lowest first
LEVEL_ZH = {
    "blue": "低风险 (蓝)",
    "yellow": "一般风险 (黄)",
    "orange": "较大风险 (橙)",
    "red": "重大风险 (红)",
}
EVENT_ID = {
    "type": "string",
    "pattern": r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[1-9][0-9]{0,18}$",
    "description": "an event id, <record uuid>:<version>",
}
RULE_REF = {
    "type": "string",
    "pattern": r"^[a-z0-9-]{1,64}$",
    "description": "a rule id of the warning rulebook",
}
VERSION = {"type": "integer", "minimum": 1}
TRIGGERS = array(EVENT_ID, 1, 100)
MESSAGE = obj({"zh": text(1000), "en": text(1000)}, ("zh", "en"))
OPEN = ("issued", "acknowledged", "disposed")


def higher(a: str, b: str) -> bool:
    """Whether level `a` is above level `b`."""
    return LEVELS.index(a) > LEVELS.index(b)


def _by_service(cmd: SignedCommand, what: str) -> None:
    """A service-signed step is the warning service's own (not another module's)."""
    env = cmd.envelope
    if env.role == SERVICE and env.actor != WARNING_SERVICE:
        raise NotAuthorized(
            f"{what} is the warning service's ({WARNING_SERVICE}), not {env.actor}'s",
            field="actor",
            rule=RULE,
        )


def _triggers(d: Mapping[str, Any]) -> None:
    for i, eid in enumerate(d.get("triggers", ())):
        parse_event_id(eid)  # InvalidValue names the id
        if d["triggers"].index(eid) != i:
            raise InvalidValue(f"trigger {eid} is listed twice", field=f"data.triggers[{i}]")


class RiskWarning(Record):
    KIND = "warning"
    KIND_ZH = "风险预警"

    @classmethod
    @command(
        "issue",
        event="RiskWarningIssued",
        zh="发布风险预警",
        en="Issue risk warning",
        event_zh="风险预警已发布",
        rule=RULE,
        roles=(SERVICE,),
        creates=True,
        step="监管",
        properties={
            "rule": RULE_REF,
            "rulebook_version": VERSION,
            "level": enum(*LEVELS),
            "triggers": TRIGGERS,
            "enterprise": USCC,
            "addressee": REGION,
            "message": MESSAGE,
            "acknowledge_by": INSTANT,
        },
        required=("rule", "rulebook_version", "level", "triggers", "message"),
    )
    def issue(cls, cmd: SignedCommand, ctx: Context) -> RiskWarning:
        env, d = cmd.envelope, cmd.envelope.data
        _by_service(cmd, "issuing a warning")
        _triggers(d)
        validate_region(env.region)
        if "addressee" in d:
            addressee = validate_region(d["addressee"], field="data.addressee")
            if not covers(addressee, env.region):
                raise InvalidValue(
                    f"the addressee {addressee} does not cover the warning's region {env.region}",
                    field="data.addressee",
                )
        elif "enterprise" not in d:
            raise InvalidValue(
                "a warning goes to an enterprise, a regulator (addressee) or both",
                field="data.addressee",
            )
        if "enterprise" in d:
            enterprise_of(cmd, ctx)
        elif "acknowledge_by" in d:
            raise InvalidValue(
                "a warning to a region has no enterprise to acknowledge it",
                field="data.acknowledge_by",
            )
        if "acknowledge_by" in d:
            by = parse_instant(d["acknowledge_by"], "data.acknowledge_by")
            if by <= env.occurred_at:
                raise InvalidValue(
                    "acknowledge_by must lie after the warning is issued",
                    field="data.acknowledge_by",
                )
        return cls.create(cmd)

    def on_issue(self, env: Envelope, d: dict[str, Any]) -> None:
        self.rule: str = d["rule"]
        self.rulebook_version: int = d["rulebook_version"]
        self.level: str = d["level"]
        self.triggers: list[str] = list(d["triggers"])
        self.enterprise: str | None = d.get("enterprise")
        self.addressee: str | None = d.get("addressee")
        self.message: dict[str, str] = dict(d["message"])
        self.issued_at: datetime = env.occurred_at
        by = d.get("acknowledge_by")
        self.acknowledge_by: datetime | None = (
            None if by is None else parse_instant(by, "data.acknowledge_by")
        )
        self.acknowledged_at: datetime | None = None
        self.acknowledged_late = False
        self.measures: str | None = None
        self.escalations: list[dict[str, Any]] = []
        self.lifted_at: datetime | None = None
        self.lift_reason: str | None = None
        self.status = "issued"

    @command(
        "acknowledge",
        event="RiskWarningAcknowledged",
        zh="签收风险预警",
        en="Acknowledge risk warning",
        event_zh="风险预警已签收",
        rule=RULE,
        roles=(ENTERPRISE,),
        step="监管",
        properties={"note": text(1000)},
    )
    def acknowledge(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("issued", action="acknowledging", rule=RULE)
        if self.enterprise is None:
            raise NotAuthorized(
                f"warning {self.id} is addressed to region {self.addressee}, not to an "
                "enterprise: no enterprise acknowledges it",
                rule=RULE,
            )
        self.record(cmd)

    def on_acknowledge(self, env: Envelope, d: dict[str, Any]) -> None:
        self.acknowledged_at = env.occurred_at
        self.acknowledged_late = (
            self.acknowledge_by is not None and env.occurred_at > self.acknowledge_by
        )
        self.status = "acknowledged"

    @command(
        "dispose",
        event="RiskWarningDisposed",
        zh="处置风险预警",
        en="Dispose risk warning",
        event_zh="风险预警处置措施已记录",
        rule=RULE,
        roles=(REGULATOR,),
        step="监管",
        properties={"measures": text(2000)},
        required=("measures",),
    )
    def dispose(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require(*OPEN, action="recording measures", rule=RULE)
        self.record(cmd)

    def on_dispose(self, env: Envelope, d: dict[str, Any]) -> None:
        self.measures = d["measures"]
        self.status = "disposed"

    @command(
        "escalate",
        event="RiskWarningEscalated",
        zh="升级风险预警",
        en="Escalate risk warning",
        event_zh="风险预警已升级",
        rule=RULE,
        roles=(SERVICE,),
        step="监管",
        properties={
            "rule": RULE_REF,
            "rulebook_version": VERSION,
            "level": enum(*LEVELS),
            "triggers": TRIGGERS,
            "addressee": REGION,
            "message": MESSAGE,
        },
        required=("rule", "rulebook_version", "level", "triggers", "addressee", "message"),
    )
    def escalate(self, cmd: SignedCommand, ctx: Context) -> None:
        d = cmd.envelope.data
        self.require(*OPEN, action="an escalation", rule=RULE)
        _by_service(cmd, "escalating a warning")
        _triggers(d)
        if not higher(d["level"], self.level):
            raise InvalidTransition(
                f"warning {self.id} is {self.level}: an escalation goes higher, not to "
                f"{d['level']}",
                rule=RULE,
            )
        addressee = validate_region(d["addressee"], field="data.addressee")
        if not covers(addressee, self.region):
            raise InvalidValue(
                f"the addressee {addressee} does not cover the warning's region {self.region}",
                field="data.addressee",
            )
        self.record(cmd)

    def on_escalate(self, env: Envelope, d: dict[str, Any]) -> None:
        self.escalations.append(
            {
                "from": self.level,
                "to": d["level"],
                "rule": d["rule"],
                "at": env.occurred_at.isoformat(),
                "triggers": list(d["triggers"]),
            }
        )
        self.level = d["level"]
        self.addressee = d["addressee"]

    @command(
        "lift",
        event="RiskWarningLifted",
        zh="解除风险预警",
        en="Lift risk warning",
        event_zh="风险预警已解除",
        rule=RULE,
        roles=(SERVICE, REGULATOR),
        step="监管",
        properties={
            "rule": RULE_REF,
            "rulebook_version": VERSION,
            "triggers": TRIGGERS,
            "reason": text(2000),
        },
        required=("reason",),
    )
    def lift(self, cmd: SignedCommand, ctx: Context) -> None:
        env, d = cmd.envelope, cmd.envelope.data
        self.require(*OPEN, action="lifting", rule=RULE)
        _by_service(cmd, "lifting a warning by rule")
        by_rule = {"rule", "rulebook_version", "triggers"}
        if env.role == SERVICE and not by_rule <= d.keys():
            raise InvalidValue(
                "the service lifts a warning by rule: name the rule, its rulebook version and "
                "the events that cleared it",
                field="data.rule",
            )
        if env.role == REGULATOR and by_rule & d.keys():
            raise InvalidValue(
                "a regulator lifts a warning by decision, with its reason, not by a rule",
                field="data.rule",
            )
        _triggers(d)
        self.record(cmd)

    def on_lift(self, env: Envelope, d: dict[str, Any]) -> None:
        self.lifted_at = env.occurred_at
        self.lift_reason = d["reason"]
        self.status = "lifted"
