"""Exports people open (一张表): a read model or analysis as a table a colleague can read.

From the frame an export holds (projections.export.frame), `readable` makes the sheet:

- the company's name beside every USCC, and the region's name beside every region code;
- instants in the platform's zone with their offset ("2024-03-01T10:00:00+08:00");
- every amount in yuan, named so in its header: amounts kept in fen are divided by 100;
- a penalty's deciding authority (决定机关: the emergency management bureau of the case's
  region) beside its case and decision numbers;
- by default Chinese column headers and values (statuses, grades, kinds, yes/no); with
  `codes` the machine names and codes stay, everything else above still applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

import polars as pl
from sqlalchemy import Connection, select

from domain.accident import GRADES as ACCIDENT_GRADES
from domain.accident import KINDS as ACCIDENT_KINDS
from domain.catalog import KIND_NAMES
from domain.certificate import CATEGORIES
from domain.enterprise import COLOURS, INDUSTRIES, STANDARDISATION
from domain.hazard import GRADES as HAZARD_GRADES
from domain.hazard import SOURCES
from domain.inspection import TYPES as INSPECTION_TYPES
from domain.permit import INDUSTRIES as PERMIT_INDUSTRIES
from domain.regions import region_name
from domain.sanction import TYPES as SANCTION_TYPES
from domain.sensor import LEVELS
from projections.enterprises import enterprises
from projections.penalties import CLOCK_NAMES, STEPS
from projections.store import within

__all__ = ["AUTHORITY", "HEADERS", "readable"]

AUTHORITY = "应急管理局"  # 决定机关: the bureau of the case's region

# Column headers, by column name, then per table where a name means something else there.
HEADERS: dict[str, str] = {
    "subject": "记录编号",
    "uscc": "统一社会信用代码",
    "enterprise": "统一社会信用代码",
    "enterprise_name": "企业名称",
    "name": "名称",
    "region": "行政区划代码",
    "region_name": "行政区划",
    "industry": "行业",
    "standardisation": "标准化等级",
    "employees": "从业人员数",
    "status": "状态",
    "registered_at": "登记时间",
    "grade": "等级",
    "criterion_ref": "判定标准条目",
    "description": "隐患描述",
    "source": "来源",
    "reported_at": "报告时间",
    "deadline": "整改期限",
    "document_no": "整改指令书文号",
    "recheck_due": "复查期限",
    "stop_production": "责令停产",
    "listed": "曾挂牌督办",
    "supervised": "挂牌督办中",
    "closed_at": "销号/结束时间",
    "rejections": "复查不合格次数",
    "reopenings": "重新打开次数",
    "case_no": "立案号",
    "filed_at": "立案时间",
    "decision_due": "决定期限",
    "harm": "造成人身伤害",
    "hazard": "关联隐患",
    "outcome": "处理结果",
    "types": "处罚种类",
    "fine_yuan": "罚款金额（元）",
    "decided_at": "决定时间",
    "decision_no": "处罚决定书文号",
    "authority": "决定机关",
    "decided_by": "承办人账号",
    "served_at": "送达时间",
    "paid_yuan": "已缴金额（元）",
    "executed": "已执行种类",
    "settled": "罚款已缴清",
    "published": "已公示",
    "revoked_at": "撤销时间",
    "clock": "当前法定时限",
    "clock_due": "时限届满日",
    "kind": "类别",
    "category": "行业/作业类别",
    "number": "证书编号",
    "expires_on": "有效期至",
    "review_due": "复审日期",
    "renewal_pending": "已申请延续/复审",
    "failed_reviews": "复审不合格次数",
    "device": "监测设备",
    "level": "报警级别",
    "value": "监测值",
    "raised_at": "报警时间",
    "acknowledged_at": "确认时间",
    "happened_at": "发生时间",
    "deaths": "死亡人数",
    "serious_injuries": "重伤人数",
    "direct_loss": "直接经济损失（元）",
    "liability": "责任事故",
    "concealment": "瞒报谎报",
    "reported_late": "迟报",
    "investigation_due": "调查报告期限",
    "type": "类型",
    "started_at": "开始时间",
    "findings": "发现问题数",
    "hazard_findings": "发现隐患数",
    "measures": "现场措施数",
    "stop_ordered": "责令停产停业",
    "point": "风险点编号",
    "five_highs": "五高",
    "colour": "风险等级",
    "score": "信用分",
    "candidate": "严重失信名单候选",
    "rated_at": "评定时间",
    "explanation": "评定依据",
    "rulebook": "规则版本",
    "notification_id": "日志序号",
    "last_notification_id": "最新日志序号",
    "registered_notification_id": "登记日志序号",
    "stage": "阶段",
    "version": "版本",
    "actor": "签名账号",
    "role": "角色",
    "occurred_at": "发生时间",
    "recorded_at": "记录时间",
    "channel": "渠道",
    # analyses
    "hazards": "隐患数",
    "open": "未销号",
    "first_reported": "首次报告",
    "last_reported": "最近报告",
    "window_start": "窗口起",
    "window_end": "窗口止",
    "rule": "规则",
    "penalties": "处罚次数",
    "month": "月份",
    "prefecture": "市州代码",
    "prefecture_name": "市州",
    "accidents": "事故起数",
    "red": "重大风险",
    "orange": "较大风险",
    "yellow": "一般风险",
    "blue": "低风险",
    "open_major_hazards": "未销号重大隐患",
    "points": "风险点数",
    "heat": "风险热度",
    "heat_zh": "风险热度等级",
    "quarter": "季度",
    "enterprises": "企业数",
    "inspected": "已检查企业数",
    "inspections": "检查次数",
    "coverage": "覆盖率",
    "major_open": "未销号重大隐患",
    "general_open": "未销号一般隐患",
    "overdue": "逾期隐患",
    "alarm_level2": "二级报警",
    "alarm_other": "其他报警",
    "red_points": "红色风险点",
    "orange_points": "橙色风险点",
    "risk_score": "风险分",
}
TABLE_HEADERS: dict[str, dict[str, str]] = {
    "enterprises": {"name": "企业名称"},
    "credit": {"name": "企业名称"},
    "licences": {"category": "许可行业/作业类别"},
    "accidents": {"kind": "事故类别", "closed_at": "结案时间"},
    "alarms": {"closed_at": "消除时间"},
    "inspections": {"type": "检查类型", "closed_at": "结束时间"},
    "penalties": {"closed_at": "结案时间", "status": "办案环节"},
    "risk_points": {"name": "风险点名称"},
    "repeated_hazards": {"name": "企业名称"},
    "section_113": {"name": "企业名称"},
    "top_open_risk": {"name": "企业名称"},
}

STATUSES: dict[str, dict[str, str]] = {
    "enterprises": {"active": "在册", "deregistered": "已注销"},
    "hazards": {
        "reported": "已报告",
        "ordered": "已责令整改",
        "reported_to_regulator": "已报告监管部门",
        "listed": "挂牌督办",
        "planned": "已制定治理方案",
        "rectified": "已整改",
        "recheck_requested": "已申请复查",
        "accepted": "复查合格",
        "closed": "已销号",
    },
    "penalties": STEPS,
    "licences": {
        "applied": "申请中",
        "active": "有效",
        "refused": "不予许可",
        "suspended": "暂扣",
        "revoked": "吊销",
        "cancelled": "注销",
        "invalid": "失效",
        "lapsed": "已过期",
        "review_overdue": "逾期未复审",
    },
    "alarms": {
        "raised": "未确认",
        "acknowledged": "已确认",
        "disposed": "已处置",
        "cleared": "已消除",
        "false_alarm": "误报",
    },
    "accidents": {
        "reported": "已报告",
        "investigating": "调查中",
        "report_submitted": "已提交调查报告",
        "closed": "已结案",
    },
    "inspections": {"in_progress": "检查中", "closed": "已结束"},
}
VALUES: dict[str, Mapping[str, str]] = {
    "industry": INDUSTRIES,
    "standardisation": STANDARDISATION,
    "source": SOURCES,
    "kind": KIND_NAMES,
    "level": LEVELS,
    "colour": COLOURS,
    "clock": CLOCK_NAMES,
    "outcome": {"penalty": "给予处罚", "no_penalty": "不予处罚"},
    "concealment": {"concealed": "瞒报", "false_report": "谎报"},
}
TABLE_VALUES: dict[str, dict[str, Mapping[str, str]]] = {
    "hazards": {"grade": HAZARD_GRADES},
    "accidents": {"grade": ACCIDENT_GRADES, "kind": ACCIDENT_KINDS},
    "licences": {"category": {**PERMIT_INDUSTRIES, **CATEGORIES}},
    "inspections": {"type": INSPECTION_TYPES},
}
YES_NO = {True: "是", False: "否"}


def readable(
    conn: Connection, df: pl.DataFrame, name: str, zone: tzinfo, *, codes: bool = False
) -> pl.DataFrame:
    """The export `name` (its frame `df`) as a sheet people read (see the module)."""
    df = _amounts_in_yuan(df)
    df = _with_names(conn, df, company_named=name != "risk_points" and "name" in df.columns)
    if name == "penalties" and "region" in df.columns:
        authority = [f"{region_name(r)}{AUTHORITY}" for r in df["region"].to_list()]
        at = df.columns.index("decision_no") + 1 if "decision_no" in df.columns else df.width
        df = df.insert_column(at, pl.Series("authority", authority, pl.String))
    df = _instants(df, zone)
    if codes:
        return df
    return _in_chinese(df, name)


def _amounts_in_yuan(df: pl.DataFrame) -> pl.DataFrame:
    fen = [c for c in df.columns if c.endswith("_fen")]
    return df.with_columns(
        (pl.col(c) / 100).alias(c.removesuffix("_fen") + "_yuan") for c in fen
    ).select([c.removesuffix("_fen") + "_yuan" if c in fen else c for c in df.columns])


def _with_names(conn: Connection, df: pl.DataFrame, *, company_named: bool) -> pl.DataFrame:
    """The company's name after its USCC (`enterprise` columns) unless `company_named` (a
    `name` column holds it already), and the region's name after its code."""
    if "enterprise" in df.columns and "enterprise_name" not in df.columns and not company_named:
        codes = set(df["enterprise"].drop_nulls().to_list())
        known: dict[str, str] = {}
        if codes:
            q = select(enterprises.c.uscc, enterprises.c.name).where(
                within(enterprises.c.region, "420000")
            )
            known = {u: n for u, n in conn.execute(q) if u in codes}
        names = [known.get(u) for u in df["enterprise"].to_list()]
        at = df.columns.index("enterprise") + 1
        df = df.insert_column(at, pl.Series("enterprise_name", names, pl.String))
    if "region" in df.columns and "region_name" not in df.columns:
        at = df.columns.index("region") + 1
        regions = [None if r is None else region_name(r) for r in df["region"].to_list()]
        df = df.insert_column(at, pl.Series("region_name", regions, pl.String))
    return df


