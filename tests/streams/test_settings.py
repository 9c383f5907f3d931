"""The stream's settings: ANJIAN_NATS_URL, ANJIAN_STREAM_REPLICAS, ANJIAN_STREAM_MAX_AGE."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from ops.settings import load_settings


def test_the_defaults_are_the_embedded_server_one_replica_and_keep_everything() -> None:
    s = load_settings()
    assert (s.nats_url, s.stream_replicas, s.stream_max_age) == ("", 1, timedelta(0))


@pytest.mark.parametrize(
    "url", ["nats://127.0.0.1:4222", "nats://u:p@a:4222,nats://b:4222", "tls://nats.example:4222"]
)
def test_a_nats_url_or_a_cluster_is_accepted(url: str) -> None:
    assert load_settings(nats_url=url).nats_url == url


@pytest.mark.parametrize("url", ["http://a:4222", "127.0.0.1:4222", "nats://", "nats://a:99999"])
def test_anything_else_names_the_variable_and_not_the_value(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load_settings(nats_url=url.replace("a:", "secret-host:"))
    assert "ANJIAN_NATS_URL" in str(caught.value)
    assert "secret-host" not in str(caught.value)


def test_the_maximum_age_is_seconds_or_an_iso_duration_never_negative() -> None:
    assert load_settings(stream_max_age="86400").stream_max_age == timedelta(days=1)
    assert load_settings(stream_max_age="P30D").stream_max_age == timedelta(days=30)
    with pytest.raises(ValidationError, match="ANJIAN_STREAM_MAX_AGE"):
        load_settings(stream_max_age="-PT1S")


@pytest.mark.parametrize("replicas", [0, 6])
def test_replicas_are_one_to_five(replicas: int) -> None:
    with pytest.raises(ValidationError):
        load_settings(stream_replicas=replicas)
