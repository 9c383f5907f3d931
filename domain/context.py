"""What a command handler may look up besides its own aggregate (the changeset)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar
from uuid import UUID

if TYPE_CHECKING:
    from domain.enterprise import Enterprise
    from domain.record import Record

R = TypeVar("R", bound="Record")


class Context(Protocol):
    def get(self, id: UUID, kind: type[R]) -> R:
        """The aggregate, or domain.errors.NotFound."""

    def find(self, id: UUID, kind: type[R]) -> R | None:
        """The aggregate, or None."""

    def enterprise(self, uscc: str) -> Enterprise:
        """The registered, active enterprise with this USCC, or NotFound/InvalidTransition."""
