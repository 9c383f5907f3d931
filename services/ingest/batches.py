"""Recording command lines in all-or-nothing batches, with receipts as each batch commits.

The one loop every entry point runs (`anjian record`, the demo, and next the API and the NATS
workers): lines are numbered from 1 in the order given, each is parsed by the intake (which
seals personal data and signs custodially for its principal), and every `batch` commands go to
`Records` as one transaction (a batch of one as a single command). A `Committed` is yielded as
soon as its batch is stored, so a caller that prints it has printed only what is stored,
whenever the run stops. With `sign`, each Committed also carries the signed receipt of each
of its events (services/ingest/receipts.py), issued once the batch is stored.

The first line refused stops the run with `LineRefused`, naming the line (or the lines of a
batch refused as a whole) and the domain error: nothing of that line's batch is stored, every
earlier batch is. A line may be a parsed JSON object or JSON text (str, or UTF-8 bytes as read
from a file); a blank text line is skipped but counted. A text line longer than `MAX_LINE`
bytes is refused before it is parsed; a reader of a file or socket reads at most
`MAX_LINE + 1` bytes a line (`bounded_lines`), so an endless line costs no more memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from domain.application import Records
from domain.envelope import SignedCommand
from domain.errors import BatchRejected, DomainError, InvalidEnvelope
from domain.stored import Recorded
from services.ingest import strict_json, telemetry

__all__ = ["MAX_LINE", "Committed", "Line", "LineRefused", "bounded_lines", "record_batches"]

MAX_LINE = 1024 * 1024  # bytes of one command line; the largest command is a few kilobytes

Line = bytes | str | Mapping[str, Any]  # JSON text of one command, or the parsed object
Parse = Callable[[object], SignedCommand]  # the intake's: a JSON value to a signed command
Sign = Callable[[Sequence[Recorded]], tuple[str, ...]]  # signed receipts of stored events


@dataclass(frozen=True)
class Committed:
    """One batch, stored: the numbers of its first and last lines and its events in line
    order (a command recorded before is answered with its original event)."""

    first_line: int
    last_line: int
    recorded: tuple[Recorded, ...]
    signed: tuple[str, ...] = ()  # the signed receipt of each event, when asked for

    def receipts(self) -> list[dict[str, Any]]:
        """One receipt a command: its event, notification id, type and whether it was
        recorded before; and its signed receipt (a signed note) when there is one."""
        out = [
            {
                "event_id": r.event_id,
                "notification_id": r.notification_id,
                "type": r.type,
                "recorded_before": r.recorded_before,
            }
            for r in self.recorded
        ]
        for receipt, note in zip(out, self.signed, strict=False):
            receipt["receipt"] = note
        return out


class LineRefused(Exception):
    """A line was refused, or a batch of lines as a whole: nothing of its batch is stored.

    `cause` is the domain's error; `line` the refused line as given (the first line of a batch
    refused as a whole)."""

    def __init__(self, first: int, last: int, cause: DomainError, line: Line) -> None:
        self.first, self.last, self.cause, self.line = first, last, cause, line
        super().__init__(f"{self.where}: {cause}")

    @property
    def where(self) -> str:
        """`line N`, or `lines N-M` for a batch refused as a whole."""
        return (
            f"line {self.first}" if self.first == self.last else f"lines {self.first}-{self.last}"
        )


def record_batches(
    records: Records,
    parse: Parse,
    lines: Iterable[Line],
    *,
    batch: int = 1,
    sign: Sign | None = None,
) -> Iterator[Committed]:
    """Record `lines` (see the module docstring); precondition: 1 <= batch <= MAX_BATCH."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    pending: list[tuple[int, Line, SignedCommand]] = []
    for number, line in enumerate(lines, start=1):
        try:
            if isinstance(line, bytes | str) and _length(line) > MAX_LINE:
                raise InvalidEnvelope(f"longer than {MAX_LINE} bytes: not one command")
            text = strict_json.decode(line) if isinstance(line, bytes) else line
            if isinstance(text, str):
                if not text.strip():
                    continue
                command = parse(strict_json.loads(text))
            else:
                command = parse(text)
        except DomainError as exc:  # the batch holding this line is not stored
            telemetry.line_refused(line, exc)
            raise LineRefused(number, number, exc, line) from exc
        pending.append((number, line, command))
        if len(pending) >= batch:
            yield _commit(records, pending, sign)
            pending = []
    if pending:
        yield _commit(records, pending, sign)


def bounded_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The lines of a binary stream, each read with at most MAX_LINE bytes and its line end
    (a longer one is cut there, then refused by `record_batches`, which stops the run)."""
    return iter(lambda: stream.readline(MAX_LINE + 3), b"")


def _length(line: bytes | str) -> int:
    """The length of a line without its line end."""
    if len(line) <= MAX_LINE:
        return len(line)
    if isinstance(line, bytes):
        return len(line.rstrip(b"\r\n"))
    return len(line.rstrip("\r\n"))


def _commit(
    records: Records, pending: list[tuple[int, Line, SignedCommand]], sign: Sign | None
) -> Committed:
    commands = [c for _, _, c in pending]
    first, last = pending[0][0], pending[-1][0]
    with telemetry.batch_span([c.envelope.type for c in commands]) as span:
        try:
            if len(commands) == 1:
                recorded = [records.execute(commands[0])]
            else:
                recorded = records.execute_batch(commands)
        except BatchRejected as exc:
            span.refused(exc.cause)
            number, line, _ = pending[exc.index]
            raise LineRefused(number, number, exc.cause, line) from exc
        except DomainError as exc:
            span.refused(exc)
            raise LineRefused(first, last, exc, pending[0][1]) from exc
        span.accepted(recorded)
        return Committed(first, last, tuple(recorded), sign(recorded) if sign is not None else ())
