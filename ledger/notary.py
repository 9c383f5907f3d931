"""The domain's Notary port: RFC 8785 canonical form and Ed25519 signature checks."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ledger.canonical import is_canonical
from ledger.keys import SignatureBatch


class Ed25519Notary:
    """Checks envelopes as the domain requires (see domain.ports.Notary).

    `verify_threads`: native threads verifying each batch beside the domain thread (default:
    one per core but one).
    """

    def __init__(self, verify_threads: int | None = None) -> None:
        self.verify_threads = verify_threads

    def is_canonical(self, text: str, parsed: dict[str, Any] | None = None) -> bool:
        return is_canonical(text, parsed)

    def batch(self, expected: int) -> Ed25519Batch:
        return Ed25519Batch(SignatureBatch(self.verify_threads, expected))


class Ed25519Batch:
    """A batch of base64 signatures (see domain.ports.SignatureBatch)."""

    def __init__(self, batch: SignatureBatch) -> None:
        self._add = batch.add
        self.first_invalid = batch.first_invalid

    def add(self, public_key: bytes, message: bytes, signature_b64: str) -> None:
        self._add(public_key, message, _raw(signature_b64))


def _raw(signature_b64: str) -> bytes:
    """The signature's bytes; b"" (which verifies nothing) when it is not base64."""
    try:
        return base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return b""
