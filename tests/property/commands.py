"""Random valid commands of every catalog type, drawn from the catalog's own JSON Schemas.

`data` is drawn from the command's JSON Schema (tests/property/schemas.py), so every
property, optional or not, takes shapes the schema allows (long text, big numbers, empty and
full arrays). Values that must name something of the province to pass the domain's rules
(a registered USCC, a record's id, an officer, a key) are then, most of the time, replaced by
one that does; dates and instants are drawn near the province's clock, at the edges of the
platform's bounds, and now and then beyond them (which the write path must refuse).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

from hypothesis import strategies as st

from domain.catalog import CATALOG
from domain.commands import REF
from domain.ids import enterprise_id
from domain.instants import FIRST_YEAR, LAST_YEAR, Path
from ledger.keys import KeyPair
from services.ingest.intake import default_subject
from tests.property.province import REGIONS, Attempt, Province
from tests.property.schemas import from_schema
from tests.support import new_uscc

TYPES = sorted(CATALOG)
# Commands that end an actor, a key or a record: drawn as often as the others, they would
# leave most histories without signers or subjects after a few steps.
ENDINGS = frozenset(
    {
        "actor.deactivate",
        "actor.revoke_key",
        "actor.rotate_key",
        "enterprise.deregister",
        "sensor.decommission",
    }
)
OFFSETS = [timedelta(hours=h, minutes=m) for h, m in ((8, 0), (0, 0), (-14, 0), (14, 0), (5, 45))]
EDGE_DATES = [date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)]
EDGE_INSTANTS = [
    datetime(FIRST_YEAR, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14))).isoformat(),
    datetime(LAST_YEAR, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14))).isoformat(),
]
BEYOND_INSTANTS = [
    "9999-12-31T23:59:00-01:00",
    "0001-01-01T00:00:00+01:00",
    "2024-03-01T10:00+15:00",
]
# Most draws take a next step on an existing record (of its kind's commands), so lifecycles
# get deep; the others create records.
CREATIONS = [t for t in TYPES if CATALOG[t].creates]
STEPS: dict[str, list[str]] = {}  # kind → its commands on an existing record
for _t in TYPES:
    if not CATALOG[_t].creates and _t not in ENDINGS:
        STEPS.setdefault(_t.partition(".")[0], []).append(_t)
REFS = ["F1", "F2", "E-1"]  # references a later command may repeat (findings, items)
_schemas: dict[str, st.SearchStrategy[dict[str, Any]]] = {}


def data_of(ctype: str) -> st.SearchStrategy[dict[str, Any]]:
    """The strategy for the command's `data` schema (built once)."""
    if ctype not in _schemas:
        _schemas[ctype] = from_schema(CATALOG[ctype].schema)
    return _schemas[ctype]


def often(draw: st.DrawFn, percent: int = 85) -> bool:
    return draw(st.integers(0, 99)) < percent


def a_date(draw: st.DrawFn, clock: datetime) -> str | None:
    """A date near the clock, at an edge of the bounds, or None (keep the schema's own)."""
    roll = draw(st.integers(0, 99))
    if roll < 85:
        return (clock.date() + timedelta(days=draw(st.integers(-1200, 1200)))).isoformat()
    if roll < 95:
        return draw(st.sampled_from(EDGE_DATES)).isoformat()
    return None


def an_instant(draw: st.DrawFn, clock: datetime, beyond: bool = True) -> str:
    """The clock or an instant near it, in one of several offsets; at an edge; or beyond the
    bounds."""
    roll = draw(st.integers(0, 99))
    if roll < 88:
        t = clock
        if roll >= 60:
            t += timedelta(minutes=draw(st.integers(-60 * 24 * 90, 60 * 24 * 90)))
        return t.astimezone(timezone(draw(st.sampled_from(OFFSETS)))).isoformat()
    if roll < 96 or not beyond:
        return draw(st.sampled_from(EDGE_INSTANTS))
    return draw(st.sampled_from(BEYOND_INSTANTS))


def play(data: st.DataObject, p: Province, steps: int, tries: int = 8) -> None:
    """Record `steps` drawn commands. A step refused on an existing record is followed by up
    to `tries` other steps on that record, so that lifecycles get deep."""
    for _ in range(steps):
        attempt = data.draw(attempts(p))
        for _ in range(tries):
            if p.record(attempt) or attempt.subject not in p.subjects:
                break
            if p.subjects[attempt.subject].kind not in STEPS:
                break
            attempt = data.draw(attempts(p, on=attempt.subject))


