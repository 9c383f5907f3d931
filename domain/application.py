"""Records: the one write path. Load, check, record, save — for one command or a batch.

Every command is authenticated (canonical envelope, registered actor, its current key, a valid
Ed25519 signature; a custodial key's signature names the channel the platform authenticated
its submitter through), authorised (role, jurisdiction, enterprise binding), validated (the
catalog's JSON Schema, then the aggregate's own rules) and only then recorded. A batch is one
transaction: all of its commands are stored, or none.

A command id is recorded once (domain.resubmission): the same signed command again is answered
with its original event and stores nothing; the same id with other content is refused. The
store keeps the ids unique in the transaction that stores the events (domain.ports.CommandLog).

Every command is recorded at the platform's time (the clock, read once per command): its
`occurred_at` may not lie after it by more than the clock skew, and the event carries it as its
timestamp (domain.clocks: the party's statutory clocks are judged on it).

Each signature goes to the Notary's batch as soon as its key is known and is verified on the
other cores while the domain checks run; nothing is committed before every verdict is in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper

from domain.actor import PLATFORM_ACCOUNT, Actor, check_channel, decode_key, key_id_of
from domain.catalog import CATALOG
from domain.changeset import Changeset
from domain.clocks import CLOCK_SKEW, MIGRATION, check_declared
from domain.commands import DEVICE, ENTERPRISE, PLATFORM, CommandSpec
from domain.envelope import Envelope, SignedCommand
from domain.errors import (
    AlreadyExists,
    BatchRejected,
    Conflict,
    DomainError,
    InvalidEnvelope,
    InvalidValue,
    KeyRevoked,
    KeyRotatedOut,
    MigrationRefused,
    NotAuthenticated,
    NotAuthorized,
    NotFound,
    SignatureRejected,
    UnknownActor,
    UnknownKey,
)
from domain.ids import actor_id, enterprise_id
from domain.instants import check_instants
from domain.mapper import RecordMapper
from domain.ports import CommandLog, Notary, SchemaCheck, SignatureBatch
from domain.record import Record
from domain.regions import covers
from domain.resubmission import EarlierUses, earlier_uses
from domain.stored import Recorded, StoredRecord, decode_stored, parse_event_id

R = TypeVar("R", bound=Record)
log = logging.getLogger("anjian.records")
MAX_BATCH = 10_000  # commands per all-or-nothing transaction


class Records(Application[UUID]):
    """The event store application holding every regulatory record."""

    name = "anjian"
    log_section_size = 1000
    # Aggregates stay cached between commands; every read fast-forwards the cached copy with
    # the events stored since (one indexed query, as current as a full reload, also across
    # processes) and hands out a deep copy, so a rejected command never alters the cache.
    # Without it each command replays its actor's whole history to find the signing key.
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "20000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
    }

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=RecordMapper
        )

    def __init__(
        self,
        notary: Notary,
        schema_check: SchemaCheck,
        env: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        skew: timedelta = CLOCK_SKEW,
        go_live: datetime | None = None,
    ) -> None:
        """`clock` gives the recorded time (aware UTC; default the system clock); `skew` is
        how far a declared `occurred_at` may run ahead of it."""
        super().__init__(env=env)
        if getattr(self.recorder, "keeps_command_ids", False) is not True:
            name = type(self.recorder).__name__
            self.close()
            raise TypeError(
                f"Records needs a recorder that keeps command ids unique "
                f"(domain.ports.CommandLog, see ops.recorders); {name} does not"
            )
        self.notary = notary
        self.schema_check = schema_check
        self.clock = clock or _system_clock
        self.skew = skew
        # Migrated history must be dated before go-live; None: when genesis was recorded.
        self.go_live = go_live
        self._commit_listeners: list[Callable[[int], None]] = []

    def add_commit_listener(self, listener: Callable[[int], None]) -> None:
        """Call `listener(highest notification id stored)` after every commit of this Records,
        in the committing thread: a follower's wake-up (domain.following.Runner.wake), so the
        followers in this process need not poll. A listener must return at once; one that
        raises is logged and the command still succeeds (it is stored: the follower reads the
        log, a missed wake-up costs one poll)."""
        self._commit_listeners.append(listener)

    def remove_commit_listener(self, listener: Callable[[int], None]) -> None:
        self._commit_listeners.remove(listener)

    # -- writing -------------------------------------------------------------------------------

    def execute(self, cmd: SignedCommand) -> Recorded:
        """Authenticate, check and store one command in its own transaction; a command
        recorded before is answered with its original event.

        Nothing is looked up first: a command recorded before is refused by the domain's own
        rules or, at the latest, by the store's unique command id, and only a refusal asks the
        store whether the id was recorded (so the new command pays no extra query)."""
        try:
            return self._execute_new(cmd)
        except DomainError:
            earlier = self._earlier_uses([cmd], unwrap=True)  # DuplicateCommand if it differs
            if earlier.answered:
                return earlier.answered[0]
            raise

    def _execute_new(self, cmd: SignedCommand) -> Recorded:
        changes = Changeset(self, optimistic_creates=True)
        signature = self.notary.batch(1)
        self._handle(cmd, changes, signature)

        def judge() -> None:
            if signature.first_invalid() >= 0:
                raise _rejected(cmd)

        try:
            return self._store(changes, judge)[0]
        except Conflict as exc:
            # The subject was assumed new without a read; run the command again with the
            # read, so the aggregate's own rule names what exists already.
            self._handle(cmd, Changeset(self), self.notary.batch(1))
            diagnosed = self._diagnose(changes, exc)
            raise getattr(diagnosed, "cause", diagnosed) from None

    def execute_batch(self, cmds: Sequence[SignedCommand]) -> list[Recorded]:
        """Store all commands in one transaction, or none (BatchRejected names the bad one).

        At most MAX_BATCH commands: larger transactions hold the store's write lock too long
        (and one PostgreSQL insert of >15k events hangs in psycopg's pipeline mode).

        Commands recorded before are answered with their original events and the new ones
        stored, in command order (domain.resubmission).
        """
        if len(cmds) > MAX_BATCH:
            raise InvalidValue(
                f"a batch holds at most {MAX_BATCH} commands, got {len(cmds)}: split it",
                field="batch",
            )
        earlier = self._earlier_uses(cmds)
        fresh = earlier.fresh(len(cmds))
        results = dict(earlier.answered)
        if fresh:
            changes = Changeset(self, optimistic_creates=True)
            try:
                stored = self._store(changes, self._check(cmds, fresh, changes))
            except Conflict as exc:
                if self._earlier_uses(cmds).answered.keys() - earlier.answered.keys():
                    return self.execute_batch(cmds)  # a concurrent writer stored some of them
                raise self._diagnose(changes, exc) from None
            results.update(zip(fresh, stored, strict=True))
        for i, j in earlier.repeats.items():
            results[i] = results[j]._replace(recorded_before=True)
        return [results[i] for i in range(len(cmds))]

    def _check(
        self, cmds: Sequence[SignedCommand], fresh: list[int], changes: Changeset
    ) -> Callable[[], None]:
        """Check and apply cmds[i] for each i in `fresh` in `changes`; the returned judge raises
        BatchRejected for the first signature that does not verify."""
        signatures = self.notary.batch(len(fresh))  # verified on other cores meanwhile
        for i in fresh:
            changes.index = i
            try:
                self._handle(cmds[i], changes, signatures)
            except DomainError as exc:
                raise BatchRejected(i, exc) from exc

        def judge() -> None:
            failed = signatures.first_invalid()
            if failed >= 0:
                raise BatchRejected(fresh[failed], _rejected(cmds[fresh[failed]]))

        return judge

    def _earlier_uses(self, cmds: Sequence[SignedCommand], unwrap: bool = False) -> EarlierUses:
        """domain.resubmission.earlier_uses against this store; `unwrap`: raise a single
        command's DuplicateCommand itself rather than as a BatchRejected."""
        try:
            return earlier_uses(self._command_log, cmds)
        except BatchRejected as exc:
            if unwrap:
                raise exc.cause from None
            raise

    @property
    def _command_log(self) -> CommandLog:
        return cast(CommandLog, self.recorder)  # checked in __init__

    def _diagnose(self, changes: Changeset, conflict: Conflict) -> DomainError:
        """Name the command of a batch whose assumed-new subject existed already."""
        for subject, i in sorted(changes.assumed_new.items(), key=lambda kv: kv[1]):
            try:
                existing: Record = self.repository.get(subject)
            except AggregateNotFoundError:
                continue
            return BatchRejected(
                i, AlreadyExists(f"{type(existing).KIND} record {subject} exists already")
            )
        return conflict

    def _handle(self, cmd: SignedCommand, changes: Changeset, signatures: SignatureBatch) -> None:
        """Check one command and apply it in the unit of work.

        Its signature goes to `signatures` as soon as the key is known, so it is verified
        while the aggregate's rules run; the caller's verdict comes before anything commits.
        """
        env = cmd.envelope
        now = self.clock()
        check_declared(env.occurred_at, now, self.skew)
        cmd = cmd.received(now)
        spec = CATALOG.get(env.type)
        if spec is None:
            raise InvalidEnvelope(f"unknown command type {env.type!r}", field="type")
        if not self.notary.is_canonical(cmd.text, env.parsed):
            raise InvalidEnvelope("envelope text is not RFC 8785 canonical JSON")
        self.schema_check(env.type, env.data)
        check_instants(spec.instants, env.data)
        public_key, bound = self._authenticate(cmd, spec, changes)
        signatures.add(public_key, cmd.text.encode("utf-8"), cmd.signature)
        if spec.creates:
            changes.creating = env.subject
            agg: Record = spec.handler(cmd, changes)
            changes.creating = None
            _check_binding(cmd, bound, agg)
        else:
            target = changes.find(env.subject, spec.aggregate)
            if target is None:
                raise NotFound(f"no {spec.aggregate.KIND} record {env.subject}", field="subject")
            if target.region != env.region:
                raise InvalidValue(
                    f"record {env.subject} is in region {target.region}, not {env.region}",
                    field="region",
                )
            _check_binding(cmd, bound, target)
            spec.handler(target, cmd, changes)
            agg = target
        changes.keep(agg)

    def _authenticate(
        self, cmd: SignedCommand, spec: CommandSpec, changes: Changeset
    ) -> tuple[bytes, frozenset[str] | None]:
        """The key to verify the signature with, and the enterprises the actor is bound to."""
        env = cmd.envelope
        if (
            spec.type == "actor.register"
            and env.actor == PLATFORM_ACCOUNT
            and env.data.get("account") == PLATFORM_ACCOUNT
            and changes.peek(actor_id(PLATFORM_ACCOUNT), Actor) is None
        ):
            # Genesis: the platform actor registers itself with the key it signs with.
            key = decode_key(env.data["public_key"])
            if key_id_of(key) != cmd.key_id:
                raise UnknownKey("genesis must be signed by the key it registers")
            return key, None
        actor = changes.peek(actor_id(env.actor), Actor)
        if actor is None:
            raise UnknownActor(f"actor {env.actor} is not registered", field="actor")
        if actor.status != "active":
            raise NotAuthorized(f"actor {env.actor} is {actor.status}", field="actor")
        if env.role != actor.role:
            raise NotAuthorized(
                f"actor {env.actor} has role {actor.role}, not {env.role}", field="role"
            )
        if actor.custody == "platform" and env.channel is None:
            # Only the platform holds a custodial key: its signature must say how it
            # authenticated the submitter, so the channel is the platform's own statement.
            raise NotAuthenticated(
                f"actor {env.actor} signs through the platform's custody: the envelope must "
                "name the channel that authenticated the submitter",
                field="channel",
            )
        entry = actor.keys.get(cmd.key_id)
        if entry is None:
            raise UnknownKey(f"key {cmd.key_id} is not a key of actor {env.actor}")
        if entry.status == "rotated":
            raise KeyRotatedOut(f"key {cmd.key_id} of actor {env.actor} was rotated out")
        if entry.status == "revoked":
            raise KeyRevoked(f"key {cmd.key_id} of actor {env.actor} is revoked")
        check_channel(env, actor)
        if env.channel == MIGRATION:
            _check_before_go_live(env, changes, self.go_live)
        if actor.role not in spec.roles:
            raise NotAuthorized(
                f"role {actor.role} may not issue {spec.type} "
                f"(allowed: {', '.join(sorted(spec.roles))})",
                rule=spec.rule,
            )
        if actor.role != PLATFORM and not covers(actor.jurisdiction, env.region):
            raise NotAuthorized(
                f"region {env.region} is outside the jurisdiction {actor.jurisdiction} "
                f"of actor {env.actor}",
                field="region",
            )
        bound = frozenset(actor.enterprises) if actor.role in (ENTERPRISE, DEVICE) else None
        return entry.public_key, bound

    def _store(self, changes: Changeset, judge: Callable[[], None]) -> list[Recorded]:
        """Store the unit of work's events; commit only once `judge` (the signatures'
        verdict) has passed.

        The events are mapped while the last signatures are still being verified; a recorder
        that gates its commit (domain.ports.GatedRecorder) inserts them meanwhile too and asks
        `judge` just before COMMIT. The recorder is called directly rather than through
        EventStore.put: the same mapping and insert, without a Recording and a Notification
        per event that nothing here reads.
        """
        stored = list(map(self.mapper.to_stored_event, changes.events))
        parse = Envelope.parse
        command_ids = [parse(e.envelope).id for e in changes.events]
        gated = getattr(self.recorder, "gates_commit", False) is True
        if not gated:
            judge()
        try:
            if gated:
                notification_ids = self.recorder.insert_events(
                    stored, command_ids=command_ids, before_commit=judge
                )
            else:
                notification_ids = self.recorder.insert_events(stored, command_ids=command_ids)
        except IntegrityError:
            raise Conflict(
                "another writer recorded an event for one of these records first; retry"
            ) from None
        if notification_ids is None:  # an aggregate recorder: no notification log
            raise TypeError(f"{type(self.recorder).__name__} keeps no notification log")
        if notification_ids:
            self._committed(max(notification_ids))
        return [
            Recorded(n, parse(e.envelope).type, e.originator_id, e.originator_version)
            for e, n in zip(changes.events, notification_ids, strict=True)
        ]

    def _committed(self, last: int) -> None:
        for listener in list(self._commit_listeners):
            try:
                listener(last)
            except Exception:
                log.exception("commit listener %r failed (notification %d)", listener, last)

    # -- reading -------------------------------------------------------------------------------

    def load(self, id: UUID, kind: type[R]) -> R:
        """The current state of one record, or NotFound."""
        return Changeset(self).get(id, kind)

    def stored(self, eid: str) -> StoredRecord:
        subject, version = parse_event_id(eid)
        events = self.recorder.select_events(subject, gt=version - 1, lte=version)
        if not events:
            raise NotFound(f"no event {eid}", field="event_id")
        return decode_stored(events[0])

    def recorded_command(self, command_id: UUID) -> StoredRecord | None:
        """The event a command id was recorded as, or None."""
        found = self._command_log.recorded_commands([command_id]).get(command_id)
        return None if found is None else decode_stored(found, found.id)

    def notifications(self, start: int = 1, batch: int = 1000) -> Iterator[StoredRecord]:
        """Every stored event in the total order of the notification log."""
        while True:
            page = self.recorder.select_notifications(start=start, limit=batch)
            if not page:
                return
            for n in page:
                yield decode_stored(n, n.id)
            start = page[-1].id + 1

    def history(self, uscc: str) -> list[StoredRecord]:
        """Every record about one enterprise, in the order they were recorded."""
        ent_id = enterprise_id(uscc)
        subjects = {ent_id}
        out: list[StoredRecord] = []
        for rec in self.notifications():
            data = rec.envelope["data"]
            if rec.subject in subjects or data.get("enterprise") == uscc:
                subjects.add(rec.subject)
                out.append(rec)
        if not out:
            raise NotFound(f"enterprise {uscc} is not registered", field="uscc")
        return out


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _check_before_go_live(env: Envelope, changes: Changeset, go_live: datetime | None) -> None:
    """Migrated history is history from before go-live (`go_live`, or else the instant the
    platform's genesis was recorded). A step dated at or after it is live work and must go
    the ordinary way, judged on its recorded time."""
    if go_live is None:
        platform = changes.peek(actor_id(PLATFORM_ACCOUNT), Actor)
        go_live = getattr(platform, "created_on", None)
    if go_live is not None and env.occurred_at >= go_live:
        raise MigrationRefused(
            f"migrated history must be dated before go-live ({go_live.isoformat()}); "
            f"{env.occurred_at.isoformat()} is live work: record it without --migrate",
            field="occurred_at",
        )


def _rejected(cmd: SignedCommand) -> SignatureRejected:
    return SignatureRejected(
        f"signature of command {cmd.envelope.id} does not verify with key {cmd.key_id}"
    )


def _check_binding(cmd: SignedCommand, bound: frozenset[str] | None, agg: Record) -> None:
    """Enterprise accounts and devices act only on the records of the enterprises they are
    bound to (and never tie a record of one to another)."""
    if bound is None:
        return
    owner = getattr(agg, "uscc", None) or getattr(agg, "enterprise", None)
    claimed = cmd.envelope.data.get("uscc") or cmd.envelope.data.get("enterprise")
    for value in (owner, claimed):
        if value is not None and value not in bound:
            raise NotAuthorized(
                f"actor {cmd.envelope.actor} is bound to enterprise {', '.join(sorted(bound))}, "
                f"not {value}"
            )


__all__ = ["MAX_BATCH", "Records"]
