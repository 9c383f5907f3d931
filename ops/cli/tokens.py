"""CLI for API tokens: `anjian tokens create|list|revoke`.

A token is opaque (`anj_` and 256 random bits), printed once on stdout; the credential store
keeps only its SHA-256 with its account, scope (read or write), expiry and revocation.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer

from ops.cli.arguments import JsonOpt
from ops.cli.context import platform
from ops.cli.output import emit_json, err, fail, out, plain, text_table
from ops.cli.users import refusals
from services.identity.caller import SCOPES
from services.identity.credentials import TokenRecord

__all__ = ["parse_ttl", "tokens_app"]

tokens_app = typer.Typer(
    help="API tokens (Authorization: Bearer): opaque, scoped read or write, expiring.",
    no_args_is_help=True,
)

_TTL = re.compile(r"([1-9][0-9]{0,5})([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_ttl(text: str) -> timedelta:
    """`--ttl`: a number and a unit, m (minutes), h (hours) or d (days): 15m, 1h, 30d."""
    match = _TTL.fullmatch(text.strip())
    if match is None:
        fail("UsageError", f"--ttl must be a number and m, h or d (15m, 1h, 30d), got {text!r}", 2)
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def _json(t: TokenRecord) -> dict[str, object]:
    return {
        "id": t.id,
        "login": t.login,
        "scope": t.scope,
        "created": t.created.isoformat(),
        "expires": t.expires.isoformat(),
        "revoked": t.revoked.isoformat() if t.revoked else None,
        "last_used": t.last_used.isoformat() if t.last_used else None,
    }


@tokens_app.command("create")
def create(
    user: Annotated[str, typer.Option("--user", help="the account the token acts as")],
    scope: Annotated[str, typer.Option("--scope", help="read or write")],
    ttl: Annotated[str, typer.Option("--ttl", help="lifetime: 15m, 1h, 30d (at most 366d)")],
    as_json: JsonOpt = False,
) -> None:
    """Issue an API token for an account; the token is printed once."""
    if scope not in SCOPES:
        fail("UsageError", f"--scope must be read or write, got {scope!r}", 2)
    lifetime = parse_ttl(ttl)
    with platform() as p, refusals():
        issued = p.identity.create_token(user, scope=scope, ttl=lifetime)
    if as_json:
        emit_json({**_json(issued.record), "token": issued.token})
        return
    out.print(plain(issued.token))
    err.print(
        f"token {issued.record.id} for {user}, scope {scope}, expires "
        f"{issued.record.expires.isoformat(timespec='seconds')}: shown once, stored as its hash",
        soft_wrap=True,
    )


@tokens_app.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", help="only this account's")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The tokens issued (never the tokens themselves): id, account, scope, expiry, state."""
    with platform() as p:
        tokens = p.identity.tokens(user)
    if as_json:
        emit_json([_json(t) for t in tokens])
        return
    rows = [
        (
            t.id,
            t.login,
            t.scope,
            t.expires.isoformat(timespec="seconds"),
            "revoked" if t.revoked else "",
            t.last_used.isoformat(timespec="seconds") if t.last_used else "",
        )
        for t in tokens
    ]
    columns = ["id", "login", "scope", "expires", "revoked", "last used"]
    out.print(text_table("API tokens", columns, rows))


@tokens_app.command("revoke")
def revoke(token_id: Annotated[str, typer.Argument(metavar="ID", help="the token's id")]) -> None:
    """Revoke a token: it is refused from its next use."""
    with platform() as p, refusals():
        p.identity.revoke_token(token_id)
    err.print(f"token {token_id} revoked")
