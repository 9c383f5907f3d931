"""`anjian analytics | export`: analyses (polars) over the read models of a jurisdiction, and
any read model or analysis written to a file (Parquet, CSV, XLSX, JSON) for data sharing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.markup import escape
from rich.table import Table

from domain.regions import region_name
from ops.cli import arguments
from ops.cli.arguments import AtOpt, JsonOpt, RegionOpt, StaleOpt
from ops.cli.context import fresh, platform
from ops.cli.output import emit_json, err, fail, out, text_table
from projections import analytics as analyses
from projections import export as exports
from projections.sheets import readable
from services.provenance import provenance

__all__ = ["analytics", "export"]


def _frame_table(df: pl.DataFrame, title: str, limit: int = 200) -> Table:
    return text_table(
        f"{title} ({df.height})",
        df.columns,
        (["" if v is None else str(v) for v in row] for row in df.head(limit).iter_rows()),
    )


def analytics(
    name: Annotated[str, typer.Argument(help=", ".join(analyses.ANALYSES))],
    region: RegionOpt = "420000",
    at: AtOpt = "",
    stale: StaleOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run one analysis (polars) over the read models of a jurisdiction."""
    if name not in analyses.ANALYSES:
        fail(
            "UnknownProjection", f"no analysis {name!r} (known: {', '.join(analyses.ANALYSES)})", 2
        )
    jurisdiction, when = arguments.region(region), arguments.instant(at)
    with (
        platform() as p,
        fresh(p, not stale, when if at else None) as rm,
        rm.engine.connect() as conn,
    ):
        df = analyses.run(name, conn, jurisdiction, when)
        reflects = provenance(rm, p.ledger)
    analysis = analyses.ANALYSES[name]
    if as_json:  # the rows, as before (`export` of an analysis carries what it reflects)
        emit_json(df.to_dicts())
        if df.is_empty():
            err.print(analysis.empty_note(jurisdiction), soft_wrap=True, markup=False)
    else:
        out.print(_frame_table(df, f"{region_name(jurisdiction)} {analysis.title}"))
        if df.is_empty():
            out.print(analysis.empty_note(jurisdiction), soft_wrap=True, markup=False)
        out.print(reflects.line(), soft_wrap=True, markup=False)


def export(
    name: Annotated[str, typer.Argument(help="a read model or an analysis")],
    *,
    output: Annotated[Path, typer.Option("-o", "--output", help="file to write")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="parquet, csv, xlsx or json (default: the extension's)"),
    ] = None,
    codes: Annotated[
        bool, typer.Option("--codes", help="CSV/XLSX: machine column names and codes")
    ] = False,
    region: RegionOpt = "420000",
    at: AtOpt = "",
    stale: StaleOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a read model or an analysis of a jurisdiction to a file: CSV (with a BOM) or XLSX
    with Chinese headers and values (--codes keeps the codes), JSON for programs, Parquet for
    data sharing; times carry their offset, amounts are in yuan. The format follows the file's
    extension unless --format names one."""
    try:
        form = exports.format_of(output, fmt)
    except ValueError as exc:
        fail("UsageError", str(exc), 2)
    if name not in exports.names():
        fail(
            "UnknownProjection",
            f"nothing to export named {name!r} (known: {', '.join(exports.names())})",
            2,
        )
    jurisdiction, when = arguments.region(region), arguments.instant(at)
    if not output.parent.is_dir():  # before the store is opened and the read models caught up
        fail("FileNotFoundError", f"cannot write {output}: No such directory {output.parent}")
    with (
        platform() as p,
        fresh(p, not stale, when if at else None) as rm,
        rm.engine.connect() as conn,
    ):
        df = exports.frame(conn, name, jurisdiction, when)
        if form != "parquet":
            df = readable(conn, df, name, p.settings.zone, codes=codes or form == "json")
        reflects = provenance(rm, p.ledger)
    try:
        exports.write(df, output, form, {"anjian.reflects": json.dumps(reflects.to_json())})
    except OSError as exc:
        fail(type(exc).__name__, f"cannot write {output}: {exc.strerror or exc}")
    result = {
        "name": name,
        "region": jurisdiction,
        "rows": df.height,
        "format": form,
        "path": str(output),
        "reflects": reflects.to_json(),
    }
    if as_json:
        emit_json(result)
    else:
        where = escape(str(output))
        out.print(f"{name}: {df.height} rows of {region_name(jurisdiction)} → {where} ({form})")
        out.print(reflects.line(), soft_wrap=True, markup=False)
