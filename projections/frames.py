"""Read-model rows as polars DataFrames, with the schema taken from the table definition (so an
empty result still has typed columns), filtered to a jurisdiction."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    Table,
    select,
)

from projections.store import within


def dtype_of(column_type: Any) -> pl.DataType:
    if isinstance(column_type, Boolean):
        return pl.Boolean()
    if isinstance(column_type, Integer | BigInteger):
        return pl.Int64()
    if isinstance(column_type, Float):
        return pl.Float64()
    if isinstance(column_type, DateTime):
        return pl.Datetime("us")
    if isinstance(column_type, Date):
        return pl.Date()
    return pl.String()


def table_frame(
    conn: Connection, table: Table, jurisdiction: str | None, *where: ColumnElement[bool]
) -> pl.DataFrame:
    """The rows of `table` in the jurisdiction (and matching `where`), JSON columns as text."""
    q = select(table).where(*where)
    if jurisdiction is not None and "region" in table.c:
        q = q.where(within(table.c.region, jurisdiction))
    columns = list(table.columns)
    schema = {c.name: dtype_of(c.type) for c in columns}
    json_cols = [i for i, c in enumerate(columns) if isinstance(c.type, JSON)]
    rows = conn.execute(q).all()
    if json_cols:
        data = [
            tuple(
                json.dumps(v, ensure_ascii=False, sort_keys=True) if i in json_cols else v
                for i, v in enumerate(r)
            )
            for r in rows
        ]
    else:
        data = [tuple(r) for r in rows]
    return pl.DataFrame(data, schema=schema, orient="row")
