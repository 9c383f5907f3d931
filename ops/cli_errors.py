"""One-line errors for the whole command line: `ErrorName: message` on stderr, a non-zero exit.

click and typer show a usage error as a framed panel under the usage text. The root group of
`anjian` (OneLineErrors) shows it as one line instead, exit 2, like every error a command
reports itself (exit 1, or 2 for a bad argument). A file that cannot be opened or written
(OSError) is reported the same way wherever a command meets it. Asked for nothing (`anjian`,
`anjian ledger`), a group still prints its help.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer
from rich.markup import escape
from typer.core import TyperGroup

from ops.render import SafeConsole

__all__ = ["OneLineErrors", "fail", "print_error"]

_err = SafeConsole(stderr=True, highlight=False)


def print_error(name: str, message: str) -> None:
    """Print `name: message` as one line on stderr: a line feed in the message (a quoted value,
    click's text) is shown as `\\n`, other control characters as `\\uXXXX`."""
    one_line = message.strip().replace("\n", "\\n")
    _err.print(f"[bold red]{name}[/]: {escape(one_line)}", markup=True, soft_wrap=True)


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
