"""Enterprise (生产经营单位): registration, profile, 五高 risk points, major hazard sources,
deregistration — the 准入 stage of the lifecycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.clocks import TooEarly
from domain.commands import (
    ENTERPRISE,
    PLATFORM,
    REF,
    REGULATOR,
    USCC,
    array,
    command,
    enum,
    integer,
    number,
    obj,
    text,
)
from domain.context import Context
from domain.envelope import Envelope, SignedCommand
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue
from domain.hazard_source import RULE as GB18218
from domain.hazard_source import Substance, level, r_value, ratio_sum
from domain.ids import enterprise_id
from domain.record import Record
from domain.uscc import validate_uscc

INDUSTRIES = {
    "hazardous_chemicals": "危险化学品",
    "non_coal_mining": "非煤矿山",
    "metallurgy": "冶金",
    "construction": "建筑施工",
    "fireworks": "烟花爆竹",
    "industry_trade": "工贸",
    "warehousing": "仓储物流",
}
STANDARDISATION = {"level1": "一级", "level2": "二级", "level3": "三级", "none": "未达标"}
FIVE_HIGHS = {
    "equipment": "高风险设备",
    "process": "高风险工艺",
    "goods": "高风险物品",
    "place": "高风险场所",
    "operation": "高风险作业",
}
COLOURS = {"red": "重大风险", "orange": "较大风险", "yellow": "一般风险", "blue": "低风险"}
RISK_RULE = "安全生产法 §41 双重预防机制; 五高 风险分级管控"
REG_RULE = "安全生产法 §4; GB 32100-2015"

PROFILE = {
    "name": text(200),
    "industry": enum(*INDUSTRIES),
    "address": text(300),
    "standardisation": enum(*STANDARDISATION),
    "employees": integer(0, 1_000_000),
}
SUBSTANCE = obj(
    {"name": text(100), "quantity": number(0), "critical": number(0), "beta": number(0)},
    ("name", "quantity", "critical", "beta"),
)


class Enterprise(Record):
    KIND = "enterprise"
    KIND_ZH = "生产经营单位"

    @classmethod
    @command(
        "register",
        event="EnterpriseRegistered",
        zh="企业登记",
        en="Register enterprise",
        event_zh="企业已登记",
        rule=REG_RULE,
        roles=(PLATFORM, REGULATOR),
        creates=True,
        step="准入",
        properties={"uscc": USCC, **PROFILE},
        required=("uscc", "name", "industry", "standardisation"),
    )
    def register(cls, cmd: SignedCommand, ctx: Context) -> Enterprise:
        env, d = cmd.envelope, cmd.envelope.data
        validate_uscc(d["uscc"], field="data.uscc")
        if env.subject != enterprise_id(d["uscc"]):
            raise InvalidValue(
                f"subject of enterprise {d['uscc']} must be {enterprise_id(d['uscc'])}",
                field="subject",
            )
        if ctx.find(env.subject, Enterprise) is not None:
            raise AlreadyExists(f"enterprise {d['uscc']} is registered already", rule=REG_RULE)
        return cls.create(cmd)

    def on_register(self, env: Envelope, d: dict[str, Any]) -> None:
        self.uscc: str = d["uscc"]
        self.name: str = d["name"]
        self.industry: str = d["industry"]
        self.address: str = d.get("address", "")
        self.standardisation: str = d["standardisation"]
        self.employees: int = d.get("employees", 0)
        self.risk_points: dict[str, dict[str, Any]] = {}
        self.hazard_sources: dict[str, dict[str, Any]] = {}
        self.registered_on: datetime = env.occurred_at
        self.status = "active"

    @command(
        "update_profile",
        event="EnterpriseProfileChanged",
        zh="变更企业信息",
        en="Change enterprise profile",
        event_zh="企业信息已变更",
        rule=REG_RULE,
        roles=(PLATFORM, REGULATOR, ENTERPRISE),
        step="准入",
        properties={"uscc": USCC, **PROFILE},
        required=("uscc",),
    )
    def update_profile(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="a profile change", rule=REG_RULE)
        self._same_uscc(cmd)
        if len(cmd.envelope.data) == 1:
            raise InvalidValue("a profile change must change at least one field", field="data")
        self.record(cmd)

    def on_update_profile(self, env: Envelope, d: dict[str, Any]) -> None:
        for key in PROFILE:
            if key in d:
                setattr(self, key, d[key])

    @command(
        "assess_risk_point",
        event="RiskPointAssessed",
        zh="风险点辨识评估",
        en="Assess risk point",
        event_zh="风险点已评估",
        rule=RISK_RULE,
        roles=(REGULATOR, ENTERPRISE),
        step="监管",
        properties={
            "uscc": USCC,
            "point": REF,
            "name": text(200),
            "five_highs": array(enum(*FIVE_HIGHS), 1, 5),
            "colour": enum(*COLOURS),
        },
        required=("uscc", "point", "name", "five_highs", "colour"),
    )
    def assess_risk_point(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="a risk assessment", rule=RISK_RULE)
        self._same_uscc(cmd)
        highs = cmd.envelope.data["five_highs"]
        if len(set(highs)) != len(highs):
            raise InvalidValue("five_highs lists a category twice", field="data.five_highs")
        self.record(cmd)

    def on_assess_risk_point(self, env: Envelope, d: dict[str, Any]) -> None:
        self.risk_points[d["point"]] = {
            "name": d["name"],
            "five_highs": list(d["five_highs"]),
            "colour": d["colour"],
        }

    @command(
        "register_hazard_source",
        event="MajorHazardSourceRegistered",
        zh="重大危险源备案",
        en="Register major hazard source",
        event_zh="重大危险源已备案",
        rule=GB18218 + "; 总局令第40号",
        roles=(REGULATOR, ENTERPRISE),
        step="监管",
        properties={
            "uscc": USCC,
            "source": REF,
            "name": text(200),
            "substances": array(SUBSTANCE, 1, 50),
            "people_within_500m": integer(0),
        },
        required=("uscc", "source", "name", "substances", "people_within_500m"),
    )
    def register_hazard_source(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="a hazard source filing", rule=GB18218)
        self._same_uscc(cmd)
        d = cmd.envelope.data
        subs = _substances(d["substances"])
        if ratio_sum(subs) < 1:
            raise InvalidValue(
                f"Σq/Q = {ratio_sum(subs):.3f} < 1: not a major hazard source",
                rule=GB18218,
                field="data.substances",
            )
        r_value(subs, d["people_within_500m"])  # raises on invalid quantities
        self.record(cmd)

    def on_register_hazard_source(self, env: Envelope, d: dict[str, Any]) -> None:
        r = r_value(_substances(d["substances"]), d["people_within_500m"])
        self.hazard_sources[d["source"]] = {
            "name": d["name"],
            "r": round(r, 3),
            "level": level(r),
            "people_within_500m": d["people_within_500m"],
        }

    @command(
        "deregister",
        event="EnterpriseDeregistered",
        zh="企业注销",
        en="Deregister enterprise",
        event_zh="企业已注销",
        rule=REG_RULE,
        roles=(PLATFORM, REGULATOR),
        step="准入",
        properties={"uscc": USCC, "reason": text(500)},
        required=("uscc", "reason"),
    )
    def deregister(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="deregistration", rule=REG_RULE)
        self._same_uscc(cmd)
        self.record(cmd)

    def on_deregister(self, env: Envelope, d: dict[str, Any]) -> None:
        self.status = "deregistered"

    def _same_uscc(self, cmd: SignedCommand) -> None:
        if cmd.envelope.data["uscc"] != self.uscc:
            raise InvalidValue(
                f"data.uscc {cmd.envelope.data['uscc']} is not this enterprise's {self.uscc}",
                field="data.uscc",
            )

    def ensure_active(self) -> None:
        if self.status != "active":
            raise InvalidTransition(f"enterprise {self.uscc} is {self.status}", rule=REG_RULE)


def _substances(items: list[dict[str, Any]]) -> list[Substance]:
    return [Substance(s["name"], s["quantity"], s["critical"], s["beta"]) for s in items]


def enterprise_of(cmd: SignedCommand, ctx: Context, field: str = "enterprise") -> Enterprise:
    """The active enterprise a creation command is about (data[field] = its USCC).

    The record's region must be the enterprise's region, so that jurisdiction queries on any
    record agree with the enterprise's own jurisdiction; and it is not dated before the
    enterprise was registered (every later step of the record is ordered after it).
    """
    uscc = validate_uscc(cmd.envelope.data[field], field=f"data.{field}")
    ent = ctx.enterprise(uscc)
    if cmd.envelope.region != ent.region:
        raise InvalidValue(
            f"the record's region {cmd.envelope.region} is not the region {ent.region} "
            f"of enterprise {uscc}",
            field="region",
        )
    if cmd.envelope.occurred_at < ent.registered_on:
        raise TooEarly(
            f"the record is dated {cmd.envelope.occurred_at.isoformat()}, before enterprise "
            f"{uscc} was registered on {ent.registered_on.isoformat()}",
            rule=REG_RULE,
            field="occurred_at",
        )
    return ent
