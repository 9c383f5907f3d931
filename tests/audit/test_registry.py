"""The key registry an auditor rebuilds from the log: which key each actor may sign with."""

from __future__ import annotations

from typing import Any

import pytest

from audit.registry import KeyRefused, KeyRegistry
from ledger.keys import KeyPair

PLATFORM, ALICE = KeyPair.generate(), KeyPair.generate()
ALICE_SUBJECT = "6b1d4c8e-2f1a-5c3e-9d4b-7a2e1f0c3b5a"


def envelope(kind: str, actor: str, role: str, subject: str = "", **data: Any) -> dict[str, Any]:
    """An envelope's registry-relevant fields; `data_role` stands for data.role."""
    if "data_role" in data:
        data["role"] = data.pop("data_role")
    return {"type": kind, "actor": actor, "role": role, "subject": subject, "data": data}


def genesis() -> dict[str, Any]:
    return envelope(
        "actor.register", "platform", "platform", account="platform", data_role="platform",
        public_key=PLATFORM.public_key_b64,
    )  # fmt: skip


def registry_with_alice() -> KeyRegistry:
    registry = KeyRegistry()
    registry.key_for(genesis(), PLATFORM.key_id)
    registry.apply(genesis())
    registry.apply(
        envelope(
            "actor.register", "platform", "platform", ALICE_SUBJECT, account="alice",
            data_role="regulator", public_key=ALICE.public_key_b64,
        )
    )  # fmt: skip
    return registry


def act(actor: str = "alice", role: str = "regulator") -> dict[str, Any]:
    return envelope("hazard.close", actor, role)


def test_genesis_is_signed_by_the_key_it_registers() -> None:
    assert KeyRegistry().key_for(genesis(), PLATFORM.key_id) == PLATFORM.public_key
    with pytest.raises(KeyRefused, match="genesis"):
        KeyRegistry().key_for(genesis(), ALICE.key_id)


def test_a_registered_actor_signs_with_its_current_key_in_its_role() -> None:
    registry = registry_with_alice()
    assert registry.key_for(act(), ALICE.key_id) == ALICE.public_key
    with pytest.raises(KeyRefused, match="registered as regulator"):
        registry.key_for(act(role="platform"), ALICE.key_id)
    with pytest.raises(KeyRefused, match="not registered"):
        registry.key_for(act(actor="mallory"), ALICE.key_id)
    with pytest.raises(KeyRefused, match="not a key of actor alice"):
        registry.key_for(act(), PLATFORM.key_id)


def test_a_rotated_out_key_signs_nothing_after_the_rotation() -> None:
    registry = registry_with_alice()
    new = KeyPair.generate()
    rotation = envelope(
        "actor.rotate_key", "alice", "regulator", ALICE_SUBJECT, public_key=new.public_key_b64
    )
    assert registry.key_for(rotation, ALICE.key_id) == ALICE.public_key  # signed by the old key
    registry.apply(rotation)
    assert registry.key_for(act(), new.key_id) == new.public_key
    with pytest.raises(KeyRefused, match="rotated out"):
        registry.key_for(act(), ALICE.key_id)


def test_a_revoked_key_or_a_deactivated_actor_signs_nothing() -> None:
    registry = registry_with_alice()
    registry.apply(
        envelope("actor.revoke_key", "platform", "platform", ALICE_SUBJECT, key_id=ALICE.key_id)
    )
    with pytest.raises(KeyRefused, match="revoked"):
        registry.key_for(act(), ALICE.key_id)
    registry = registry_with_alice()
    registry.apply(envelope("actor.deactivate", "platform", "platform", ALICE_SUBJECT))
    with pytest.raises(KeyRefused, match="deactivated"):
        registry.key_for(act(), ALICE.key_id)


def test_key_events_for_an_unregistered_actor_are_refused() -> None:
    registry = registry_with_alice()
    with pytest.raises(KeyRefused, match="never registered"):
        registry.apply(
            envelope("actor.revoke_key", "platform", "platform", "not-a-subject", key_id="00")
        )


def rights_change(**data: str) -> dict[str, Any]:
    return envelope(
        "actor.change_rights", "platform", "platform", ALICE_SUBJECT, reason="x", **data
    )


def test_a_change_of_rights_gives_the_role_the_actor_signs_in_from_then_on() -> None:
    registry = registry_with_alice()
    registry.apply(rights_change(data_role="integrator"))
    assert registry.registered_role("alice") == "integrator"
    with pytest.raises(KeyRefused, match="registered as integrator"):
        registry.key_for(act(), ALICE.key_id)
    assert registry.key_for(act(role="integrator"), ALICE.key_id) == ALICE.public_key
    registry.apply(rights_change(jurisdiction="420500"))
    assert registry.registered_role("alice") == "integrator"
