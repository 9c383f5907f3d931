"""The platform's own secrets in the data directory: the platform (genesis) signing key and the
custody secret from which custodial account keys are derived. Created on first use, mode 0600.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ledger.keys import KeyPair, custodial_keypair


class Keystore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._secrets: dict[str, bytes] = {}
        self._custodial: dict[str, KeyPair] = {}

    def _secret(self, name: str, size: int = 32) -> bytes:
        cached = self._secrets.get(name)
        if cached is not None:
            return cached
        path = self.directory / name
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(size))
        raw = path.read_bytes()
        if len(raw) != size:
            raise ValueError(f"{path} must hold {size} bytes, found {len(raw)}")
        self._secrets[name] = raw
        return raw

    def platform_key(self) -> KeyPair:
        key = self._custodial.get("\x00platform")
        if key is None:
            key = self._custodial["\x00platform"] = KeyPair(self._secret("platform.ed25519"))
        return key

    def custodial(self, account: str) -> KeyPair:
        key = self._custodial.get(account)
        if key is None:
            key = self._custodial[account] = custodial_keypair(
                self._secret("custody.secret"), account
            )
        return key

    def log_key(self) -> KeyPair:
        """The Merkle log's checkpoint signing key."""
        return KeyPair(self._secret("log.ed25519"))
