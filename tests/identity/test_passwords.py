"""Passwords are kept as argon2id hashes (RFC 9106), never as themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type

from services.identity.accounts import Accounts
from services.identity.passwords import Passwords, one_time_password


def test_passwords_are_hashed_with_argon2id_at_the_rfc_9106_cost() -> None:
    passwords = Passwords()
    hashed = passwords.hash("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify(hashed, "correct horse battery")
    assert not passwords.verify(hashed, "correct horse battery!")


def test_a_hasher_other_than_argon2id_is_refused() -> None:
    with pytest.raises(ValueError, match="argon2id"):
        Passwords(PasswordHasher(type=Type.I))


def test_an_unknown_login_verifies_nothing() -> None:
    assert not Passwords().verify(None, "")


def test_one_time_passwords_differ() -> None:
    assert len({one_time_password() for _ in range(100)}) == 100


def test_an_accounts_password_is_stored_as_its_argon2id_hash_only(
    accounts: Accounts, db_file: Path
) -> None:
    new = accounts.add("wh-reg", "regulator", "420100")
    cred = accounts.store.credential("wh-reg")
    assert cred is not None
    assert cred.password_hash.startswith("$argon2id$")
    stored = b"".join(p.read_bytes() for p in db_file.parent.glob("identity.sqlite*"))
    assert new.password.encode() not in stored
