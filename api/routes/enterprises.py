"""`/v1/enterprises`: the directory, one enterprise, its lifecycle history and its credit.

Read by the command line's query functions (projections.enterprises, projections.timeline,
projections.credit) after the read models are brought up to the head of the log. An
enterprise outside the caller's scope is not found (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from api.auth import Authenticated, backend_of
from api.docs import OBJECT, answers, page_of
from api.paging import Cursor, Limit, page
from api.problems import Problem
from api.render import row_json
from api.scoping import PROVINCE, REGION_PATTERN, not_found, records_scope
from domain.errors import DomainError
from domain.uscc import validate_uscc
from projections import credit as credit_views
from projections.enterprises import EnterpriseRow, get_enterprise, list_enterprises
from projections.errors import ProjectionError
from projections.rulebook import available, current
from projections.timeline import lifecycle
from services.identity.caller import Caller
from services.ledger.displayed import verify_shown

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])

Region = Annotated[
    str | None,
    Query(
        pattern=REGION_PATTERN, description="GB/T 2260 code (default: the caller's jurisdiction)"
    ),
]
Uscc = Annotated[str, Path(min_length=18, max_length=18, description="统一社会信用代码")]


def _enterprise_json(r: EnterpriseRow, zone: Any) -> dict[str, Any]:
    return row_json(
        {
            "uscc": r.uscc,
            "name": r.name,
            "industry": r.industry,
            "region": r.region,
            "standardisation": r.standardisation,
            "employees": r.employees,
            "status": r.status,
            "registered_at": r.registered_at,
            "id": r.subject,
        },
        zone,
    )


def visible_enterprise(conn: Connection, caller: Caller, uscc: str) -> EnterpriseRow:
    """The enterprise, or 404 when unknown or outside the caller's scope."""
    try:
        validate_uscc(uscc)
    except DomainError:
        raise not_found(f"enterprise {uscc}") from None
    row = get_enterprise(conn, uscc, PROVINCE)
    if row is None or not caller.sees_records or not caller.sees_enterprise(uscc, row.region):
        raise not_found(f"enterprise {uscc}")
    return row


@router.get("", responses=answers(page_of(), 404))
def enterprises(
    request: Request,
    *,
    caller: Authenticated,
    region: Region = None,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    name: Annotated[str | None, Query(max_length=200, description="part of the name")] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> JSONResponse:
    """Enterprises of a jurisdiction (an enterprise: its own), by USCC; filtered by
    industry, a part of the name, status."""
    backend = backend_of(request)
    scope = records_scope(caller, region)
    with backend.read() as conn:
        rows = list_enterprises(conn, scope.jurisdiction, status)
    chosen = [
        r
        for r in rows
        if scope.admits(r.uscc)
        and (industry is None or r.industry == industry)
        and (name is None or name in r.name)
    ]
    return JSONResponse(
        page(
            request,
            chosen,
            lambda r: r.uscc,
            cursor=cursor,
            limit=limit,
            show=lambda r: _enterprise_json(r, backend.zone),
        )
    )


@router.get("/{uscc}", responses=answers(OBJECT, 404))
def enterprise(request: Request, caller: Authenticated, uscc: Uscc) -> JSONResponse:
    """One enterprise."""
    backend = backend_of(request)
    with backend.read() as conn:
        row = visible_enterprise(conn, caller, uscc)
    return JSONResponse(_enterprise_json(row, backend.zone))


@router.get("/{uscc}/history", responses=answers(page_of(), 404))
async def history(
    request: Request, caller: Authenticated, uscc: Uscc, cursor: Cursor = None, limit: Limit = 100
) -> JSONResponse:
    """The lifecycle history (准入→监管→执法→处罚→信用) in log order: each entry's event id,
    stage, declared and recorded times, and its verification (as `anjian history`)."""
    return JSONResponse(await run_in_threadpool(_history, request, caller, uscc, cursor, limit))


def _history(
    request: Request, caller: Caller, uscc: str, cursor: str | None, limit: int
) -> dict[str, Any]:
    backend = backend_of(request)
    with backend.read() as conn:
        visible_enterprise(conn, caller, uscc)
        life = lifecycle(conn, uscc, PROVINCE)
    zone = backend.zone
    answer = page(
        request,
        life.entries,
        lambda e: e.notification_id,
        cursor=cursor,
        limit=limit,
        show=lambda e: e.to_json(zone),
    )
    verdicts = verify_shown(backend.ledger(), [e["notification_id"] for e in answer["items"]])
    for item in answer["items"]:
        item["verified"] = verdicts[item["notification_id"]].to_json()
    answer["uscc"] = uscc
    answer["reached"] = life.reached
    return answer


@router.get("/{uscc}/credit", responses=answers(OBJECT, 404))
def credit(
    request: Request,
    caller: Authenticated,
    uscc: Uscc,
    rulebook: Annotated[str | None, Query(max_length=20)] = None,
) -> JSONResponse:
    """The credit grade (A/B/C/D) now, with the rules and events behind it, and every move
    of it (as `anjian credit --enterprise`); `rulebook`: a version other than the one in
    force."""
    backend = backend_of(request)
    when = datetime.now(backend.zone)
    try:
        book = current(available(), when, rulebook)
    except ProjectionError as exc:
        raise Problem(404, "NotFound", str(exc)) from None
    with backend.read() as conn:
        visible_enterprise(conn, caller, uscc)
        rating = credit_views.rating(conn, book, uscc, PROVINCE, when)
        moves = credit_views.history(conn, book, uscc, PROVINCE)
    if rating is None:
        raise not_found(f"rating of {uscc} ({book.version})")
    return JSONResponse(
        {**rating.to_json(backend.zone), "history": [m.to_json(backend.zone) for m in moves]}
    )
