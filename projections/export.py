"""Export any read model or analysis of one jurisdiction to Parquet or CSV (数据共享交换)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Table

from projections.accidents import accidents
from projections.alarms import alarms
from projections.analytics import ANALYSES
from projections.credit import credit, credit_moves
from projections.enterprises import enterprises
from projections.errors import UnknownProjection
from projections.frames import table_frame
from projections.hazards import hazards
from projections.inspections import inspections
from projections.licences import licences
from projections.penalties import penalties
from projections.personal_data import personal_data
from projections.risk_points import risk_points
from projections.timeline import timeline

FORMATS = ("parquet", "csv")
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
        return table_frame(conn, READ_MODELS[name], jurisdiction).drop(HIDDEN.get(name, ()))
    if name in ANALYSES:
        return ANALYSES[name].run(conn, jurisdiction, at)
    raise UnknownProjection(f"nothing to export named {name!r} (known: {', '.join(names())})")


def write(
    df: pl.DataFrame, path: Path, fmt: str, metadata: Mapping[str, str] | None = None
) -> Path:
    """Write `df` as Parquet (zstd, with `metadata` as the file's key-value metadata) or CSV
    (UTF-8 with header, which has nowhere to keep metadata); return the path."""
    if fmt == "parquet":
        df.write_parquet(path, compression="zstd", metadata=dict(metadata or {}))
    elif fmt == "csv":
        df.write_csv(path)
    else:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return path
