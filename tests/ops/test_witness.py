"""The witness (audit/witness.py on ops/witness_state.py) answers add-checkpoint as
c2sp.org/tlog-witness says: it cosigns only a checkpoint consistent with the last one it
cosigned, and refuses the rest with the protocol's status codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.cosignature import cosignatures
from audit.witness import SIZE_CONTENT_TYPE, Reply, Witness
from ledger.note import Checkpoint, Signer, sign_checkpoint
from ledger.rfc6962 import EMPTY_ROOT, consistency_proof, root_hash
from ops.witness_client import add_checkpoint_body
from ops.witness_state import SqliteWitnessState, load_or_create_key

ORIGIN = "anjian.example/log"
LOG = Signer.generate(ORIGIN)
LEAVES = [f"leaf {i}".encode() for i in range(20)]
FORKED = [*LEAVES[:3], b"altered", *LEAVES[4:]]


def signed(leaves: list[bytes], size: int, signer: Signer = LOG) -> str:
    return sign_checkpoint(Checkpoint(signer.name, size, root_hash(leaves[:size])), signer)


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    home = tmp_path / "witness"
    return Witness(load_or_create_key(home), [LOG.verifier], SqliteWitnessState(home))


def add(w: Witness, old: int, note: str, leaves: list[bytes] = LEAVES) -> Reply:
    size = int(note.split("\n")[1])
    proof = consistency_proof(leaves[:size], old) if 0 < old < size else []
    return w.add_checkpoint(add_checkpoint_body(old, proof, note))


def test_the_first_checkpoint_is_cosigned_and_becomes_the_state(witness: Witness) -> None:
    note = signed(LEAVES, 5)
    reply = add(witness, 0, note)
    assert reply.status == 200
    (found,) = cosignatures(note + reply.body, [witness.cosigner.key])
    assert found.valid
    assert add(witness, 5, signed(LEAVES, 9)).status == 200


def test_a_fork_with_a_proof_from_the_forked_tree_is_refused_422(witness: Witness) -> None:
    assert add(witness, 0, signed(LEAVES, 5)).status == 200
    reply = add(witness, 5, signed(FORKED, 9), FORKED)
    assert reply.status == 422


def test_the_same_size_with_another_root_is_refused_422(witness: Witness) -> None:
    assert add(witness, 0, signed(LEAVES, 5)).status == 200
    assert add(witness, 5, signed(FORKED, 5), FORKED).status == 422


def test_a_log_that_forgot_the_witness_is_told_its_size_409(witness: Witness) -> None:
    assert add(witness, 0, signed(LEAVES, 5)).status == 200
    reply = add(witness, 0, signed(FORKED, 5), FORKED)
    assert (reply.status, reply.content_type, reply.body) == (409, SIZE_CONTENT_TYPE, "5\n")


def test_a_rollback_is_refused(witness: Witness) -> None:
    assert add(witness, 0, signed(LEAVES, 9)).status == 200
    assert add(witness, 9, signed(LEAVES, 5)).status == 400  # old size beyond the new one
    assert add(witness, 3, signed(LEAVES, 5)).status == 409  # not the size it cosigned
    assert add(witness, 9, signed(LEAVES, 9)).status == 200  # the same head again is fine


def test_unknown_logs_and_bad_signatures_are_refused(witness: Witness) -> None:
    other = Signer.generate("elsewhere.example/log")
    assert add(witness, 0, signed(LEAVES, 5, other)).status == 404
    impostor = Signer.generate(ORIGIN)  # the real origin, another key
    assert add(witness, 0, signed(LEAVES, 5, impostor)).status == 403
    note = signed(LEAVES, 5)
    assert add(witness, 0, note.replace("\n5\n", "\n6\n", 1)).status == 403


def test_malformed_requests_are_400_and_bad_proofs_422(witness: Witness) -> None:
    note = signed(LEAVES, 5)
    assert witness.add_checkpoint(b"old 01\n\n" + note.encode()).status == 400
    assert witness.add_checkpoint(note.encode()).status == 400
    proof_from_zero = b"old 0\n" + b"A" * 43 + b"=\n\n" + note.encode()
    assert witness.add_checkpoint(proof_from_zero).status == 422
    empty = sign_checkpoint(Checkpoint(ORIGIN, 0, b"\x01" * 32), LOG)
    assert add(witness, 0, empty).status == 422
    assert add(witness, 0, sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), LOG)).status == 200


def test_the_state_survives_a_restart(tmp_path: Path) -> None:
    home = tmp_path / "witness"
    first = Witness(load_or_create_key(home), [LOG.verifier], SqliteWitnessState(home))
    assert add(first, 0, signed(LEAVES, 5)).status == 200
    again = Witness(load_or_create_key(home), [LOG.verifier], SqliteWitnessState(home))
    assert again.cosigner == first.cosigner
    assert add(again, 0, signed(LEAVES, 5)).body == "5\n"
    assert (home / "witness.key").stat().st_mode & 0o077 == 0
