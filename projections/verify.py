"""Read-model integrity: rebuild the read models from the log into a scratch store and compare
them with the live ones, table by table and row by row.

A read model is derived from the log alone (projections.follower: `apply` depends on nothing
but the events and its own rows), so rows rebuilt from scratch up to the live position must
equal the live rows. A row changed in the read-model store behind the follower's back (an
insider's UPDATE of a credit score or a hazard's status) is named with its table, key, column
and both values; a row present on one side only is named too.

Both sides are read in primary-key order and merged, so no table is held in memory. Text keys
are ordered by code point on both stores (SQLite's BINARY collation; COLLATE "C" on
PostgreSQL), which is Python's order of `str`; the merge checks that order and stops with
UnorderedRows rather than report a false difference.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Engine, String, Table, or_, select

from domain.log_reader import Recorder
from projections.errors import ProjectionError, UnknownProjection
from projections.follower import Projection, ReadModelFollower
from projections.quarantine import quarantine
from projections.store import open_store, tracking

__all__ = ["Difference", "LiveMoved", "UnorderedRows", "Verification", "verify"]

# Columns that record when the read-model store did something, not what the log says.
WALL_CLOCK: dict[str, frozenset[str]] = {quarantine.name: frozenset({"set_aside_at"})}


class LiveMoved(ProjectionError):
    """The live read models moved while they were compared: the comparison proves nothing."""


class UnorderedRows(ProjectionError):
    """A store returned rows out of key order (a collation this check does not know)."""


@dataclass(frozen=True)
class Difference:
    """One differing row: a column whose values differ, or (column None) a row on one side."""

    table: str
    key: tuple[tuple[str, Any], ...]
    column: str | None
    live: Any
    rebuilt: Any

    def describe(self) -> str:
        key = ", ".join(f"{k}={v!r}" for k, v in self.key)
        if self.column is None:
            side = "only in the live store" if self.rebuilt is None else "missing from the live"
            return (
                f"{self.table} [{key}]: row {side} (live {self.live!r}, rebuilt {self.rebuilt!r})"
            )
        return f"{self.table} [{key}] {self.column}: live {self.live!r}, rebuilt {self.rebuilt!r}"

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "key": {k: _plain(v) for k, v in self.key},
            "column": self.column,
            "live": _plain(self.live),
            "rebuilt": _plain(self.rebuilt),
        }


@dataclass(frozen=True)
class Verification:
    """What `verify` compared and what differed."""

    position: int  # the notification id both sides reflect
    projections: list[str]
    rows: dict[str, int] = field(default_factory=dict)  # rows compared, by table
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "position": self.position,
            "projections": self.projections,
            "rows": self.rows,
            "differences": [d.to_json() for d in self.differences],
        }


def verify(
    recorder: Recorder,
    live: Engine,
    projections: Sequence[Projection],
    names: Sequence[str] | None = None,
    scratch: Path | None = None,
) -> Verification:
    """Rebuild `projections` (those `names`, all when None) from `recorder`'s log into a scratch
    SQLite store (under `scratch`, default a temporary directory) up to the position the live
    store `live` reached, and compare the two. The live read models are caught up first.

    Raises UnknownProjection for a name not among `projections`, and LiveMoved when another
    follower moved the live read models during the comparison (run it again)."""
    known = {p.name: p for p in projections}
    for n in names or ():
        if n not in known:
            raise UnknownProjection(f"no projection {n!r} (known: {', '.join(known)})")
    chosen = list(projections) if names is None else [known[n] for n in names]
    live_follower = ReadModelFollower(recorder, live, [_fresh(p) for p in projections])
    live_follower.catch_up()
    before = _positions(live, chosen)
    position = min(before.values(), default=0)
    with tempfile.TemporaryDirectory(prefix="anjian-verify-", dir=scratch) as tmp:
        engine = open_store(f"sqlite:///{Path(tmp) / 'readmodels.sqlite'}")
        try:
            rebuilt = ReadModelFollower(recorder, engine, [_fresh(p) for p in chosen])
            rebuilt.runner.catch_up(until=position)
            result = _compare(live, engine, chosen, position, whole=names is None)
        finally:
            engine.dispose()
    after = _positions(live, chosen)
    if before != after or len(set(before.values())) > 1:
        raise LiveMoved(
            f"the live read models moved from {before} to {after} during the comparison; "
            "run it again when no follower is applying the log"
        )
    return result


def _fresh(p: Projection) -> Projection:
    """A projection like `p` (same configuration) with none of its caches."""
    twin = copy.deepcopy(p)
    twin.forget()
    return twin


def _positions(engine: Engine, chosen: Sequence[Projection]) -> dict[str, int]:
    with engine.connect() as conn:
        rows = {r.name: int(r.position) for r in conn.execute(select(tracking))}
    return {p.name: rows.get(p.name, 0) for p in chosen}


def _compare(
    live: Engine, rebuilt: Engine, chosen: Sequence[Projection], position: int, *, whole: bool
) -> Verification:
    """Compare every table of `chosen` (the rows each owns; whole tables when `whole`)."""
    scopes: dict[str, list[ColumnElement[bool] | None]] = {}
    tables: dict[str, Table] = {}
    for p in chosen:
        for t in p.tables:
            tables[t.name] = t
            scopes.setdefault(t.name, []).append(None if whole else p.rows_of(t))
    if whole:
        tables[quarantine.name] = quarantine
        scopes[quarantine.name] = [None]
    result = Verification(position, [p.name for p in chosen])
    with live.connect() as lc, rebuilt.connect() as rc:
        for name, table in sorted(tables.items()):
            conds = scopes[name]
            where = (
                None if any(c is None for c in conds) else or_(*[c for c in conds if c is not None])
            )
            compared = 0
            for diff, n in _diff_table(table, _rows(lc, table, where), _rows(rc, table, where)):
                compared = n
                if diff is not None:
                    result.differences.append(diff)
            result.rows[name] = compared
    return result


def _rows(
    conn: Connection, table: Table, where: ColumnElement[bool] | None
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """(key, row) of `table` in key order (code-point order for text on both stores)."""
    pg = conn.dialect.name == "postgresql"
    key = list(table.primary_key.columns)
    order = [c.collate("C") if pg and isinstance(c.type, String) else c for c in key]
    query = select(table).order_by(*order)
    if where is not None:
        query = query.where(where)
    previous: tuple[Any, ...] | None = None
    for row in conn.execution_options(stream_results=True).execute(query).mappings():
        k = tuple(row[c.name] for c in key)
        if previous is not None and not previous < k:
            raise UnorderedRows(f"{table.name}: {previous!r} came before {k!r}")
        previous = k
        yield k, dict(row)


def _diff_table(
    table: Table,
    live: Iterator[tuple[tuple[Any, ...], dict[str, Any]]],
    rebuilt: Iterator[tuple[tuple[Any, ...], dict[str, Any]]],
) -> Iterator[tuple[Difference | None, int]]:
    """Merge the two ordered streams; yield each difference (or None) with the rows seen."""
    names = [c.name for c in table.primary_key.columns]
    ignored = WALL_CLOCK.get(table.name, frozenset())
    columns: list[Column[Any]] = [c for c in table.columns if c.name not in ignored]
    seen = 0
    a, b = next(live, None), next(rebuilt, None)
    while a is not None or b is not None:
        seen += 1
        if b is None or (a is not None and a[0] < b[0]):
            assert a is not None
            yield (
                Difference(table.name, tuple(zip(names, a[0], strict=True)), None, a[1], None),
                seen,
            )
            a = next(live, None)
        elif a is None or b[0] < a[0]:
            yield (
                Difference(table.name, tuple(zip(names, b[0], strict=True)), None, None, b[1]),
                seen,
            )
            b = next(rebuilt, None)
        else:
            key = tuple(zip(names, a[0], strict=True))
            for c in columns:
                if not _same(a[1][c.name], b[1][c.name]):
                    yield Difference(table.name, key, c.name, a[1][c.name], b[1][c.name]), seen
            yield None, seen
            a, b = next(live, None), next(rebuilt, None)
    yield None, seen


def _same(x: Any, y: Any) -> bool:
    """Equal values (exactly: both stores keep IEEE doubles, and a rebuild is deterministic)."""
    return bool(x == y)


def _plain(v: Any) -> Any:
    """A value as JSON can carry it."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)
