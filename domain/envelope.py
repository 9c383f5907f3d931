"""The signed command envelope: who did what, where and when, as the actor signed it.

The envelope is a JSON object; its RFC 8785 canonical text (UTF-8) is what the actor's Ed25519
key signs and what every event stores verbatim:

    {"actor": str, "channel": str?, "data": {...}, "id": uuid,
     "occurred_at": ISO 8601 with offset, "region": GB/T 2260 code, "role": str,
     "subject": uuid, "type": "<aggregate>.<verb>"}

`occurred_at` is when it happened (the actor's clock); the event's own timestamp is when the
platform recorded it, and `occurred_at` may not lie after it by more than the clock skew
(domain.clocks, which also says which of the two each statutory clock is judged at).

`channel` (optional) names how the platform authenticated the submitter when it signed
custodially for an account: `cli` (an operator of the command line, `--as ACCOUNT`), `api` (a
logged-in user or token), `stream` (a module's worker) or `migration` (history from before
go-live, entered through the marked migration path). An envelope the actor signed with a key of
its own may omit it.

`id` and `subject` are written in their one form, lower-case and hyphenated (domain.ids): a
received command (`SignedCommand.of`) is refused otherwise. Parsing stays lenient, so an event
stored before that rule still loads as it was signed.

A received envelope holds at most MAX_ENVELOPE_BYTES of UTF-8: every event becomes one Merkle
leaf (ledger/leaf.py: the envelope and less than 1 KiB of event fields), and the log serves its
leaves in C2SP tlog-tiles entry bundles, whose entries are at most 65,535 bytes. A larger
command, though valid by its schema (arrays of up to 1,000 items), would make its bundle
unservable to every client following the log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from domain.errors import InvalidEnvelope
from domain.ids import is_canonical_uuid
from domain.instants import bound_instant
from domain.regions import validate_region

FIELDS = frozenset({"actor", "data", "id", "occurred_at", "region", "role", "subject", "type"})
OPTIONAL_FIELDS = frozenset({"channel"})
CHANNELS = frozenset({"cli", "api", "stream", "migration"})
MAX_ENVELOPE_BYTES = 64_000  # a leaf is the envelope + < 1 KiB; a tlog-tiles entry <= 65,535


def parse_instant(value: object, field: str) -> datetime:
    """A timezone-aware datetime from ISO 8601 text; naive times are rejected, and so are
    instants outside the platform's bounds (domain.instants: years 1949..2099, offsets within
    ±14:00), which no read model could convert."""
    if not isinstance(value, str):
        raise InvalidEnvelope(f"{field} must be an ISO 8601 string", field=field)
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidEnvelope(f"{field} is not ISO 8601: {value!r}", field=field) from None
    if t.tzinfo is None or t.utcoffset() is None:
        raise InvalidEnvelope(f"{field} must carry a UTC offset: {value!r}", field=field)
    return bound_instant(t, field, value)


def _uuid(value: object, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidEnvelope(f"{field} is not a UUID: {value!r}", field=field) from None


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed envelope. `data` is the command-specific payload (see the catalog)."""

    id: UUID
    type: str
    subject: UUID
    actor: str
    role: str
    region: str
    occurred_at: datetime
    data: Mapping[str, Any]
    channel: str | None
    # The whole object as parsed, for the canonical-form check (Notary.is_canonical).
    parsed: dict[str, Any] = field(compare=False, repr=False)

    @classmethod
    def from_json(cls, obj: object) -> Envelope:
        if not isinstance(obj, dict):
            raise InvalidEnvelope("envelope must be a JSON object")
        missing = FIELDS - obj.keys()
        if missing:
            raise InvalidEnvelope(f"envelope lacks {', '.join(sorted(missing))}")
        extra = obj.keys() - FIELDS - OPTIONAL_FIELDS
        if extra:
            raise InvalidEnvelope(f"envelope has unknown fields {', '.join(sorted(extra))}")
        for name in ("type", "actor", "role"):
            if not isinstance(obj[name], str) or not obj[name]:
                raise InvalidEnvelope(f"{name} must be a non-empty string", field=name)
        if not isinstance(obj["data"], dict):
            raise InvalidEnvelope("data must be a JSON object", field="data")
        channel = obj.get("channel")
        if channel is not None and (not isinstance(channel, str) or channel not in CHANNELS):
            raise InvalidEnvelope(
                f"channel must be one of {', '.join(sorted(CHANNELS))}, got {channel!r}",
                field="channel",
            )
        return cls(
            id=_uuid(obj["id"], "id"),
            type=obj["type"],
            subject=_uuid(obj["subject"], "subject"),
            actor=obj["actor"],
            role=obj["role"],
            region=validate_region(obj["region"], field="region"),
            occurred_at=parse_instant(obj["occurred_at"], "occurred_at"),
            data=obj["data"],
            channel=channel,
            parsed=obj,
        )

    @classmethod
    def parse(cls, text: str) -> Envelope:
        return _parse_cached(text)

    @classmethod
    def _parse(cls, text: str) -> Envelope:
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise InvalidEnvelope(f"envelope is not JSON: {exc}") from None
        except RecursionError:
            raise InvalidEnvelope("envelope is nested too deeply to be a command") from None
        return cls.from_json(obj)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "actor": self.actor,
            "data": dict(self.data),
            "id": str(self.id),
            "occurred_at": self.occurred_at.isoformat(),
            "region": self.region,
            "role": self.role,
            "subject": str(self.subject),
            "type": self.type,
        }
        if self.channel is not None:
            out["channel"] = self.channel
        return out


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> Envelope:
    # An event's envelope is parsed when its command is checked and again when the event is
    # applied; envelopes are immutable, so the second parse can be shared.
    return Envelope._parse(text)


