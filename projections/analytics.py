"""Analytics over the read models with polars: repeated hazards and the §113 rule, accident
trends, regional risk heat, inspection coverage and the enterprises with the most open risk.

Every analysis takes a jurisdiction (GB/T 2260 code) and the instant `at` it is asked about, and
returns a polars DataFrame; `ANALYSES` names them for the CLI and for export. Months and
quarters are calendar months and quarters in the time zone `at` is written in: the CLI writes
it in the platform's time zone (Settings.timezone), so analytics name no zone of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Connection

from domain.clocks import local_date
from domain.hazard import RECTIFYING
from domain.regions import prefecture_of, region_name
from projections.accidents import accidents
from projections.alarms import ACTIVE, alarms
from projections.enterprises import enterprises
from projections.errors import UnknownProjection
from projections.frames import table_frame
from projections.hazards import hazards
from projections.inspections import inspections
from projections.penalties import penalties
from projections.risk_points import risk_points

COLOURS = ("red", "orange", "yellow", "blue")  # 重大 较大 一般 低
COLOUR_ZH = {"red": "红", "orange": "橙", "yellow": "黄", "blue": "蓝"}
# §113: a unit with a major hazard penalised 3 times within 180 days or 4 times within a year.
SECTION_113 = ((3, 180, "180日内3次"), (4, 365, "一年内4次"))
# Risk heat (configurable default; the Hubei formula was not found): a region takes the most
# severe colour that holds at least HEAT_SHARE of its assessed risk points; an open major
# hazard makes it red.
HEAT_SHARE = 0.10
# Open-risk weights of the top-enterprises ranking.
WEIGHTS = {
    "major_open": 5,
    "general_open": 1,
    "overdue": 2,
    "alarm_level2": 3,
    "alarm_other": 1,
    "red_points": 2,
    "orange_points": 1,
}


def _zone(at: datetime) -> str:
    """The polars name of the time zone `at` is written in (UTC when naive)."""
    zone = at.tzinfo
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    offset = at.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _local(col: str, at: datetime) -> pl.Expr:
    """A read model's naive UTC column as local times in the zone of `at`."""
    return pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(_zone(at))


def _names(conn: Connection, jurisdiction: str) -> pl.DataFrame:
    return table_frame(conn, enterprises, jurisdiction).select(
        pl.col("uscc").alias("enterprise"), "name", "industry"
    )


def _with_region_names(df: pl.DataFrame, col: str = "region") -> pl.DataFrame:
    return df.with_columns(
        pl.col(col).map_elements(region_name, return_dtype=pl.String).alias(f"{col}_name")
    )


def repeated_hazards(conn: Connection, jurisdiction: str, at: datetime) -> pl.DataFrame:
    """The same criterion (判定标准) cited more than once at the same enterprise."""
    hz = table_frame(conn, hazards, jurisdiction).filter(pl.col("criterion_ref").is_not_null())
    out = (
        hz.group_by("enterprise", "region", "criterion_ref")
        .agg(
            pl.len().alias("hazards"),
            (pl.col("status") != "closed").sum().alias("open"),
            pl.col("reported_at").min().alias("first_reported"),
            pl.col("reported_at").max().alias("last_reported"),
        )
        .filter(pl.col("hazards") >= 2)
        .join(_names(conn, jurisdiction), on="enterprise", how="left")
        .sort(["hazards", "enterprise", "criterion_ref"], descending=[True, False, False])
    )
    return _with_region_names(out)


def section_113(conn: Connection, jurisdiction: str, at: datetime) -> pl.DataFrame:
    """Enterprises with a major hazard penalised 3 times in 180 days or 4 times in a year
    (安全生产法 §113: referred for closure). Counts decisions made while one of the
    enterprise's major hazard cases was open, not later revoked, up to `at`."""
    until = at.replace(tzinfo=None) if at.tzinfo is None else _utc(at)
    decisions = (
        table_frame(conn, penalties, jurisdiction)
        .filter(
            (pl.col("outcome") == "penalty")
            & pl.col("revoked_at").is_null()
            & (pl.col("decided_at") <= until)
        )
        .select("enterprise", "region", "decided_at", "subject")
    )
    majors = (
        table_frame(conn, hazards, jurisdiction)
        .filter(pl.col("grade") == "major")
        .select(
            "enterprise", pl.col("reported_at").alias("h_from"), pl.col("closed_at").alias("h_to")
        )
    )
    counted = (
        decisions.join(majors, on="enterprise")
        .filter(
            (pl.col("h_from") <= pl.col("decided_at"))
            & (pl.col("h_to").is_null() | (pl.col("decided_at") < pl.col("h_to")))
        )
        .unique(subset=["subject"])
        .sort(["enterprise", "decided_at"])
    )
    hits = []
    for n, days, label in SECTION_113:
        hits.append(
            counted.with_columns(
                pl.col("decided_at").shift(-(n - 1)).over("enterprise").alias("window_end")
            )
            .filter(pl.col("window_end") - pl.col("decided_at") <= timedelta(days=days))
            .group_by("enterprise", "region")
            .agg(
                pl.col("decided_at").min().alias("window_start"),
                pl.col("window_end").max().alias("window_end"),
            )
            .with_columns(pl.lit(label).alias("rule"), pl.lit(n).alias("penalties"))
        )
    out = (
        (pl.concat(hits) if hits else counted)
        .join(_names(conn, jurisdiction), on="enterprise", how="left")
        .sort(["enterprise", "rule"])
    )
    return _with_region_names(out)


