"""Password hashing: argon2id (RFC 9106) through argon2-cffi, and one-time passwords.

The default parameters are argon2-cffi's (RFC 9106's second recommended option: t=3,
m=64 MiB, p=4). A hash made with weaker parameters is rehashed at the next successful login.
"""

from __future__ import annotations

import hmac
import secrets
from functools import cached_property

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["Passwords", "csrf_matches", "one_time_password"]


class Passwords:
    """Hashes and checks passwords with argon2id."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher if hasher is not None else PasswordHasher(type=Type.ID)
        if self.hasher.type is not Type.ID:
            raise ValueError("passwords are hashed with argon2id")

    @cached_property
    def _decoy(self) -> str:
        """Checked against when the login is unknown, so that takes as long as a wrong
        password (made at the first unknown login)."""
        return self.hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches `password_hash` (None: an unknown login, checked against
        a decoy hash all the same)."""
        try:
            return self.hasher.verify(password_hash or self._decoy, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)


def one_time_password() -> str:
    """A password an administrator hands over once: 96 random bits, URL-safe base64."""
    return secrets.token_urlsafe(12)


def csrf_matches(expected: str, presented: str | None) -> bool:
    """Whether a form post's CSRF token is its session's (compared in constant time)."""
    return (
        bool(expected)
        and presented is not None
        and hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))
    )
