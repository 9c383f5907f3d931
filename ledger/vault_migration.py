"""Moving the vault's keys out of the event store's database, where they used to be kept.

Before the vault had a key store of its own, its table `vault_subjects` lived in the same
database as the events whose ciphertexts its keys open (one world-readable SQLite file by
default). `move_keys` runs at start-up (ops.bootstrap.build) and, when that table is there:

1. copies every subject into the vault's key store, in one transaction: a subject the key store
   lacks is inserted as it was; one it holds already keeps its key, unless either side has
   erased it, and then it ends erased (an erasure is never undone by a migration);
2. only then deletes the rows and drops the table in the old database. On SQLite the deletion
   runs with `secure_delete` (freed pages are zeroed) and the write-ahead log is checkpointed
   and truncated, so no copy of a key is left in the event store's files; on PostgreSQL
   DROP TABLE removes the table's files.

A crash between the two steps leaves the keys in both places; the next start-up repeats both
(step 1 changes nothing the second time). Idempotent, and a no-op once the table is gone.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, select

from ledger.privacy import Vault, vault_subjects

__all__ = ["LEGACY_TABLE", "move_keys"]

LEGACY_TABLE = vault_subjects.name  # the same table definition, in the old database


def move_keys(source: Engine, vault: Vault) -> int:
    """Move every subject's key and salt from `source` (the event store's database) into
    `vault`'s key store, then remove them from `source`; the number of subjects moved.

    Precondition: `vault.engine` is another database than `source`.
    """
    if not inspect(source).has_table(LEGACY_TABLE):
        return 0
    with source.connect() as conn:
        rows = conn.execute(select(vault_subjects)).all()
    with vault.engine.begin() as conn:
        held = {
            r.ref: r.erased_at
            for r in conn.execute(select(vault_subjects.c.ref, vault_subjects.c.erased_at))
        }
        new = [dict(r._mapping) for r in rows if r.ref not in held]
        if new:
            conn.execute(vault_subjects.insert(), new)
        for r in rows:
            if r.ref in held and r.erased_at is not None and held[r.ref] is None:
                conn.execute(
                    vault_subjects.update()
                    .where(vault_subjects.c.ref == r.ref)
                    .values(key=None, salt=None, erased_at=r.erased_at)
                )
    _drop(source)
    return len(rows)


def _drop(source: Engine) -> None:
    if source.dialect.name != "sqlite":
        with source.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM {LEGACY_TABLE}")
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {LEGACY_TABLE}")
        return
    raw = source.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert dbapi is not None
        dbapi.isolation_level = None  # autocommit: PRAGMAs and the checkpoint run outside BEGIN
        dbapi.execute("PRAGMA secure_delete=ON")
        dbapi.execute("BEGIN IMMEDIATE")
        dbapi.execute(f"DELETE FROM {LEGACY_TABLE}")
        dbapi.execute(f"DROP TABLE IF EXISTS {LEGACY_TABLE}")
        dbapi.execute("COMMIT")
        dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