def accident_trend(conn: Connection, jurisdiction: str, at: datetime) -> pl.DataFrame:
    """Accidents, deaths, serious injuries and direct loss by month, prefecture, industry and
    grade (months in the zone of `at`)."""
    acc = table_frame(conn, accidents, jurisdiction).join(
        _names(conn, jurisdiction), on="enterprise", how="left"
    )
    out = (
        acc.with_columns(
            _local("happened_at", at).dt.strftime("%Y-%m").alias("month"),
            pl.col("region")
            .map_elements(prefecture_of, return_dtype=pl.String)
            .alias("prefecture"),
            pl.col("industry").fill_null("unknown"),
        )
        .group_by("month", "prefecture", "industry", "grade")
        .agg(
            pl.len().alias("accidents"),
            pl.col("deaths").sum(),
            pl.col("serious_injuries").sum(),
            pl.col("direct_loss").sum(),
        )
        .sort(["month", "prefecture", "industry", "grade"])
    )
    return _with_region_names(out, "prefecture")


def risk_heat(conn: Connection, jurisdiction: str, at: datetime) -> pl.DataFrame:
    """Risk points by colour per region, open major hazards, and the region's heat colour."""
    points = (
        table_frame(conn, risk_points, jurisdiction)
        .group_by("region")
        .agg(*[(pl.col("colour") == c).sum().alias(c) for c in COLOURS])
    )
    majors = (
        table_frame(conn, hazards, jurisdiction)
        .filter((pl.col("grade") == "major") & (pl.col("status") != "closed"))
        .group_by("region")
        .agg(pl.len().alias("open_major_hazards"))
    )
    df = (
        points.join(majors, on="region", how="full", coalesce=True)
        .with_columns(*[pl.col(c).fill_null(0) for c in (*COLOURS, "open_major_hazards")])
        .with_columns(pl.sum_horizontal(*COLOURS).alias("points"))
    )
    share = [(pl.col(c) >= HEAT_SHARE * pl.col("points")) & (pl.col(c) > 0) for c in COLOURS]
    heat = pl.coalesce(
        pl.when(pl.col("open_major_hazards") > 0).then(pl.lit("red")),
        *[pl.when(cond).then(pl.lit(c)) for c, cond in zip(COLOURS, share, strict=True)],
        pl.lit("blue"),
    )
    df = df.with_columns(heat.alias("heat"))
    df = df.with_columns(
        pl.col("heat").replace_strict(COLOUR_ZH, return_dtype=pl.String).alias("heat_zh")
    )
    return _with_region_names(df.sort("region"))


def inspection_coverage(conn: Connection, jurisdiction: str, at: datetime) -> pl.DataFrame:
    """Per quarter and region: enterprises registered by the quarter's end, how many of them
    were inspected in the quarter, and the share (quarters in the zone of `at`)."""
    insp = (
        table_frame(conn, inspections, jurisdiction)
        .with_columns(_local("started_at", at).alias("t"))
        .with_columns(
            (
                pl.col("t").dt.year().cast(pl.String)
                + "Q"
                + pl.col("t").dt.quarter().cast(pl.String)
            ).alias("quarter")
        )
    )
    ents = table_frame(conn, enterprises, jurisdiction).with_columns(
        _local("registered_at", at).alias("t")
    )
    if insp.is_empty():
        return pl.DataFrame(
            schema={
                "quarter": pl.String,
                "region": pl.String,
                "enterprises": pl.UInt32,
                "inspected": pl.UInt32,
                "inspections": pl.UInt32,
                "coverage": pl.Float64,
                "region_name": pl.String,
            }
        )
    quarters = insp.select("quarter").unique()
    # The last instant of each quarter, to count the enterprises registered by then.
    quarters = quarters.with_columns(
        pl.datetime(
            pl.col("quarter").str.slice(0, 4).cast(pl.Int32),
            pl.col("quarter").str.slice(5, 1).cast(pl.Int32) * 3,
            1,
            time_zone=_zone(at),
        )
        .dt.offset_by("1mo")
        .alias("q_end")
    )
    registered = (
        quarters.join(ents, how="cross")
        .filter(pl.col("t") < pl.col("q_end"))
        .group_by("quarter", "region")
        .agg(pl.col("uscc").n_unique().alias("enterprises"))
    )
    inspected = insp.group_by("quarter", "region").agg(
        pl.col("enterprise").n_unique().alias("inspected"), pl.len().alias("inspections")
    )
    out = (
        registered.join(inspected, on=["quarter", "region"], how="left")
        .with_columns(pl.col("inspected").fill_null(0), pl.col("inspections").fill_null(0))
        .with_columns((pl.col("inspected") / pl.col("enterprises")).round(4).alias("coverage"))
        .sort(["quarter", "region"])
    )
    return _with_region_names(out)


