"""Subjects let integrators filter by jurisdiction and kind with NATS wildcards; every event
of the catalog has a subject token and a CloudEvents type of its own."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from domain.catalog import CATALOG
from streams.subjects import event_token, event_type, filter_subject, region_tokens, subject_of

NATS_TOKEN = re.compile(r"[a-z0-9_]+")  # no '.', '*', '>' or white space; lower case


@pytest.mark.parametrize("command", sorted(CATALOG))
def test_every_catalog_event_has_a_valid_nats_token(command: str) -> None:
    token = event_token(command)
    assert NATS_TOKEN.fullmatch(token), token
    subject = subject_of("420102", command)
    assert all(NATS_TOKEN.fullmatch(t) for t in subject.split(".")), subject
    assert event_type(command).endswith(f".{command.split('.', maxsplit=1)[0]}.{token}.v1")


def test_event_tokens_are_unique_within_a_kind() -> None:
    tokens = Counter((c.split(".")[0], event_token(c)) for c in CATALOG)
    assert [t for t, n in tokens.items() if n > 1] == []


def test_the_event_token_is_the_event_name_without_its_kind() -> None:
    assert event_token("hazard.report") == "reported"
    assert event_token("actor.rotate_key") == "key_rotated"
    assert event_token("penalty.file") == "filed"  # PenaltyCaseFiled: its aggregate's words
    assert event_token("sensor_alarm.raise") == "raised"
    assert event_type("hazard.report") == "cn.gov.hubei.anjian.hazard.reported.v1"


def test_a_county_event_is_under_its_prefecture_and_county() -> None:
    assert subject_of("420102", "hazard.report") == "anjian.events.4201.420102.hazard.reported"
    assert subject_of("420100", "penalty.file") == "anjian.events.4201.420100.penalty.filed"


def test_provincial_records_use_42_and_420000() -> None:
    assert region_tokens("420000") == ("42", "420000")
    assert subject_of("420000", "actor.register") == "anjian.events.42.420000.actor.registered"


def test_province_administered_cities_share_4290_and_keep_their_code() -> None:
    assert region_tokens("429004") == ("4290", "429004")


def test_filters_name_a_jurisdiction_and_a_kind() -> None:
    assert filter_subject() == "anjian.events.>"
    assert filter_subject("42") == filter_subject("420000") == "anjian.events.>"
    assert filter_subject("4201") == filter_subject("420100") == "anjian.events.4201.>"
    assert filter_subject("420102") == "anjian.events.4201.420102.>"
    assert filter_subject("429004") == "anjian.events.4290.429004.>"
    assert filter_subject(None, "penalty") == "anjian.events.*.*.penalty.*"
    assert filter_subject("4201", "hazard") == "anjian.events.4201.*.hazard.*"
