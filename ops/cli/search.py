"""`anjian documents`: cases and documents found by their number (projections.search)."""

from __future__ import annotations

from typing import Annotated

import typer

from domain.regions import region_name
from ops.cli import arguments
from ops.cli.arguments import JsonOpt, RegionOpt
from ops.cli.context import fresh, platform
from ops.cli.output import emit_json, out, text_table
from projections.search import find_documents

__all__ = ["documents"]


def documents(
    number: Annotated[str, typer.Argument(help="any part of a case or document number")],
    region: RegionOpt = "420000",
    as_json: JsonOpt = False,
) -> None:
    """Cases and documents whose number holds NUMBER: penalty case and decision numbers,
    rectification orders, permit and certificate numbers; each with the event id behind it."""
    jurisdiction = arguments.region(region)
    with platform() as p, fresh(p) as rm, rm.engine.connect() as conn:
        hits = find_documents(conn, jurisdiction, number)
        zone = p.settings.zone
    if as_json:
        emit_json([h.to_json(zone) for h in hits])
        return
    out.print(
        text_table(
            f"{region_name(jurisdiction)} 文书与案件 “{number}” ({len(hits)})",
            ("文号/编号", "类别", "企业", "状态", "事件 event"),
            (
                (
                    h.number,
                    h.what,
                    f"{h.enterprise_name or ''}\n{h.enterprise}",
                    h.status,
                    h.event_id,
                )
                for h in hits
            ),
        )
    )
