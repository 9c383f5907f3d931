"""The anchorer's key lives in the Keystore with the platform's other secrets: created once with
mode 0600, and a key the ledger service stored before (the same raw 32-byte file) still works."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ops.chain_node import dev_accounts
from ops.keystore import Keystore

ANCHORER_FILE = "anchorer.secp256k1"


def test_an_anchorer_key_stored_earlier_keeps_its_account(tmp_path: Path) -> None:
    earlier = dev_accounts(2)[1]
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    (keys / ANCHORER_FILE).write_bytes(bytes(earlier.key))  # what the ledger service wrote
    assert Keystore(keys).anchorer_account().address == earlier.address


def test_the_anchorer_key_is_created_once_private_to_the_owner_and_then_kept(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    first = Keystore(keys).anchorer_account()
    stored = keys / ANCHORER_FILE
    assert stored.read_bytes() == bytes(first.key)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert Keystore(keys).anchorer_account().address == first.address


def test_each_platform_gets_its_own_anchorer(tmp_path: Path) -> None:
    one = Keystore(tmp_path / "one").anchorer_account()
    other = Keystore(tmp_path / "other").anchorer_account()
    assert one.address != other.address


def test_a_truncated_anchorer_key_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / ANCHORER_FILE).write_bytes(b"\x01" * 31)
    with pytest.raises(ValueError, match="must hold 32 bytes, found 31"):
        Keystore(keys).anchorer_account()
    assert (keys / ANCHORER_FILE).read_bytes() == b"\x01" * 31
