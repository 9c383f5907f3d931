"""Emergency incident (应急事件, 应急协调指挥; 生产安全事故应急条例 2019, 突发事件应对法).

Lifecycle:

    open ──► open ──close──► closed
               │ update_task
               │ update_casualties (within 30 days of the accident, 7 for a fire; also closed)
               └ escalate (to a higher response level: the lead passes up)

An incident is opened by the emergency service (role service: on an accident report or on a red
warning at a major hazard source, domain.emergency_policy) or by a regulator. Its response level
follows the accident grade — 特别重大 Ⅰ (national), 重大 Ⅱ (provincial), 较大 Ⅲ (prefecture), 一般 Ⅳ
(county) — and the incident belongs to that level's jurisdiction: the record is filed in that
region (the province stands for the national level, which this provincial platform does not
hold), and only regulators whose jurisdiction covers the current lead act on it. Escalation moves
the lead up; the record stays where it was filed, so the regulators below keep reading it.

One incident per accident or warning: the record id of an incident about one is derived from
that record's id (`incident_id`), so the store refuses a second, whoever opens it.

Teams are dispatched and stood down on their own records (domain.rescue: `rescue.dispatch`
names the incident), so a team's availability is a fact of the team.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from domain.accident import GRADES, KINDS, Accident
from domain.actor import Actor
from domain.centroids import in_hubei
from domain.clocks import TooEarly, TooLate, judged_at_command, judged_note
from domain.commands import (
    INSTANT,
    REGULATOR,
    SERVICE,
    USCC,
    UUID_,
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
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotAuthorized, NotFound
from domain.ids import NAMESPACE, actor_id
from domain.record import Record
from domain.regions import PROVINCE, covers, prefecture_of
from domain.terms import parse_instant
from domain.uscc import validate_uscc

RULE = "生产安全事故应急条例; 突发事件应对法"
# Article numbers marked (?) are from memory of the 2019 text and wait for a check against it.
OPEN_RULE = "生产安全事故应急条例 §18 (启动应急响应, 组织救援) (?); 突发事件应对法"
TASK_RULE = "生产安全事故应急条例 §18 (应急救援措施) (?)"
CLOSE_RULE = "生产安全事故应急条例 (应急救援结束); 突发事件应对法"
LEVEL_RULE = "国家安全生产事故灾难应急预案 (分级响应); 生产安全事故应急条例"
CASUALTY_RULE = "生产安全事故报告和调查处理条例 §13 (30日内补报, 火灾7日)"
CASUALTIES_WITHIN = timedelta(days=30)
FIRE_CASUALTIES_WITHIN = timedelta(days=7)

# Response levels, most severe first: the grade that sets each and who leads it.
LEVELS = {
    "I": ("Ⅰ级", "国家", "national"),
    "II": ("Ⅱ级", "省级", "provincial"),
    "III": ("Ⅲ级", "市级", "prefecture"),
    "IV": ("Ⅳ级", "县级", "county"),
}
ORDER = tuple(LEVELS)  # "I" (highest) … "IV"
LEVEL_OF_GRADE = {"especially_major": "I", "major": "II", "larger": "III", "general": "IV"}
TRIGGERS = {"accident": "事故报告", "warning": "红色预警", "regulator": "监管部门启动"}
CAPABILITIES = {
    "hazchem": "危险化学品",
    "mine": "矿山",
    "fire": "消防",
    "medical": "医疗救护",
    "water": "水域",
    "structural": "建筑坍塌",
}
TASK_STATUS = {"assigned": "已部署", "in_progress": "处置中", "done": "已完成"}
EVENT_ID = {
    "type": "string",
    "maxLength": 60,
    "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[1-9][0-9]{0,18}$",
    "description": "an event id, <record uuid>:<version>",
}
RULE_ID = {
    "type": "string",
    "maxLength": 100,
    "pattern": "^[a-z0-9][a-z0-9-]*@[1-9][0-9]*$",
    "description": "a module rule's id and version, e.g. accident-opens-incident@1",
}
LOCATION = obj(
    {
        "latitude": {"type": "number"},  # WGS 84 degrees, inside Hubei (checked by `open`)
        "longitude": {"type": "number"},
        "source": enum("enterprise", "region_seat"),
    },
    ("latitude", "longitude", "source"),
)
SUGGESTION = obj(
    {
        "team": UUID_,
        "code": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[A-Z0-9-]+$"},
        "name": text(200),
        "capability": enum(*CAPABILITIES),
        "distance_km": number(0),
    },
    ("team", "code", "name", "capability", "distance_km"),
)
HEADCOUNTS = {
    "deaths": integer(0, 100_000),
    "injured": integer(0, 100_000),
    "missing": integer(0, 100_000),
    "trapped": integer(0, 100_000),
}


def incident_id(trigger: str, record: UUID | str) -> UUID:
    """The id of the incident about an accident or a warning record: one per record."""
    return uuid5(NAMESPACE, f"emergency-incident:{trigger}:{record}")


def owner_region(level: str, region: str) -> str:
    """The jurisdiction that leads an incident of `level` at an enterprise of `region`."""
    if level in ("I", "II"):
        return PROVINCE
    if level == "III":
        return prefecture_of(region)
    return region


def higher(a: str, b: str) -> bool:
    """True when level `a` is a higher response than `b` (Ⅰ is the highest)."""
    return ORDER.index(a) < ORDER.index(b)


def _check_suggestion(ctx: Context, s: dict[str, Any], field: str) -> None:
    """A suggested team is a registered rescue team (domain.rescue, read here by its KIND to
    keep the import one way), named by its code, having the capability it is suggested for."""
    team = ctx.find(UUID(s["team"]), Record)
    if team is None or team.KIND != "rescue":
        raise NotFound(f"no rescue team record {s['team']}", field=f"{field}.team")
    if getattr(team, "code", None) != s["code"]:
        raise InvalidValue(f"team {s['team']} is not {s['code']}", field=f"{field}.code")
    if s["capability"] not in getattr(team, "capabilities", ()):
        raise InvalidValue(
            f"team {s['code']} has no capability {s['capability']}", field=f"{field}.capability"
        )


class EmergencyIncident(Record):
    KIND = "emergency"
    KIND_ZH = "应急事件"

    @classmethod
    @command(
        "open",
        event="EmergencyIncidentOpened",
        zh="启动应急响应",
        en="Open emergency incident",
        event_zh="应急响应已启动",
        rule=OPEN_RULE,
        roles=(SERVICE, REGULATOR),
        creates=True,
        step="应急",
        properties={
            "enterprise": USCC,
            "trigger": enum(*TRIGGERS),
            "accident": UUID_,
            "warning": UUID_,
            "cause": EVENT_ID,
            "rule": RULE_ID,
            "happened_at": INSTANT,
            "kind": enum(*KINDS),
            "grade": enum(*GRADES),
            "level": enum(*LEVELS),
            "summary": text(2000),
            "location": LOCATION,
            "needs": array(enum(*CAPABILITIES), 0, len(CAPABILITIES)),
            "suggested": array(SUGGESTION, 0, 20),
        },
        required=("enterprise", "trigger", "happened_at", "level", "summary"),
    )
    def open(cls, cmd: SignedCommand, ctx: Context) -> EmergencyIncident:
        env, d = cmd.envelope, cmd.envelope.data
        trigger = d["trigger"]
        if env.role == SERVICE and trigger == "regulator":
            raise NotAuthorized(
                "the emergency service opens incidents on an accident or a warning only",
                field="data.trigger",
                rule=RULE,
            )
        if env.role == SERVICE and ("cause" not in d or "rule" not in d):
            raise InvalidValue(
                "an incident the service opens names its cause (event id) and rule",
                field="data.cause" if "cause" not in d else "data.rule",
            )
        source = d.get(trigger) if trigger != "regulator" else None
        if trigger != "regulator" and source is None:
            raise InvalidValue(
                f"an incident opened on a {trigger} names the {trigger} record",
                field=f"data.{trigger}",
            )
        for name in ("accident", "warning"):
            if name in d and name != trigger:
                raise InvalidValue(
                    f"an incident opened on trigger {trigger} names no {name}",
                    field=f"data.{name}",
                )
        if source is not None and env.subject != incident_id(trigger, source):
            raise InvalidValue(
                f"the incident about {trigger} {source} must be record "
                f"{incident_id(trigger, source)}",
                field="subject",
            )
        if ctx.find(env.subject, EmergencyIncident) is not None:
            raise AlreadyExists(f"incident {env.subject} is open already", rule=RULE)
        uscc = validate_uscc(d["enterprise"], field="data.enterprise")
        ent = ctx.enterprise(uscc)
        happened = parse_instant(d["happened_at"], "data.happened_at")
        if happened > env.occurred_at:
            raise InvalidValue(
                "an incident cannot be opened before it happened", field="data.happened_at"
            )
        if env.occurred_at < ent.registered_on:
            raise TooEarly(
                f"the incident is dated before enterprise {uscc} was registered",
                field="occurred_at",
            )
        if trigger == "accident":
            accident = ctx.find(UUID(d["accident"]), Accident)
            if accident is None:
                raise NotFound(f"no accident record {d['accident']}", field="data.accident")
            if accident.enterprise != uscc:
                raise InvalidValue(
                    f"accident {d['accident']} is of enterprise {accident.enterprise}, not {uscc}",
                    field="data.enterprise",
                )
            if accident.happened_at != happened:
                raise InvalidValue(
                    f"accident {d['accident']} happened at {accident.happened_at.isoformat()}",
                    field="data.happened_at",
                )
            if "grade" not in d:
                raise InvalidValue(
                    "an incident opened on an accident names its grade", field="data.grade"
                )
        grade = d.get("grade")
        if grade is not None and higher(LEVEL_OF_GRADE[grade], d["level"]):
            raise InvalidValue(
                f"a {GRADES[grade]} accident needs response level "
                f"{LEVELS[LEVEL_OF_GRADE[grade]][0]} or higher, not {LEVELS[d['level']][0]}",
                field="data.level",
                rule=LEVEL_RULE,
            )
        owner = owner_region(d["level"], ent.region)
        if env.region != owner:
            raise InvalidValue(
                f"a level {d['level']} incident at enterprise {uscc} (region {ent.region}) "
                f"belongs to jurisdiction {owner}, not {env.region}",
                field="region",
                rule=LEVEL_RULE,
            )
        location = d.get("location")
        if location is not None and not in_hubei(location["latitude"], location["longitude"]):
            raise InvalidValue(
                f"location {location['latitude']}, {location['longitude']} is outside Hubei",
                field="data.location",
            )
        for i, s in enumerate(d.get("suggested", ())):
            _check_suggestion(ctx, s, f"data.suggested[{i}]")
        return cls.create(cmd)

    def on_open(self, env: Envelope, d: dict[str, Any]) -> None:
        self.enterprise: str = d["enterprise"]
        self.trigger: str = d["trigger"]
        self.accident: str | None = d.get("accident")
        self.warning: str | None = d.get("warning")
        self.cause: str | None = d.get("cause")
        self.happened_at: datetime = parse_instant(d["happened_at"], "data.happened_at")
        self.kind: str | None = d.get("kind")
        self.grade: str | None = d.get("grade")
        self.level: str = d["level"]
        # The enterprise's region is the record's region at level Ⅳ; above, only the owner.
        self.jurisdiction: str = env.region
        self.summary: str = d["summary"]
        self.tasks: dict[str, dict[str, Any]] = {}
        self.casualties: dict[str, int] = {}
        self.opened_at: datetime = env.occurred_at
        self.closed_at: datetime | None = None
        self.status = "open"

    def _led_by(self, cmd: SignedCommand, ctx: Context, action: str) -> None:
        """Only a regulator whose jurisdiction covers the current lead acts on the incident."""
        actor = ctx.find(actor_id(cmd.envelope.actor), Actor)
        if actor is None or not covers(actor.jurisdiction, self.jurisdiction):
            scope = actor.jurisdiction if actor is not None else "none"
            raise NotAuthorized(
                f"incident {self.id} is led at level {LEVELS[self.level][0]} by "
                f"{self.jurisdiction}; {cmd.envelope.actor} (jurisdiction {scope}) may not "
                f"{action}",
                field="actor",
                rule=LEVEL_RULE,
            )

    # -- response --------------------------------------------------------------------------

    @command(
        "update_task",
        event="EmergencyTaskUpdated",
        zh="应急任务部署",
        en="Update emergency task",
        event_zh="应急任务已更新",
        rule=TASK_RULE,
        roles=(REGULATOR,),
        step="应急",
        properties={
            "task": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,40}$"},
            "description": text(1000),
            "status": enum(*TASK_STATUS),
            "team": UUID_,
        },
        required=("task", "status"),
    )
    def update_task(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("open", action="a task update", rule=RULE)
        self._led_by(cmd, ctx, "update its tasks")
        d = cmd.envelope.data
        known = self.tasks.get(d["task"])
        if known is None and "description" not in d:
            raise InvalidValue(
                f"task {d['task']} is new: describe it", field="data.description", rule=RULE
            )
        if known is not None and known["status"] == "done":
            raise InvalidTransition(f"task {d['task']} is done already", rule=RULE)
        self.record(cmd)

    def on_update_task(self, env: Envelope, d: dict[str, Any]) -> None:
        task = self.tasks.setdefault(d["task"], {"description": ""})
        task.update({k: v for k, v in d.items() if k != "task"})

    @command(
        "update_casualties",
        event="EmergencyCasualtiesUpdated",
        zh="应急伤亡人数更新",
        en="Update incident casualties",
        event_zh="应急伤亡人数已更新",
        rule=CASUALTY_RULE,
        roles=(REGULATOR,),
        step="应急",
        properties={**HEADCOUNTS, "note": text(1000)},
    )
    def update_casualties(self, cmd: SignedCommand, ctx: Context) -> None:
        self._led_by(cmd, ctx, "update its casualties")
        if not HEADCOUNTS.keys() & cmd.envelope.data.keys():
            raise InvalidValue(
                "a casualty update gives deaths, injured, missing or trapped",
                field="data",
                rule=CASUALTY_RULE,
            )
        within = FIRE_CASUALTIES_WITHIN if self.kind == "fire" else CASUALTIES_WITHIN
        if judged_at_command(cmd) - self.happened_at > within:
            raise TooLate(
                f"casualty updates are taken for {within.days} days after "
                f"{self.happened_at.isoformat()}, this one is {judged_note(cmd)}",
                rule=CASUALTY_RULE,
                field="occurred_at",
            )
        self.record(cmd)

    def on_update_casualties(self, env: Envelope, d: dict[str, Any]) -> None:
        self.casualties.update({k: d[k] for k in HEADCOUNTS if k in d})

    @command(
        "escalate",
        event="EmergencyEscalated",
        zh="提升响应级别",
        en="Escalate response level",
        event_zh="应急响应级别已提升",
        rule=LEVEL_RULE,
        roles=(REGULATOR,),
        step="应急",
        properties={"level": enum(*LEVELS), "reason": text(1000)},
        required=("level", "reason"),
    )
    def escalate(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("open", action="an escalation", rule=LEVEL_RULE)
        self._led_by(cmd, ctx, "escalate it")
        level = cmd.envelope.data["level"]
        if not higher(level, self.level):
            raise InvalidValue(
                f"the incident is at level {LEVELS[self.level][0]}; escalation goes higher, "
                f"not to {LEVELS[level][0]}",
                field="data.level",
                rule=LEVEL_RULE,
            )
        self.record(cmd)

    def on_escalate(self, env: Envelope, d: dict[str, Any]) -> None:
        self.level = d["level"]
        # The record was filed at the lead of its first level, inside the enterprise's region
        # chain: the new lead is found from it as from the enterprise's own region.
        self.jurisdiction = owner_region(self.level, self.region)

    @command(
        "close",
        event="EmergencyIncidentClosed",
        zh="应急响应终止",
        en="Close emergency incident",
        event_zh="应急响应已终止",
        rule=CLOSE_RULE,
        roles=(REGULATOR,),
        step="应急",
        properties={"summary": text(4000)},
        required=("summary",),
    )
    def close(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("open", action="closing", rule=RULE)
        self._led_by(cmd, ctx, "close it")
        self.record(cmd)

    def on_close(self, env: Envelope, d: dict[str, Any]) -> None:
        self.closing_summary: str = d["summary"]
        self.closed_at = env.occurred_at
        self.status = "closed"
