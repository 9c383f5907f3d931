"""The event store contract, run once per implementation: SQLite file and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.application import Records
from domain.enterprise import Enterprise
from domain.envelope import SignedCommand
from domain.errors import (
    AlreadyExists,
    BatchRejected,
    Conflict,
    InvalidValue,
    KeyRotatedOut,
    SignatureRejected,
)
from domain.ids import actor_id, enterprise_id
from ledger.keys import KeyPair
from ledger.notary import Ed25519Notary
from ops.bootstrap import store_env
from ops.schemas import CatalogSchemas
from ops.settings import Settings
from tests.support import Harness, new_uscc


def registration(h: Harness, uscc: str, name: str) -> SignedCommand:
    """A Wuhan regulator's signed registration of a metallurgy enterprise."""
    return h.sign(
        "r-wh",
        "enterprise.register",
        "420102",
        {"uscc": uscc, "name": name, "industry": "metallurgy", "standardisation": "level3"},
        subject=enterprise_id(uscc),
    )


class StoreFixtures:
    """Subclasses provide `env`: eventsourcing persistence settings of a fresh database."""

    @pytest.fixture
    def env(self) -> dict[str, str]:
        raise NotImplementedError

    @pytest.fixture
    def h(self, env: dict[str, str]) -> Iterator[Harness]:
        harness = Harness(env)
        harness.actor("r-wh", "regulator", "420100")
        yield harness
        harness.close()


