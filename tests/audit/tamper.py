"""An operator with the data directory, rewriting history in the embedded store.

`rewrite` changes a stored event's envelope data in place, optionally re-signing it with a key
the data directory derives (a custodial key); `forget_ledger` deletes the ledger's tables and
the embedded chain's state, so the next `ledger sync` rebuilds the log over the rewritten
history and re-signs it with the same log key.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from domain.stored import parse_event_id
from ledger.canonical import canonical_text
from ledger.keys import KeyPair

__all__ = ["forget_ledger", "rewrite"]


def rewrite(
    home: Path, event_id: str, change: Callable[[dict[str, Any]], None], key: KeyPair | None
) -> None:
    """Apply `change` to the event's envelope data in the store; with `key`, sign the new
    envelope with it (as the actor's custodial key would), else keep the old signature."""
    subject, version = parse_event_id(event_id)
    with sqlite3.connect(home / "anjian.sqlite") as db:
        (state_bytes,) = db.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (subject.hex, version),
        ).fetchone()
        state = json.loads(state_bytes)
        envelope = json.loads(state["envelope"])
        change(envelope["data"])
        state["envelope"] = canonical_text(envelope)
        if key is not None:
            state["signature"] = key.sign_b64(state["envelope"].encode())
            state["key_id"] = key.key_id
        db.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (json.dumps(state).encode(), subject.hex, version),
        )


def forget_ledger(home: Path) -> None:
    """Drop every ledger table and delete the embedded chain's state."""
    with sqlite3.connect(home / "anjian.sqlite") as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ledger_%'"
            )
        ]
        for name in tables:
            db.execute(f"DROP TABLE {name}")
    shutil.rmtree(home / "chain", ignore_errors=True)
