"""What an auditor checks with: an event's offline proof bundle, the chain anchors, and the
actors' public keys with their rotation history."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.auth import Authenticated, backend_of
from api.docs import OBJECT, answers, page_of
from api.paging import Cursor, Limit, page
from api.render import zoned
from api.routes.events import EventId, visible_event
from api.scoping import not_found
from domain.actor import Actor
from domain.errors import DomainError
from domain.ids import actor_id
from domain.stored import decode_stored
from services.identity.caller import Caller
from services.ledger.bundle import make_bundle

router = APIRouter(prefix="/v1", tags=["trust"])


@router.get("/proofs/{event_id}", responses=answers(OBJECT, 404))
async def proof(request: Request, caller: Authenticated, event_id: EventId) -> JSONResponse:
    """The offline proof bundle of one event (as `anjian audit proof`): check it with
    `python -m audit check FILE --log-key VKEY`. 404 until the event is logged, checkpointed
    and anchored."""
    return JSONResponse(await run_in_threadpool(_proof, request, caller, event_id))


def _proof(request: Request, caller: Caller, event_id: str) -> dict[str, Any]:
    backend = backend_of(request)
    rec = visible_event(backend, caller, event_id)
    return make_bundle(backend.ledger(), rec.event_id)


@router.get("/anchors", responses=answers(page_of(), 404))
def anchors(
    request: Request, caller: Authenticated, cursor: Cursor = None, limit: Limit = 100
) -> JSONResponse:
    """Every anchor of a checkpoint on the chain, live and lost, oldest first."""
    backend = backend_of(request)
    rows = backend.ledger().anchors.history()
    return JSONResponse(
        page(
            request,
            rows,
            lambda r: int(r["id"]),
            cursor=cursor,
            limit=limit,
            show=lambda r: {
                k: zoned(v, backend.zone) if k in ("anchored_at", "lost_at") else v
                for k, v in r.items()
            },
        )
    )


@router.get("/actors/{account}/keys", responses=answers(OBJECT, 404))
def keys(
    request: Request, caller: Authenticated, account: Annotated[str, Path(max_length=64)]
) -> JSONResponse:
    """An actor's public keys (current, rotated, revoked) and the events that registered,
    rotated and revoked them, in log order."""
    backend = backend_of(request)
    try:
        actor = backend.records.load(actor_id(account), Actor)
    except (DomainError, AggregateNotFoundError):
        raise not_found(f"actor {account}") from None
    events = [decode_stored(e) for e in backend.records.recorder.select_events(actor_id(account))]
    return JSONResponse(
        {
            "account": actor.account,
            "role": actor.role,
            "keys": [
                {
                    "key_id": kid,
                    "public_key": base64.b64encode(entry.public_key).decode(),
                    "status": entry.status,
                    "since": entry.since,
                }
                for kid, entry in actor.keys.items()
            ],
            "events": [
                {
                    "event_id": e.event_id,
                    "type": e.type,
                    "occurred_at": e.envelope.get("occurred_at"),
                    "recorded_at": zoned(e.recorded_at, backend.zone),
                }
                for e in events
            ],
        }
    )