@st.composite
def attempts(draw: st.DrawFn, p: Province, on: UUID | None = None) -> Attempt:
    """One command of a catalog type the province could address (a step on record `on`, if
    given), signed most of the time by an actor whose role, jurisdiction and enterprise allow
    it."""
    target = None
    roll = draw(st.integers(0, 99))
    if on is not None:
        ctype = draw(st.sampled_from(STEPS[p.subjects[on].kind]))
    elif roll < 4:
        ctype = draw(st.sampled_from(sorted(ENDINGS)))
    elif roll < 70:
        kind = draw(st.sampled_from([k for k in STEPS if p.of_kind(k)]))
        ctype = draw(st.sampled_from(STEPS[kind]))
    else:
        ctype = draw(st.sampled_from(CREATIONS))
    if not CATALOG[ctype].creates:
        subject = on or draw(st.sampled_from(p.of_kind(CATALOG[ctype].aggregate.KIND)))
        target = p.subjects[subject]
    spec = CATALOG[ctype]
    data = dict(draw(data_of(ctype)))
    if ctype == "enterprise.register":
        uscc = new_uscc(draw(st.sampled_from(REGIONS[:3])))
    elif target is not None and target.enterprise and often(draw, 90):
        uscc = target.enterprise
    else:
        uscc = draw(st.sampled_from(p.usccs()))
    region = target.region if target else _creation_region(draw, p, ctype, uscc)
    signers = p.signers(ctype)
    allowed = [a for a in signers if p.may_act(a, region, uscc)]
    account = draw(st.sampled_from(allowed if allowed and often(draw, 90) else signers))
    new_key = _name_things(draw, p, ctype=ctype, data=data, account=account, uscc=uscc)
    _dates(draw, p, spec.instants, data)
    if spec.creates:
        subject = default_subject(ctype, data)  # as the intake fills it in
        if ctype == "actor.register" and isinstance(data.get("jurisdiction"), str):
            region = data["jurisdiction"]
    occurred = an_instant(draw, p.tick(draw(st.integers(1, 60 * 24 * 5))))
    return Attempt(account, ctype, region, data, subject, occurred, new_key)


def _name_things(
    draw: st.DrawFn, p: Province, *, ctype: str, data: dict[str, Any], account: str, uscc: str
) -> KeyPair | None:
    """Replace, most of the time, what must name a thing of the province."""
    new_key = None
    for name in list(data):
        if name == "public_key":  # always: an actor whose key nobody holds signs no more
            new_key = KeyPair.generate()
            data[name] = new_key.public_key_b64
        elif not often(draw):
            continue
        elif name in ("uscc", "enterprise"):
            data[name] = uscc
        elif name == "officers":
            others = [o for o in p.officers() if o != account]
            data[name] = [account, *draw(st.lists(st.sampled_from(others), min_size=1, max_size=2))]
        elif name in ("inspection", "previous"):
            data[name] = _one_of(draw, p.of_kind("inspection"))
        elif name == "alarm":
            data[name] = _one_of(draw, p.of_kind("sensor_alarm"))
        elif name == "device":
            data[name] = _one_of(draw, p.of_kind("sensor"))
        elif name == "accidents_checked":
            data[name] = [str(s) for s in p.of_kind("accident")]
        elif name == "evidence" and ctype == "credit.notify":
            data[name] = draw(st.lists(st.sampled_from(p.event_ids()), min_size=1, max_size=3))
        elif name == "account":
            data[name] = f"acct-{len(p.accounts) + 1}"
        elif name == "jurisdiction":
            data[name] = draw(st.sampled_from(REGIONS))
        elif name == "key_id":
            data[name] = draw(st.sampled_from([k.key_id for k in p.h.keys.values()]))
        elif CATALOG[ctype].properties.get(name) == REF:
            data[name] = draw(st.sampled_from(REFS))
    return new_key


def _one_of(draw: st.DrawFn, subjects: list[UUID]) -> str:
    return str(draw(st.sampled_from(subjects))) if subjects else str(uuid4())


def _dates(
    draw: st.DrawFn, p: Province, paths: tuple[tuple[Path, str], ...], data: dict[str, Any]
) -> None:
    """Dates and instants at the top level of `data` drawn near the clock (or at an edge)."""
    for path, fmt in paths:
        if len(path) != 1 or path[0] not in data:
            continue
        name = path[0]
        assert name is not None
        value = a_date(draw, p.clock) if fmt == "date" else an_instant(draw, p.clock)
        if value is not None:
            data[name] = value


def _creation_region(draw: st.DrawFn, p: Province, ctype: str, uscc: str) -> str:
    """The region a new record belongs to: most of the time its enterprise's."""
    if often(draw):
        if ctype == "enterprise.register":
            return uscc[2:8]
        owner = p.subjects.get(enterprise_id(uscc))
        if owner is not None:
            return owner.region
    return draw(st.sampled_from(REGIONS))
