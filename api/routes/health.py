"""/healthz and /readyz: liveness, and each component's readiness and lag (services/health.py).

`/healthz` answers 200 while the process serves HTTP at all. `/readyz` answers 200 when every
component of the running platform is ready and 503 otherwise, with the same body: each
component's state, restarts, last error and lag. Both are public and carry nothing about records.
A server that is draining (SIGTERM) answers 503 on /readyz before it stops accepting.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.auth import backend_of
from api.docs import answers
from services.health import ComponentHealth

router = APIRouter(tags=["health"])

_STATUS = {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}
_COMPONENTS = {
    "type": "object",
    "required": ["ready", "components"],
    "properties": {
        "ready": {"type": "boolean"},
        "components": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "ready", "state", "restarts", "error"],
                "properties": {
                    "name": {"type": "string"},
                    "ready": {"type": "boolean"},
                    "state": {"enum": ["starting", "running", "failing", "restarting", "stopped"]},
                    "restarts": {"type": "integer"},
                    "error": {"type": ["string", "null"]},
                },
            },
        },
    },
}
_READY = answers(_COMPONENTS, auth=False) | {
    503: {
        "description": "not ready: see each component",
        "content": {"application/json": {"schema": _COMPONENTS}},
    }
}


@router.get("/healthz", responses=answers(_STATUS, auth=False))
def healthz() -> dict[str, str]:
    """Liveness: the process serves HTTP."""
    return {"status": "ok"}


@router.get("/readyz", responses=_READY)
def readyz(request: Request) -> JSONResponse:
    """Readiness: every component of the running platform, its state and its lag."""
    backend = backend_of(request)
    components: list[ComponentHealth] = (
        list(backend.readiness()) if backend.readiness is not None else []
    )
    api = ComponentHealth("api", "stopped" if backend.draining.is_set() else "running")
    everything = [api, *components]
    ready = all(c.ready for c in everything)
    return JSONResponse(
        {"ready": ready, "components": [c.to_json() for c in everything]},
        status_code=200 if ready else 503,
    )
