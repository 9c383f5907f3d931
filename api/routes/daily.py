"""The daily work of a jurisdiction (projections/todo.py, projections/search.py), as
`anjian todo` and `anjian documents` give it: the steps due or overdue, and a search of case
and document numbers. Scoped like every business view: the jurisdiction asked for (404 outside
the caller's own) and, for an enterprise, its own records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.auth import Authenticated, backend_of
from api.docs import answers, page_of
from api.paging import Cursor, Limit, page
from api.routes.views import Enterprise, Region
from api.scoping import not_found, records_scope
from domain.errors import DomainError
from domain.uscc import validate_uscc
from projections.search import find_documents
from projections.todo import LISTS, todo

router = APIRouter(prefix="/v1", tags=["daily work"])
_ORDER = list(LISTS)


@router.get("/todo", responses=answers(page_of(), 404))
def todo_list(
    request: Request,
    *,
    caller: Authenticated,
    region: Region = None,
    enterprise: Enterprise = None,
    within_days: Annotated[int, Query(ge=0, le=3650)] = 30,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> JSONResponse:
    """待办 The steps due within `within_days` or overdue (hazards to rectify, penalty
    clocks, licences to renew, alarms to handle, accident reports), most overdue first, each
    with who must take it and the rule that sets its clock (as `anjian todo`)."""
    scope = records_scope(caller, region)
    if enterprise is not None:
        try:
            validate_uscc(enterprise, field="enterprise")
        except DomainError:  # a USCC no enterprise can hold
            raise not_found(f"enterprise {enterprise}") from None
    backend = backend_of(request)
    with backend.read() as conn:
        found = todo(conn, scope.jurisdiction, datetime.now(backend.zone), within_days, enterprise)
    items = [i for i in found.items if scope.admits(i.enterprise)]
    return JSONResponse(
        page(
            request,
            items,
            lambda i: [i.due.isoformat(), _ORDER.index(i.list), i.enterprise, i.record, i.step],
            cursor=cursor,
            limit=limit,
            show=lambda i: i.to_json(backend.zone),
        )
    )


@router.get("/documents", responses=answers(page_of(), 404))
def documents(
    request: Request,
    *,
    caller: Authenticated,
    number: Annotated[
        str,
        Query(min_length=1, max_length=64, description="a case or document number, or part of it"),
    ],
    region: Region = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> JSONResponse:
    """案号检索 Cases and documents whose number holds `number` (立案号, 处罚决定书, 许可证号,
    …), exact matches first (as `anjian documents`)."""
    scope = records_scope(caller, region)
    backend = backend_of(request)
    with backend.read() as conn:
        hits = find_documents(conn, scope.jurisdiction, number)
    numbered = list(enumerate(h for h in hits if scope.admits(h.enterprise)))
    return JSONResponse(
        page(
            request,
            numbered,
            lambda n: n[0],
            cursor=cursor,
            limit=limit,
            show=lambda n: n[1].to_json(backend.zone),
        )
    )
