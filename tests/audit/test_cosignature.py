"""C2SP tlog-cosignature v1: what the witness signs is what the standard says, byte for byte,
and an implementation sharing no code (JavaScript on node's crypto) verifies it."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from audit.cosignature import Cosigner, WitnessKey, cosignatures, cosigned_message
from ledger.errors import KeyFormatError
from ledger.note import Checkpoint, Signer, sign_checkpoint

VERIFIER = Path(__file__).with_name("cosignature_verify.mjs")
LOG = Signer.generate("anjian.example/log")


def note(size: int = 7, root: bytes = b"\x11" * 32) -> str:
    return sign_checkpoint(Checkpoint("anjian.example/log", size, root), LOG)


def node_verifies(signed: str, vkey: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(VERIFIER), vkey],
        input=signed,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_signed_message_is_the_header_the_time_line_and_the_note_body() -> None:
    body = Checkpoint("o", 3, b"\0" * 32).body
    assert cosigned_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\no\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    )


def test_a_cosignature_line_is_key_id_time_and_signature() -> None:
    witness = Cosigner.generate("witness.example/w1")
    signed = note()
    line = witness.cosign(signed.split("\n\n")[0] + "\n", 1_700_000_000)
    name, b64 = line.removeprefix("\u2014 ").split(" ")
    raw = base64.b64decode(b64)
    assert name == "witness.example/w1"
    assert len(raw) == 4 + 8 + 64
    assert int.from_bytes(raw[:4], "big") == witness.key.key_id
    assert int.from_bytes(raw[4:12], "big") == 1_700_000_000
    (found,) = cosignatures(signed + line, [witness.key])
    assert found.valid
    assert found.timestamp == 1_700_000_000


def test_the_vkey_has_signature_type_4_and_round_trips() -> None:
    witness = Cosigner.generate("witness.example/w1")
    vkey = witness.key.vkey
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04
    assert WitnessKey.from_vkey(vkey) == witness.key
    assert Cosigner.from_skey(witness.skey) == witness
    with pytest.raises(KeyFormatError):
        WitnessKey.from_vkey(LOG.vkey)  # a signed-note key (type 0x01) is no cosigner key


def test_a_cosignature_over_another_checkpoint_is_invalid() -> None:
    witness = Cosigner.generate("witness.example/w1")
    line = witness.cosign(Checkpoint("anjian.example/log", 7, b"\x22" * 32).body, 5)
    (found,) = cosignatures(note() + line, [witness.key])
    assert not found.valid


def test_the_cosigned_checkpoint_verifies_with_an_independent_javascript_verifier() -> None:
    witness = Cosigner.generate("witness.example/w1")
    signed = note()
    cosigned = signed + witness.cosign(Checkpoint.parse(signed.split("\n\n")[0] + "\n").body, 9)
    done = node_verifies(cosigned, witness.key.vkey)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "ok witness.example/w1 9\n"


def test_the_javascript_verifier_refuses_a_changed_checkpoint_and_another_key() -> None:
    witness = Cosigner.generate("witness.example/w1")
    signed = note(size=7)
    cosigned = signed + witness.cosign(Checkpoint.parse(signed.split("\n\n")[0] + "\n").body, 9)
    changed = cosigned.replace("\n7\n", "\n8\n", 1)
    assert node_verifies(changed, witness.key.vkey).stdout.startswith("fail ")
    other = Cosigner.generate("witness.example/w1").key.vkey
    assert node_verifies(cosigned, other).returncode == 1
