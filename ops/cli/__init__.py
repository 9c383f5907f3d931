"""anjian — the command line of the Anjian (安监) trusted record platform.

Every write goes through the same application layer as the API will: services/ingest
validates against the catalog, seals personal data and signs custodially only for the account
the operator names with `--as`; the aggregate checks; Records stores. Each run builds the
platform once (ops/cli/context.py). Errors print `ErrorName: message` as one line on stderr and
exit non-zero; nothing printed obeys control characters held in stored text
(ops/cli/output.py).

One module per command group:

    records.py      record, show, history, enterprises, catalog
    demo.py         demo
    ledger.py       ledger sync | status
    projections.py  projections status | rebuild | follow | quarantine
    credit.py       credit
    analytics.py    analytics, export
    dashboard.py    dashboard
    incidents.py    incidents, incident, teams (应急协调指挥)
    todo.py         todo
    search.py       documents
    audit.py        audit verify | proof | check
    witness.py      witness key | serve
    privacy.py      privacy erase | subjects
    integrators.py  integrators add | list | revoke
    actors.py       actors keys
    stream.py       stream status | tail | relay | types
    users.py        users add | list | change | disable | reset-password | log
    tokens.py       tokens create | list | revoke
    serve.py        serve (the running platform: API, followers, children) | worker NAME
    backup.py       backup, restore (ops/backup.py, ops/restore.py)
    warnings.py     warnings [rules], risk-map
    arguments.py    the options several commands share, and their checks
    context.py      the platform of one run, the read models brought up to date
    output.py       errors, JSON, tables
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from rich.markup import escape
from sqlalchemy.exc import InterfaceError, OperationalError

from ops.cli.actors import actors_app
from ops.cli.analytics import analytics, export
from ops.cli.audit import audit_app
from ops.cli.backup import backup, restore
from ops.cli.credit import credit
from ops.cli.dashboard import dashboard
from ops.cli.demo import demo
from ops.cli.incidents import incident_command, incidents, teams
from ops.cli.integrators import integrators_app
from ops.cli.ledger import ledger_app
from ops.cli.output import OneLineErrors, err, out
from ops.cli.privacy import privacy_app
from ops.cli.projections import projections_app
from ops.cli.records import catalog, enterprises, history, record, show
from ops.cli.search import documents
from ops.cli.serve import serve, worker
from ops.cli.stream import stream_app
from ops.cli.todo import todo_command
from ops.cli.tokens import tokens_app
from ops.cli.users import users_app
from ops.cli.warnings import risk_map, warnings_app
from ops.cli.witness import witness_app
from ops.telemetry import TelemetryError, configure

__all__ = ["app", "main", "out"]

app = typer.Typer(
    name="anjian",
    help="Anjian (安监): signed, immutable, anchored work-safety records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=OneLineErrors,
)
_COMMANDS: list[Callable[..., None]] = [record, show, history, enterprises, catalog, demo]
_VIEWS: list[Callable[..., None]] = [credit, analytics, dashboard, export, serve, worker]
for _command in _COMMANDS:
    app.command()(_command)
app.add_typer(ledger_app, name="ledger")
app.add_typer(projections_app, name="projections")
for _command in _VIEWS:
    app.command()(_command)
app.command("todo")(todo_command)
app.command()(documents)
app.add_typer(audit_app, name="audit")
app.add_typer(privacy_app, name="privacy")
app.add_typer(witness_app, name="witness")
app.add_typer(integrators_app, name="integrators")
app.add_typer(actors_app, name="actors")
app.add_typer(stream_app, name="stream")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.command()(backup)
app.command()(restore)
app.command()(incidents)
app.command("incident")(incident_command)
app.command()(teams)
app.add_typer(warnings_app, name="warnings")
app.command("risk-map")(risk_map)


def _setting_problem(error: ErrorDetails) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if message.startswith("ANJIAN_"):
        return message
    variable = "ANJIAN_" + "_".join(str(part) for part in error["loc"]).upper()
    return f"{variable}: {message}"


def main() -> None:
    try:
        configure()  # traces, metrics and log lines as the OTEL_* / ANJIAN_LOG_* ask
    except TelemetryError as exc:
        err.print(f"[bold red]SettingsError[/]: {escape(str(exc))}", markup=True, soft_wrap=True)
        sys.exit(2)
    try:
        app(prog_name="anjian")
    except ValidationError as exc:  # settings from the environment, read at start-up
        problems = "; ".join(map(_setting_problem, exc.errors(include_input=False)))
        err.print(f"[bold red]SettingsError[/]: {escape(problems)}", markup=True, soft_wrap=True)
        sys.exit(2)
    except (OperationalError, InterfaceError) as exc:  # a database that cannot be reached
        reason = str(exc.orig if exc.orig is not None else exc).strip().splitlines()[0]
        err.print(
            f"[bold red]StoreUnavailable[/]: cannot open the database: {escape(reason)}",
            markup=True,
            soft_wrap=True,
        )
        sys.exit(1)