@dataclass(frozen=True, slots=True)
class SignedCommand:
    """A command as received: the canonical envelope text, its signature and the key id.

    Precondition: `text` is RFC 8785 canonical (the intake produces it with
    ledger.canonical; the application re-checks through its Notary port). Build it with
    `of`, which holds the envelope's ids to their one written form.
    """

    text: str
    signature: str  # base64 of the 64-byte Ed25519 signature over text.encode("utf-8")
    key_id: str
    envelope: Envelope
    # When the platform handled it (Records' clock; aware UTC), None until then: the event's
    # timestamp, and the instant the party's own statutory clocks are judged at.
    recorded_at: datetime | None = None

    def received(self, at: datetime) -> SignedCommand:
        """This command as the platform handles it at `at`, its recorded time."""
        # Not dataclasses.replace: that costs ~4 µs, a few per cent of a batched command.
        return SignedCommand(self.text, self.signature, self.key_id, self.envelope, at)

    @classmethod
    def of(cls, text: str, signature: str, key_id: str) -> SignedCommand:
        """A received command; InvalidEnvelope unless `id` and `subject` are canonical UUIDs
        and the text has at most MAX_ENVELOPE_BYTES.

        The event is stored and proved under the subject's canonical text, so an envelope
        spelling it otherwise (`{…}`, upper case, `urn:uuid:`, no hyphens) could never be
        matched to its own proof.
        """
        # A character is 1 to 4 bytes: encode only a text that may be too long.
        if len(text) > MAX_ENVELOPE_BYTES // 4:
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > MAX_ENVELOPE_BYTES:
                raise InvalidEnvelope(
                    f"the envelope has {size} bytes, more than {MAX_ENVELOPE_BYTES}: its leaf "
                    "would not fit a log entry (c2sp.org/tlog-tiles)"
                )
        envelope = Envelope.parse(text)
        for name in ("id", "subject"):
            value = envelope.parsed[name]
            if not is_canonical_uuid(value):
                raise InvalidEnvelope(
                    f"{name} must be a lower-case hyphenated UUID, got {value!r}", field=name
                )
        return cls(text, signature, key_id, envelope)
