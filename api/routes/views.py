"""The business views of a jurisdiction: hazards, inspections, penalties (with their legal
clocks), permits, certificates, alarms, accidents, and the analyses.

Each list is the read model `anjian export` gives (projections.export.frame), restricted to
the caller's scope: the jurisdiction asked for (404 outside the caller's own) and, for an
enterprise, its own records. Rows are keyed by their record's id for the cursor. Certificate
numbers identify their holders: only callers who see personal data get them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from api.auth import Authenticated, backend_of
from api.docs import OBJECT, answers, page_of
from api.paging import Cursor, Limit, page
from api.render import row_json
from api.scoping import REGION_PATTERN, USCC_PATTERN, Scope, not_found, records_scope
from projections.analytics import ANALYSES
from projections.export import frame
from projections.penalties import clocks as penalty_clocks
from services.identity.caller import Caller

router = APIRouter(prefix="/v1", tags=["views"])

Region = Annotated[
    str | None,
    Query(
        pattern=REGION_PATTERN, description="GB/T 2260 code (default: the caller's jurisdiction)"
    ),
]
Enterprise = Annotated[
    str | None,
    Query(
        pattern=USCC_PATTERN,
        description="USCC (GB 32100): only this enterprise's records",
    ),
]
Status = Annotated[str | None, Query(max_length=30)]

# route → (read model, the rows of it, the columns only personal-data readers get)
VIEWS: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "hazards": ("hazards", {}, ()),
    "inspections": ("inspections", {}, ()),
    "penalties": ("penalties", {}, ()),
    "permits": ("licences", {"kind": "permit"}, ()),
    "certificates": ("licences", {"kind": "certificate"}, ("number",)),
    "alarms": ("alarms", {}, ()),
    "accidents": ("accidents", {}, ()),
}


def _rows(
    request: Request, caller: Caller, view: str, scope: Scope, **where: str | None
) -> list[dict[str, Any]]:
    table, fixed, personal = VIEWS[view]
    backend = backend_of(request)
    with backend.read() as conn:
        rows = frame(conn, table, scope.jurisdiction, datetime.now(backend.zone)).to_dicts()
    wanted = {**fixed, **{k: v for k, v in where.items() if v is not None}}
    hidden = () if caller.sees_personal_data else personal
    return [
        {k: (None if k in hidden else v) for k, v in r.items()}
        for r in rows
        if scope.admits(r["enterprise"]) and all(r.get(k) == v for k, v in wanted.items())
    ]


def _list(view: str) -> Any:
    def listing(
        request: Request,
        *,
        caller: Authenticated,
        region: Region = None,
        enterprise: Enterprise = None,
        status: Status = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> JSONResponse:
        scope = records_scope(caller, region)
        rows = _rows(request, caller, view, scope, enterprise=enterprise, status=status)
        rows.sort(key=lambda r: r["subject"])
        zone = backend_of(request).zone
        return JSONResponse(
            page(
                request,
                rows,
                lambda r: r["subject"],
                cursor=cursor,
                limit=limit,
                show=lambda r: row_json(r, zone),
            )
        )

    listing.__name__ = view
    listing.__doc__ = (
        f"The {view} of a jurisdiction (an enterprise: its own), by record id; "
        "filtered by enterprise and status."
    )
    return listing


for _view in VIEWS:
    router.add_api_route(
        f"/{_view}", _list(_view), methods=["GET"], responses=answers(page_of(), 404)
    )


@router.get("/penalty-clocks", responses=answers(page_of(), 404))
def clocks(
    request: Request,
    *,
    caller: Authenticated,
    region: Region = None,
    within_days: Annotated[int, Query(ge=0, le=3650)] = 7,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> JSONResponse:
    """The legal clocks of penalty cases (decision, service, payment, withdrawal) running out
    within `within_days` or overdue, soonest first (as `anjian dashboard`)."""
    scope = records_scope(caller, region)
    backend = backend_of(request)
    with backend.read() as conn:
        found = penalty_clocks(conn, scope.jurisdiction, datetime.now(backend.zone), within_days)
    rows = [c for c in found if scope.admits(c.enterprise)]
    return JSONResponse(
        page(
            request,
            rows,
            lambda c: [c.due.isoformat(), c.subject],
            cursor=cursor,
            limit=limit,
            show=lambda c: {
                "subject": c.subject,
                "case_no": c.case_no,
                "enterprise": c.enterprise,
                "region": c.region,
                "status": c.status,
                "clock": c.clock,
                "due": c.due.isoformat(),
                "days_left": c.days_left,
                "overdue": c.overdue,
            },
        )
    )


@router.get("/analytics", responses=answers(OBJECT))
def analyses(caller: Authenticated) -> JSONResponse:
    """The analyses (as `anjian analytics NAME`)."""
    return JSONResponse({"items": [{"name": a.name, "title": a.title} for a in ANALYSES.values()]})


@router.get("/analytics/{name}", responses=answers(page_of(), 404))
def analysis(
    request: Request,
    *,
    caller: Authenticated,
    name: Annotated[str, Path(max_length=40)],
    region: Region = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> JSONResponse:
    """One analysis of a jurisdiction (regulators and integrators; an enterprise reads no
    analysis of others)."""
    if name not in ANALYSES:
        raise not_found(f"analysis {name!r} (known: {', '.join(ANALYSES)})")
    scope = records_scope(caller, region)
    if scope.enterprises is not None:
        raise not_found(f"analysis {name} for this caller")
    backend = backend_of(request)
    with backend.read() as conn:
        rows = ANALYSES[name].run(conn, scope.jurisdiction, datetime.now(backend.zone)).to_dicts()
    numbered = list(enumerate(rows))
    return JSONResponse(
        page(
            request,
            numbered,
            lambda r: r[0],
            cursor=cursor,
            limit=limit,
            show=lambda r: row_json(r[1], backend.zone),
        )
    )
