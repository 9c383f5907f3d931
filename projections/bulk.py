"""Bulk inserts of read-model rows.

On SQLite, SQLAlchemy's per-value bind processing costs more than the insert itself (~20 µs a
row), so rows are converted here to exactly the stored forms SQLAlchemy's SQLite types use —
DATETIME 'YYYY-MM-DD HH:MM:SS.ffffff', DATE 'YYYY-MM-DD', BOOLEAN 0/1, JSON text — and given
to the driver's executemany within the same transaction. Reading goes through SQLAlchemy as
usual and cannot tell the difference. Other databases take SQLAlchemy's own executemany.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Date, DateTime, Table, insert

Convert = Callable[[Any], Any] | None


def _datetime(v: datetime | None) -> str | None:
    return None if v is None else v.isoformat(" ", "microseconds")


def _date(v: date | None) -> str | None:
    return None if v is None else v.isoformat()


def _bool(v: bool | None) -> int | None:
    return None if v is None else int(v)


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def _converter(column_type: Any) -> Convert:
    if isinstance(column_type, DateTime):
        return _datetime
    if isinstance(column_type, Date):
        return _date
    if isinstance(column_type, Boolean):
        return _bool
    if isinstance(column_type, JSON):
        return _json
    return None


_plans: dict[str, tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]]]] = {}


def _row_function(table: Table) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function from a row dict to the stored tuple, generated once per table: one tuple
    display instead of a generator per row (the column names are the table's own)."""
    env: dict[str, Any] = {}
    parts = []
    for i, c in enumerate(table.columns):
        conv = _converter(c.type)
        if conv is None:
            parts.append(f"r.get({c.name!r})")
        else:
            env[f"c{i}"] = conv
            parts.append(f"c{i}(r.get({c.name!r}))")
    fn: Callable[[dict[str, Any]], tuple[Any, ...]] = eval(  # noqa: S307
        f"lambda r: ({', '.join(parts)},)", env
    )
    return fn


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (dicts keyed by column name; missing keys are NULL)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    plan = _plans.get(table.name)
    if plan is None:
        names = [c.name for c in table.columns]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        )
        plan = _plans[table.name] = (sql, _row_function(table))
    sql, to_tuple = plan
    conn.exec_driver_sql(sql, [to_tuple(r) for r in rows])


_tuple_plans: dict[str, tuple[str, Callable[[tuple[Any, ...]], tuple[Any, ...]]]] = {}


def insert_tuples(conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT rows given as tuples in the table's column order (saves building dicts)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        names = [c.name for c in table.columns]
        conn.execute(insert(table), [dict(zip(names, r, strict=True)) for r in rows])
        return
    plan = _tuple_plans.get(table.name)
    if plan is None:
        env: dict[str, Any] = {}
        parts = []
        for i, c in enumerate(table.columns):
            conv = _converter(c.type)
            if conv is None:
                parts.append(f"t[{i}]")
            else:
                env[f"c{i}"] = conv
                parts.append(f"c{i}(t[{i}])")
        fn: Callable[[tuple[Any, ...]], tuple[Any, ...]] = eval(  # noqa: S307
            f"lambda t: ({', '.join(parts)},)", env
        )
        names = [c.name for c in table.columns]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        )
        plan = _tuple_plans[table.name] = (sql, fn)
    sql, convert = plan
    conn.exec_driver_sql(sql, [convert(r) for r in rows])
