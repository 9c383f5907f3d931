"""Changeset: the records one command or batch loads and changes, and the events it produced.

It commits nothing: Records stores a changeset's events in one transaction, or none of them
(domain.application). Command handlers see it as their Context (domain.context), to look up
the other records a command needs.
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from domain.enterprise import Enterprise
from domain.errors import NotFound
from domain.ids import enterprise_id
from domain.record import Record

R = TypeVar("R", bound=Record)


class Changeset:
    """The aggregates one command or batch touches, and its events in command order, not
    stored yet."""

    def __init__(self, app: Application[UUID], *, optimistic_creates: bool = False) -> None:
        self._app = app
        self._loaded: dict[UUID, Record | None] = {}
        self._peeked: dict[UUID, Record | None] = {}
        self.events: list[Any] = []
        # In batches, the subject of a creation command is assumed new without a read; the
        # store's unique (id, version) key refuses it if not, and `assumed_new` then tells
        # which command it was.
        self._optimistic = optimistic_creates
        self.creating: UUID | None = None
        self.assumed_new: dict[UUID, int] = {}
        self.index = 0

    def find(self, id: UUID, kind: type[R]) -> R | None:
        if id not in self._loaded:
            if self._optimistic and id == self.creating:
                self.assumed_new[id] = self.index
                return None
            try:
                self._loaded[id] = self._app.repository.get(id)
            except AggregateNotFoundError:
                self._loaded[id] = None
        return _as(self._loaded[id], kind)

    def peek(self, id: UUID, kind: type[R]) -> R | None:
        """Like find, to read only: a record this changeset has not loaded to change is
        shared with the store's cache, not copied. Callers must not change it."""
        if id in self._loaded:
            return self.find(id, kind)
        if id not in self._peeked:
            try:
                self._peeked[id] = self._app.repository.get(id, deepcopy_from_cache=False)
            except AggregateNotFoundError:
                self._peeked[id] = None
        return _as(self._peeked[id], kind)

    def get(self, id: UUID, kind: type[R]) -> R:
        agg = self.find(id, kind)
        if agg is None:
            raise NotFound(f"no {kind.KIND} record {id}")
        return agg

    def enterprise(self, uscc: str) -> Enterprise:
        ent = self.find(enterprise_id(uscc), Enterprise)
        if ent is None:
            raise NotFound(f"enterprise {uscc} is not registered", field="data.enterprise")
        ent.ensure_active()
        return ent

    def keep(self, agg: Record) -> None:
        self._loaded[agg.id] = agg
        self.events.extend(agg.collect_events())


def _as(agg: Record | None, kind: type[R]) -> R | None:
    if agg is None:
        return None
    if not isinstance(agg, kind):
        raise NotFound(f"{agg.id} is a {type(agg).KIND} record, not {kind.KIND}")
    return agg
