"""Re-checking stored events from their bytes: canonical envelope, key, signature, leaf.

Input: stored notifications as the event store returns them (ledger.leaf.StoredNotification:
id, originator_id, originator_version, topic, state bytes). For each one `EventChecker`:

1. rebuilds the Merkle leaf from the stored state (the ledger/leaf.py layout) and hashes it;
2. reads `envelope`, `signature`, `key_id` from the state; checks that the envelope text is
   RFC 8785 canonical, is an envelope object, and that its `subject` is the event's record
   (an event moved to another record fails here);
3. refuses a command id seen before (a replayed event);
4. asks the key registry rebuilt from the log (audit/registry.py) for the key;
5. checks the event against the catalog (audit/catalog.py, passed in as data): its type is
   listed; it is stored under the topic of its type's kind, as version 1 exactly when the type
   creates its record; its record is of the type's kind (an event moved to a record of another
   kind fails); the role the actor was registered with (not the one the envelope declares)
   may issue the type;
6. verifies the Ed25519 signature over the UTF-8 envelope text;
7. feeds a valid key event (`actor.*`) to the registry.

Checks 2-6 can be limited to events after a notification id (`full_from`): the ledger's own
guard re-checks old events only against their leaves (an unchanged leaf means unchanged bytes,
checked when they were recorded) and fully checks what it is about to log. Key events are
always checked fully, because the registry depends on them. For every event, old or new, the
record is followed: its kind is taken from its creation event's topic, a creation event's
`originator_topic` (which eventsourcing builds the record from, and which the leaf does not
cover) must be that kind's, and each later version must follow the record's last one.

Signatures of ordinary events are verified on a thread pool, a chunk at a time (libsodium
releases the GIL), with one PyNaCl VerifyKey per public key; key events are verified in line,
since the registry depends on them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from types import TracebackType
from typing import Any
from uuid import UUID

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from audit.catalog import EventCatalog
from audit.findings import Failure
from audit.registry import KeyRefused, KeyRegistry
from ledger.canonical import is_canonical
from ledger.errors import LeafError
from ledger.leaf import StoredNotification, leaf_from_parts
from ledger.rfc6962 import LEAF_PREFIX

__all__ = [
    "ENVELOPE_FIELDS",
    "ENVELOPE_OPTIONAL",
    "CheckedEvent",
    "EventChecker",
    "event_id_of",
    "is_envelope_shape",
]

ENVELOPE_FIELDS = frozenset(
    {"actor", "data", "id", "occurred_at", "region", "role", "subject", "type"}
)
ENVELOPE_OPTIONAL = frozenset({"channel"})  # how a custodial signer was authenticated


def is_envelope_shape(envelope: object) -> bool:
    """An object with every envelope field and no field beyond the optional ones."""
    if not isinstance(envelope, dict):
        return False
    keys = envelope.keys()
    return keys >= ENVELOPE_FIELDS and not (keys - ENVELOPE_FIELDS - ENVELOPE_OPTIONAL)


_KEY_EVENT_MARK = '"type":"actor.'  # where a leaf's envelope may be a key event
_CHUNK = 256  # signatures per pool task

_sha256 = hashlib.sha256
_loads = json.JSONDecoder().decode


def event_id_of(notification: StoredNotification) -> str:
    """The platform's event id "<subject uuid>:<version>" (whatever the row holds)."""
    oid = notification.originator_id
    if not isinstance(oid, UUID):
        with contextlib.suppress(ValueError):
            oid = UUID(str(oid))
    return f"{oid}:{notification.originator_version}"


@dataclass(frozen=True)
class _Stored:
    """The signed parts of a stored event's state."""

    envelope: str
    signature: str
    key_id: str
    leaf: bytes
    originator_topic: object  # of a creation event: the record's class; else None


