"""Who is calling: a bearer token or a browser session, turned into a `Caller` by the
Authenticator port (services/identity/port.py).

`Authorization: Bearer <token>` is a program's credential; the `anjian_session` cookie
(HttpOnly, SameSite=Strict, Secure when the public URL is https) a browser's. A request that
authenticates with the cookie and may change state (any method but GET, HEAD, OPTIONS) must
carry the session's CSRF token in the `X-CSRF-Token` header: a page of another site can make
the browser send the cookie, never read the token. Without a valid credential: 401; a
missing or wrong CSRF token: 403.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from api.backend import Backend
from api.problems import Problem
from services.identity.caller import Caller

__all__ = ["COOKIE", "CSRF_HEADER", "Authenticated", "backend_of", "caller", "source_of"]

COOKIE = "anjian_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="an API token (anjian tokens create)")
_cookie = APIKeyCookie(
    name=COOKIE,
    auto_error=False,
    description="the session cookie set by POST /v1/session; unsafe methods also need the "
    f"{CSRF_HEADER} header",
)


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def source_of(request: Request) -> str:
    """Where the request came from, for the security log."""
    return request.client.host if request.client is not None else "unknown"


def caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Caller:
    """The authenticated caller (see the module docstring)."""
    auth = backend_of(request).authenticator
    if bearer is not None:
        return auth.bearer(bearer.credentials, source=source_of(request))
    if request.headers.get("authorization"):
        raise Problem(401, "Unauthenticated", "the Authorization header must be 'Bearer <token>'")
    if cookie:
        who, csrf = auth.session(cookie)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not hmac.compare_digest(sent.encode(), csrf.encode()):
                raise Problem(
                    403,
                    "CsrfRejected",
                    f"a request with the session cookie must carry the session's {CSRF_HEADER}",
                )
        return who
    raise Problem(
        401,
        "Unauthenticated",
        "no credential: send 'Authorization: Bearer <token>' or log in (POST /v1/session)",
        headers={"WWW-Authenticate": "Bearer"},
    )


Authenticated = Annotated[Caller, Depends(caller)]
