"""`anjian audit verify --replay`: the stored log run again through the write path's rules.

The ledger guard and `audit verify` check what can be checked from the bytes and the catalog
(audit/events.py). Whether a stored event obeyed the aggregates' rules (lifecycle order,
jurisdiction, the enterprise binding, deadlines...) only the write path itself can tell, so
the replay asks it: every stored event, in log order, goes as the signed command it stores
(envelope text, signature, key id) to a fresh `Records` on an in-memory SQLite
store (the `ReplayStore` the composition root wires), whose clock returns that event's stored
recorded time (`RecordedClock`). Signatures are
checked against the keys registered in the replayed history. Each event the write path refuses
is a finding (check `rules`) naming the error and the rule it cites.

The replayed history must be the stored one, so that every event is judged against the
records as they were when it was recorded: a refused event is put into the replay store as it
was stored (when its record can take it at all), and an accepted one must come out as the
stored event did (same record and version).

The log is read a page at a time; only the in-memory store, which holds the replayed history,
grows with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, StoredEvent

from audit.events import event_id_of
from audit.findings import Failure
from domain.application import Records
from domain.envelope import SignedCommand
from domain.errors import DomainError
from domain.stored import decode_stored
from ledger.leaf import StoredNotification
from services.ledger.stores import ReplayStore

__all__ = ["RecordedClock", "ReplayReport", "replay_log"]

PAGE = 1000  # notifications read at a time


class RecordedClock:
    """The write path's clock during a replay: the recorded time of the event being replayed,
    so that every rule reading "now" judges it as it was judged when it was recorded."""

    def __init__(self) -> None:
        self.now = datetime(1970, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ReplayReport:
    """What the replay found: one `rules` failure per event the write path refuses."""

    events: int = 0
    failures: list[Failure] = field(default_factory=list)


def replay_log(recorder: Any, fresh: ReplayStore, *, page: int = PAGE) -> ReplayReport:
    """Replay every event stored by `recorder` through `fresh(clock)`, a write path on an
    empty store (see the module docstring)."""
    report = ReplayReport()
    clock = RecordedClock()
    records = fresh(clock)
    try:
        for n in _notifications(recorder, page):
            report.events += 1
            failure = _replay(records, clock, n)
            if failure is not None:
                report.failures.append(failure)
    finally:
        records.close()
    return report


def _notifications(recorder: Any, page: int) -> Iterator[StoredNotification]:
    after = 0
    while batch := recorder.select_notifications(after, page, inclusive_of_start=False):
        yield from batch
        after = batch[-1].id


def _replay(records: Records, clock: RecordedClock, n: StoredNotification) -> Failure | None:
    """Replay one stored event; the failure naming why the write path refuses it, or None."""

    def refused(message: str) -> Failure:
        return Failure("rules", message, event_id=event_id_of(n), notification_id=n.id)

    stored = StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
    try:
        rec = decode_stored(stored)
        clock.now = datetime.fromisoformat(rec.recorded_at)
        cmd = SignedCommand.of(rec.envelope_text, rec.signature, rec.key_id)
    except DomainError as exc:  # the envelope itself is refused (InvalidEnvelope)
        return refused(f"{type(exc).__name__}: {exc}")
    except (ValueError, KeyError, TypeError) as exc:
        return refused(f"{type(exc).__name__}: the stored state is not a signed event: {exc}")
    try:
        recorded = records.execute(cmd)
    except DomainError as exc:
        cause = getattr(exc, "cause", exc)
        _keep(records, stored)
        return refused(f"{type(cause).__name__}: {cause}")
    if (recorded.subject, recorded.version) != (UUID(str(n.originator_id)), n.originator_version):
        return refused(
            f"the write path answers it with event {recorded.event_id}, "
            f"not the stored {event_id_of(n)}"
        )
    return None


def _keep(records: Records, stored: StoredEvent) -> None:
    """Put a refused event into the replayed history as it was stored, if its record can
    take it (so later events are judged against the history as stored)."""
    if not _applies(records, stored):
        return
    try:
        records.recorder.insert_events([stored])
    except IntegrityError:
        return  # its place in the record is taken


def _applies(records: Records, stored: StoredEvent) -> bool:
    """Whether the replayed record can take the stored event, tried on a copy. A record the
    store could not build either (a version out of sequence, an unknown topic, data its
    handler cannot read) goes on without it. An event of a type its record does not know is
    taken: loading the record then raises UnknownEventType, as it does from the store."""
    try:
        event: Any = records.mapper.to_domain_event(stored)
        try:
            aggregate: Any = records.repository.get(UUID(str(stored.originator_id)))
        except AggregateNotFoundError:
            aggregate = None
        event.mutate(aggregate)
    except DomainError:
        return True
    except Exception:  # whatever else fails, eventsourcing could not load the record
        return False
    return True
