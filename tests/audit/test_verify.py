"""`anjian audit verify` and the tamper matrix: every rewrite of history is found and named,
and the ledger refuses to log, sign or anchor on top of it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest

from domain.stored import parse_event_id
from ledger.canonical import canonical_text
from ledger.chain import AnchorChain
from ledger.keys import KeyPair
from ops.chain_node import AnvilNode, dev_accounts
from tests.audit.conftest import cli, failures, verify_report
from tests.audit.history import History, ledger_rows, record_more

OWNER, _, FORGER = dev_accounts(3)


def state_of(db: sqlite3.Connection, history: History, event_id: str) -> bytes:
    oid, version = history.row(event_id)
    row = db.execute(
        "SELECT state FROM stored_events WHERE originator_id=? AND originator_version=?",
        (oid, version),
    ).fetchone()
    assert row is not None, event_id
    return bytes(row[0])


def set_state(db: sqlite3.Connection, history: History, event_id: str, state: bytes) -> None:
    oid, version = history.row(event_id)
    db.execute(
        "UPDATE stored_events SET state=? WHERE originator_id=? AND originator_version=?",
        (state, oid, version),
    )


def test_a_recorded_logged_and_anchored_history_verifies(history: History) -> None:
    code, report = verify_report()
    assert code == 0, report["failures"]
    assert report["ok"] is True
    n = len(history.events)
    assert (report["events"], report["leaves"], report["signatures"]) == (n, n, n)
    assert report["pending"] == 0
    assert report["checkpoints"] >= 4
    assert report["anchors"] == report["chain_anchors"] == 2  # one per sync


def test_events_recorded_after_the_last_sync_are_checked_but_pending(history: History) -> None:
    record_more(history, 3)
    code, report = verify_report()
    assert code == 0, report["failures"]
    assert report["pending"] == 3
    assert report["signatures"] == report["events"] == len(history.events) + 3
    assert report["leaves"] == len(history.events)


# -- the tamper matrix --------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """A failure `audit verify` must report (a subset of its JSON fields)."""

    fields: dict[str, Any]


Tamper = Callable[[History], list[Expect]]


def flip_payload_byte(history: History) -> list[Expect]:
    """XOR one ASCII byte of the envelope's data (the hazard's description) with 0x01."""
    event = history.hazard_report
    with history.connect() as db:
        state = state_of(db, history, event)
        i = state.index(b"valve leak")
        set_state(db, history, event, state[:i] + bytes([state[i] ^ 1]) + state[i + 1 :])
    index = history.events.index(event)
    return [
        Expect({"check": "signature", "event_id": event, "leaf_index": index}),
        Expect({"check": "leaf", "event_id": event, "leaf_index": index}),
    ]


def break_utf8_byte(history: History) -> list[Expect]:
    """Flip the top bit of a byte inside a multi-byte UTF-8 character: the state is unreadable."""
    event = history.hazard_report
    with history.connect() as db:
        state = state_of(db, history, event)
        i = state.index("液氯".encode())
        set_state(db, history, event, state[:i] + bytes([state[i] ^ 0x80]) + state[i + 1 :])
    return [Expect({"check": "state", "event_id": event})]


def delete_event(history: History) -> list[Expect]:
    event = history.hazard_report
    oid, version = history.row(event)
    with history.connect() as db:
        db.execute(
            "DELETE FROM stored_events WHERE originator_id=? AND originator_version=?",
            (oid, version),
        )
    index = history.events.index(event)
    return [Expect({"check": "leaf", "leaf_index": index, "notification_id": index + 1})]


def swap_events(history: History) -> list[Expect]:
    """Swap the states of the two enterprise registrations (both validly signed)."""
    a, b = history.enterprises
    with history.connect() as db:
        sa, sb = state_of(db, history, a), state_of(db, history, b)
        set_state(db, history, a, sb)
        set_state(db, history, b, sa)
    return [
        Expect({"check": "envelope", "event_id": a, "leaf_index": history.events.index(a)}),
        Expect({"check": "envelope", "event_id": b, "leaf_index": history.events.index(b)}),
        Expect({"check": "leaf", "event_id": a}),
        Expect({"check": "leaf", "event_id": b}),
    ]


# Names its columns: the events table also holds the notification id (AUTOINCREMENT).
INSERT_EVENT = (
    "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)"
)


def insert_replayed_event(history: History) -> list[Expect]:
    """A copy of a genuine signed event (by a key still current) as a new version of its record."""
    event = history.closure
    oid, _ = history.row(event)
    with history.connect() as db:
        state = state_of(db, history, event)
        topic = db.execute(
            "SELECT topic FROM stored_events WHERE originator_id=? LIMIT 1", (oid,)
        ).fetchone()[0]
        db.execute(INSERT_EVENT, (oid, 99, topic, state))
    subject, _ = parse_event_id(event)
    return [Expect({"check": "replay", "event_id": f"{subject}:99"})]


def insert_forged_event(history: History) -> list[Expect]:
    """A well-formed event in the enterprise account's name, signed by a key never registered."""
    event = history.after_rotation
    oid, _ = history.row(event)
    key = KeyPair.generate()
    with history.connect() as db:
        state = json.loads(state_of(db, history, event))
        envelope = json.loads(state["envelope"])
        envelope["id"] = str(uuid4())
        envelope["data"]["description"] = "隐患已全部整改 all hazards fixed"
        text = canonical_text(envelope)
        state.update(envelope=text, signature=key.sign_b64(text.encode()), key_id=key.key_id)
        topic = db.execute("SELECT topic FROM stored_events LIMIT 1 OFFSET 7").fetchone()[0]
        db.execute(
            INSERT_EVENT,
            (oid, 2, topic, json.dumps(state).encode()),
        )
    subject, _ = parse_event_id(event)
    return [Expect({"check": "key", "event_id": f"{subject}:2"})]


