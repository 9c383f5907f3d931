"""C2SP tlog-cosignature v1 with Ed25519 (c2sp.org/tlog-cosignature): sign and verify.

A cosignature is a signed-note signature line on a checkpoint, by a witness (cosigner):

    key id          = SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4]
    verifier key    = name "+" hex8(key id) "+" base64(0x04 || public key)   (C2SP vkey form)
    signed message  = "cosignature/v1\\n" "time " decimal(T) "\\n" checkpoint note body
    signature line  = "— " name " " base64(key id || u64 big-endian T || 64-byte signature) "\\n"

T is the POSIX time of cosigning (never zero, at most 2^63 - 1). The note body is the
checkpoint text up to and including its final newline, without signature lines. A v1
cosignature states that, as of T, the cosigner saw no larger consistent tree of that origin.

`cosignatures(note, witnesses)` finds, in a signed checkpoint holding any signature lines,
the valid cosignatures by the given witness keys: what `audit check --witness --quorum`
counts. Only the standard library and PyNaCl.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from ledger.errors import KeyFormatError, MalformedNoteError

__all__ = [
    "ALG_COSIGNATURE_V1",
    "Cosignature",
    "Cosigner",
    "WitnessKey",
    "cosignatures",
    "cosigned_message",
    "split_note",
]

ALG_COSIGNATURE_V1 = 0x04
"""Signature type byte of Ed25519 tlog cosignatures (v1)."""
_DASH = "\u2014 "
_MAX_TIME = 2**63 - 1
_LINE_BYTES = 4 + 8 + 64


def _key_id(name: str, public_key: bytes) -> int:
    digest = hashlib.sha256(
        name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    ).digest()
    return int.from_bytes(digest[:4], "big")


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)


def _key_fields(name: str, hex_id: str, b64: str) -> tuple[int, bytes]:
    if not _valid_name(name):
        raise KeyFormatError("malformed key: bad key name")
    if len(hex_id) != 8 or any(c not in string.hexdigits for c in hex_id):
        raise KeyFormatError("malformed key: the key id is not eight hex digits")
    try:
        raw = _unb64(b64)
    except (UnicodeEncodeError, binascii.Error):
        raise KeyFormatError("malformed key: the key is not base64") from None
    if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
        raise KeyFormatError("not an Ed25519 cosignature key (type 0x04, 32 bytes)")
    return int(hex_id, 16), raw[1:]


def cosigned_message(body: str, timestamp: int) -> bytes:
    """The bytes a v1 cosignature signs: header line, time line, then the note body."""
    if not 0 < timestamp <= _MAX_TIME:
        raise ValueError("a cosignature's timestamp is between 1 and 2^63 - 1")
    if not body.endswith("\n"):
        raise MalformedNoteError("a checkpoint body ends with a newline")
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


@dataclass(frozen=True)
class WitnessKey:
    """A witness's public key: name and 32-byte Ed25519 key (vkey type 0x04)."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        if not _valid_name(self.name):
            raise KeyFormatError(f"invalid key name {self.name!r}")
        if len(self.public_key) != 32:
            raise KeyFormatError("an Ed25519 public key has 32 bytes")

    @classmethod
    def from_vkey(cls, vkey: str) -> WitnessKey:
        """Parse `name+hex8+base64(0x04||key)`; KeyFormatError unless the key id matches."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError("a verifier key has the form name+keyid+key")
        claimed, public_key = _key_fields(*parts)
        key = cls(parts[0], public_key)
        if key.key_id != claimed:
            raise KeyFormatError("verifier key id does not match its name and key")
        return key

    @cached_property
    def key_id(self) -> int:
        return _key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        raw = bytes([ALG_COSIGNATURE_V1]) + self.public_key
        return f"{self.name}+{self.key_id:08x}+{_b64(raw)}"

    def verify(self, body: str, timestamp: int, signature: bytes) -> bool:
        try:
            VerifyKey(self.public_key).verify(cosigned_message(body, timestamp), signature)
        except (BadSignatureError, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Cosigner:
    """A witness's signing key: name and 32-byte Ed25519 seed."""

    name: str
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _valid_name(self.name):
            raise KeyFormatError(f"invalid key name {self.name!r}")
        if len(self.seed) != 32:
            raise KeyFormatError("an Ed25519 seed has 32 bytes")

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(name, bytes(SigningKey.generate()))

    @classmethod
    def from_skey(cls, skey: str) -> Cosigner:
        """Parse `PRIVATE+KEY+name+hex8+base64(0x04||seed)`; the key id must match."""
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise KeyFormatError("a signer key has the form PRIVATE+KEY+name+keyid+key")
        claimed, seed = _key_fields(*parts[2:])
        cosigner = cls(parts[2], seed)
        if cosigner.key.key_id != claimed:
            raise KeyFormatError("signer key id does not match its name and public key")
        return cosigner

    @cached_property
    def key(self) -> WitnessKey:
        return WitnessKey(self.name, bytes(SigningKey(self.seed).verify_key))

    @property
    def skey(self) -> str:
        """The secret key string; keep it out of logs and version control."""
        raw = bytes([ALG_COSIGNATURE_V1]) + self.seed
        return f"PRIVATE+KEY+{self.name}+{self.key.key_id:08x}+{_b64(raw)}"

    def cosign(self, body: str, timestamp: int) -> str:
        """The signature line of a v1 cosignature of the checkpoint `body` at `timestamp`."""
        signature = SigningKey(self.seed).sign(cosigned_message(body, timestamp)).signature
        raw = self.key.key_id.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signature
        return f"{_DASH}{self.name} {_b64(raw)}\n"


@dataclass(frozen=True)
class Cosignature:
    """One cosignature found on a checkpoint: who, when, and whether it verified."""

    witness: WitnessKey
    timestamp: int
    valid: bool


def split_note(note: str) -> tuple[str, list[str]]:
    """(body, signature lines without their newline) of a signed note."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise MalformedNoteError("no blank line before the signatures")
    lines = note[cut + 2 : -1].split("\n")
    if any(not line.startswith(_DASH) for line in lines):
        raise MalformedNoteError("signature line does not start with an em dash")
    return note[: cut + 1], lines


def cosignatures(note: str, witnesses: Iterable[WitnessKey]) -> list[Cosignature]:
    """The cosignatures on `note` by `witnesses`, one per witness that signed (a valid line if
    it has one, else its first line under its name and key id). Other lines are ignored."""
    body, lines = split_note(note)
    by_id = {(w.name, w.key_id): w for w in witnesses}
    found: dict[WitnessKey, Cosignature] = {}
    for line in lines:
        name, _, b64 = line[len(_DASH) :].partition(" ")
        try:
            raw = _unb64(b64)
        except (UnicodeEncodeError, binascii.Error):
            continue
        if len(raw) < 4:
            continue
        witness = by_id.get((name, int.from_bytes(raw[:4], "big")))
        if witness is None or (witness in found and found[witness].valid):
            continue
        timestamp = int.from_bytes(raw[4:12], "big")
        valid = (
            len(raw) == _LINE_BYTES
            and 0 < timestamp <= _MAX_TIME
            and witness.verify(body, timestamp, raw[12:])
        )
        found[witness] = Cosignature(witness, timestamp, valid)
    return list(found.values())
