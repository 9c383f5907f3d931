"""The platform's own secrets in the signing keys' directory (ANJIAN_KEYS_DIR, or keys/ in the
data directory: ops/key_directory.py), each a file of 32 random bytes, created on first use
(mode 0600, in a 0700 folder) and never rewritten:

    platform.ed25519     the platform (genesis) signing key, an Ed25519 seed
    custody.secret       the secret custodial account keys are derived from
    log.ed25519          the Merkle log's checkpoint signing key, an Ed25519 seed
    anchorer.secp256k1   the anchorer's Ethereum account, a raw secp256k1 private key
    nats.ed25519         the platform's NATS user, the raw seed of an nkey (created when the
                         embedded NATS server first starts; not in KEY_FILES)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.keys import KeyPair, custodial_keypair

if TYPE_CHECKING:  # eth-account is imported only when anchoring
    from eth_account.signers.local import LocalAccount

# Every secret file the keystore keeps (all 32 bytes).
KEY_FILES = ("platform.ed25519", "custody.secret", "log.ed25519", "anchorer.secp256k1")


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

    def create_all(self) -> dict[str, bytes]:
        """Create every missing secret file now; each file's bytes by name."""
        return {name: self._secret(name) for name in KEY_FILES}

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

    def nats_seed(self) -> bytes:
        """The platform's NATS user as an nkey seed (SU...): the relay publishes with it."""
        import nkeys

        seed: bytes = nkeys.encode_seed(self._secret("nats.ed25519"), nkeys.PREFIX_BYTE_USER)
        return seed

    def anchorer_account(self) -> LocalAccount:
        """The account that signs anchor transactions (allow-listed on the Anchor contract).

        Random 32 bytes are a valid secp256k1 key unless zero or not below the curve order,
        a chance of about 2**-128 (eth-account's own Account.create takes the same chance).
        """
        from eth_account import Account

        account: LocalAccount = Account.from_key(self._secret("anchorer.secp256k1"))
        return account
