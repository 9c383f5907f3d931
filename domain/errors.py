"""Domain errors: every rejected value or transition says which rule it broke.

DomainError
├── InvalidValue            a field's value breaks a rule (USCC check character, region, …)
│   ├── InvalidEnvelope     the signed command envelope is malformed
│   ├── FutureDated         occurred_at lies after the platform's recorded time (plus skew)
│   ├── NotInForce          the record is dated before a law it cites took effect
│   └── InstantOutOfRange   a date or instant outside the years or offsets the platform records
├── InvalidTransition       the aggregate's lifecycle does not allow this command now
├── NotFound                the subject aggregate (or a referenced one) does not exist
│   └── UnknownActor
├── UnknownEventType        a stored event of a record has a type its kind does not know
├── AlreadyExists           a creation command for an existing subject
│   └── DuplicateCommand    a command id recorded before, for a command with other content
├── Conflict                another writer changed the aggregate first (retry)
├── NotAuthorized           actor role or jurisdiction does not allow the command
│   ├── NotAnOfficer        the signer is not one of the officers named on the record
│   ├── NotAuthenticated    no authenticated principal stands behind a custodial signature
│   └── MigrationRefused    channel "migration" on a signature the platform does not hold
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


class DuplicateCommand(AlreadyExists):
    """A command id names one command: this id was recorded (or comes earlier in the same
    batch) for a command whose signed bytes differ. The same bytes again are not an error:
    Records answers them with the original event. `original` is that event's id ("<subject>:
    <version>"), or None when the first use is an earlier command of the same batch."""

    def __init__(self, message: str, *, command_id: str, original: str | None) -> None:
        super().__init__(message, field="id")
        self.command_id = command_id
        self.original = original


class Conflict(DomainError):
    """Another writer recorded an event for the same aggregate version first."""


class NotAuthorized(DomainError):
    """The actor's role or jurisdiction does not allow the command."""


class NotAnOfficer(NotAuthorized):
    """The signer is not one of the law-enforcement officers the record names: a step of an
    inspection is taken, and its record signed, by the inspecting officers themselves."""


class NotAuthenticated(NotAuthorized):
    """The platform was asked to sign for an account nobody authenticated as.

    A custodial signature is the platform's statement that it authenticated the account
    through a channel; without an authenticated principal (or with another account than
    the principal's) the platform does not sign, and Records refuses a custodial signature
    that names no channel.
    """


class SignatureRejected(DomainError):
    """The command's signature does not verify against the actor's current key."""


class UnknownKey(SignatureRejected):
    """The key id is not one of the actor's keys."""


class KeyRotatedOut(SignatureRejected):
    """The key was the actor's key once but has been rotated out."""


class KeyRevoked(SignatureRejected):
    """The key was revoked."""


class UnknownEventType(DomainError):
    """A stored event of a record has a type its kind does not know (not in the catalog for
    that kind): the record cannot be read. Only an event written around the write path can be
    such; `anjian audit verify` names it."""

    def __init__(self, kind: str, record: object, version: int, event_type: object) -> None:
        super().__init__(
            f"{kind} record {record}, version {version}: unknown event type {event_type!r}; "
            "the record cannot be read",
            field="type",
            rule="信息资源目录 catalog",
        )
        self.record = record
        self.version = version
        self.event_type = event_type


class BatchRejected(DomainError):
    """A batch was rejected as a whole because one of its commands failed."""

    def __init__(self, index: int, cause: DomainError) -> None:
        super().__init__(f"command {index + 1} of the batch: {cause}", rule=cause.rule)
        self.index = index
        self.cause = cause


# -- time: declared and recorded ---------------------------------------------------------------


class FutureDated(InvalidValue):
    """The declared `occurred_at` lies after the platform's recorded time plus the allowed
    clock skew: a step is not recorded before it happens, and a far-future date would put
    every later step of the record out of order."""


class NotInForce(InvalidValue):
    """The record is dated before a law it cites took effect (domain.laws), so it cannot have
    followed that law."""


class MigrationRefused(NotAuthorized):
    """An envelope claims the `migration` channel but the platform does not hold its key.

    Migrated history is judged on its declared time; only a signature the platform makes (for
    the platform account or a custodial account, after authenticating the migration) may
    claim that.
    """
