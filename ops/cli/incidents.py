"""`anjian incidents | incident ID | teams`: the emergency command module's records (应急协调指挥)
— incidents with their level, lead and cause, one incident with its timeline and its map (应急
"一张图", GeoJSON), and the rescue teams with their status."""

from __future__ import annotations

from typing import Annotated

import typer

from domain.accident import GRADES
from domain.emergency import CAPABILITIES, TASK_STATUS
from domain.ids import is_canonical_uuid
from domain.regions import region_name
from ops.cli import arguments
from ops.cli.arguments import JsonOpt, RegionOpt, StaleOpt
from ops.cli.context import fresh, platform
from ops.cli.output import emit_json, fail, out, text_table, utc_local_time
from projections.catalog_view import event_name_of
from projections.incidents import incident, incident_list, incident_map, incident_timeline
from projections.teams import team_list, teams_at

__all__ = ["incident_command", "incidents", "teams"]

STATUS_ZH = {"open": "响应中", "closed": "已终止"}


def incidents(
    *,
    region: RegionOpt = "420000",
    open_only: Annotated[bool, typer.Option("--open", help="only incidents still open")] = False,
    stale: StaleOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Emergency incidents (应急事件) filed within a jurisdiction, the latest first: level, lead
    jurisdiction, status, and the event that caused the service to open it."""
    jurisdiction = arguments.region(region)
    with platform() as p, fresh(p, not stale) as rm, rm.engine.connect() as conn:
        rows = incident_list(conn, jurisdiction, open_only)
        zone = p.settings.zone
    if as_json:
        emit_json([r.to_json(zone) for r in rows])
        return
    title = f"{region_name(jurisdiction)} 应急事件{'（响应中）' if open_only else ''} ({len(rows)})"
    out.print(
        text_table(
            title,
            ("启动时间", "级别", "牵头", "状态", "企业", "概况", "起因事件", "事件ID"),
            (
                (
                    utc_local_time(r.opened_at, zone),
                    r.level_zh,
                    f"{region_name(r.jurisdiction)} {r.jurisdiction}",
                    STATUS_ZH.get(r.status, r.status),
                    f"{r.enterprise_name or '?'} {r.enterprise}",
                    r.summary[:60],
                    r.cause or r.trigger_zh,
                    r.id,
                )
                for r in rows
            ),
        )
    )


def incident_command(
    incident_id: Annotated[str, typer.Argument(metavar="ID", help="the incident's record id")],
    *,
    region: RegionOpt = "420000",
    stale: StaleOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """One incident (应急事件): its level and lead, the teams suggested and dispatched, tasks,
    casualties and its timeline, each line with its event id; --json adds its map (GeoJSON)."""
    if not is_canonical_uuid(incident_id):
        fail(
            "InvalidValue",
            f"ID: an incident id is a lower-case hyphenated UUID, got {incident_id!r}",
            2,
        )
    jurisdiction = arguments.region(region)
    with platform() as p, fresh(p, not stale) as rm, rm.engine.connect() as conn:
        found = incident(conn, incident_id, jurisdiction)
        if found is None:
            fail("NotFound", f"no incident {incident_id} in jurisdiction {jurisdiction}")
        log = incident_timeline(conn, incident_id)
        dispatched = teams_at(conn, incident_id)
        zone = p.settings.zone
        the_map = incident_map(conn, jurisdiction, zone)
    if as_json:
        features = [f for f in the_map["features"] if f["properties"]["incident"] == incident_id]
        emit_json(
            {
                **found.to_json(zone),
                "teams": [t.to_json() for t in dispatched],
                "timeline": [e.to_json(zone) for e in log],
                "map": {"type": "FeatureCollection", "features": features},
            }
        )
        return
    r = found
    grade = f"，{GRADES.get(r.grade, r.grade)}事故" if r.grade else ""
    lines = [
        f"应急事件 {r.id}（{STATUS_ZH.get(r.status, r.status)}）",
        f"  级别 level     {r.level_zh}{grade}；"
        f"牵头 {region_name(r.jurisdiction)} {r.jurisdiction}",
        f"  企业 enterprise {r.enterprise_name or '?'} {r.enterprise}",
        f"  概况 summary   {r.summary}",
        f"  启动 opened    {utc_local_time(r.opened_at, zone)}，{r.trigger_zh}"
        + (f"，起因事件 {r.cause}（规则 {r.rule}）" if r.cause else ""),
        f"  位置 location  {r.location[0]:.3f}, {r.location[1]:.3f}（{r.location_source}）",
    ]
    if r.casualties:
        names = {"deaths": "死亡", "injured": "受伤", "missing": "失踪", "trapped": "被困"}
        lines.append(
            "  伤亡 casualties " + "，".join(f"{names[k]} {v}" for k, v in r.casualties.items())
        )
    for s in r.suggested:
        lines.append(
            f"  建议队伍 {s['code']} {s['name']}（{CAPABILITIES.get(s['capability'], '?')}，"
            f"{s['distance_km']} km）"
        )
    for t in dispatched:
        lines.append(f"  已出动 {t.code} {t.name}（{t.size} 人）")
    for name, task in sorted(r.tasks.items()):
        status = TASK_STATUS.get(task.get("status", ""), "?")
        lines.append(f"  任务 {name}：{task.get('description', '')}（{status}）")
    if r.closing_summary:
        lines.append(f"  总结 closing   {r.closing_summary}")
    for line in lines:
        out.print(line, soft_wrap=True, markup=False)
    out.print(
        text_table(
            f"时间线 timeline ({len(log)})",
            ("#", "时间", "事件", "主体", "事件ID"),
            (
                (
                    str(e.notification_id),
                    utc_local_time(e.occurred_at, zone),
                    f"{event_name_of(e.type)} {e.type}",
                    e.actor,
                    e.event_id,
                )
                for e in log
            ),
        )
    )


def teams(
    *,
    region: RegionOpt = "420000",
    stale: StaleOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Rescue teams (应急救援队伍) based within a jurisdiction: base, capabilities, size and
    status (待命 available, 已出动 dispatched, with the incident)."""
    jurisdiction = arguments.region(region)
    with platform() as p, fresh(p, not stale) as rm, rm.engine.connect() as conn:
        rows = team_list(conn, jurisdiction)
    if as_json:
        emit_json([t.to_json() for t in rows])
        return
    out.print(
        text_table(
            f"{region_name(jurisdiction)} 应急救援队伍 ({len(rows)})",
            ("编号", "名称", "驻地", "坐标", "能力", "人数", "状态", "所在事件"),
            (
                (
                    t.code,
                    t.name,
                    f"{region_name(t.region)} {t.region}",
                    f"{t.latitude:.3f}, {t.longitude:.3f}",
                    "、".join(CAPABILITIES.get(c, c) for c in t.capabilities),
                    str(t.size),
                    t.status_zh,
                    t.incident or "",
                )
                for t in rows
            ),
        )
    )
