"""The ledger follows the real domain's event store (domain.application.Records)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from ledger import rfc6962
from ledger.canonical import canonical_text, is_canonical
from ledger.keys import verify_signature
from ledger.leaf import leaf_bytes
from ledger.log import MerkleLog
from ops.bootstrap import sqlite_env
from tests.support import Harness


def test_every_domain_event_becomes_a_leaf_carrying_its_signed_envelope(tmp_path: Path) -> None:
    path = tmp_path / "anjian.db"
    h = Harness(sqlite_env(str(path)))
    try:
        h.actor("r-wuhan", "regulator", "420100")
        for _ in range(3):
            h.enterprise("r-wuhan")
        recorder = h.records.recorder
        log = MerkleLog.open(f"sqlite:///{path}")
        appended = log.catch_up(recorder, batch=2)
        notifications = recorder.select_notifications(None, 1000)
        assert appended == len(notifications) >= 5
        public_keys = {account: key.public_key for account, key in h.keys.items()}
        for index, n in enumerate(notifications):
            leaf = leaf_bytes(n)
            assert is_canonical(leaf)  # the whole leaf, not only the envelope, is RFC 8785
            record = json.loads(leaf)
            envelope_text = canonical_text(record["envelope"])
            assert verify_signature(
                public_keys[record["envelope"]["actor"]],
                envelope_text.encode(),
                base64.b64decode(record["signature"]),
            )
            assert record["notification_id"] == n.id
            assert record["event"]["type"] == n.topic
            assert log.leaf(index).hash == rfc6962.leaf_hash(leaf)
        assert log.root() == rfc6962.root_hash([leaf_bytes(n) for n in notifications])
        log.close()
    finally:
        h.close()
