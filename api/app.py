"""The HTTP API: `create_app(backend)`, a FastAPI application over the platform's services.

The composition root (ops/api_backend.py) hands it a `Backend` (api/backend.py), or a factory
of one that the application's lifespan opens at start-up and closes at shut-down, so the
process builds the platform once. Routes, one module each under api/routes:

    /v1/session        log in (session cookie, CSRF token), who am I, log out
    /v1/commands       record one command or a batch, idempotent by command id
    /v1/enterprises    the directory; one enterprise, its history, its credit
    /v1/hazards …      hazards, inspections, penalties, penalty-clocks, permits,
                       certificates, alarms, accidents, analytics
    /v1/todo           the steps due or overdue; /v1/documents: a search of case numbers
    /v1/catalog        the catalog and each command type's JSON Schema (public)
    /v1/events         one event, the change feed
    /v1/proofs …       an event's proof bundle, anchors, an actor's keys
    /healthz, /readyz  liveness; each component's readiness and lag (api/routes/health.py)
    /log/…             the Merkle log by C2SP tlog-tiles (api/tiles.py): the checkpoint and
                       hash tiles for anyone, entry bundles for callers who see the whole log

Every request is a SERVER span (FastAPI's OpenTelemetry), the root of its command's trace.
Errors are RFC 9457 problem documents (api/problems.py); the OpenAPI 3.1 description is at
/openapi.json (with the catalog's schemas for command bodies), its docs at /docs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi

from api import problems
from api.auth import Authenticated, backend_of
from api.backend import Backend
from api.command_schemas import components
from api.routes import (
    catalog,
    commands,
    daily,
    enterprises,
    events,
    health,
    session,
    trust,
    views,
)
from api.tiles import tiles_router
from services.ledger.tiles import TileServer

__all__ = ["create_app"]

OpenBackend = Callable[[], AbstractContextManager[Backend]]


def _tile_server(request: Request) -> TileServer:
    return TileServer.of(backend_of(request).ledger())


def _entries_reader(who: Authenticated) -> None:
    """Entry bundles hold every region's events: only a caller who sees the whole log."""
    if not who.sees_whole_log:
        raise problems.Problem(
            403,
            "Forbidden",
            "entry bundles hold every region's events: an auditor or a province-wide caller "
            "reads them (checkpoint and hash tiles are public)",
        )


def create_app(backend: Backend | OpenBackend) -> FastAPI:
    """The API over `backend` (or over the backend the factory opens for the app's life)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(backend, Backend):
            app.state.backend = backend
            yield
            return
        with backend() as opened:
            app.state.backend = opened
            yield

    app = FastAPI(
        # FastAPI's own OpenTelemetry: a SERVER span per request (named by its route
        # template), its operation spans and the http.server metrics, through the providers
        # ops/telemetry.py installs; no OpenTelemetry log records: they would carry request
        # bodies' values (personal data before it is sealed).
        telemetry={"logs": False},
        title="Anjian (安监) API",
        summary="Signed, immutable, anchored work-safety records of Hubei",
        version="1",
        lifespan=lifespan,
    )
    if isinstance(backend, Backend):
        app.state.backend = backend  # usable before start-up too (tests, tools)
    problems.install(app)

    @app.middleware("http")
    async def single_parameters(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """A query parameter given twice is ambiguous: refused, never read as the last."""
        keys = [k for k, _ in request.query_params.multi_items()]
        if len(keys) != len(set(keys)):
            twice = sorted({k for k in keys if keys.count(k) > 1})
            problem = problems.Problem(
                400, "RepeatedParameter", f"query parameter(s) given twice: {', '.join(twice)}"
            )
            return problem.response(problems.public_url(request), request.url.path)
        return await call_next(request)

    for module in (session, commands, enterprises, views, daily, catalog, events, trust, health):
        app.include_router(module.router)
    app.include_router(tiles_router(_tile_server, _entries_reader))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(components())
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
