"""The PIPL vault: sealing, opening, crypto-shredding, and the intake's sealer."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from domain.actor import PLATFORM_ACCOUNT
from domain.certificate import TrainingCertificate
from domain.ids import actor_id
from ledger.canonical import canonical_bytes
from ledger.keys import verify_signature
from ledger.privacy import (
    PersonFormatError,
    SealBroken,
    SubjectErased,
    UnknownSubject,
    Vault,
    vault_subjects,
)
from ops.bootstrap import sqlite_env
from ops.keystore import Keystore
from services.ingest.intake import Intake
from services.ingest.principal import Principal
from services.ingest.sealing import catalog_sealer
from tests.support import Harness

PERSON = {"name": "张三", "id_number": "420102199001011234", "phone": "13800138000"}
REGION = "420102"


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    v = Vault(f"sqlite:///{tmp_path / 'anjian.db'}")
    yield v
    v.close()


def secrets_of(vault: Vault, ref: str) -> Any:
    with vault.engine.connect() as conn:
        return conn.execute(select(vault_subjects).where(vault_subjects.c.ref == UUID(ref))).one()


def test_sealed_person_opens_to_the_same_person(vault: Vault) -> None:
    sealed = vault.seal(PERSON)
    assert set(sealed) == {"ref", "commitment", "sealed"}
    assert vault.open(sealed) == PERSON


def test_commitment_is_hmac_of_the_canonical_person_under_the_subject_salt(vault: Vault) -> None:
    sealed = vault.seal(PERSON)
    row = secrets_of(vault, sealed["ref"])
    expected = hmac.new(row.salt, canonical_bytes(PERSON), hashlib.sha256).hexdigest()
    assert sealed["commitment"] == expected
    # Not the unsalted hash, which anyone could test against guessed ID numbers.
    assert sealed["commitment"] != hashlib.sha256(canonical_bytes(PERSON)).hexdigest()
    assert vault.matches(sealed, PERSON)
    assert not vault.matches(sealed, {**PERSON, "id_number": "420102199001011235"})


def test_sealed_bytes_are_nonce_ciphertext_and_tag(vault: Vault) -> None:
    sealed = vault.seal(PERSON)
    blob = base64.b64decode(sealed["sealed"])
    assert len(blob) == 24 + len(canonical_bytes(PERSON)) + 16
    assert b"420102199001011234" not in blob


def test_same_person_sealed_twice_is_unlinkable(vault: Vault) -> None:
    a, b = vault.seal(PERSON), vault.seal(PERSON)
    assert a["ref"] != b["ref"]
    assert a["commitment"] != b["commitment"]


def test_resealing_under_a_subject_keeps_its_commitment(vault: Vault) -> None:
    a = vault.seal(PERSON)
    b = vault.seal(PERSON, ref=UUID(a["ref"]))
    assert (b["ref"], b["commitment"]) == (a["ref"], a["commitment"])
    assert b["sealed"] != a["sealed"]  # fresh nonce
    assert vault.open(b) == PERSON


def test_altered_or_moved_ciphertext_does_not_open(vault: Vault) -> None:
    a, b = vault.seal(PERSON), vault.seal({"name": "李四", "id_number": "420102198001011111"})
    blob = bytearray(base64.b64decode(a["sealed"]))
    blob[30] ^= 1
    with pytest.raises(SealBroken, match="does not decrypt"):
        vault.open({**a, "sealed": base64.b64encode(bytes(blob)).decode()})
    with pytest.raises(SealBroken, match="does not decrypt"):
        vault.open({**b, "sealed": a["sealed"]})  # bound to its own ref
    with pytest.raises(SealBroken, match="commitment"):
        vault.open({**a, "commitment": "0" * 64})


@pytest.mark.parametrize(
    "value",
    [
        {"name": "张三"},
        {"name": "张三", "id_number": "x", "email": "a@b"},
        {"name": "", "id_number": "420102199001011234"},
        {"name": "张三", "id_number": 420102199001011234},
    ],
)
def test_only_plain_persons_are_sealed(vault: Vault, value: dict[str, Any]) -> None:
    with pytest.raises(PersonFormatError):
        vault.seal(value)


def test_erased_subject_cannot_be_opened_or_matched(vault: Vault) -> None:
    sealed = vault.seal(PERSON)
    erased_at = vault.erase(sealed["ref"])
    row = secrets_of(vault, sealed["ref"])
    assert (row.key, row.salt) == (None, None)
    assert row.erased_at is not None
    with pytest.raises(SubjectErased, match="erased"):
        vault.open(sealed)
    with pytest.raises(SubjectErased):
        vault.matches(sealed, PERSON)
    with pytest.raises(SubjectErased):
        vault.seal(PERSON, ref=UUID(sealed["ref"]))
    assert vault.erase(sealed["ref"]).replace(tzinfo=None) == erased_at.replace(tzinfo=None)


def test_an_erased_key_leaves_no_byte_in_the_key_stores_files(tmp_path: Path) -> None:
    """Checked while the vault is open: no page of the store or its journal or write-ahead
    log, old or new, may keep the key or the salt after erase returns."""
    vault = Vault(f"sqlite:///{tmp_path / 'keys' / 'vault.sqlite'}")
    try:
        sealed = [vault.seal({**PERSON, "id_number": f"42010219900101{i:04d}"}) for i in range(20)]
        victim, witness = secrets_of(vault, sealed[7]["ref"]), secrets_of(vault, sealed[8]["ref"])
        vault.erase(sealed[7]["ref"])
        files = b"".join(p.read_bytes() for p in (tmp_path / "keys").iterdir())
        assert witness.key in files  # the other subjects' keys are there to be found
        assert victim.key not in files
        assert victim.salt not in files
    finally:
        vault.close()


def test_unknown_subject_is_named(vault: Vault) -> None:
    sealed = vault.seal(PERSON)
    other = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(UnknownSubject, match=other):
        vault.open({**sealed, "ref": other})
    with pytest.raises(UnknownSubject):
        vault.erase(other)


# -- the sealer wired into the intake -------------------------------------------------------


def test_sealer_seals_plain_persons_and_leaves_the_rest(vault: Vault) -> None:
    already = vault.seal(PERSON)
    data = {"enterprise": "X", "holder": dict(PERSON), "category": "electrical"}
    out = catalog_sealer(vault)("certificate.issue", data)
    assert data["holder"] == PERSON  # the input is not mutated
    assert set(out["holder"]) == {"ref", "commitment", "sealed"}
    assert vault.open(out["holder"]) == PERSON
    assert {k: v for k, v in out.items() if k != "holder"} == {
        "enterprise": "X",
        "category": "electrical",
    }
    assert catalog_sealer(vault)("certificate.issue", {"holder": already}) == {"holder": already}
    odd = {"holder": {"name": "张三"}}
    assert catalog_sealer(vault)("certificate.issue", odd) == odd  # the schema rejects it later
    assert catalog_sealer(vault)("permit.apply", {"scope": PERSON}) == {"scope": PERSON}
    assert catalog_sealer(vault)("no.such_command", {"x": 1}) == {"x": 1}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Harness, Vault, Intake, Path]]:
    """Records in one SQLite file, the vault's keys in another; an intake that signs
    custodially and seals."""
    db = tmp_path / "anjian.db"
    h = Harness(sqlite_env(str(db)))
    vault = Vault(f"sqlite:///{tmp_path / 'keys' / 'vault.sqlite'}")
    keystore = Keystore(tmp_path / "keys")
    key = keystore.custodial("r-cert")
    h.run_as(
        PLATFORM_ACCOUNT,
        "actor.register",
        "420100",
        {
            "account": "r-cert",
            "role": "regulator",
            "name": "发证机关",
            "jurisdiction": "420100",
            "public_key": key.public_key_b64,
            "custody": "platform",
        },
        subject=actor_id("r-cert"),
    )
    h.keys["r-cert"] = key
    intake = Intake(
        h.records, keystore, sealer=catalog_sealer(vault), principal=Principal.operator("r-cert")
    )
    yield h, vault, intake, db
    vault.close()
    h.close()


def issue_through_intake(h: Harness, intake: Intake) -> tuple[str, UUID]:
    uscc = h.enterprise("r-cert")
    cmd = intake.parse(
        {
            "type": "certificate.issue",
            "actor": "r-cert",
            "region": REGION,
            "occurred_at": h.signed_at.isoformat(),  # when the platform records it
            "data": {
                "enterprise": uscc,
                "holder": dict(PERSON),
                "category": "electrical",
                "operation": "低压电工作业",
                "number": "T-0001",
                "exam_score": 92,
                "exam_on": "2024-02-20",
            },
        }
    )
    rec = h.records.execute(cmd)
    return rec.event_id, rec.subject


def database_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


def test_plain_id_number_never_reaches_the_stored_event(
    stack: tuple[Harness, Vault, Intake, Path],
) -> None:
    h, vault, intake, db = stack
    event_id, _ = issue_through_intake(h, intake)
    stored = h.records.stored(event_id)
    holder = stored.envelope["data"]["holder"]
    assert vault.open(holder) == PERSON
    for secret in (PERSON["id_number"], PERSON["phone"], PERSON["name"]):
        assert secret not in stored.envelope_text
    raw = database_bytes(db)
    assert holder["commitment"].encode() in raw  # the event is in these bytes
    for secret in (PERSON["id_number"], PERSON["phone"]):
        assert secret.encode() not in raw


def test_erasure_leaves_the_stored_event_and_its_hash_unchanged(
    stack: tuple[Harness, Vault, Intake, Path],
) -> None:
    h, vault, intake, _ = stack
    event_id, subject = issue_through_intake(h, intake)
    before = h.records.stored(event_id)
    digest = hashlib.sha256(before.envelope_text.encode()).hexdigest()
    holder = before.envelope["data"]["holder"]

    vault.erase(holder["ref"])

    after = h.records.stored(event_id)
    assert after == before
    assert hashlib.sha256(after.envelope_text.encode()).hexdigest() == digest
    signer = h.keys["r-cert"]
    assert verify_signature(
        signer.public_key, after.envelope_text.encode(), base64.b64decode(after.signature)
    )
    assert h.records.load(subject, TrainingCertificate).holder_commitment == holder["commitment"]
    with pytest.raises(SubjectErased):
        vault.open(holder)


@pytest.mark.postgres
def test_vault_on_postgresql_seals_opens_and_erases(postgres_url: str) -> None:
    vault = Vault(postgres_url)
    try:
        sealed = vault.seal(PERSON)
        assert vault.open(sealed) == PERSON
        vault.erase(sealed["ref"])
        with pytest.raises(SubjectErased):
            vault.open(sealed)
    finally:
        vault.close()


def test_vault_opens_an_existing_database_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'anjian.db'}"
    first = Vault(url)
    sealed = first.seal(PERSON)
    first.close()
    again = Vault(url)
    try:
        assert again.open(sealed) == PERSON
    finally:
        again.close()