def _read(n: StoredNotification) -> _Stored:
    """Parse the state once and build the leaf (the layout of ledger/leaf.py, whose
    `leaf_from_parts` this shares; the checks mirror `leaf_bytes`). LeafError if unreadable."""
    try:
        state = _loads(n.state.decode("utf-8"))
        envelope, signature, kid = state["envelope"], state["signature"], state["key_id"]
        stamp = state["timestamp"]
        recorded_at = stamp["_data_"]
        transcoding = stamp["_type_"]
    except UnicodeDecodeError as exc:
        raise LeafError(n.id, f"state is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise LeafError(n.id, f"state is not JSON ({exc.msg} at {exc.pos})") from None
    except (KeyError, TypeError) as exc:
        raise LeafError(n.id, f"state lacks {exc}") from None
    if transcoding != "datetime_iso" or type(recorded_at) is not str:
        raise LeafError(n.id, "timestamp is not stored as a datetime_iso transcoding")
    if type(envelope) is not str or type(signature) is not str or type(kid) is not str:
        raise LeafError(n.id, "envelope, signature and key_id must be strings")
    if envelope[:1] != "{" or envelope[-1:] != "}":
        raise LeafError(n.id, "envelope is not JSON object text")
    try:
        leaf = leaf_from_parts(
            envelope=envelope,
            event_id=str(n.originator_id),
            recorded_at=recorded_at,
            event_type=n.topic,
            version=n.originator_version,
            key_id=kid,
            notification_id=n.id,
            signature=signature,
        )
    except UnicodeEncodeError:
        raise LeafError(n.id, "state holds a lone surrogate") from None
    return _Stored(envelope, signature, kid, leaf, state.get("originator_topic"))


@dataclass
class CheckedEvent:
    """One stored event after its checks; `leaf_hash` is None when no leaf could be built."""

    notification_id: int
    event_id: str
    leaf_hash: bytes | None
    failures: list[Failure] = field(default_factory=list)

    def fail(self, check: str, message: str) -> None:
        self.failures.append(
            Failure(check, message, event_id=self.event_id, notification_id=self.notification_id)
        )


@dataclass(slots=True)
class _Record:
    """A record as followed through the log."""

    kind: str  # "" if created under no catalogued topic
    version: int  # the last one seen


_Job = tuple[int, bytes, bytes, bytes]  # (position in page, public key, message, signature)


@lru_cache(maxsize=4096)
def _verify_key(public_key: bytes) -> VerifyKey:
    # Building a VerifyKey costs about as much as half a verification; actors have few keys.
    return VerifyKey(public_key)


def _verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Ed25519 verification as ledger.keys.verify_signature, with the key object cached."""
    if len(signature) != 64 or len(public_key) != 32:
        return False
    try:
        _verify_key(public_key).verify(message, signature)
    except BadSignatureError:
        return False
    return True


class _NotPlain(Exception):
    """A number the plain serialiser may write differently from RFC 8785."""


def _not_plain(text: str) -> Any:
    raise _NotPlain


def _plain_int(text: str) -> int:
    value = int(text)
    if -(2**53) < value < 2**53:
        return value
    raise _NotPlain


_plain_loads = json.JSONDecoder(parse_float=_not_plain, parse_int=_plain_int).decode
_plain_dumps = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _canonical_value(text: str) -> tuple[bool, Any]:
    """(whether `text` is RFC 8785 canonical, its JSON value), with one parse.

    Without floats, integers beyond 2**53 or characters above U+FFFF, JCS is exactly
    json.dumps(sort_keys, ensure_ascii=False, compact separators), so comparing that with the
    text decides; the rest goes to ledger.canonical.is_canonical (the reference path).
    """
    try:
        if text.isascii() or not _ASTRAL.search(text):
            value = _plain_loads(text)
            return _plain_dumps(value) == text, value
    except _NotPlain:
        pass
    except ValueError:
        return False, None
    return (True, _loads(text)) if is_canonical(text) else (False, None)


def _command_id(envelope: str) -> str:
    """The top-level "id" of canonical envelope text, without parsing it: the keys after
    "id" (occurred_at, region, role, subject, type) hold plain strings, and inside a JSON
    string a quote is always escaped, so the last `,"id":"` is the top-level one. Used only
    for events whose leaf proves their bytes unchanged since they were checked in full."""
    start = envelope.rfind(',"id":"') + 7
    return envelope[start : envelope.find('"', start)]


def _same_uuid(text: object, oid: object) -> bool:
    try:
        return UUID(str(text)) == UUID(str(oid))
    except ValueError:
        return False


def _failed(jobs: list[_Job]) -> list[int]:
    return [pos for pos, key, message, sig in jobs if not _verify(key, message, sig)]


class EventChecker:
    """Checks pages of stored events in notification order, carrying the key registry and,
    for every record created so far, its kind and last version."""

    def __init__(self, *, catalog: EventCatalog, threads: int = 2) -> None:
        self.registry = KeyRegistry()
        self.catalog = catalog
        self.signatures = 0
        self._seen: set[str] = set()
        self._created = {rule.topic: rule for rule in catalog.values() if rule.creates}
        self._records: dict[object, _Record] = {}  # by originator id
        self._pool = ThreadPoolExecutor(threads, "audit-verify") if threads > 1 else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def __enter__(self) -> EventChecker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def check_page(
        self, notifications: Sequence[StoredNotification], *, full_from: int = 0
    ) -> list[CheckedEvent]:
        """Check a page of events, in order. Events with id <= `full_from` are only rebuilt
        into leaves (plus key events, always checked in full)."""
        return self.submit(notifications, full_from=full_from)()

    def submit(
        self, notifications: Sequence[StoredNotification], *, full_from: int = 0
    ) -> Callable[[], list[CheckedEvent]]:
        """`check_page` in two halves: everything but the signatures of ordinary events now,
        those on the pool; the returned function waits for them. Pages must be submitted in
        order; waiting for one page while the next is prepared overlaps the two."""
        out: list[CheckedEvent] = []
        jobs: list[_Job] = []
        for n in notifications:
            checked = CheckedEvent(n.id, event_id_of(n), None)
            out.append(checked)
            kind = self._follow(n, checked)
            try:
                stored = _read(n)
            except LeafError as exc:
                checked.fail("state", f"cannot be read as a signed event: {exc.reason}")
                continue
            checked.leaf_hash = _sha256(LEAF_PREFIX + stored.leaf).digest()
            if n.originator_version == 1 and kind:
                self._check_class(n, stored, checked)
            key_event = _KEY_EVENT_MARK in stored.envelope
            if n.id > full_from or key_event:
                job = self._check_content(n, stored, checked, kind, inline=key_event)
                if job is not None:
                    key, message, signature = job
                    jobs.append((len(out) - 1, key, message, signature))
            elif not self._first_use(_command_id(stored.envelope)):
                checked.fail("replay", "its command was recorded before")
        self.signatures += len(jobs)
        chunks = [jobs[i : i + _CHUNK] for i in range(0, len(jobs), _CHUNK)]
        if self._pool is None:
            verdicts = [_failed(c) for c in chunks]
            futures: list[Future[list[int]]] = []
        else:
            futures = [self._pool.submit(_failed, c) for c in chunks]

        def wait() -> list[CheckedEvent]:
            results = [f.result() for f in futures] if self._pool is not None else verdicts
            for failed in results:
                for pos in failed:
                    out[pos].fail("signature", "Ed25519 signature does not verify with the key")
            return out

        return wait

    def check_alone(self, n: StoredNotification) -> CheckedEvent:
        """One event checked on its own, against the key registry as fed so far (key events
        checked before it, in notification order): canonical envelope of its record, its type
        listed, stored under its type's topic and version rule, the key its actor held, the
        role that may issue it, the Ed25519 signature. Its record's earlier versions are not
        followed (for a reader showing one event; audit.verify follows them all)."""
        checked = CheckedEvent(n.id, event_id_of(n), None)
        try:
            stored = _read(n)
        except LeafError as exc:
            checked.fail("state", f"cannot be read as a signed event: {exc.reason}")
            return checked
        checked.leaf_hash = _sha256(LEAF_PREFIX + stored.leaf).digest()
        try:
            type_ = _loads(stored.envelope).get("type")
        except (ValueError, AttributeError):
            type_ = None
        rule = self.catalog.get(type_) if isinstance(type_, str) else None
        self._check_content(n, stored, checked, rule.kind if rule else "", inline=True)
        return checked

    def _check_content(
        self,
        n: StoredNotification,
        stored: _Stored,
        checked: CheckedEvent,
        kind: str,
        *,
        inline: bool,
    ) -> tuple[bytes, bytes, bytes] | None:
        """Checks 2-7 (`kind`: of the event's record); returns the signature job to run
        later, or None (done or failed)."""
        text = stored.envelope
        canonical, envelope = _canonical_value(text)
        if not canonical:
            checked.fail("envelope", "envelope text is not RFC 8785 canonical JSON")
            return None
        if not is_envelope_shape(envelope):
            checked.fail("envelope", "not an envelope object (fields differ)")
            return None
        if envelope["subject"] != str(n.originator_id) and not _same_uuid(
            envelope["subject"], n.originator_id
        ):
            checked.fail(
                "envelope",
                f"signed for record {envelope['subject']}, stored as an event of "
                f"{n.originator_id} (moved or swapped?)",
            )
            return None
        if not self._first_use(envelope["id"]):
            checked.fail("replay", f"command {envelope['id']} was recorded before")
            return None
        try:
            public_key = self.registry.key_for(envelope, stored.key_id)
        except KeyRefused as exc:
            checked.fail("key", str(exc))
            return None
        refusal = self._catalog_refusal(n, envelope["type"], kind)
        if refusal is not None:
            checked.fail("catalog", refusal)
            return None
        role = self.registry.registered_role(envelope["actor"])  # None: the genesis
        roles = self.catalog[envelope["type"]].roles
        if role is not None and role not in roles:
            checked.fail(
                "catalog",
                f"{envelope['type']} may be issued by {', '.join(sorted(roles))}; "
                f"actor {envelope['actor']} is registered as {role}",
            )
            return None
        try:
            signature = base64.b64decode(stored.signature, validate=True)
        except (binascii.Error, ValueError):
            checked.fail("signature", "signature is not base64")
            return None
        message = text.encode("utf-8")
        if not inline:
            return public_key, message, signature
        self.signatures += 1
        if not _verify(public_key, message, signature):
            checked.fail("signature", "Ed25519 signature does not verify with the key")
            return None
        try:
            self.registry.apply(envelope)
        except KeyRefused as exc:
            checked.fail("key", str(exc))
        return None

    def _follow(self, n: StoredNotification, checked: CheckedEvent) -> str:
        """Follow the record of `n` and return its kind ("" if unknown): a version 1 creates
        it, of the kind its topic names; a later version must follow the record's last one,
        or eventsourcing cannot load the record."""
        oid, version = n.originator_id, n.originator_version
        if version == 1:
            rule = self._created.get(n.topic)
            kind = "" if rule is None else rule.kind
            self._records[oid] = _Record(kind, 1)
            return kind
        record = self._records.get(oid)
        if record is None:
            return ""
        if version != record.version + 1:
            checked.fail(
                "version", f"version {version} follows version {record.version} of its record"
            )
        record.version = max(version, record.version)
        return record.kind

    def _check_class(self, n: StoredNotification, stored: _Stored, checked: CheckedEvent) -> None:
        """A creation event must build its record as its topic's kind: eventsourcing builds
        it as the class `originator_topic` names, which the leaf does not cover."""
        rule = self._created[n.topic]
        if stored.originator_topic != rule.aggregate_topic:
            checked.fail(
                "catalog",
                f"stored under {n.topic}, yet it builds its record as {stored.originator_topic!r}",
            )

    def _catalog_refusal(self, n: StoredNotification, type_: object, kind: str) -> str | None:
        """Why the catalog refuses an event of `type_` stored as `n` on a record of `kind`
        ("" if unknown), or None."""
        rule = self.catalog.get(type_) if isinstance(type_, str) else None
        if rule is None:
            return f"unknown event type {type_!r}: the catalog does not list it"
        if n.topic != rule.topic:
            return f"a {type_} event is stored under {rule.topic}, this one under {n.topic}"
        if rule.creates != (n.originator_version == 1):
            what = "creates its record" if rule.creates else "follows its record's creation"
            return f"{type_} {what}, yet it is stored as version {n.originator_version}"
        if kind != rule.kind:
            record = f"of kind {kind}" if kind else "not created as any catalogued kind"
            return f"{type_} is a {rule.kind} event, stored on record {n.originator_id} {record}"
        return None

    def _first_use(self, command_id: object) -> bool:
        key = str(command_id)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True