class StoreContract(StoreFixtures):
    """The contract every event store keeps."""

    def test_recorded_events_read_back_exactly(self, h: Harness) -> None:
        uscc = h.enterprise("r-wh")
        rec = h.records.stored(f"{enterprise_id(uscc)}:1")
        assert rec.envelope["data"]["uscc"] == uscc
        assert rec.type == "enterprise.register"
        assert h.records.load(enterprise_id(uscc), Enterprise).status == "active"

    def test_notification_log_is_one_total_order(self, h: Harness) -> None:
        codes = [h.enterprise("r-wh") for _ in range(5)]
        registered = [
            r.envelope["data"]["uscc"]
            for r in h.records.notifications()
            if r.type == "enterprise.register"
        ]
        assert registered == codes
        ids = [r.notification_id or 0 for r in h.records.notifications()]
        assert ids == sorted(ids)

    def test_a_batch_is_stored_whole(self, h: Harness) -> None:
        codes = [new_uscc() for _ in range(50)]
        cmds = [registration(h, c, "批量") for c in codes]
        recorded = h.records.execute_batch(cmds)
        assert [r.version for r in recorded] == [1] * 50
        assert len({r.notification_id for r in recorded}) == 50

    def test_a_batch_with_one_bad_command_stores_nothing(self, h: Harness) -> None:
        before = sum(1 for _ in h.records.notifications())
        good = [new_uscc() for _ in range(10)]
        cmds = [registration(h, c, "批量") for c in good]
        bad = good[3][:17] + ("0" if good[3][17] != "0" else "1")
        cmds.insert(
            7,
            registration(h, bad, "坏"),
        )
        with pytest.raises(BatchRejected) as info:
            h.records.execute_batch(cmds)
        assert info.value.index == 7
        assert isinstance(info.value.cause, InvalidValue)
        assert sum(1 for _ in h.records.notifications()) == before

    def test_a_batch_with_a_bad_signature_stores_nothing(self, h: Harness) -> None:
        before = sum(1 for _ in h.records.notifications())
        codes = [new_uscc() for _ in range(5)]
        cmds = [registration(h, c, "批量") for c in codes]
        last = cmds[-1]
        cmds[-1] = type(last).of(last.text, cmds[0].signature, last.key_id)
        with pytest.raises(BatchRejected) as info:
            h.records.execute_batch(cmds)
        assert info.value.index == 4
        assert sum(1 for _ in h.records.notifications()) == before

    def test_a_large_batch_names_its_first_bad_signature(self, h: Harness) -> None:
        # Large enough that the signatures are verified on several threads as they arrive.
        before = sum(1 for _ in h.records.notifications())
        cmds = [registration(h, new_uscc(), "批量") for _ in range(300)]
        for i in (270, 251):
            cmds[i] = type(cmds[i]).of(cmds[i].text, cmds[i - 1].signature, cmds[i].key_id)
        with pytest.raises(BatchRejected) as info:
            h.records.execute_batch(cmds)
        assert info.value.index == 251
        assert isinstance(info.value.cause, SignatureRejected)
        assert str(cmds[251].envelope.id) in str(info.value.cause)
        assert sum(1 for _ in h.records.notifications()) == before

    def test_a_batch_registering_a_stored_enterprise_names_that_command(self, h: Harness) -> None:
        stored = h.enterprise("r-wh")
        codes = [new_uscc(), new_uscc(), stored, new_uscc()]
        cmds = [registration(h, c, "批量") for c in codes]
        with pytest.raises(BatchRejected) as info:
            h.records.execute_batch(cmds)
        assert info.value.index == 2
        assert isinstance(info.value.cause, AlreadyExists)
        assert [r.envelope["data"].get("uscc") for r in h.records.notifications()][-1] == stored

    def test_a_batch_over_the_limit_is_refused_before_anything_is_checked(self, h: Harness) -> None:
        from domain.application import MAX_BATCH

        uscc = new_uscc()
        cmd = registration(h, uscc, "超限")
        with pytest.raises(InvalidValue, match="at most"):
            h.records.execute_batch([cmd] * (MAX_BATCH + 1))
        h.records.execute_batch([cmd])

    def test_commands_in_a_batch_see_earlier_ones(self, h: Harness) -> None:
        uscc = new_uscc()
        cmds = [
            registration(h, uscc, "先登记"),
            h.sign(
                "r-wh",
                "enterprise.update_profile",
                "420102",
                {"uscc": uscc, "name": "再变更"},
                subject=enterprise_id(uscc),
            ),
        ]
        h.records.execute_batch(cmds)
        assert h.records.load(enterprise_id(uscc), Enterprise).name == "再变更"

    def test_a_rejected_batch_leaves_cached_records_as_stored(self, h: Harness) -> None:
        uscc = h.enterprise("r-wh")
        subject = enterprise_id(uscc)
        name = h.records.load(subject, Enterprise).name  # now in the aggregate cache
        rename = h.sign(
            "r-wh",
            "enterprise.update_profile",
            "420102",
            {"uscc": uscc, "name": "改名"},
            subject=subject,
        )
        broken = registration(h, uscc[:17] + ("0" if uscc[17] != "0" else "1"), "坏")
        with pytest.raises(BatchRejected):
            h.records.execute_batch([rename, broken])
        assert h.records.load(subject, Enterprise).name == name
        h.run_as(
            "r-wh",
            "enterprise.update_profile",
            "420102",
            {"uscc": uscc, "employees": 5},
            subject=subject,
        )
        stored = h.records.load(subject, Enterprise)
        assert (stored.name, stored.employees, stored.version) == (name, 5, 2)

    def test_a_key_rotated_through_another_instance_is_refused_here(
        self, h: Harness, env: dict[str, str]
    ) -> None:
        # Another process writing to the same store: this instance has the actor cached.
        uscc = h.enterprise("r-wh")
        old, new = h.keys["r-wh"], KeyPair.generate()
        elsewhere = Records(Ed25519Notary(), CatalogSchemas(), env=env)
        try:
            elsewhere.execute(
                h.sign(
                    "r-wh",
                    "actor.rotate_key",
                    "420100",
                    {"public_key": new.public_key_b64},
                    subject=actor_id("r-wh"),
                )
            )
        finally:
            elsewhere.close()
        change = {"uscc": uscc, "employees": 7}
        with pytest.raises(KeyRotatedOut):
            h.records.execute(
                h.sign(
                    "r-wh",
                    "enterprise.update_profile",
                    "420102",
                    change,
                    subject=enterprise_id(uscc),
                    key=old,
                )
            )
        h.records.execute(
            h.sign(
                "r-wh",
                "enterprise.update_profile",
                "420102",
                change,
                subject=enterprise_id(uscc),
                key=new,
            )
        )

    def test_a_batch_authenticates_against_keys_rotated_earlier_in_it(self, h: Harness) -> None:
        uscc = h.enterprise("r-wh")
        old, new = h.keys["r-wh"], KeyPair.generate()

        def change(key: KeyPair, n: int) -> SignedCommand:
            return h.sign(
                "r-wh",
                "enterprise.update_profile",
                "420102",
                {"uscc": uscc, "employees": n},
                subject=enterprise_id(uscc),
                key=key,
            )

        rotate = h.sign(
            "r-wh",
            "actor.rotate_key",
            "420100",
            {"public_key": new.public_key_b64},
            subject=actor_id("r-wh"),
        )
        with pytest.raises(BatchRejected) as info:
            h.records.execute_batch([change(old, 1), rotate, change(new, 2), change(old, 3)])
        assert info.value.index == 3
        assert isinstance(info.value.cause, KeyRotatedOut)
        # Nothing of the rejected batch stuck: the old key is still the current one.
        h.records.execute_batch([change(old, 4), rotate, change(new, 5)])
        assert h.records.load(enterprise_id(uscc), Enterprise).employees == 5

    def test_concurrent_writers_of_one_record_conflict(
        self, h: Harness, env: dict[str, str]
    ) -> None:
        uscc = h.enterprise("r-wh")
        first = h.sign(
            "r-wh",
            "enterprise.update_profile",
            "420102",
            {"uscc": uscc, "employees": 1},
            subject=enterprise_id(uscc),
        )
        second = h.sign(
            "r-wh",
            "enterprise.update_profile",
            "420102",
            {"uscc": uscc, "employees": 2},
            subject=enterprise_id(uscc),
        )
        # Both writers load version 1 before either saves.
        from domain.changeset import Changeset

        uow_a, uow_b = Changeset(h.records), Changeset(h.records)
        h.records._handle(first, uow_a, h.records.notary.batch(0))
        h.records._handle(second, uow_b, h.records.notary.batch(0))
        h.records._store(uow_a, lambda: None)
        with pytest.raises(Conflict):
            h.records._store(uow_b, lambda: None)
        assert h.records.load(enterprise_id(uscc), Enterprise).employees == 1


class TestSQLiteFile(StoreContract):
    @pytest.fixture
    def env(self, tmp_path: Path) -> dict[str, str]:
        return store_env(Settings(home=tmp_path))


@pytest.mark.postgres
class TestPostgres(StoreContract):
    @pytest.fixture
    def env(self, postgres_url: str) -> dict[str, str]:
        return store_env(Settings(database_url=postgres_url))
