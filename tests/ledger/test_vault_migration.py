"""Moving the vault's keys out of the event store's database into the vault's own key store:
one contract, run with the old database on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, create_engine, inspect, select

from ledger import vault_migration
from ledger.privacy import SubjectErased, Vault, vault_subjects
from ledger.vault_migration import move_keys

PEOPLE = [
    {"name": "张三", "id_number": "420102199001011234"},
    {"name": "李四", "id_number": "420102198001011111", "phone": "13800138000"},
    {"name": "王五", "id_number": "420102197001012222"},
]


def keys_of(engine: Engine) -> dict[UUID, tuple[Any, Any]]:
    with engine.connect() as conn:
        return {r.ref: (r.key, r.salt) for r in conn.execute(select(vault_subjects))}


class MoveContract:
    """`source_url`: the event store's database where an earlier version kept the vault."""

    source_url: str

    @pytest.fixture
    def old(self) -> tuple[list[dict[str, str]], dict[UUID, tuple[Any, Any]]]:
        """The vault as earlier versions kept it, in the event store's database: three
        subjects, the last one erased; their sealed forms and the keys as stored."""
        vault = Vault(create_engine(self.source_url))
        sealed = [vault.seal(p) for p in PEOPLE]
        vault.erase(sealed[2]["ref"])
        keys = keys_of(vault.engine)
        vault.close()
        return sealed, keys

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Vault]:
        vault = Vault(f"sqlite:///{tmp_path / 'keys' / 'vault.sqlite'}")
        yield vault
        vault.close()

    @pytest.fixture
    def source(self) -> Iterator[Engine]:
        engine = create_engine(self.source_url)
        yield engine
        engine.dispose()

    def test_keys_move_to_the_key_store_and_leave_the_event_store(
        self, old: Any, store: Vault, source: Engine
    ) -> None:
        sealed, keys = old
        assert move_keys(source, store) == 3
        assert keys_of(store.engine) == keys
        assert [store.open(s) for s in sealed[:2]] == PEOPLE[:2]
        with pytest.raises(SubjectErased):
            store.open(sealed[2])
        assert not inspect(source).has_table("vault_subjects")
        assert move_keys(source, store) == 0  # once the table is gone: nothing to do

    def test_a_move_interrupted_before_the_drop_is_completed_by_the_next_start(
        self, old: Any, store: Vault, source: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        sealed, keys = old

        def crash(_: Engine) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(vault_migration, "_drop", crash)
        with pytest.raises(KeyboardInterrupt):
            move_keys(source, store)
        assert inspect(source).has_table("vault_subjects")  # copied, not yet removed
        monkeypatch.undo()
        assert move_keys(source, store) == 3
        assert keys_of(store.engine) == keys  # no subject twice, none lost
        assert store.open(sealed[0]) == PEOPLE[0]
        assert not inspect(source).has_table("vault_subjects")

    def test_an_erasure_on_either_side_is_never_undone(
        self, old: Any, store: Vault, source: Engine
    ) -> None:
        sealed, _ = old
        with store.engine.begin() as conn:  # the key store holds the erased subject live
            conn.execute(
                vault_subjects.insert().values(
                    ref=UUID(sealed[2]["ref"]),
                    key=b"k" * 32,
                    salt=b"s" * 32,
                    created_at=datetime.now(UTC),
                )
            )
        move_keys(source, store)
        with pytest.raises(SubjectErased):
            store.open(sealed[2])
        assert keys_of(store.engine)[UUID(sealed[2]["ref"])] == (None, None)


class TestFromSQLite(MoveContract):
    @pytest.fixture(autouse=True)
    def _url(self, tmp_path: Path) -> None:
        db = tmp_path / "anjian.sqlite"
        engine = create_engine(f"sqlite:///{db}")
        with engine.connect() as conn:  # as the event store keeps it
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        engine.dispose()
        self.db = db
        self.source_url = f"sqlite:///{db}"

    def test_no_copy_of_a_key_is_left_in_the_event_stores_files(
        self, old: Any, store: Vault, source: Engine
    ) -> None:
        _, keys = old
        move_keys(source, store)
        source.dispose()
        files = b"".join(p.read_bytes() for p in self.db.parent.glob("anjian.sqlite*"))
        for key, salt in keys.values():
            if key is not None:
                assert key not in files
                assert salt not in files


@pytest.mark.postgres
class TestFromPostgres(MoveContract):
    @pytest.fixture(autouse=True)
    def _url(self, postgres_url: str) -> None:
        self.source_url = postgres_url