def _instants(df: pl.DataFrame, zone: tzinfo) -> pl.DataFrame:
    """Datetime columns (naive UTC) as ISO 8601 text in `zone`, with the offset."""
    out = df
    for c, dtype in df.schema.items():
        if isinstance(dtype, pl.Datetime):
            text = [_iso(t, zone) for t in df[c].to_list()]
            out = out.with_columns(pl.Series(c, text, pl.String))
    return out


def _iso(t: datetime | None, zone: tzinfo) -> str | None:
    if t is None:
        return None
    aware = t.replace(tzinfo=UTC) if t.tzinfo is None else t
    return aware.astimezone(zone).isoformat(timespec="seconds")


def _in_chinese(df: pl.DataFrame, name: str) -> pl.DataFrame:
    values = {**VALUES, **TABLE_VALUES.get(name, {})}
    if name in STATUSES:
        values["status"] = STATUSES[name]
    out = df
    for c, dtype in df.schema.items():
        if c in values and dtype == pl.String:
            mapping = values[c]
            out = out.with_columns(
                pl.Series(c, [_label(v, mapping) for v in df[c].to_list()], pl.String)
            )
        elif c in ("types", "executed") and dtype == pl.String:
            out = out.with_columns(pl.Series(c, [_types(v) for v in df[c].to_list()], pl.String))
        elif dtype == pl.Boolean:
            out = out.with_columns(
                pl.Series(c, [None if v is None else YES_NO[v] for v in df[c].to_list()])
            )
    headers = {**HEADERS, **TABLE_HEADERS.get(name, {})}
    renamed: dict[str, str] = {}
    for c in out.columns:
        header = headers.get(c, c)
        while header in renamed.values():  # two columns never share a header
            header += f"（{c}）"
        renamed[c] = header
    return out.rename(renamed)


def _label(value: Any, mapping: Mapping[str, str]) -> Any:
    return mapping.get(value, value) if isinstance(value, str) else value


def _types(value: str | None) -> str | None:
    if value is None:
        return None
    return "、".join(SANCTION_TYPES.get(t, t) for t in value.split(",") if t)
