"""Export any read model or analysis of one jurisdiction (数据共享交换): Parquet for data
sharing, CSV (UTF-8 with a BOM, so spreadsheets read it) and XLSX for people, JSON for programs.

The format follows the file's extension unless one is named. CSV and XLSX carry the readable
sheet (projections.sheets: Chinese headers and values unless asked for codes, times with their
offset, amounts in yuan); JSON carries the same sheet with machine codes; Parquet the typed
rows. In every format a permit or certificate held past its expiry shows as `lapsed` (已过期)
on the day asked about, never as `active`, and one past its review (复审) date with no review
applied for as `review_overdue`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Table

from domain.clocks import local_date
from projections.accidents import accidents
from projections.alarms import alarms
from projections.analytics import ANALYSES
from projections.credit import credit, credit_moves
from projections.enterprises import enterprises
from projections.errors import UnknownProjection
from projections.frames import table_frame
from projections.hazards import hazards
from projections.inspections import inspections
from projections.licences import HOLDING, licences
from projections.penalties import penalties
from projections.personal_data import personal_data
from projections.risk_points import risk_points
from projections.timeline import timeline

FORMATS = ("parquet", "csv", "xlsx", "json")
EXTENSIONS = {".parquet": "parquet", ".csv": "csv", ".xlsx": "xlsx", ".json": "json"}
READ_MODELS: dict[str, Table] = {
    "enterprises": enterprises,
    "timeline": timeline,
    "hazards": hazards,
    "penalties": penalties,
    "licences": licences,
    "alarms": alarms,
    "accidents": accidents,
    "inspections": inspections,
    "risk_points": risk_points,
    "credit": credit,
    "credit_moves": credit_moves,
    "personal_data": personal_data,
}
# Internal columns left out of exports (the credit facts are the projection's working state;
# the explanation carries what was decided and why).
HIDDEN = {"credit": ("facts",)}


def names() -> list[str]:
    return [*READ_MODELS, *ANALYSES]


def frame(conn: Connection, name: str, jurisdiction: str, at: datetime) -> pl.DataFrame:
    """The named read model or analysis, restricted to the jurisdiction."""
    if name in READ_MODELS:
        df = table_frame(conn, READ_MODELS[name], jurisdiction).drop(HIDDEN.get(name, ()))
        return standing(df, at) if name == "licences" else df
    if name in ANALYSES:
        return ANALYSES[name].run(conn, jurisdiction, at)
    raise UnknownProjection(f"nothing to export named {name!r} (known: {', '.join(names())})")


def standing(df: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """Licence rows with the status they hold on the day of `at` (CST): a term is
    [start, expires_on), so one still held on or after its expiry date has lapsed."""
    today = local_date(at)
    held = pl.col("status").is_in(HOLDING)
    review_missed = (
        (pl.col("kind") == "certificate")
        & (pl.col("review_due") < today)
        & ~pl.col("renewal_pending")
    )
    return df.with_columns(
        pl.when(held & (pl.col("expires_on") <= today))
        .then(pl.lit("lapsed"))
        .when(held & review_missed)
        .then(pl.lit("review_overdue"))
        .otherwise(pl.col("status"))
        .alias("status")
    )


def format_of(path: Path, fmt: str | None) -> str:
    """The format named, or else the one the file's extension says."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        return fmt
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise ValueError(
            f"cannot tell the format of {path.name} from its extension "
            f"({', '.join(EXTENSIONS)}); name one with --format"
        )
    return found


def write(
    df: pl.DataFrame, path: Path, fmt: str, metadata: Mapping[str, str] | None = None
) -> Path:
    """Write `df` as Parquet (zstd, with `metadata` as the file's key-value metadata), CSV
    (UTF-8 with a byte-order mark and a header; no room for metadata), XLSX (one sheet) or JSON
    (`{"metadata": …, "rows": […]}`); return the path."""
    if fmt == "parquet":
        df.write_parquet(path, compression="zstd", metadata=dict(metadata or {}))
    elif fmt == "csv":
        df.write_csv(path, include_bom=True)
    elif fmt == "xlsx":
        df.write_excel(path, worksheet="anjian", autofit=True)
    elif fmt == "json":
        doc = {"metadata": dict(metadata or {}), "rows": df.to_dicts()}
        path.write_text(json.dumps(doc, ensure_ascii=False, default=str, indent=1), "utf-8")
    else:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return path
