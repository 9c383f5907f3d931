"""A witness's own data directory: its key and its state, apart from any platform's data.

    DIR/witness.key      the cosigner's secret key, PRIVATE+KEY+name+keyid+base64(0x04||seed),
                         mode 0600 (the directory 0700)
    DIR/witness.sqlite   table witness_heads: origin (PK) | size | root | note | updated_at,
                         the latest checkpoint cosigned per log origin

`SqliteWitnessState.advance` runs in one `BEGIN IMMEDIATE` transaction, so two requests for one
origin, from any thread or process, are checked and stored one after the other.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from audit.cosignature import Cosigner
from audit.witness import Head

__all__ = ["DEFAULT_NAME", "SqliteWitnessState", "load_or_create_key"]

DEFAULT_NAME = "witness.anjian.local"
KEY_FILE = "witness.key"
STATE_FILE = "witness.sqlite"


def _private_dir(home: Path) -> None:
    home.mkdir(exist_ok=True, mode=0o700)  # its parent must exist: no mistyped trees
    os.chmod(home, 0o700)


def load_or_create_key(home: Path, name: str | None = None) -> Cosigner:
    """The witness key in `home`, generated under `name` (default DEFAULT_NAME) if missing.
    Raises ValueError when `name` differs from an existing key's."""
    _private_dir(home)
    path = home / KEY_FILE
    if path.exists():
        cosigner = Cosigner.from_skey(path.read_text(encoding="ascii"))
        if name is not None and name != cosigner.name:
            raise ValueError(f"{path} holds the key of {cosigner.name!r}, not {name!r}")
        return cosigner
    cosigner = Cosigner.generate(name or DEFAULT_NAME)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(cosigner.skey + "\n")
    return cosigner


class SqliteWitnessState:
    """audit.witness.WitnessState in DIR/witness.sqlite."""

    def __init__(self, home: Path) -> None:
        _private_dir(home)
        self._path = home / STATE_FILE
        conn = self._connect()
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS witness_heads (origin TEXT PRIMARY KEY, "
                "size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL, "
                "updated_at REAL NOT NULL)"
            )
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=30, isolation_level=None)

    def head(self, origin: str) -> Head | None:
        conn = self._connect()
        try:
            row = conn.execute(
                "SELECT size, root, note FROM witness_heads WHERE origin = ?", (origin,)
            ).fetchone()
        finally:
            conn.close()
        return None if row is None else Head(int(row[0]), bytes(row[1]), str(row[2]))

    def advance(self, origin: str, decide: Callable[[Head | None], Head]) -> None:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT size, root, note FROM witness_heads WHERE origin = ?", (origin,)
            ).fetchone()
            stored = None if row is None else Head(int(row[0]), bytes(row[1]), str(row[2]))
            try:
                new = decide(stored)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute(
                "INSERT OR REPLACE INTO witness_heads VALUES (?, ?, ?, ?, ?)",
                (origin, new.size, new.root, new.note, time.time()),
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
