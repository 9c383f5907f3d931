"""The domain's Notary port: RFC 8785 canonical form and Ed25519 signature checks."""

from __future__ import annotations

import base64
import binascii

from ledger.canonical import is_canonical
from ledger.keys import verify_signature


class Ed25519Notary:
    """Checks envelopes as the domain requires (see domain.ports.Notary)."""

    def is_canonical(self, text: str) -> bool:
        return is_canonical(text)

    def verify(self, public_key: bytes, message: bytes, signature_b64: str) -> bool:
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except (binascii.Error, ValueError):
            return False
        return verify_signature(public_key, message, signature)