def top_open_risk(
    conn: Connection, jurisdiction: str, at: datetime, limit: int = 20
) -> pl.DataFrame:
    """The enterprises with the most open risk: open and overdue hazards, active alarms and
    red/orange risk points, weighted by WEIGHTS."""
    today = local_date(at)
    hz = (
        table_frame(conn, hazards, jurisdiction)
        .filter(pl.col("status") != "closed")
        .group_by("enterprise")
        .agg(
            (pl.col("grade") == "major").sum().alias("major_open"),
            (pl.col("grade") == "general").sum().alias("general_open"),
            (pl.col("status").is_in(list(RECTIFYING)) & (pl.col("deadline") < today))
            .sum()
            .alias("overdue"),
        )
    )
    al = (
        table_frame(conn, alarms, jurisdiction)
        .filter(pl.col("status").is_in(list(ACTIVE)))
        .group_by("enterprise")
        .agg(
            (pl.col("level").is_in(["level2", "high_high"])).sum().alias("alarm_level2"),
            (~pl.col("level").is_in(["level2", "high_high"])).sum().alias("alarm_other"),
        )
    )
    rp = (
        table_frame(conn, risk_points, jurisdiction)
        .group_by("enterprise")
        .agg(
            (pl.col("colour") == "red").sum().alias("red_points"),
            (pl.col("colour") == "orange").sum().alias("orange_points"),
        )
    )
    names = table_frame(conn, enterprises, jurisdiction).select(
        pl.col("uscc").alias("enterprise"), "name", "region", "industry"
    )
    df = names
    for part in (hz, al, rp):
        df = df.join(part, on="enterprise", how="left")
    df = df.with_columns(*[pl.col(k).fill_null(0).cast(pl.Int64) for k in WEIGHTS])
    score = pl.sum_horizontal(*[pl.col(k) * w for k, w in WEIGHTS.items()])
    out = (
        df.with_columns(score.alias("risk_score"))
        .filter(pl.col("risk_score") > 0)
        .sort(["risk_score", "enterprise"], descending=[True, False])
        .head(limit)
    )
    return _with_region_names(out)


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Analysis:
    name: str
    title: str
    run: Callable[[Connection, str, datetime], pl.DataFrame]
    needs: str  # what the rule needs to list a row: said when the list is empty

    def empty_note(self, jurisdiction: str) -> str:
        """Why an empty answer is empty: what the rule needs, in the jurisdiction asked about."""
        return f"{region_name(jurisdiction)}（{jurisdiction}）无结果：{self.needs}"


ANALYSES = {
    a.name: a
    for a in (
        Analysis(
            "repeated_hazards",
            "重复隐患 (同一判定标准)",
            repeated_hazards,
            "需要同一企业的两项以上隐患引用同一判定标准条目 (criterion_ref)",
        ),
        Analysis(
            "section_113",
            "§113 提请关闭 (180日内3次/一年内4次处罚)",
            section_113,
            "安全生产法 §113 需要企业在一项重大事故隐患未销号期间受到行政处罚"
            "（作出处罚决定且未撤销）180日内3次或一年内4次",
        ),
        Analysis(
            "accident_trend",
            "事故趋势 (月份×地区×行业×等级)",
            accident_trend,
            "需要至少一起已报告的生产安全事故",
        ),
        Analysis(
            "risk_heat",
            "区域风险热力 (红橙黄蓝)",
            risk_heat,
            "需要企业登记的安全风险点（四色分级）或未销号的重大事故隐患",
        ),
        Analysis(
            "inspection_coverage",
            "执法检查覆盖率 (季度×地区)",
            inspection_coverage,
            "需要至少一家已登记的企业和一次执法检查",
        ),
        Analysis(
            "top_open_risk",
            "未消除风险最多的企业",
            top_open_risk,
            "需要未销号的隐患、未消除的报警或红橙色风险点",
        ),
    )
}


def run(name: str, conn: Connection, jurisdiction: str, at: datetime) -> pl.DataFrame:
    analysis = ANALYSES.get(name)
    if analysis is None:
        raise UnknownProjection(f"no analysis {name!r} (known: {', '.join(ANALYSES)})")
    return analysis.run(conn, jurisdiction, at)
