"""`POST /v1/commands`: one command or a batch, recorded all or nothing.

A command is either signed by its actor (as `anjian record` lines: `{"envelope", "signature",
"key_id"}`) or unsigned, and then signed custodially for the caller's own account, channel
`api` (services/ingest/intake.py). The command id is the idempotency key: a command sent again
is answered with the event it was first recorded as (`recorded_before`), its notification id
and its receipt, and stores nothing; the same id with other content is 409. A refused command
stores nothing of the request (the batch is one transaction).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.auth import Authenticated, backend_of
from api.command_schemas import BODY_REF
from api.docs import answers
from api.problems import Problem
from domain.errors import DomainError
from services.ingest import strict_json
from services.ingest.batches import LineRefused
from services.ingest.principal import Principal

router = APIRouter(tags=["commands"])

RESULT = {
    "type": "object",
    "required": ["event_ids", "notification_ids", "results"],
    "properties": {
        "event_ids": {"type": "array", "items": {"type": "string"}},
        "notification_ids": {"type": "array", "items": {"type": "integer"}},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["event_id", "notification_id", "type", "recorded_before"],
                "properties": {
                    "event_id": {"type": "string"},
                    "notification_id": {"type": "integer"},
                    "type": {"type": "string"},
                    "recorded_before": {"type": "boolean"},
                    "receipt": {
                        "type": "string",
                        "description": "C2SP signed note by the log key (ledger/receipt.py)",
                    },
                },
            },
        },
    },
}


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "TooLarge", f"the body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "TooLarge", f"the body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class Batch(list[Any]):
    """The commands of a body that was a list (errors point into it by index)."""


def _at(parsed: object, index: int) -> str:
    return f"/{index}" if isinstance(parsed, list) else ""


def _commands(raw: bytes, most: int) -> list[Any]:
    try:
        parsed = strict_json.loads(strict_json.decode(raw))
    except DomainError as exc:
        raise Problem(400, "MalformedJson", str(exc)) from None
    commands = Batch(parsed) if isinstance(parsed, list) else [parsed]
    if not commands:
        raise Problem(422, "InvalidValue", "an empty batch: send one command or more")
    if len(commands) > most:
        raise Problem(413, "TooLarge", f"{len(commands)} commands: at most {most} a request")
    for i, c in enumerate(commands):
        if not isinstance(c, dict):
            raise Problem(
                422,
                "InvalidEnvelope",
                "a command must be a JSON object",
                errors=[
                    {
                        "pointer": f"/{i}" if isinstance(parsed, list) else "",
                        "detail": "not an object",
                    }
                ],
            )
    return commands


@router.post(
    "/v1/commands",
    responses=answers(RESULT, 400, 403, 409, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BODY_REF}},
        }
    },
)
async def record(
    request: Request, caller: Authenticated, background: BackgroundTasks
) -> JSONResponse:
    """Record one command (a JSON object) or a batch (a list, one transaction). Unsigned
    commands name the caller's own account as `actor` and are signed custodially for it
    (channel `api`); signed ones are taken as their actor signed them. Answers the event id,
    notification id (log position) and signed receipt of each command, in order."""
    if not caller.writes_records:
        raise Problem(403, "Forbidden", "this credential does not record commands")
    backend = backend_of(request)
    commands = _commands(await _body(request, backend.max_body_bytes), backend.max_commands)
    try:
        principal = Principal(caller.account, "api")
    except DomainError as exc:
        raise Problem(403, "Forbidden", str(exc)) from None
    try:
        committed = await run_in_threadpool(backend.record, commands, principal)
    except LineRefused as exc:  # nothing of the request is stored
        batch = isinstance(commands, Batch)
        raise Problem.of_domain(
            exc.cause, exc.first - 1 if batch and exc.first == exc.last else None
        ) from None
    results = [r for c in committed for r in c.receipts()]
    if backend.after_write is not None and any(not r["recorded_before"] for r in results):
        background.add_task(run_in_threadpool, backend.after_write)
    return JSONResponse(
        {
            "event_ids": [r["event_id"] for r in results],
            "notification_ids": [r["notification_id"] for r in results],
            "results": results,
        }
    )
