"""`/v1/events`: one stored event with its signature, and the change feed in log order.

The feed (`?after=POSITION&limit=N`) is for clients that cannot follow the NATS streams: full
events with their signatures, in the order of the notification log, only those the caller may
read (scoping as everywhere: an event about an enterprise by that enterprise's rights, others
by their region; auditors read every event). It never passes the position the read models
reached, which never passes a gap a slower writer may still fill, so a client that resumes at
`position` misses nothing. `position` advances over events the caller does not see.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.auth import Authenticated, backend_of
from api.backend import Backend
from api.docs import OBJECT, answers
from api.render import zoned
from api.scoping import not_found, sees_event
from domain.errors import DomainError
from domain.stored import StoredRecord, decode_stored
from projections.timeline import owners
from services.identity.caller import Caller
from services.ledger.bundle import notification_id_of
from services.stored_events import record_json

router = APIRouter(prefix="/v1/events", tags=["events"])

EventId = Annotated[str, Path(max_length=80, description="<subject uuid>:<version>")]
FEED = {
    "type": "object",
    "required": ["items", "position", "next"],
    "properties": {
        "items": {"type": "array", "items": {"type": "object"}},
        "position": {"type": "integer", "description": "resume after this position"},
        "next": {"type": "string"},
    },
}


def event_json(rec: StoredRecord, backend: Backend) -> dict[str, Any]:
    shown = record_json(rec)
    shown["recorded_at"] = zoned(rec.recorded_at, backend.zone)
    return shown


def visible_event(backend: Backend, caller: Caller, event_id: str) -> StoredRecord:
    """The stored event, or 404 when there is none or the caller may not read it."""
    try:
        rec = backend.records.stored(event_id)
    except DomainError:
        raise not_found(f"event {event_id}") from None
    nid = notification_id_of(backend.ledger(), rec.subject, rec.version)
    if nid is None:
        raise not_found(f"event {event_id}")
    rm, _ = backend.caught_up()
    with rm.engine.connect() as conn:
        owner = owners(conn, [nid]).get(nid)
    if not sees_event(caller, str(rec.envelope.get("region", "")), owner):
        raise not_found(f"event {event_id}")
    return StoredRecord(**{**rec.__dict__, "notification_id": nid})


@router.get("/{event_id}", responses=answers(OBJECT, 404))
def event(request: Request, caller: Authenticated, event_id: EventId) -> JSONResponse:
    """One stored event: the envelope as signed, its signature and key id, its notification
    id and when it was recorded."""
    backend = backend_of(request)
    return JSONResponse(event_json(visible_event(backend, caller, event_id), backend))


@router.get("", responses=answers(FEED))
async def feed(
    request: Request,
    caller: Authenticated,
    after: Annotated[int, Query(ge=0, le=2**62, description="the last position read")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    """The events after position `after` the caller may read, in log order (see the module
    docstring); `position` is where to resume, `next` the URL to read from there."""
    return JSONResponse(await run_in_threadpool(_feed, request, caller, after, limit))


def _feed(request: Request, caller: Caller, after: int, limit: int) -> dict[str, Any]:
    backend = backend_of(request)
    rm, reached = backend.caught_up()
    rows = (
        backend.records.recorder.select_notifications(start=after + 1, limit=limit, stop=reached)
        if after < reached
        else []
    )
    records = [decode_stored(n, n.id) for n in rows]
    with rm.engine.connect() as conn:
        owner = owners(conn, [r.notification_id for r in records if r.notification_id])
    items = [
        event_json(r, backend)
        for r in records
        if r.notification_id is not None
        and sees_event(caller, str(r.envelope.get("region", "")), owner.get(r.notification_id))
    ]
    position = records[-1].notification_id if records else after
    assert position is not None
    nxt = str(request.url.include_query_params(after=position, limit=limit))
    return {"items": items, "position": position, "next": nxt}
