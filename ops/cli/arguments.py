"""The options several commands share, and the checks of their values.

A value that cannot be what the option asks for ends the command as a usage error: one line
`ErrorName: message` naming the option, exit 2, before anything is opened.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated

import typer

from domain.errors import DomainError
from domain.instants import bound_instant
from domain.regions import validate_region
from domain.stored import parse_event_id
from domain.uscc import validate_uscc
from ops.cli.output import err, fail
from ops.settings import http_url, load_settings
from projections.errors import ProjectionError
from projections.rulebook import Rulebook, available, current

_DATE_ONLY = re.compile(r"\d{4}-?\d{2}-?\d{2}")  # an ISO 8601 calendar date, no time

__all__ = [
    "AtOpt",
    "JsonOpt",
    "LogKeyOpt",
    "RegionOpt",
    "RpcOpt",
    "StaleOpt",
    "event_id",
    "instant",
    "region",
    "rulebook",
    "rulebook_in_force",
    "uscc",
]

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
RegionOpt = Annotated[str, typer.Option("--region", help="GB/T 2260 code of the jurisdiction")]
AtOpt = Annotated[
    str, typer.Option("--at", help="ISO 8601 instant to evaluate clocks at (default: now)")
]
StaleOpt = Annotated[
    bool, typer.Option("--stale", help="answer from the read models as they are, no catch-up")
]
LogKeyOpt = Annotated[
    list[str] | None,
    typer.Option("--log-key", help="trusted C2SP verifier key of the log (name+keyid+base64)"),
]


def _rpc_url(value: str | None) -> str | None:
    """`--rpc`: an http(s) URL with a host, checked before anything is opened."""
    if value is not None and not http_url(value):
        raise typer.BadParameter(f"must be an http(s) JSON-RPC URL, got {value!r}")
    return value


RpcOpt = Annotated[
    str | None,
    typer.Option("--rpc", help="JSON-RPC URL of the chain", callback=_rpc_url),
]


def region(code: str) -> str:
    """`--region`: a GB/T 2260 code of Hubei."""
    try:
        return validate_region(code, field="--region")
    except DomainError as exc:
        fail(type(exc).__name__, str(exc), 2)


def uscc(code: str) -> str:
    """`--enterprise`: a USCC whose check character holds (GB 32100-2015)."""
    try:
        return validate_uscc(code, field="--enterprise")
    except DomainError as exc:
        fail(type(exc).__name__, str(exc), 2)


def event_id(text: str) -> str:
    """An event id argument, `<uuid>:<version>`, checked before any store is opened (a
    malformed one is the same one-line error, exit 1, with or without a store)."""
    try:
        parse_event_id(text)
    except DomainError as exc:
        fail(type(exc).__name__, str(exc))
    return text


def instant(text: str) -> datetime:
    """`--at`: an ISO 8601 instant within the platform's bounds, or now when empty; in the
    platform's time zone (ANJIAN_TIMEZONE), which also reads one written without an offset. A
    date alone (`2019-12-31`, 截至该日) is the end of that day."""
    zone = load_settings().zone
    if not text:
        return datetime.now(zone)
    try:
        t = datetime.fromisoformat(text)
        if _DATE_ONLY.fullmatch(text.strip()):
            t = datetime.combine(t.date(), time.max)
        t = t if t.tzinfo is not None else t.replace(tzinfo=zone)
        return bound_instant(t, "--at").astimezone(zone)
    except ValueError:
        fail("UsageError", f"--at must be an ISO 8601 instant, got {text!r}", 2)
    except DomainError as exc:
        fail(type(exc).__name__, str(exc), 2)


def rulebook_in_force(at: datetime) -> Rulebook | None:
    """The rulebook in force at `at`, or None (said on stderr in one line) before any was."""
    try:
        return current(available(), at)
    except ProjectionError as exc:
        err.print(f"note: {exc}; the credit grades are left out", soft_wrap=True, markup=False)
        return None


def rulebook(at: datetime, version: str | None) -> Rulebook:
    """`--rulebook`: the rulebook `version`, or the one in force at `at`."""
    try:
        return current(available(), at, version)
    except ProjectionError as exc:
        fail(type(exc).__name__, str(exc), 2)
