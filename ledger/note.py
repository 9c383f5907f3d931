"""C2SP signed notes (c2sp.org/signed-note) with Ed25519, and tlog checkpoints in them.

Byte layouts, as in the spec and golang.org/x/mod/sumdb/note:

    key id         = SHA-256(name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4], big endian
    verifier key   = name "+" hex8(key id) "+" base64(0x01 || public key)
    signer key     = "PRIVATE+KEY+" name "+" hex8(key id) "+" base64(0x01 || 32-byte seed)
    signed note    = text (ending in "\\n") "\\n" signature line+
    signature line = "— " name " " base64(key id || 64-byte Ed25519 signature of text) "\\n"

(the dash is U+2014 EM DASH). Key names are non-empty, without Unicode spaces or "+". A note
must be valid UTF-8 without control characters other than newline; the text ends at the last
blank line. Opening a note ignores signatures by unknown keys, rejects the note if a known key's
signature fails, and fails unless at least one known key signed.

Checkpoint body (c2sp.org/tlog-checkpoint): origin "\\n" decimal tree size "\\n" base64(root)
"\\n", then optional non-empty extension lines.

Pure standard library plus PyNaCl: the offline auditor uses it as is.
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

from ledger.errors import (
    CheckpointFormatError,
    InvalidSignatureError,
    KeyFormatError,
    MalformedNoteError,
    NoteError,
    UnverifiedNoteError,
)
from ledger.rfc6962 import HASH_SIZE

__all__ = [
    "ALG_ED25519",
    "Checkpoint",
    "Note",
    "Signature",
    "Signer",
    "Verifier",
    "key_id",
    "open_checkpoint",
    "open_note",
    "sign_checkpoint",
    "sign_note",
    "valid_key_name",
]

ALG_ED25519 = 0x01
"""Signature type byte of Ed25519 in c2sp.org/signed-note."""
SIGNATURE_PREFIX = "\u2014 "
"""Every signature line starts with an em dash and a space."""
MAX_SIGNATURES = 100
"""Like the Go reference: more signature lines than this make the note malformed."""


def valid_key_name(name: str) -> bool:
    """A key name (and so a log origin) as c2sp.org/signed-note allows: non-empty, no Unicode
    spaces, no plus sign."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, public_key: bytes) -> int:
    """The C2SP key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str) -> bytes:
    # Strict standard base64: binascii with strict_mode rejects non-alphabet characters,
    # missing or excess padding and non-zero trailing bits.
    return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _parse_key(name: str, hex_id: str, b64: str) -> tuple[int, bytes]:
    """(claimed key id, 32 key bytes) of the last three `+`-separated fields of a key."""
    if not valid_key_name(name):
        raise KeyFormatError("malformed key: bad key name")
    # Exactly eight hex digits: int() alone would also take "0x", "_" and spaces.
    if len(hex_id) != 8 or any(c not in string.hexdigits for c in hex_id):
        raise KeyFormatError("malformed key: the key id is not eight hex digits")
    try:
        raw = _b64decode(b64)
    except (UnicodeEncodeError, binascii.Error):
        raise KeyFormatError("malformed key: the key is not base64") from None
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise KeyFormatError("not an Ed25519 key (type 0x01, 32 bytes)")
    return int(hex_id, 16), raw[1:]


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key that checks note signatures."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise KeyFormatError(f"invalid key name {self.name!r}")
        if len(self.public_key) != 32:
            raise KeyFormatError("an Ed25519 public key has 32 bytes")

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse `name+hex8+base64(0x01||key)`; KeyFormatError unless the key id matches."""
        parts = vkey.split("+", 2)  # base64 may itself hold "+"
        if len(parts) != 3:
            raise KeyFormatError("a verifier key has the form name+keyid+key")
        claimed, public_key = _parse_key(*parts)
        verifier = cls(parts[0], public_key)
        if verifier.key_id != claimed:
            raise KeyFormatError("verifier key id does not match its name and key")
        return verifier

    @cached_property
    def key_id(self) -> int:
        return key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{_b64(bytes([ALG_ED25519]) + self.public_key)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        try:
            VerifyKey(self.public_key).verify(message, signature)
        except BadSignatureError:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 private key (32-byte seed) that signs notes."""

    name: str
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise KeyFormatError(f"invalid key name {self.name!r}")
        if len(self.seed) != 32:
            raise KeyFormatError("an Ed25519 seed has 32 bytes")

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(name, bytes(SigningKey.generate()))

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse `PRIVATE+KEY+name+hex8+base64(0x01||seed)`; the key id must match."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise KeyFormatError("a signer key has the form PRIVATE+KEY+name+keyid+key")
        claimed, seed = _parse_key(*parts[2:])
        signer = cls(parts[2], seed)
        if signer.key_id != claimed:
            raise KeyFormatError("signer key id does not match its name and public key")
        return signer

    @cached_property
    def _signing(self) -> SigningKey:
        return SigningKey(self.seed)

    @cached_property
    def verifier(self) -> Verifier:
        return Verifier(self.name, bytes(self._signing.verify_key))

    @property
    def key_id(self) -> int:
        return self.verifier.key_id

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    @property
    def skey(self) -> str:
        """The secret key string; keep it out of logs and version control."""
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{_b64(bytes([ALG_ED25519]) + self.seed)}"

    def sign(self, message: bytes) -> bytes:
        return self._signing.sign(message).signature


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key id, raw signature bytes (after the key id)."""

    name: str
    key_id: int
    signature: bytes

    @property
    def line(self) -> str:
        raw = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {_b64(raw)}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text and which signatures verified."""

    text: str
    signatures: tuple[Signature, ...]
    unverified: tuple[Signature, ...]


def sign_note(text: str, *signers: Signer) -> str:
    """The signed note of `text` (which must end in a newline) by each of `signers`."""
    if not signers:
        raise MalformedNoteError("a signed note needs at least one signer")
    _check_text(text)
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    message = text.encode()
    lines = [Signature(s.name, s.key_id, s.sign(message)).line for s in signers]
    return text + "\n" + "".join(lines)


def _check_text(text: str) -> None:
    try:
        text.encode()
    except UnicodeEncodeError:
        raise MalformedNoteError("note is not valid UTF-8") from None
    if any(c < " " and c != "\n" for c in text):
        raise MalformedNoteError("note holds a control character")


def open_note(message: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse `message` and check its signatures against the known `verifiers`.

    Signatures whose (name, key id) match no known verifier are kept as unverified. A known
    key's failing signature raises InvalidSignatureError; no verified signature at all raises
    UnverifiedNoteError; syntax errors raise MalformedNoteError.
    """
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("note is not valid UTF-8") from None
    _check_text(message)
    split = message.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("no blank line before the signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError("signature block must end with a newline")
    known: dict[tuple[str, int], list[Verifier]] = {}
    for v in verifiers:
        known.setdefault((v.name, v.key_id), []).append(v)
    message_bytes = text.encode()
    verified: list[Signature] = []
    unverified: list[Signature] = []
    seen: set[tuple[str, int]] = set()
    seen_lines: set[str] = set()
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"more than {MAX_SIGNATURES} signatures")
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise MalformedNoteError("signature line does not start with an em dash")
        name, _, b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = _b64decode(b64)
        except (UnicodeEncodeError, binascii.Error):
            raise MalformedNoteError("signature is not base64") from None
        if not valid_key_name(name) or not b64 or len(raw) < 5:
            raise MalformedNoteError("malformed signature line")
        sig = Signature(name, int.from_bytes(raw[:4], "big"), raw[4:])
        candidates = known.get((sig.name, sig.key_id))
        if candidates is None:
            if line not in seen_lines:  # identical unknown lines count once
                seen_lines.add(line)
                unverified.append(sig)
            continue
        if len({c.public_key for c in candidates}) > 1:
            # Two different trusted keys share name and id: the configuration is broken.
            raise NoteError(f"ambiguous key {sig.name}+{sig.key_id:08x}")
        if (sig.name, sig.key_id) in seen:
            continue  # one key signing twice counts once
        seen.add((sig.name, sig.key_id))
        if not candidates[0].verify(message_bytes, sig.signature):
            raise InvalidSignatureError(sig.name, sig.key_id)
        verified.append(sig)
    if not verified:
        raise UnverifiedNoteError("note has no verifiable signatures")
    return Note(text, tuple(verified), tuple(unverified))


@dataclass(frozen=True)
class Checkpoint:
    """A tlog checkpoint: the log's origin, tree size and root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointFormatError("origin must be one non-empty line")
        if self.size < 0:
            raise CheckpointFormatError("tree size must not be negative")
        if len(self.root) != HASH_SIZE:
            raise CheckpointFormatError(f"root must have {HASH_SIZE} bytes")
        if any(not line or "\n" in line for line in self.extensions):
            raise CheckpointFormatError("extension lines must be single non-empty lines")

    @property
    def body(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in \\n."""
        lines = [self.origin, str(self.size), _b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly (no leading zeros, canonical base64)."""
        if not text.endswith("\n"):
            raise CheckpointFormatError("checkpoint must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointFormatError("checkpoint needs origin, size and root lines")
        origin, size_text, root_text, *extensions = lines
        if not size_text.isascii() or not size_text.isdigit():
            raise CheckpointFormatError(f"tree size is not a decimal number: {size_text!r}")
        if size_text != str(int(size_text)):
            raise CheckpointFormatError("tree size has leading zeros")
        try:
            root = _b64decode(root_text)
        except (UnicodeEncodeError, binascii.Error):
            raise CheckpointFormatError("root is not base64") from None
        if _b64(root) != root_text:
            raise CheckpointFormatError("root is not in canonical base64")
        return cls(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, *signers: Signer) -> str:
    """The signed note of the checkpoint's body."""
    return sign_note(checkpoint.body, *signers)


def open_checkpoint(
    message: str | bytes, verifiers: Iterable[Verifier], *, origin: str | None = None
) -> tuple[Checkpoint, Note]:
    """Open a signed checkpoint note; with `origin`, also require that origin line."""
    note = open_note(message, verifiers)
    checkpoint = Checkpoint.parse(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointFormatError(f"origin is {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint, note
