"""The NATS subject of an event, so integrators filter by jurisdiction and kind with wildcards:

    anjian.events.<prefecture, 4 digits>.<county, 6 digits>.<kind>.<event>
    anjian.events.4201.420102.hazard.reported

The prefecture token is the first four digits of the region code: 4201 for Wuhan (420100 and
its districts 4201xx); the province's own records use 42 and 420000; the province-administered
cities (429004 仙桃 …) share the token 4290, their county token tells them apart. So
`anjian.events.4201.>` is all of Wuhan and `anjian.events.*.*.penalty.>` every penalty.

The <event> token is the catalog's event name without its kind, in snake_case: the leading
words the event name shares with its aggregate's class name or its kind are dropped
(HazardReported → reported, ActorKeyRotated → key_rotated, PenaltyCaseFiled → filed,
SensorAlarmRaised → raised; MajorHazardReportedToRegulator keeps its words). `event_token`
is the one function; tests/streams/test_subjects.py holds it to a valid, unique NATS token for
every catalog entry.
"""

from __future__ import annotations

import re
from functools import cache

from domain.catalog import CATALOG
from domain.regions import PROVINCE

__all__ = [
    "PREFIX",
    "TOKEN",
    "event_token",
    "event_type",
    "filter_subject",
    "region_tokens",
    "subject_of",
]

PREFIX = "anjian.events"
TOKEN = re.compile(r"[a-z0-9_]+")  # what every token we write is made of
TYPE_PREFIX = "cn.gov.hubei.anjian"
_WORD = re.compile(r"[A-Z][a-z0-9]*")


def _words(camel: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(camel)]


def _shared(words: list[str], prefix: list[str]) -> int:
    n = 0
    while n < min(len(words), len(prefix)) and words[n] == prefix[n]:
        n += 1
    return n


@cache
def event_token(command_type: str) -> str:
    """The <event> token of a catalog command type (`hazard.report` → `reported`)."""
    spec = CATALOG[command_type]
    words = _words(spec.event)
    kind = command_type.split(".", 1)[0]
    drop = max(_shared(words, _words(spec.aggregate.__name__)), _shared(words, kind.split("_")))
    return "_".join(words[drop:] if drop < len(words) else words)


def event_type(command_type: str) -> str:
    """The CloudEvents `type`: cn.gov.hubei.anjian.<kind>.<event>.v1."""
    return f"{TYPE_PREFIX}.{command_type.split('.', 1)[0]}.{event_token(command_type)}.v1"


def region_tokens(region: str) -> tuple[str, str]:
    """(prefecture, county) tokens of a region code: 420102 → (4201, 420102); the province
    420000 → (42, 420000)."""
    if region == PROVINCE:
        return "42", region
    return region[:4], region


def subject_of(region: str, command_type: str) -> str:
    """The subject an event of `command_type` recorded in `region` is published on."""
    prefecture, county = region_tokens(region)
    kind = command_type.split(".", 1)[0]
    return f"{PREFIX}.{prefecture}.{county}.{kind}.{event_token(command_type)}"


def filter_subject(region: str | None = None, kind: str | None = None) -> str:
    """The wildcard subject of a region (the province 42 or 420000, a prefecture 4201 or
    420100, a county or province-administered city 420102, 429004) and a kind:
    `anjian.events.4201.>`, `anjian.events.*.*.penalty.>`, …"""
    if region is None or region in ("42", PROVINCE):
        place = ["*", "*"]
    elif len(region) == 4 or (region.endswith("00") and not region.startswith("4290")):
        place = [region[:4], "*"]
    else:
        place = [region[:4], region]
    if kind is not None:
        return ".".join([PREFIX, *place, kind, "*"])
    while place and place[-1] == "*":
        place.pop()
    return ".".join([PREFIX, *place, ">"])
