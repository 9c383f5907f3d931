"""Ed25519 keys, signatures and key ids (RFC 8032, via PyNaCl).

Key id: lowercase hex of the first 16 bytes of SHA-256 over the 32-byte raw public key.
Custodial keys: users without a device of their own sign through a key the platform derives
for their account, seed = HMAC-SHA256(platform custody secret, b"anjian/custody/v1\\x00" +
actor id UTF-8). Nothing per user is stored, and a rotated custody secret rotates every custodial
key at once (rotation is then recorded as events, one per actor).
"""

from __future__ import annotations

import base64
import ctypes
import hashlib
import hmac
import importlib
import os
from dataclasses import dataclass
from functools import cached_property

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

try:
    from ledger import _ed25519
except ImportError:  # not built: `pip install -e .` compiles it (see setup.py)
    _ed25519 = None  # type: ignore[assignment]

__all__ = [
    "KeyPair",
    "SignatureBatch",
    "custodial_keypair",
    "decode_public_key",
    "key_id",
    "native_verifier",
    "verify_signature",
]

_CUSTODY_LABEL = b"anjian/custody/v1\x00"


def key_id(public_key: bytes) -> str:
    """The key id of a raw 32-byte Ed25519 public key."""
    if len(public_key) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, got {len(public_key)}")
    return hashlib.sha256(public_key).digest()[:16].hex()


def decode_public_key(text: str) -> bytes:
    """Decode a base64 public key as carried in commands, checking its length."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ValueError(f"public key is not valid base64: {exc}") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, got {len(raw)}")
    return raw


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message` by `public_key`."""
    if len(signature) != 64 or len(public_key) != 32:
        return False
    try:
        VerifyKey(public_key).verify(message, signature)
    except BadSignatureError:
        return False
    return True


# The libsodium PyNaCl loaded (and initialised): the native batch calls exactly the
# verification every single check uses, by address, so it needs no libsodium of its own.
_VERIFY_DETACHED: int = (
    ctypes.cast(
        ctypes.CDLL(importlib.import_module("nacl._sodium").__file__).crypto_sign_verify_detached,
        ctypes.c_void_p,
    ).value
    or 0
)


CLAIM = 16  # signatures a native thread takes at a time (CLAIM in _ed25519.c)
MAX_THREADS = 64  # native threads per batch at most (MAX_THREADS in _ed25519.c)


def native_verifier() -> bool:
    """True when SignatureBatch verifies on native threads (ledger._ed25519 is built)."""
    return _ed25519 is not None and _VERIFY_DETACHED != 0


class SignatureBatch:
    """Signatures verified on other cores while the caller goes on with its own work.

    `add` hands over (public key, message, signature); with the extension built, native
    threads that never take the GIL verify them as they arrive, and `first_invalid` verifies
    what is left on the calling thread too. Without it, `first_invalid` verifies them all.
    A batch is verified once.
    """

    def __init__(self, threads: int | None = None, expected: int | None = None) -> None:
        """`threads`: native threads at most (default: one per core but one). `expected`: about
        how many signatures will be added, when known: one thread per CLAIM of them at most,
        more would only wait, and none for fewer than two claims (a lone command is verified
        on the calling thread: starting a thread costs about what it would save)."""
        if threads is None:
            threads = max(1, (os.cpu_count() or 2) - 1)
        if expected is not None:
            threads = 0 if expected < 2 * CLAIM else min(threads, -(-expected // CLAIM))
        threads = min(max(threads, 0), MAX_THREADS)
        self._native = _ed25519.Batch(_VERIFY_DETACHED, threads) if native_verifier() else None
        self._items: list[tuple[bytes, bytes, bytes]] | None = []
        self.add = self._native.add if self._native is not None else self._add

    def _add(self, public_key: bytes, message: bytes, signature: bytes) -> None:
        if self._items is None:
            raise RuntimeError("the batch was verified already")
        self._items.append((public_key, message, signature))

    def first_invalid(self) -> int:
        """The index of the first item whose signature does not verify, or -1."""
        if self._native is not None:
            return self._native.first_invalid()
        items, self._items = self._items, None
        if items is None:
            raise RuntimeError("the batch was verified already")
        for i, (public_key, message, signature) in enumerate(items):
            if not verify_signature(public_key, message, signature):
                return i
        return -1


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 signing key with its public half."""

    seed: bytes

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(bytes(SigningKey.generate()))

    @cached_property
    def _signing(self) -> SigningKey:
        return SigningKey(self.seed)

    @property
    def public_key(self) -> bytes:
        return bytes(self._signing.verify_key)

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_key).decode("ascii")

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte detached signature of `message`."""
        return self._signing.sign(message).signature

    def sign_b64(self, message: bytes) -> str:
        return base64.b64encode(self.sign(message)).decode("ascii")


def custodial_keypair(custody_secret: bytes, actor_id: str) -> KeyPair:
    """The platform-held key bound to one user account (see module docstring)."""
    if len(custody_secret) < 32:
        raise ValueError("the custody secret must have at least 32 bytes")
    seed = hmac.new(custody_secret, _CUSTODY_LABEL + actor_id.encode("utf-8"), "sha256").digest()
    return KeyPair(seed)