def retype_a_record(history: History) -> list[Expect]:
    """Rewrite the class a logged creation event builds its record as (`originator_topic`,
    which its leaf does not cover): the enterprise would load as a hazard case."""
    event = history.enterprises[0]
    with history.connect() as db:
        state = json.loads(state_of(db, history, event))
        state["originator_topic"] = "domain.hazard:HazardCase"
        set_state(db, history, event, json.dumps(state).encode())
    return [Expect({"check": "catalog", "event_id": event})]


def alter_checkpoint_note(history: History) -> list[Expect]:
    """Rewrite the tree size line of the first checkpoint's signed note."""
    with history.connect() as db:
        seq, note = db.execute("SELECT seq, note FROM ledger_checkpoints ORDER BY seq").fetchone()
        origin, size, rest = note.split("\n", 2)
        db.execute(
            "UPDATE ledger_checkpoints SET note=? WHERE seq=?",
            (f"{origin}\n{int(size) + 1}\n{rest}", seq),
        )
    return [Expect({"check": "checkpoint", "checkpoint": seq})]


def alter_checkpoint_root(history: History) -> list[Expect]:
    with history.connect() as db:
        seq, size = db.execute(
            "SELECT seq, tree_size FROM ledger_checkpoints ORDER BY seq LIMIT 1 OFFSET 1"
        ).fetchone()
        db.execute(
            "UPDATE ledger_checkpoints SET root=? WHERE seq=?",
            (hashlib.sha256(b"another history").digest(), seq),
        )
    return [Expect({"check": "checkpoint", "checkpoint": seq, "tree_size": size})]


def forge_leaf_hash(history: History) -> list[Expect]:
    """Rewrite one stored leaf hash behind the log's back."""
    event = history.hazard_report
    index = history.events.index(event)
    with history.connect() as db:
        hashes = bytearray(
            db.execute("SELECT leaf_hashes FROM ledger_leaves WHERE block=0").fetchone()[0]
        )
        hashes[32 * index] ^= 1
        db.execute("UPDATE ledger_leaves SET leaf_hashes=? WHERE block=0", (bytes(hashes),))
    return [
        Expect({"check": "leaf", "event_id": event, "leaf_index": index}),
        Expect({"check": "checkpoint"}),
    ]


