"""Authentication: every command verifies against its actor's current registered key."""

from __future__ import annotations

import base64
import json

import pytest

from domain.enterprise import Enterprise
from domain.envelope import SignedCommand
from domain.errors import (
    InvalidEnvelope,
    KeyRevoked,
    KeyRotatedOut,
    NotAuthorized,
    SignatureRejected,
    UnknownActor,
    UnknownKey,
)
from domain.ids import actor_id, enterprise_id
from ledger.keys import KeyPair
from tests.support import Harness, new_uscc


def profile_change(
    h: Harness, account: str, uscc: str, key: KeyPair | None = None, role: str | None = None
) -> SignedCommand:
    return h.sign(
        account,
        "enterprise.update_profile",
        "420102",
        {"uscc": uscc, "employees": 10},
        subject=enterprise_id(uscc),
        key=key,
        role=role,
    )


def test_a_valid_signature_is_accepted(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    recorded = h.records.execute(profile_change(h, regulator, uscc))
    assert recorded.version == 2


def test_a_bad_signature_is_rejected_and_nothing_is_stored(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    cmd = profile_change(h, regulator, uscc)
    sig = bytearray(base64.b64decode(cmd.signature))
    sig[0] ^= 1
    forged = SignedCommand.of(cmd.text, base64.b64encode(bytes(sig)).decode(), cmd.key_id)
    with pytest.raises(SignatureRejected):
        h.records.execute(forged)
    assert h.records.load(enterprise_id(uscc), Enterprise).version == 1


def test_a_changed_envelope_no_longer_verifies(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    cmd = profile_change(h, regulator, uscc)
    env = json.loads(cmd.text)
    env["data"]["employees"] = 11
    text = json.dumps(env, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with pytest.raises(SignatureRejected):
        h.records.execute(SignedCommand.of(text, cmd.signature, cmd.key_id))


def test_an_unknown_key_is_rejected(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    with pytest.raises(UnknownKey):
        h.records.execute(profile_change(h, regulator, uscc, key=KeyPair.generate()))


def test_an_unregistered_actor_is_rejected(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    h.keys["ghost"] = KeyPair.generate()
    with pytest.raises(UnknownActor):
        h.records.execute(profile_change(h, "ghost", uscc, role="regulator"))


def test_a_rotated_out_key_is_rejected_and_the_new_one_accepted(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    old, new = h.keys[regulator], KeyPair.generate()
    h.run_as(
        regulator,
        "actor.rotate_key",
        "420100",
        {"public_key": new.public_key_b64},
        subject=actor_id(regulator),
    )
    with pytest.raises(KeyRotatedOut):
        h.records.execute(profile_change(h, regulator, uscc, key=old))
    h.records.execute(profile_change(h, regulator, uscc, key=new))


def test_a_revoked_key_is_rejected(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    h.run_as(
        "platform",
        "actor.revoke_key",
        "420100",
        {"key_id": h.keys[regulator].key_id, "reason": "终端遗失"},
        subject=actor_id(regulator),
    )
    with pytest.raises(KeyRevoked):
        h.records.execute(profile_change(h, regulator, uscc))


def test_an_actor_cannot_claim_another_role(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    with pytest.raises(NotAuthorized, match="role"):
        h.records.execute(profile_change(h, regulator, uscc, role="platform"))


def test_only_the_platform_registers_actors(h: Harness, regulator: str) -> None:
    key = KeyPair.generate()
    with pytest.raises(NotAuthorized, match=r"may not issue actor\.register"):
        h.run_as(
            regulator,
            "actor.register",
            "420100",
            {
                "account": "r-2",
                "role": "regulator",
                "name": "x",
                "jurisdiction": "420100",
                "public_key": key.public_key_b64,
                "custody": "own",
            },
            subject=actor_id("r-2"),
        )


def test_a_second_genesis_is_rejected(h: Harness) -> None:
    key = KeyPair.generate()
    h.keys["platform"] = key
    with pytest.raises(UnknownKey):
        h.run_as(
            "platform",
            "actor.register",
            "420000",
            {
                "account": "platform",
                "role": "platform",
                "name": "冒充平台",
                "jurisdiction": "420000",
                "public_key": key.public_key_b64,
                "custody": "own",
            },
            subject=actor_id("platform"),
        )


def test_non_canonical_envelope_text_is_rejected(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    cmd = profile_change(h, regulator, uscc)
    spaced = json.dumps(json.loads(cmd.text), indent=1)
    key = h.keys[regulator]
    with pytest.raises(InvalidEnvelope, match="canonical"):
        h.records.execute(SignedCommand.of(spaced, key.sign_b64(spaced.encode()), key.key_id))


def test_device_key_cannot_sign_for_a_different_enterprise(h: Harness, regulator: str) -> None:
    mine, other = h.enterprise(regulator), new_uscc()
    h.actor("gw-1", "device", "420102", enterprise=mine)
    with pytest.raises(NotAuthorized):
        h.records.execute(profile_change(h, "gw-1", other))
