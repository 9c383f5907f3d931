"""What the command line prints: errors, JSON and tables, Chinese first, times in the
platform's time zone (Settings.timezone, passed as `zone`; DEFAULT_ZONE where a caller has no
settings).

Errors: `ErrorName: message` as one line on stderr and a non-zero exit, whatever the command
(exit 1, or 2 for a bad argument). click and typer show a usage error as a framed panel under
the usage text; the root group of `anjian` (OneLineErrors) shows it as one line instead, exit
2. A file that cannot be opened or written (OSError) is reported the same way wherever a
command meets it. Asked for nothing (`anjian`, `anjian ledger`), a group still prints its help.

JSON: `--json` prints the value indented (`emit_json`), or one object a line where a command
streams (receipts). Tables: `text_table`, every cell plain text.

Everything printed for a terminal passes through `domain.plain_text.escape`: the write path
refuses control and bidirectional formatting characters, but text stored before that rule (or
an error message quoting a refused value) may still hold them, and a terminal must show them
as `\\uXXXX` rather than obey them; no stored text is ever read as rich markup.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.highlighter import JSONHighlighter
from rich.markup import escape as markup_escape
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from domain.plain_text import escape
from ops.settings import DEFAULT_ZONE
from projections.results import local


class SafeConsole(Console):
    """A rich Console that escapes refused characters in every string it prints."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(escape(o) if isinstance(o, str) else o for o in objects), **kwargs)


out = SafeConsole(highlight=False)  # stdout: answers
err = SafeConsole(stderr=True, highlight=False)  # stderr: progress, notes, errors


# -- JSON --------------------------------------------------------------------------------------


def json_text(value: Any) -> str:
    """Indented JSON for stdout, refused characters written as JSON escapes (same value)."""
    return escape(json.dumps(value, ensure_ascii=False, indent=2, default=str)) + "\n"


def emit_json(value: Any) -> None:
    sys.stdout.write(json_text(value))


def highlighted_json(value: Any) -> Text:
    """`value` as highlighted JSON text for a console (rich's print_json would unescape)."""
    text = JSONHighlighter()(Text(json_text(value).rstrip("\n")))
    text.no_wrap = True
    return text


def emit_json_line(value: Any) -> None:
    """`value` as one line of JSON on stdout (JSON Lines); the caller flushes."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")


# -- tables and times ---------------------------------------------------------------------------


def plain(text: str) -> Text:
    """Stored text for a console: refused characters escaped, never read as rich markup."""
    return Text(escape(text))


def text_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    """A table of the CLI: the columns as given, one row per item, every cell text already
    (shown as it is: escaped, no markup)."""
    table = Table(title=plain(title))
    for column in columns:
        table.add_column(plain(column))
    for row in rows:
        table.add_row(*map(plain, row))
    return table


def local_time(iso: str, zone: tzinfo = DEFAULT_ZONE) -> str:
    """An ISO 8601 instant shown in `zone`; as written when it has no such time.

    A stored event may hold an instant that no calendar conversion survives (written before
    intake bounded instants: 9999-12-31T23:59:00-01:00 is year 10000 in Shanghai too); it is
    still shown, as the signer wrote it.
    """
    try:
        return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, OverflowError):
        return iso


def utc_local_time(naive_utc: datetime, zone: tzinfo = DEFAULT_ZONE) -> str:
    """A read model's instant (naive UTC) shown in `zone`."""
    return local(naive_utc, zone).strftime("%Y-%m-%d %H:%M:%S")


def timeline_when(
    occurred: datetime,
    recorded: datetime,
    *,
    differ: bool,
    migrated: bool,
    zone: tzinfo = DEFAULT_ZONE,
) -> str:
    """A timeline entry's time (naive UTC in, `zone` out): the declared time, the recorded
    time beside it where the two differ, and, for history entered through the migration path
    (judged on the declared time), "迁移 migrated" with the migration's date: every migrated
    entry differs, and its recorded second says nothing more."""
    text = utc_local_time(occurred, zone)
    if migrated:
        return f"{text} (迁移 migrated {utc_local_time(recorded, zone)[:10]})"
    if differ:
        text += f" (记录 recorded {utc_local_time(recorded, zone)})"
    return text


# -- errors ------------------------------------------------------------------------------------


def print_error(name: str, message: str) -> None:
    """Print `name: message` as one line on stderr: a line feed in the message (a quoted value,
    click's text) is shown as `\\n`, other control characters as `\\uXXXX`."""
    one_line = message.strip().replace("\n", "\\n")
    err.print(f"[bold red]{name}[/]: {markup_escape(one_line)}", markup=True, soft_wrap=True)


def fail(name: str, message: str, code: int = 1) -> NoReturn:
    """Print `name: message` (print_error) and end the command with exit `code`."""
    print_error(name, message)
    raise typer.Exit(code)


def _exit(name: str, message: str, code: int) -> NoReturn:
    print_error(name, message)
    sys.exit(code)


def _command(ctx: Any) -> str:
    """`anjian <group> <command>`: the command path under the program's own name."""
    path = getattr(ctx, "command_path", "")
    return " ".join(["anjian", *str(path).split()[1:]])


def _kinds(exc: BaseException) -> set[str]:
    # typer vendors click and exports none of its usage errors: know them by name, as typer
    # itself does (typer.rich_utils.rich_format_error).
    return {k.__name__ for k in type(exc).__mro__}


class OneLineErrors(TyperGroup):
    """The root group: runs a command line and turns what click would frame into one line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(
                args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
            )
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as exc:  # click's errors: usage, parameters, files
            kinds = _kinds(exc)
            if "NoArgsIsHelpError" in kinds:
                sys.exit(exc.exit_code)  # the help is printed already
            if "UsageError" in kinds:
                where = _command(getattr(exc, "ctx", None))
                _exit("UsageError", f"{where}: {exc.format_message()}", exc.exit_code)
            _exit(type(exc).__name__, exc.format_message(), exc.exit_code)
        except typer.Abort:
            _exit("Aborted", "interrupted", 1)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _exit(type(exc).__name__, f"{exc.strerror or exc}{where}", 1)
        sys.exit(code if isinstance(code, int) else 0)
