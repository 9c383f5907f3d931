"""`/v1/session`: a browser logs in (the session cookie and its CSRF token) and out."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import COOKIE, Authenticated, backend_of, source_of
from api.docs import answers
from api.render import caller_json, zoned

router = APIRouter(prefix="/v1/session", tags=["session"])

CALLER = {
    "type": "object",
    "required": ["account", "role", "jurisdiction", "enterprises", "scope"],
    "properties": {
        "account": {"type": "string"},
        "role": {"type": "string"},
        "jurisdiction": {"type": "string"},
        "enterprises": {"type": "array", "items": {"type": "string"}},
        "scope": {"type": "string", "enum": ["read", "write"]},
        "via": {"type": "string"},
        "rights": {"type": "object"},
    },
}
GRANT = {
    "type": "object",
    "required": ["csrf", "expires", "caller"],
    "properties": {
        "csrf": {"type": "string", "description": "echo it in X-CSRF-Token on every POST"},
        "expires": {"type": "string", "format": "date-time"},
        "caller": CALLER,
    },
}


class Login(BaseModel):
    login: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


@router.post("", responses=answers(GRANT, 400, 401, 429, ok=200, auth=False))
def login(request: Request, body: Annotated[Login, Body()]) -> JSONResponse:
    """Log in with a password: sets the session cookie (HttpOnly, SameSite=Strict) and
    returns the session's CSRF token and the caller. 401 on a wrong login or password; 429
    after repeated failures (Retry-After)."""
    backend = backend_of(request)
    grant = backend.authenticator.login(body.login, body.password, source=source_of(request))
    answer: dict[str, Any] = {
        "csrf": grant.csrf,
        "expires": zoned(grant.expires, backend.zone),
        "caller": caller_json(grant.caller),
    }
    response = JSONResponse(answer)
    response.set_cookie(
        COOKIE,
        grant.cookie,
        expires=grant.expires.astimezone(UTC),  # a cookie's Expires is in GMT
        path="/",
        secure=backend.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("", responses=answers(CALLER))
def whoami(caller: Authenticated) -> JSONResponse:
    """The caller of this credential and its rights."""
    return JSONResponse(caller_json(caller))


@router.delete("", status_code=204, responses=answers(None, 403, ok=204))
def logout(request: Request, caller: Authenticated) -> Response:
    """End the session of the cookie (it needs the X-CSRF-Token, as every change does)."""
    backend = backend_of(request)
    cookie = request.cookies.get(COOKIE)
    if cookie:
        backend.authenticator.logout(cookie)
    response = Response(status_code=204)
    response.delete_cookie(
        COOKIE, path="/", secure=backend.secure_cookies, httponly=True, samesite="strict"
    )
    return response
