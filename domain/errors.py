"""Domain errors: every rejected value or transition says which rule it broke.

DomainError
├── InvalidValue            a field's value breaks a rule (USCC check character, region, …)
│   ├── InvalidEnvelope     the signed command envelope is malformed
│   └── InstantOutOfRange   a date or instant outside the years or offsets the platform records
├── InvalidTransition       the aggregate's lifecycle does not allow this command now
├── NotFound                the subject aggregate (or a referenced one) does not exist
│   └── UnknownActor
├── AlreadyExists           a creation command for an existing subject
├── Conflict                another writer changed the aggregate first (retry)
├── NotAuthorized           actor role or jurisdiction does not allow the command
├── SignatureRejected       the signature does not verify against the actor's current key
│   ├── UnknownKey
│   ├── KeyRotatedOut
│   └── KeyRevoked
└── BatchRejected           one command of a batch failed; nothing of the batch was stored
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every domain error. `rule` names the rule (law article or invariant) broken."""

    rule: str = ""

    def __init__(self, message: str, *, rule: str = "", field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule or type(self).rule
        self.field = field

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        rule = f" ({self.rule})" if self.rule else ""
        return f"{self.message}{where}{rule}"


class InvalidValue(DomainError):
    """A value breaks a rule."""


class InvalidEnvelope(InvalidValue):
    """The command envelope is malformed."""


class InstantOutOfRange(InvalidValue):
    """A date or instant lies outside the platform's bounds (domain.instants): a year before
    1949 or after 2099, or a UTC offset beyond ±14:00. Such a value cannot be converted safely,
    and one stored event carrying it stopped every read model."""


class InvalidTransition(DomainError):
    """The lifecycle does not allow this command in the aggregate's current state."""


class NotFound(DomainError):
    """The aggregate does not exist."""


class UnknownActor(NotFound):
    """No registered actor with this id."""


class AlreadyExists(DomainError):
    """The subject of a creation command exists already."""


class Conflict(DomainError):
    """Another writer recorded an event for the same aggregate version first."""


class NotAuthorized(DomainError):
    """The actor's role or jurisdiction does not allow the command."""


class SignatureRejected(DomainError):
    """The command's signature does not verify against the actor's current key."""


class UnknownKey(SignatureRejected):
    """The key id is not one of the actor's keys."""


class KeyRotatedOut(SignatureRejected):
    """The key was the actor's key once but has been rotated out."""


class KeyRevoked(SignatureRejected):
    """The key was revoked."""


class BatchRejected(DomainError):
    """A batch was rejected as a whole because one of its commands failed."""

    def __init__(self, index: int, cause: DomainError) -> None:
        super().__init__(f"command {index + 1} of the batch: {cause}", rule=cause.rule)
        self.index = index
        self.cause = cause
