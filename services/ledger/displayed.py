"""What `anjian show` and `anjian history` display, verified before it is shown.

For each event shown: its envelope and signature are checked against the key its actor held
at that point of the log (the registry rebuilt from every key event recorded before it, each
checked itself: audit/registry.py, audit/events.py `check_alone`); once it is logged, the
stored event must still rebuild to the leaf the log holds for its notification id. A failed
check is returned with the event (`Verified.failures`), never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.events import EventChecker
from audit.findings import Failure
from ledger.errors import UnknownLeafError
from ledger.leaf import StoredNotification
from services.ledger.catalog import event_catalog
from services.ledger.stores import Ledger

__all__ = ["Verified", "verify_shown"]

_PAGE = 1000


@dataclass(frozen=True)
class Verified:
    """The checks of one shown event: what failed, and the leaf it is logged as (None: not
    logged yet, so only its signature and key could be checked)."""

    event_id: str
    notification_id: int
    leaf_index: int | None = None
    failures: tuple[Failure, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def summary(self) -> str:
        """One line: what holds, or the first failed check."""
        if self.failures:
            return "; ".join(f"[{f.check}] {f.message}" for f in self.failures)
        leaf = (
            f"matches leaf {self.leaf_index}"
            if self.leaf_index is not None
            else "not logged yet (signature and key checked)"
        )
        return f"signature and key hold; {leaf}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "failed": [{"check": f.check, "message": f.message} for f in self.failures],
            "leaf_index": self.leaf_index,
        }


def verify_shown(ledger: Ledger, notification_ids: Sequence[int]) -> dict[int, Verified]:
    """The verdict on each notification in `notification_ids` (a missing one fails
    `state`)."""
    catalog = event_catalog()
    key_topics = [rule.topic for rule in catalog.values() if rule.kind == "actor"]
    wanted = sorted(set(notification_ids))
    out: dict[int, Verified] = {}
    if not wanted:
        return out
    recorder = ledger.recorder
    key_events = _key_events(recorder, key_topics, stop=wanted[-1])
    with EventChecker(catalog=catalog, threads=1) as checker:
        fed = 0
        for nid in wanted:
            before = [n for n in key_events[fed:] if n.id < nid]
            if before:
                checker.check_page(before)
                fed += len(before)
            if fed < len(key_events) and key_events[fed].id == nid:
                fed += 1  # a key event shown: checked (and applied) alone below
            found = recorder.select_notifications(nid, 1, stop=nid)
            if not found or found[0].id != nid:
                out[nid] = Verified(
                    "", nid, failures=(Failure("state", "the event store no longer holds it"),)
                )
                continue
            out[nid] = _verdict(ledger, checker, found[0])
    return out


def _key_events(recorder: Any, topics: Sequence[str], *, stop: int) -> list[StoredNotification]:
    out: list[StoredNotification] = []
    start = 1
    while True:
        page = recorder.select_notifications(start, _PAGE, stop=stop, topics=topics)
        out.extend(page)
        if len(page) < _PAGE:
            return out
        start = page[-1].id + 1


def _verdict(ledger: Ledger, checker: EventChecker, n: StoredNotification) -> Verified:
    checked = checker.check_alone(n)
    failures = list(checked.failures)
    try:
        index: int | None = ledger.log.leaf_index_of(n.id)
    except UnknownLeafError:
        index = None
    logged = ledger.log.leaf(index).hash if index is not None else None
    if logged is not None and checked.leaf_hash is not None and logged != checked.leaf_hash:
        failures.append(
            Failure(
                "leaf",
                f"the stored event no longer rebuilds to leaf {index}, logged for it",
                event_id=checked.event_id,
                notification_id=n.id,
                leaf_index=index,
            )
        )
    return Verified(checked.event_id, n.id, index, tuple(failures))
