"""RFC 9457 problem details: every error the API answers is an `application/problem+json`.

Each error class has a stable `type` URI, `<public_url>/problems/<name>`, the kebab-case name
of the class (`InvalidValue` → `invalid-value`, `InvalidTransition` → `invalid-transition`);
`title` is that name in words, `detail` one line, `instance` the request's path. A domain
rejection carries its legal `rule` (domain.errors.DomainError.rule) and, for a value or schema
error, `errors`: JSON pointers (RFC 6901) into the request body, with the index of the command
in a batch first (`/0/data/uscc`).

Status codes: 400 malformed JSON or a query parameter given twice, 422 a value or a schema
(and FastAPI's own validation), 401 no valid credential, 403 a right the caller lacks, a
signature its actor's key does not verify, or a failed CSRF check, 404 nothing there or
outside the caller's scope (a command naming a record or actor that does not exist), 405 a
method the route has not, 409 an invalid transition or a duplicate, 413 too large, 429 locked
out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    AlreadyExists,
    BatchRejected,
    Conflict,
    DomainError,
    InvalidTransition,
    InvalidValue,
    NotAuthorized,
    NotFound,
    SignatureRejected,
)
from projections.errors import ProjectionError, UnknownProjection
from services.identity.port import IdentityError, LockedOut, Unauthenticated
from services.ingest.batches import LineRefused
from services.ledger.errors import LedgerServiceError, ProofUnavailable

__all__ = ["MEDIA_TYPE", "PROBLEM_SCHEMA", "Problem", "install", "kebab", "pointer", "public_url"]

MEDIA_TYPE = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "rule": {"type": "string"},
        "command": {"type": "integer", "description": "index of the refused command"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}

STATUS_OF_WRITE: Sequence[tuple[type[DomainError], int]] = (
    (InvalidValue, 422),
    (InvalidTransition, 409),
    (AlreadyExists, 409),
    (Conflict, 409),
    (NotAuthorized, 403),
    (SignatureRejected, 403),  # the command's actor did not authorize it
    (NotFound, 404),  # a command naming a record (or an actor) that does not exist
)


def kebab(name: str) -> str:
    """`InvalidTransition` → `invalid-transition`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def pointer(field: str, index: int | None = None) -> str:
    """A JSON pointer (RFC 6901) for a domain error's field (`data.uscc`, `/data/x`, `id`),
    under the command's index in a batch."""
    if field.startswith("/"):
        path = field
    else:
        parts = re.split(r"[.\[\]]+", field)
        path = "".join(
            "/" + p.replace("~", "~0").replace("/", "~1") for p in parts if p and p != "$"
        )
    return (f"/{index}" if index is not None else "") + path


class Problem(Exception):
    """An error answered as a problem document. `name` is the error class (CamelCase)."""

    def __init__(
        self,
        status: int,
        name: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.name = name
        self.detail = " ".join(detail.split())  # one line
        self.headers = dict(headers or {})
        self.extra = {k: v for k, v in extra.items() if v not in (None, "", [])}

    def response(self, public_url: str, instance: str) -> JSONResponse:
        slug = kebab(self.name)
        body = {
            "type": f"{public_url}/problems/{slug}",
            "title": slug.replace("-", " ").capitalize(),
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            **self.extra,
        }
        return JSONResponse(body, self.status, headers=self.headers, media_type=MEDIA_TYPE)

    @classmethod
    def of_domain(cls, exc: DomainError, index: int | None = None) -> Problem:
        """A rejected command (`index`: its place in the request's batch)."""
        if isinstance(exc, BatchRejected):
            return cls.of_domain(exc.cause, exc.index if index is None else index)
        status = next((s for kind, s in STATUS_OF_WRITE if isinstance(exc, kind)), 422)
        errors = (
            [{"pointer": pointer(exc.field, index), "detail": exc.message}] if exc.field else []
        )
        return cls(
            status,
            type(exc).__name__,
            str(exc),
            rule=exc.rule,
            command=index,
            errors=errors,
        )


def public_url(request: Request) -> str:
    backend = getattr(request.app.state, "backend", None)
    return str(getattr(backend, "public_url", "")) or str(request.base_url).rstrip("/")


def _answer(request: Request, problem: Problem) -> JSONResponse:
    return problem.response(public_url(request), request.url.path)


def _of_identity(exc: IdentityError) -> Problem:
    if isinstance(exc, LockedOut):
        return Problem(
            429,
            "LockedOut",
            str(exc),
            headers={"Retry-After": str(_seconds_until(exc))},
        )
    if isinstance(exc, Unauthenticated):
        return Problem(401, "Unauthenticated", str(exc) or "no valid credential")
    return Problem(401, type(exc).__name__, str(exc))


def _seconds_until(exc: LockedOut) -> int:
    from datetime import UTC, datetime

    return max(1, int((exc.until - datetime.now(UTC)).total_seconds()) + 1)


def _allowed(request: Request) -> list[str]:
    """Every method the API describes at the request's path (the Allow header)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Answer every error of `app` as a problem document."""

    async def problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return _answer(request, exc)

    async def domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        if isinstance(exc, NotFound):  # a read of something absent
            return _answer(request, Problem(404, type(exc).__name__, str(exc)))
        return _answer(request, Problem.of_domain(exc))

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LineRefused)
        index = exc.first - 1 if exc.first == exc.last else None
        return _answer(request, Problem.of_domain(exc.cause, index))

    async def identity(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, IdentityError)
        return _answer(request, _of_identity(exc))

    async def projection(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProjectionError)
        status = 404 if isinstance(exc, UnknownProjection) else 503
        return _answer(request, Problem(status, type(exc).__name__, str(exc)))

    async def ledger(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LedgerServiceError)
        status = 404 if isinstance(exc, ProofUnavailable) else 503
        return _answer(request, Problem(status, type(exc).__name__, str(exc)))

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "pointer": "/" + "/".join(str(p) for p in e.get("loc", ())),
                "detail": str(e.get("msg", "")),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors) or "invalid request"
        return _answer(request, Problem(422, "InvalidRequest", detail, errors=errors))

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        names = {400: "MalformedRequest", 404: "NotFound", 405: "MethodNotAllowed"}
        name = names.get(exc.status_code, "HttpError")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed(request))
        routing = exc.detail == HTTPStatus(exc.status_code).phrase  # the router's own answer
        detail = (
            f"no route {request.method} {request.url.path}"
            if exc.status_code in (404, 405) and routing
            else str(exc.detail)
        )
        return _answer(request, Problem(exc.status_code, name, detail, headers=headers))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _answer(request, Problem(500, "InternalError", "the server failed to answer"))

    app.add_exception_handler(Problem, problem)
    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(LineRefused, refused)
    app.add_exception_handler(IdentityError, identity)
    app.add_exception_handler(ProjectionError, projection)
    app.add_exception_handler(LedgerServiceError, ledger)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(Exception, unexpected)