def _live_anchors(history: History) -> tuple[str, list[tuple[int, str]]]:
    with history.connect() as db:
        rows = db.execute(
            "SELECT contract, tree_size, tx_hash FROM ledger_anchors WHERE status='live' "
            "ORDER BY tree_size"
        ).fetchall()
    return rows[0][0], [(int(r[1]), str(r[2])) for r in rows]


def replace_chain_history(history: History) -> list[Expect]:
    """Reset the chain and rebuild it with the same contract address and other roots."""
    contract, anchors = _live_anchors(history)
    node = AnvilNode(history.home / "chain")
    node.reset_state()
    with node:
        admin = AnchorChain.deploy(AnchorChain.http(node.rpc_url), OWNER)
        assert admin.address == contract  # same deployer, same nonce: same address
        admin.allow(FORGER.address)
        forger = admin.as_account(FORGER)
        for size, _ in anchors:
            forger.anchor(size, hashlib.sha256(b"forged %d" % size).digest())
    return [
        *(Expect({"check": "anchor", "tree_size": s, "tx_hash": tx}) for s, tx in anchors),
        *(Expect({"check": "chain", "tree_size": s}) for s, _ in anchors),
    ]


def anchor_beyond_the_log(history: History) -> list[Expect]:
    """An allow-listed account anchors a larger tree with a root the log never had."""
    contract, anchors = _live_anchors(history)
    size = anchors[-1][0] + 5
    with AnvilNode(history.home / "chain") as node:
        admin = AnchorChain.connect(node.rpc_url, contract, OWNER)
        admin.allow(FORGER.address)
        receipt = admin.as_account(FORGER).anchor(size, hashlib.sha256(b"forged").digest())
    return [Expect({"check": "chain", "tree_size": size, "tx_hash": receipt.tx_hash})]


# case: (tamper, the error `ledger sync` stops with, what its message names)
MATRIX: dict[str, tuple[Tamper, str, str]] = {
    "flip a payload byte": (flip_payload_byte, "LedgerHalted", "[leaf]"),
    "break a UTF-8 byte": (break_utf8_byte, "LedgerHalted", "[state]"),
    "delete an event": (delete_event, "LedgerHalted", "(deleted?)"),
    "swap two events": (swap_events, "LedgerHalted", "[leaf]"),
    "insert a replayed event": (insert_replayed_event, "LedgerHalted", "[replay]"),
    "insert a forged event": (insert_forged_event, "LedgerHalted", "[key]"),
    "retype a record": (retype_a_record, "LedgerHalted", "[catalog]"),
    "alter a checkpoint note": (alter_checkpoint_note, "LedgerHalted", "[checkpoint]"),
    "alter a checkpoint root": (alter_checkpoint_root, "LedgerHalted", "[checkpoint]"),
    "forge a leaf hash": (forge_leaf_hash, "LedgerHalted", "[leaf]"),
    "replace the chain's history": (replace_chain_history, "ChainConflict", "anchored with root"),
    "anchor beyond the log": (anchor_beyond_the_log, "ChainConflict", "covers 21 leaves"),
}


@pytest.mark.parametrize("case", list(MATRIX))
def test_audit_verify_finds_and_names_every_tampering(history: History, case: str) -> None:
    tamper, _, _ = MATRIX[case]
    expected = tamper(history)
    code, report = verify_report()
    assert code == 1
    assert report["ok"] is False
    for e in expected:
        assert failures(report, **e.fields), (e.fields, report["failures"])


@pytest.mark.parametrize("case", list(MATRIX))
def test_the_ledger_refuses_to_go_on_after_tampering(history: History, case: str) -> None:
    tamper, error, named = MATRIX[case]
    tamper(history)
    before = ledger_rows(history)
    result = cli("ledger", "sync")
    assert result.exit_code == 1
    assert error in result.stderr
    assert named in result.stderr
    assert ledger_rows(history) == before


def test_the_table_view_names_the_tampered_event(history: History) -> None:
    flip_payload_byte(history)
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"event {history.hazard_report}" in result.stdout
    assert f"leaf {history.events.index(history.hazard_report)}" in result.stdout
    assert "FAIL" in result.stdout
