"""`anjian demo --reset`: delete the embedded store before the demo runs again.

Only the embedded default can be reset this way (files under the data directory); a PostgreSQL
database or a configured chain is the operator's to empty. The platform's own keys are kept.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from demo.runner import DemoError
from ops.settings import Settings
from projections.store import READMODELS_FILE

__all__ = ["ResetRefused", "reset_store", "store_files"]


class ResetRefused(DemoError):
    """--reset on a store that is not the embedded SQLite file."""


def store_files(settings: Settings) -> list[Path]:
    """The embedded SQLite files (events and ledger, read models, the vault's default key
    store, whose keys open only the deleted history's ciphertexts, the default credential
    store, whose accounts were actors of the deleted history; with WAL, shm, journal)."""
    out: list[Path] = []
    dbs = [settings.sqlite_path, settings.sqlite_path.with_name(READMODELS_FILE)]
    if not settings.vault_url:
        dbs.append(Path(settings.vault_sqlalchemy_url.removeprefix("sqlite:///")))
    if not settings.identity_url:
        dbs.append(Path(settings.identity_sqlalchemy_url.removeprefix("sqlite:///")))
    for db in dbs:
        out += [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
    return out


def reset_store(settings: Settings) -> list[Path]:
    """Delete the embedded SQLite store (events, ledger, read models, the vault's key store,
    the credential store), the embedded chain's state and the embedded stream's store; the
    platform's own keys are kept."""
    if settings.is_postgres:
        raise ResetRefused(
            "--reset deletes only the embedded SQLite store; empty the PostgreSQL database "
            "yourself, or point ANJIAN_HOME at a fresh directory without ANJIAN_DATABASE_URL"
        )
    stream = settings.home / "nats" / "jetstream"
    if not settings.nats_url and stream.exists():
        from ops.nats_access import embedded_running

        if embedded_running(settings):
            raise ResetRefused(
                "the embedded nats-server runs (anjian serve or a relay): stop it first, "
                "--reset deletes the stream of the deleted history too"
            )
    removed = [p for p in store_files(settings) if p.exists()]
    for p in removed:
        p.unlink()
    # The embedded chain holds anchors of the deleted history: a new history would conflict
    # with them at the same tree sizes, so its state goes too (a configured chain is kept).
    chain = settings.home / "chain"
    if not settings.chain_rpc_url and chain.exists():
        shutil.rmtree(chain)
        removed.append(chain)
    # The embedded stream holds the deleted history's events under their ids: the new history,
    # published under the same ids, would be taken for duplicates of them.
    if not settings.nats_url and stream.exists():
        shutil.rmtree(stream)
        removed.append(stream)
    return removed
