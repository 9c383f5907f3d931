"""CLI for accounts (统一身份认证): `anjian users add|list|change|disable|reset-password|log`.

An account is an actor of the log whose login is its account name; the command line acts as the
platform (it runs on the platform's machine), so the platform signs each actor event. One-time
passwords are printed once, on stdout; the credential store keeps only their argon2id hashes.
Errors print `ErrorName: message` as one line on stderr, exit 2 for bad arguments; a refused
request writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from domain.actor import ROLE_NAMES
from ops.cli import arguments
from ops.cli.arguments import JsonOpt
from ops.cli.context import platform
from ops.cli.output import emit_json, err, fail, out, plain, text_table
from services.identity.accounts import InvalidAccount, NewPassword
from services.identity.caller import CALLER_ROLES
from services.identity.port import IdentityError

__all__ = ["refusals", "users_app"]

users_app = typer.Typer(
    help="账户 accounts: the logins of the platform's actors, their rights and the security log.",
    no_args_is_help=True,
)

LoginArg = Annotated[str, typer.Argument(help="the login: the actor's account name")]
EnterpriseOpt = Annotated[
    list[str] | None,
    typer.Option("--enterprise", help="a USCC the enterprise account is bound to (repeatable)"),
]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (recorded in the log)")]


@contextmanager
def refusals() -> Iterator[None]:
    """An identity error as one line: exit 2 for a malformed request, 1 otherwise."""
    try:
        yield
    except IdentityError as exc:
        fail(type(exc).__name__, str(exc), 2 if isinstance(exc, InvalidAccount) else 1)


def _role(value: str | None) -> str | None:
    if value is not None and value not in CALLER_ROLES:
        fail("UsageError", f"--role must be one of {', '.join(CALLER_ROLES)}, got {value!r}", 2)
    return value


def _enterprises(values: list[str] | None) -> list[str] | None:
    return None if values is None else [arguments.uscc(v) for v in values]


def _show_password(new: NewPassword, as_json: bool) -> None:
    if as_json:
        emit_json({"login": new.login, "one_time_password": new.password})
        return
    out.print(plain(f"{new.login}\t{new.password}"))
    err.print("the one-time password is shown once: hand it over to the account holder")


@users_app.command("add")
def add(  # noqa: PLR0917 (typer passes each option by position)
    login: LoginArg,
    role: Annotated[str, typer.Option("--role", help=f"one of {', '.join(CALLER_ROLES)}")],
    region: Annotated[
        str, typer.Option("--region", help="GB/T 2260 code of the account's jurisdiction")
    ],
    enterprise: EnterpriseOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="the holder's name")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an account: register its actor (signed by the platform, custody "platform") and
    print a one-time password."""
    _role(role)
    region = arguments.region(region)
    bound = _enterprises(enterprise) or []
    with platform(genesis=True, create=True) as p, refusals():
        new = p.identity.add(login, role, region, enterprises=bound, name=name)
    _show_password(new, as_json)


@users_app.command("list")
def list_accounts(as_json: JsonOpt = False) -> None:
    """Every account: its role, jurisdiction and enterprises as the log says, and its
    credential's state."""
    with platform() as p:
        accounts = p.identity.accounts()
    if as_json:
        emit_json(
            [
                {
                    "login": a.login,
                    "role": a.role,
                    "name": a.name,
                    "jurisdiction": a.jurisdiction,
                    "enterprises": list(a.enterprises),
                    "status": a.status,
                    "disabled": a.disabled,
                    "one_time_password": a.one_time,
                    "created": a.created.isoformat(),
                }
                for a in accounts
            ]
        )
        return
    rows = [
        (
            a.login,
            f"{a.role} {ROLE_NAMES.get(a.role, '')}".strip(),
            a.jurisdiction,
            " ".join(a.enterprises),
            "disabled" if a.disabled else a.status,
            "one-time" if a.one_time else "set",
        )
        for a in accounts
    ]
    out.print(
        text_table(
            "accounts", ["login", "role", "jurisdiction", "enterprises", "status", "password"], rows
        )
    )


@users_app.command("change")
def change(
    login: LoginArg,
    reason: ReasonOpt,
    role: Annotated[str | None, typer.Option("--role", help="the new role")] = None,
    region: Annotated[str | None, typer.Option("--region", help="the new jurisdiction")] = None,
    enterprise: EnterpriseOpt = None,
) -> None:
    """Change an account's rights (role, jurisdiction, enterprises): an actor.change_rights
    event, binding from the account's next request."""
    _role(role)
    if region is not None:
        region = arguments.region(region)
    bound = _enterprises(enterprise)
    if role is None and region is None and bound is None:
        fail("UsageError", "name at least one of --role, --region, --enterprise", 2)
    with platform() as p, refusals():
        p.identity.change_rights(login, reason=reason, role=role, region=region, enterprises=bound)
    err.print(f"rights of {login} changed")


@users_app.command("disable")
def disable(login: LoginArg, reason: ReasonOpt = "账户停用") -> None:
    """Disable an account: its actor is deactivated (an event), its sessions end, its tokens
    stop working."""
    with platform() as p, refusals():
        p.identity.disable(login, reason=reason)
    err.print(f"account {login} disabled")


@users_app.command("reset-password")
def reset_password(login: LoginArg, as_json: JsonOpt = False) -> None:
    """Print a new one-time password for an account; its sessions end, its lockout lifts."""
    with platform() as p, refusals():
        new = p.identity.reset_password(login)
    _show_password(new, as_json)


@users_app.command("log")
def log(
    login: Annotated[str | None, typer.Option("--login", help="only this login's rows")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="the last N rows")] = 200,
    as_json: JsonOpt = False,
) -> None:
    """The security log: logins, failures, lockouts, token use, rights changes (oldest first)."""
    with platform() as p:
        rows = p.identity.security_log(login, limit)
    if as_json:
        emit_json(
            [
                {
                    "seq": r.seq,
                    "at": r.at.isoformat(),
                    "login": r.login,
                    "kind": r.kind,
                    "source": r.source,
                    "detail": r.detail,
                }
                for r in rows
            ]
        )
        return
    table = [
        (str(r.seq), r.at.isoformat(timespec="seconds"), r.login, r.kind, r.source, r.detail)
        for r in rows
    ]
    out.print(text_table("security log", ["#", "at", "login", "kind", "source", "detail"], table))
