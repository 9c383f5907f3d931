"""The warning module's policy: the rulebook (domain.warning_rules) over the stream's events and
the clock's ticks, deciding `warning.*` commands (domain.warning). Pure: no I/O, no wall clock.

What it folds (each event in log order, named by its command type):

    enterprise.register_hazard_source        the source's GB 18218 level
    sensor.install                           device → enterprise, source
    sensor_alarm.raise / acknowledge / clear / confirm_false
    hazard.report / order_rectification / reject / reopen (deadlines) / rectify / accept /
          close                              major hazards' deadlines; closings per type
    permit.apply / grant / renew / extend / suspend / reinstate / revoke / cancel
    accident.report / close
    warning.*                                its own warnings (and regulators' lifts)

The rules, each with its lifting condition (ids and numbers from the rulebook):

    gas-alarm              alarm raised: level-1 → yellow, level-2 → orange; level-2 at a 一级
                           or 二级 major hazard source → red.   lift: alarm cleared / false
    alarm-unacknowledged   (tick) the alarm still unacknowledged 30 min after it was raised →
                           its warning escalated one level, addressed to the county regulator
    recurring-alarm        the 3rd alarm of a device within 24 h → yellow.
                           lift: (tick) 24 h without a new alarm on the device
    major-hazard-overdue   (tick) a major hazard past its rectification deadline → orange to
                           the county; 30 days past → red.  lift: rectified, accepted, closed
    repeat-hazard          a hazard of a type (its 判定标准 item, `criterion_ref`) reported
                           within 12 months of the enterprise closing the last one → yellow.
                           lift: that hazard closed
    permit-invalid         an operating event while the enterprise's permit is expired,
                           suspended, revoked or cancelled → orange.
                           lift: the permit reinstated, renewed or granted anew
    accident               accident reported → red for the enterprise. lift: accident closed
    accident-county        accident reported → orange for its county. lift: (tick) 7 days on

Every decision names `<rule id>@<version>` and its cause, the event id it is about, so its
command id (domain.policy.command_id) is the same however often it is made. A warning's id
is derived the same way (`warning_id`). An event decides at its own `occurred_at`; a tick at
its instant. A tick changes no state: what it decides comes back as the warning's events,
which the policy observes like any other, so state is a function of the log alone, and the
same log and ticks give the same decisions. A decision about a warning the policy decided to
issue counts from the moment of that decision (`issued`), before its event comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from domain.clocks import CST
from domain.hazard_source import Substance, level, r_value
from domain.ids import NAMESPACE
from domain.policy import Decision
from domain.stored import StoredRecord
from domain.terms import add_years
from domain.warning import LEVEL_ZH, LEVELS, WARNING_SERVICE
from domain.warning_rules import Rule, Rulebook, default_rulebook

__all__ = ["WarningPolicy", "warning_id"]

PERMIT_TERM_YEARS = 3  # 安全生产许可证条例 §9
INVALID_PERMIT = {"suspended": "暂扣", "revoked": "吊销", "cancelled": "注销"}


def warning_id(cause: str, rule: str) -> UUID:
    """The id of the warning `rule` (`<id>@<version>`) issues about event `cause`."""
    return uuid5(NAMESPACE, f"risk-warning:{rule}:{cause}")


@dataclass
class _Warning:
    subject: UUID
    rule: str  # rule id
    cause: str
    level: str
    region: str
    enterprise: str | None
    status: str = "open"  # open | lifted
    escalated: set[str] = field(default_factory=set)  # the rules that escalated it


@dataclass
class _Alarm:
    event: str
    enterprise: str
    region: str
    device: str
    level: str
    at: datetime
    status: str = "raised"
    warning: UUID | None = None


@dataclass
class _Hazard:
    event: str
    enterprise: str
    region: str
    major: bool
    criterion: str | None
    deadline: date | None = None
    deadline_event: str | None = None
    status: str = "reported"


@dataclass
class _Permit:
    enterprise: str
    status: str = "applied"
    expires_on: date | None = None


class WarningPolicy:
    """The warning module (see the module docstring); `domain.policy.Policy`."""

    name = "warning"
    account = WARNING_SERVICE

    def __init__(self, rulebook: Rulebook | None = None) -> None:
        self.book = rulebook or default_rulebook()
        self.sources: dict[tuple[str, str], int] = {}  # (uscc, source) → level 1..4
        self.devices: dict[str, tuple[str, str]] = {}  # device id → (uscc, source)
        self.alarms: dict[str, _Alarm] = {}  # alarm id → alarm, until cleared or false
        self.unacked: dict[str, _Alarm] = {}  # the alarms still raised (not acknowledged)
        self.device_alarms: dict[str, list[tuple[datetime, str]]] = {}
        self.hazards: dict[str, _Hazard] = {}
        self.closed_types: dict[tuple[str, str], datetime] = {}  # (uscc, criterion) → closed
        self.permits: dict[str, _Permit] = {}
        self.accidents: dict[str, str] = {}  # accident id → its report's event id
        self.accident_at: dict[str, datetime] = {}  # report event id → occurred_at
        self.warnings: dict[UUID, _Warning] = {}
        self.by_cause: dict[tuple[str, str], UUID] = {}  # (rule id, cause) → warning
        self.open: dict[str, dict[UUID, _Warning]] = {}  # rule id → its open warnings
        self.recurring_device: dict[UUID, str] = {}  # recurring-alarm warning → device
        self._rules = {r.kind: r for r in self.book.rules}

    # -- the protocol ---------------------------------------------------------------------------

    def observe(self, event: StoredRecord) -> Sequence[Decision]:
        env = event.envelope
        handler = getattr(self, "_on_" + env["type"].replace(".", "_"), None)
        out: list[Decision] = []
        if handler is not None:
            out.extend(handler(event, env, env["data"]))
        permit_rule = self._rule("permit_invalid")
        if env["type"] in permit_rule["operating"]:
            out.extend(self._operating(event, env, env["data"]))
        return out

    def tick(self, now: datetime) -> Sequence[Decision]:
        out: list[Decision] = []
        out.extend(self._unacknowledged(now))
        out.extend(self._quiet_devices(now))
        out.extend(self._overdue(now))
        out.extend(self._county_expired(now))
        return out

    # -- helpers --------------------------------------------------------------------------------

    def _rule(self, kind: str) -> Rule:
        return self._rules[kind]  # rulebook_of requires one rule of each kind

    def _remember(self, w: _Warning) -> None:
        self.warnings[w.subject] = w
        self.by_cause[(w.rule, w.cause)] = w.subject
        self.open.setdefault(w.rule, {})[w.subject] = w

    def _open_of(self, rule: Rule) -> list[_Warning]:
        return list(self.open.get(rule.id, {}).values())

    def _open(self, rule: Rule, cause: str) -> _Warning | None:
        subject = self.by_cause.get((rule.id, cause))
        w = None if subject is None else self.warnings.get(subject)
        return w if w is not None and w.status == "open" else None

    def _issue(  # noqa: PLR0917 - one positional per field of the warning
        self,
        rule: Rule,
        cause: str,
        triggers: list[str],
        level: str,
        at: datetime,
        region: str,
        enterprise: str | None,
        zh: str,
        en: str,
        *,
        addressee: str | None = None,
        remember: bool = True,
    ) -> Decision:
        ref = self.book.ref(rule)
        subject = warning_id(cause, ref)
        data: dict[str, Any] = {
            "rule": rule.id,
            "rulebook_version": self.book.version,
            "level": level,
            "triggers": triggers,
            "message": {
                "zh": f"{LEVEL_ZH[level]}预警 · {rule.zh}：{zh}",
                "en": f"{level} warning · {rule.en}: {en}",
            },
        }
        if enterprise is not None:
            data["enterprise"] = enterprise
            by = at + timedelta(minutes=self.book.acknowledge_minutes)
            data["acknowledge_by"] = by.isoformat()
        if addressee is not None:
            data["addressee"] = addressee
        if remember:  # counted from the decision on (module docstring); its event confirms
            self._remember(_Warning(subject, rule.id, cause, level, region, enterprise))
        command = {
            "type": "warning.issue",
            "region": region,
            "subject": str(subject),
            "occurred_at": at.isoformat(),
            "data": data,
        }
        return Decision(command, cause, ref)

    def _lift(self, rule: Rule, w: _Warning, cause: str, at: datetime, reason: str) -> Decision:
        ref = self.book.ref(rule)
        command = {
            "type": "warning.lift",
            "region": w.region,
            "subject": str(w.subject),
            "occurred_at": at.isoformat(),
            "data": {
                "rule": rule.id,
                "rulebook_version": self.book.version,
                "triggers": [cause],
                "reason": f"{rule.lift_zh}：{reason} ({rule.lift_en})",
            },
        }
        return Decision(command, cause, f"{ref}:lift:{w.subject}")

    def _escalate(  # noqa: PLR0917
        self, rule: Rule, w: _Warning, cause: str, to: str, at: datetime, zh: str, en: str
    ) -> Decision:
        ref = self.book.ref(rule)
        command = {
            "type": "warning.escalate",
            "region": w.region,
            "subject": str(w.subject),
            "occurred_at": at.isoformat(),
            "data": {
                "rule": rule.id,
                "rulebook_version": self.book.version,
                "level": to,
                "triggers": [cause],
                "addressee": w.region,
                "message": {
                    "zh": f"升级为{LEVEL_ZH[to]}预警 · {rule.zh}：{zh}",
                    "en": f"escalated to {to} · {rule.en}: {en}",
                },
            },
        }
        return Decision(command, cause, f"{ref}:escalate:{w.subject}")

    # -- what it learns -------------------------------------------------------------------------

    def _on_enterprise_register_hazard_source(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        subs = [
            Substance(s["name"], s["quantity"], s["critical"], s["beta"]) for s in d["substances"]
        ]
        self.sources[(d["uscc"], d["source"])] = level(r_value(subs, d["people_within_500m"]))
        return []

    def _on_sensor_install(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        self.devices[str(e.subject)] = (d["enterprise"], d["source"])
        return []

    def _on_sensor_alarm_raise(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        at = datetime.fromisoformat(env["occurred_at"])
        rule = self._rule("gas_alarm")
        alarm = _Alarm(e.event_id, d["enterprise"], env["region"], d["device"], d["level"], at)
        self.alarms[str(e.subject)] = self.unacked[str(e.subject)] = alarm
        out: list[Decision] = []
        colour = rule["levels"].get(d["level"])
        if colour is not None:
            source = self.devices.get(d["device"], (d["enterprise"], ""))[1]
            src_level = self.sources.get((d["enterprise"], source))
            at_major = (
                d["level"] in rule["major_source_alarms"]
                and src_level in rule["major_source_levels"]
            )
            if at_major:
                colour = rule["major_source_level"]
            where = f"重大危险源 {source} ({src_level}级)" if src_level else f"设备 {d['device']}"
            decision = self._issue(
                rule,
                e.event_id,
                [e.event_id],
                colour,
                at,
                env["region"],
                d["enterprise"],
                f"{where} {d['level']} 报警，读数 {d['value']}",
                f"{d['level']} alarm at {source or d['device']}, reading {d['value']}",
            )
            alarm.warning = UUID(decision.command["subject"])
            out.append(decision)
        out.extend(self._recurring(e, env, d, at))
        return out

    def _recurring(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any], at: datetime
    ) -> list[Decision]:
        rule = self._rule("recurring_alarm")
        window = timedelta(hours=rule["window_hours"])
        seen = [(t, eid) for t, eid in self.device_alarms.get(d["device"], []) if at - t < window]
        seen.append((at, e.event_id))
        self.device_alarms[d["device"]] = seen
        if len(seen) < rule["count"]:
            return []
        causes = {x for _, x in seen}
        if any(w.cause in causes for w in self._open_of(rule)):
            return []
        triggers = [e.event_id] + [eid for _, eid in seen[:-1]]
        self.recurring_device[warning_id(e.event_id, self.book.ref(rule))] = d["device"]
        return [
            self._issue(
                rule,
                e.event_id,
                triggers,
                rule["level"],
                at,
                env["region"],
                d["enterprise"],
                f"设备 {d['device']} {rule['window_hours']} 小时内报警 {len(seen)} 次",
                f"device {d['device']}: {len(seen)} alarms within {rule['window_hours']} h",
            )
        ]

    def _alarm_closed(self, e: StoredRecord, env: dict[str, Any], how: str) -> list[Decision]:
        alarm = self.alarms.pop(str(e.subject), None)
        self.unacked.pop(str(e.subject), None)
        if alarm is None:
            return []
        alarm.status = how
        w = None if alarm.warning is None else self.warnings.get(alarm.warning)
        if w is None or w.status != "open":
            return []
        at = datetime.fromisoformat(env["occurred_at"])
        return [self._lift(self._rule("gas_alarm"), w, e.event_id, at, how)]

    def _on_sensor_alarm_acknowledge(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        alarm = self.unacked.pop(str(e.subject), None)
        if alarm is not None:
            alarm.status = "acknowledged"
        return []

    def _on_sensor_alarm_clear(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._alarm_closed(e, env, "报警已解除")

    def _on_sensor_alarm_confirm_false(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._alarm_closed(e, env, "报警已确认为误报")

    def _on_hazard_report(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        criterion = d.get("criterion_ref")
        self.hazards[str(e.subject)] = _Hazard(
            e.event_id, d["enterprise"], env["region"], d["grade"] == "major", criterion
        )
        if criterion is None:
            return []
        last = self.closed_types.get((d["enterprise"], criterion))
        at = datetime.fromisoformat(env["occurred_at"])
        rule = self._rule("repeat_hazard")
        if last is None or at - last > timedelta(days=rule["window_days"]):
            return []
        return [
            self._issue(
                rule,
                e.event_id,
                [e.event_id],
                rule["level"],
                at,
                env["region"],
                d["enterprise"],
                f"同类隐患 ({criterion}) 在上次销号 {last.date().isoformat()} 后再次出现",
                f"hazard type {criterion} again after the last was closed on {last.date()}",
            )
        ]

    def _deadline(self, e: StoredRecord, d: dict[str, Any], status: str) -> list[Decision]:
        hazard = self.hazards.get(str(e.subject))
        if hazard is not None:
            if "deadline" in d:
                hazard.deadline = date.fromisoformat(d["deadline"])
                hazard.deadline_event = e.event_id
            hazard.status = status
        return []

    def _on_hazard_order_rectification(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._deadline(e, d, "ordered")

    def _on_hazard_reject(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._deadline(e, d, "ordered")

    def _on_hazard_reopen(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._deadline(e, d, "ordered")

    def _hazard_done(self, e: StoredRecord, env: dict[str, Any], status: str) -> list[Decision]:
        hazard = self.hazards.get(str(e.subject))
        if hazard is None:
            return []
        hazard.status = status
        at = datetime.fromisoformat(env["occurred_at"])
        out: list[Decision] = []
        overdue = self._rule("major_hazard_overdue")
        if hazard.deadline_event is not None:
            w = self._open(overdue, hazard.deadline_event)
            if w is not None:
                out.append(self._lift(overdue, w, e.event_id, at, status))
        if status == "closed":
            repeat = self._rule("repeat_hazard")
            w = self._open(repeat, hazard.event)
            if w is not None:
                out.append(self._lift(repeat, w, e.event_id, at, status))
            if hazard.criterion is not None:
                self.closed_types[(hazard.enterprise, hazard.criterion)] = at
        return out

    def _on_hazard_rectify(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._hazard_done(e, env, "rectified")

    def _on_hazard_accept(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._hazard_done(e, env, "accepted")

    def _on_hazard_close(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._hazard_done(e, env, "closed")

    # permits

    def _on_permit_apply(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        self.permits[str(e.subject)] = _Permit(d["enterprise"])
        return []

    def _permit_valid_again(self, e: StoredRecord, env: dict[str, Any]) -> list[Decision]:
        permit = self.permits.get(str(e.subject))
        if permit is None:
            return []
        permit.status = "active"
        rule = self._rule("permit_invalid")
        at = datetime.fromisoformat(env["occurred_at"])
        return [
            self._lift(rule, w, e.event_id, at, "许可证有效")
            for w in self._open_of(rule)
            if w.enterprise == permit.enterprise
        ]

    def _on_permit_grant(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        permit = self.permits.get(str(e.subject))
        if permit is not None:
            day = datetime.fromisoformat(env["occurred_at"]).date()
            permit.expires_on = add_years(day, PERMIT_TERM_YEARS)
        return self._permit_valid_again(e, env)

    def _next_term(self, e: StoredRecord, env: dict[str, Any]) -> list[Decision]:
        permit = self.permits.get(str(e.subject))
        if permit is not None and permit.expires_on is not None:
            permit.expires_on = add_years(permit.expires_on, PERMIT_TERM_YEARS)
        return self._permit_valid_again(e, env)

    def _on_permit_renew(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._next_term(e, env)

    def _on_permit_extend(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._next_term(e, env)

    def _on_permit_reinstate(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._permit_valid_again(e, env)

    def _permit_status(self, e: StoredRecord, status: str) -> list[Decision]:
        permit = self.permits.get(str(e.subject))
        if permit is not None:
            permit.status = status
        return []

    def _on_permit_suspend(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._permit_status(e, "suspended")

    def _on_permit_revoke(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._permit_status(e, "revoked")

    def _on_permit_cancel(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        return self._permit_status(e, "cancelled")

    def _operating(self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]) -> list[Decision]:
        uscc = d.get("enterprise")
        if uscc is None and str(e.subject) in self.devices:
            uscc = self.devices[str(e.subject)][0]
        mine = [p for p in self.permits.values() if p.enterprise == uscc and p.status != "applied"]
        if uscc is None or not mine:
            return []  # no permit was ever granted: not this rule's case
        at = datetime.fromisoformat(env["occurred_at"])
        if any(p.status == "active" and p.expires_on and at.date() <= p.expires_on for p in mine):
            return []
        rule = self._rule("permit_invalid")
        if any(w.enterprise == uscc for w in self._open_of(rule)):
            return []
        why = sorted(INVALID_PERMIT.get(p.status, "有效期届满") for p in mine)
        return [
            self._issue(
                rule,
                e.event_id,
                [e.event_id],
                rule["level"],
                at,
                env["region"],
                uscc,
                f"许可证{'、'.join(why)}期间仍有生产经营活动 ({env['type']})",
                f"operating ({env['type']}) while the permit is not valid",
            )
        ]

    # accidents

    def _on_accident_report(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        at = datetime.fromisoformat(env["occurred_at"])
        self.accidents[str(e.subject)] = e.event_id
        self.accident_at[e.event_id] = at
        ent_rule, county_rule = self._rule("accident"), self._rule("accident_county")
        deaths = d.get("deaths", 0)
        return [
            self._issue(
                ent_rule,
                e.event_id,
                [e.event_id],
                ent_rule["level"],
                at,
                env["region"],
                d["enterprise"],
                f"{d['kind']} 事故，死亡 {deaths} 人",
                f"{d['kind']} accident, {deaths} dead",
            ),
            self._issue(
                county_rule,
                e.event_id,
                [e.event_id],
                county_rule["level"],
                at,
                env["region"],
                None,
                f"辖区企业 {d['enterprise']} 发生事故",
                f"accident at {d['enterprise']} in the county",
                addressee=env["region"],
            ),
        ]

    def _on_accident_close(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        found = self.accidents.get(str(e.subject))
        rule = self._rule("accident")
        w = None if found is None else self._open(rule, found)
        if w is None:
            return []
        return [self._lift(rule, w, e.event_id, datetime.fromisoformat(env["occurred_at"]), "结案")]

    # its own warnings

    def _on_warning_issue(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        subject = e.subject
        w = self.warnings.get(subject)
        if w is None:  # issued on a tick: learnt now
            self._remember(
                _Warning(
                    subject,
                    d["rule"],
                    d["triggers"][0],
                    d["level"],
                    env["region"],
                    d.get("enterprise"),
                )
            )
        return []

    def _on_warning_escalate(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        w = self.warnings.get(e.subject)
        if w is not None:
            w.level = d["level"]
            w.escalated.add(d["rule"])
        return []

    def _on_warning_lift(
        self, e: StoredRecord, env: dict[str, Any], d: dict[str, Any]
    ) -> list[Decision]:
        w = self.warnings.get(e.subject)
        if w is not None:
            w.status = "lifted"
            self.open.get(w.rule, {}).pop(w.subject, None)
        return []

    # -- ticks (they change no state: see the module docstring) ---------------------------------

    def _unacknowledged(self, now: datetime) -> list[Decision]:
        rule = self._rule("alarm_unacknowledged")
        limit = timedelta(minutes=rule["minutes"])
        out: list[Decision] = []
        for alarm in self.unacked.values():
            if now - alarm.at < limit or alarm.warning is None:
                continue
            w = self.warnings.get(alarm.warning)
            if w is None or w.status != "open" or rule.id in w.escalated:
                continue
            up = LEVELS[min(len(LEVELS) - 1, LEVELS.index(w.level) + rule["steps"])]
            if up == w.level:
                continue  # red already: nothing higher
            out.append(
                self._escalate(
                    rule,
                    w,
                    alarm.event,
                    up,
                    now,
                    f"报警 {rule['minutes']} 分钟内未确认，报县级监管部门",
                    f"alarm not acknowledged within {rule['minutes']} min; county regulator",
                )
            )
        return out

    def _quiet_devices(self, now: datetime) -> list[Decision]:
        rule = self._rule("recurring_alarm")
        window = timedelta(hours=rule["window_hours"])
        out: list[Decision] = []
        for w in self._open_of(rule):
            device = self.recurring_device.get(w.subject)
            if device is None or not self.device_alarms.get(device):
                continue
            last = max(t for t, _ in self.device_alarms[device])
            if now - last >= window:
                out.append(
                    self._lift(rule, w, w.cause, now, f"{rule['window_hours']} 小时无新报警")
                )
        return out

    def _overdue(self, now: datetime) -> list[Decision]:
        rule = self._rule("major_hazard_overdue")
        today = now.astimezone(CST).date()
        out: list[Decision] = []
        for h in self.hazards.values():
            if not h.major or h.deadline is None or h.deadline_event is None:
                continue
            if h.status not in ("ordered",) or today <= h.deadline:
                continue
            late = (today - h.deadline).days
            red = late >= rule["escalate_after_days"]
            w = self._open(rule, h.deadline_event)
            zh = f"重大事故隐患逾期 {late} 日未整改 (期限 {h.deadline.isoformat()})"
            en = f"major hazard {late} days past its deadline {h.deadline.isoformat()}"
            if w is None and (rule.id, h.deadline_event) not in self.by_cause:
                level = rule["escalated_level"] if red else rule["level"]
                out.append(self._pure_issue(rule, h, level, now, zh, en))
            elif (
                w is not None
                and red
                and LEVELS.index(w.level) < LEVELS.index(rule["escalated_level"])
            ):
                out.append(
                    self._escalate(rule, w, h.deadline_event, rule["escalated_level"], now, zh, en)
                )
        return out

    def _pure_issue(  # noqa: PLR0917
        self, rule: Rule, h: _Hazard, level: str, now: datetime, zh: str, en: str
    ) -> Decision:
        """An issue decided on a tick: the state is left as it was."""
        assert h.deadline_event is not None
        return self._issue(
            rule,
            h.deadline_event,
            [h.deadline_event, h.event],
            level,
            now,
            h.region,
            h.enterprise,
            zh,
            en,
            addressee=h.region,
            remember=False,
        )

    def _county_expired(self, now: datetime) -> list[Decision]:
        rule = self._rule("accident_county")
        span = timedelta(days=rule["days"])
        out: list[Decision] = []
        for w in self._open_of(rule):
            at = self.accident_at.get(w.cause)
            if at is not None and now - at >= span:
                out.append(self._lift(rule, w, w.cause, now, f"事故报告已满 {rule['days']} 日"))
        return out
