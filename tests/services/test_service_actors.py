"""The service actors (services.ingest.service_actors): registered once by the platform with
the key its custody derives, signing through the intake only as themselves, on the channel
`stream`; a module that is not one, or an account taken by something else, is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.actor import Actor
from domain.errors import InvalidValue
from domain.ids import actor_id
from ops.bootstrap import Platform, build
from ops.settings import load_settings
from services.ingest.batches import LineRefused
from services.ingest.service_actors import ensure_service_actor, service_principal


@pytest.fixture
def p(tmp_path: Path) -> Iterator[Platform]:
    with build(load_settings(home=tmp_path / "h", nats_url="nats://127.0.0.1:1")) as platform:
        yield platform


def test_a_service_actor_is_registered_once_with_the_custody_key(p: Platform) -> None:
    assert ensure_service_actor(p.ingest, "svc-warning") is True
    assert ensure_service_actor(p.ingest, "svc-warning") is False
    actor = p.records.load(actor_id("svc-warning"), Actor)
    assert (actor.role, actor.jurisdiction, actor.custody) == ("service", "420000", "platform")
    assert p.keystore.custodial("svc-warning").key_id in actor.keys
    registrations = [r for r in p.records.notifications() if r.type == "actor.register"]
    assert [r.envelope["actor"] for r in registrations] == ["platform", "platform"]


def test_only_a_module_is_a_service_account(p: Platform) -> None:
    with pytest.raises(InvalidValue, match="not a service account"):
        ensure_service_actor(p.ingest, "svc-anything")


def test_the_service_signs_only_as_itself(p: Platform) -> None:
    ensure_service_actor(p.ingest, "svc-warning")
    line = {
        "type": "actor.deactivate",
        "actor": "platform",
        "region": "420000",
        "subject": str(actor_id("svc-warning")),
        "data": {"reason": "x"},
    }
    with pytest.raises(LineRefused, match="does not sign for platform"):
        list(p.ingest.record([json.dumps(line)], service_principal("svc-warning")))
    line = {**line, "actor": "svc-warning"}
    with pytest.raises(LineRefused, match=r"role service may not issue actor\.deactivate"):
        list(p.ingest.record([json.dumps(line)], service_principal("svc-warning")))
