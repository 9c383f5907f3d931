"""C2SP signed notes and tlog checkpoints (ledger.note).

Known answers come from the Go reference, golang.org/x/mod/sumdb/note (note_test.go): the
PeterNeumann signer and verifier keys, the note they sign, and the EnochRoot signature line.
A note we produce with that key must be byte-for-byte the Go output, so any standard verifier
(Go's note.Open, transparency-dev witnesses) accepts our checkpoints.
"""

from __future__ import annotations

import base64

import pytest

from ledger.errors import (
    CheckpointFormatError,
    InvalidSignatureError,
    KeyFormatError,
    MalformedNoteError,
    NoteError,
    UnverifiedNoteError,
)
from ledger.note import (
    Checkpoint,
    Signer,
    Verifier,
    key_id,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
)

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
    "qfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnW"
    "Lox33WWd1RvMc+QQ=\n"
)


def peter() -> Verifier:
    return Verifier.from_vkey(PETER_VKEY)


def enoch() -> Verifier:
    return Verifier.from_vkey(ENOCH_VKEY)


# -- keys ------------------------------------------------------------------------------------


def test_go_reference_keys_parse_and_agree() -> None:
    signer = Signer.from_skey(PETER_SKEY)
    assert signer.vkey == PETER_VKEY
    assert signer.skey == PETER_SKEY
    assert signer.key_id == 0xC74F20A3 == peter().key_id
    assert peter().vkey == PETER_VKEY


def test_key_id_is_sha256_of_name_newline_type_and_key() -> None:
    import hashlib

    public_key = peter().public_key
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + public_key).digest()
    assert key_id("PeterNeumann", public_key) == int.from_bytes(digest[:4], "big") == 0xC74F20A3


def _manglings(key: str) -> list[str]:
    """Every proper substring and every one-character change (as Go's TestNewVerifier)."""
    out = {key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)}
    out |= {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}
    out.discard(key)
    return sorted(out)


def test_every_mangled_verifier_key_is_refused() -> None:
    accepted = []
    for bad in _manglings(PETER_VKEY):
        try:
            Verifier.from_vkey(bad)
        except KeyFormatError:
            continue
        accepted.append(bad)
    assert accepted == []


def test_every_mangled_signer_key_is_refused() -> None:
    accepted = []
    for bad in _manglings(PETER_SKEY):
        try:
            Signer.from_skey(bad)
        except KeyFormatError:
            continue
        accepted.append(bad)
    assert accepted == []


@pytest.mark.parametrize(
    "vkey",
    [
        # wrong key length, with the key id adjusted to match (from Go's tests)
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        # unknown algorithm byte, with the key id adjusted to match
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # a key id written with a 0x prefix
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(KeyFormatError):
        Verifier.from_vkey(vkey)


def test_generated_signer_round_trips_through_its_key_strings() -> None:
    signer = Signer.generate("anjian.example/log")
    again = Signer.from_skey(signer.skey)
    assert again.vkey == signer.vkey
    assert Verifier.from_vkey(signer.vkey) == signer.verifier
    assert signer.skey not in repr(signer)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\there", "ideographic\u3000space"])
def test_key_names_with_spaces_or_plus_are_refused(name: str) -> None:
    with pytest.raises(KeyFormatError):
        Signer.generate(name)


# -- notes -----------------------------------------------------------------------------------


def test_signing_the_go_reference_text_gives_the_go_reference_note() -> None:
    assert sign_note(TEXT, Signer.from_skey(PETER_SKEY)) == TEXT + "\n" + PETER_SIG


def test_go_reference_note_opens_with_its_key() -> None:
    note = open_note(TEXT + "\n" + PETER_SIG, [peter()])
    assert note.text == TEXT
    assert [(s.name, s.key_id) for s in note.signatures] == [("PeterNeumann", 0xC74F20A3)]
    assert note.unverified == ()


def test_signatures_by_unknown_keys_are_ignored_but_kept_as_unverified() -> None:
    note = open_note((TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode(), [peter()])
    assert [s.name for s in note.signatures] == ["PeterNeumann"]
    assert [(s.name, s.key_id) for s in note.unverified] == [("EnochRoot", 0xAF0CFE78)]
    both = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter(), enoch()])
    assert [s.name for s in both.signatures] == ["PeterNeumann", "EnochRoot"]


def test_note_signed_by_no_known_key_is_rejected() -> None:
    with pytest.raises(UnverifiedNoteError):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    other = Signer.generate("PeterNeumann").verifier  # same name, another key (another id)
    with pytest.raises(UnverifiedNoteError):
        open_note(TEXT + "\n" + PETER_SIG, [other])


def test_bad_signature_by_a_known_key_rejects_the_whole_note() -> None:
    tampered = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidSignatureError) as caught:
        open_note(tampered, [peter()])
    assert str(caught.value) == "invalid signature for key PeterNeumann+c74f20a3"
    with pytest.raises(InvalidSignatureError):
        open_note(TEXT.replace("problem", "Problem") + "\n" + PETER_SIG, [peter()])


def test_repeated_signatures_count_once() -> None:
    note = open_note(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG, [peter()])
    assert len(note.signatures) == 1
    assert len(note.unverified) == 1


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\r\n" + PETER_SIG,
        TEXT
        + "\n"
        + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
        "qfqdngotpRZb6KE6RyyBwJnAM=\n",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG.replace("—", "-"),
        TEXT + "\n" + "— PeterNeumann AAAA\n",  # too short to hold a key id and signature
        TEXT + "\n" + "— PeterNeumann not base64!\n",
        TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_malformed_notes_are_rejected(message: str) -> None:
    with pytest.raises(MalformedNoteError):
        open_note(message, [peter()])


def test_non_utf8_note_is_malformed() -> None:
    with pytest.raises(MalformedNoteError):
        open_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), [peter()])


def test_text_without_final_newline_cannot_be_signed() -> None:
    with pytest.raises(MalformedNoteError):
        sign_note("abc", Signer.from_skey(PETER_SKEY))


def test_two_different_trusted_keys_with_one_name_and_id_are_a_configuration_error() -> None:
    forged = Verifier("PeterNeumann", bytes(32))
    object.__setattr__(forged, "key_id", 0xC74F20A3)  # a colliding id, as an attacker could make
    with pytest.raises(NoteError, match="ambiguous"):
        open_note(TEXT + "\n" + PETER_SIG, [peter(), forged])


# -- checkpoints -----------------------------------------------------------------------------

ROOT = bytes.fromhex("0a" * 32)


def test_checkpoint_body_is_origin_size_and_base64_root_lines() -> None:
    checkpoint = Checkpoint("anjian.example/log", 20852163, ROOT)
    assert checkpoint.body == (
        "anjian.example/log\n20852163\n" + base64.b64encode(ROOT).decode() + "\n"
    )
    assert Checkpoint.parse(checkpoint.body) == checkpoint


def test_c2sp_example_checkpoint_body_parses() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.parse(body)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.body == body


def test_checkpoint_extension_lines_are_kept() -> None:
    body = Checkpoint("o", 1, ROOT, ("ext one", "ext two")).body
    assert Checkpoint.parse(body).extensions == ("ext one", "ext two")


@pytest.mark.parametrize(
    "body",
    [
        "o\n1\n",  # no root
        "o\n01\n" + base64.b64encode(ROOT).decode() + "\n",  # leading zero
        "o\n-1\n" + base64.b64encode(ROOT).decode() + "\n",
        "o\n1 \n" + base64.b64encode(ROOT).decode() + "\n",
        "o\n١\n" + base64.b64encode(ROOT).decode() + "\n",  # a non-ASCII digit
        "o\n1\n" + base64.b64encode(ROOT[:31]).decode() + "\n",  # 31-byte root
        "o\n1\n" + base64.b64encode(ROOT).decode(),  # no final newline
        "o\n1\n" + base64.b64encode(ROOT).decode().rstrip("=") + "\n",  # unpadded
        "\n1\n" + base64.b64encode(ROOT).decode() + "\n",  # empty origin
        "o\n1\n" + base64.b64encode(ROOT).decode() + "\n\n",  # empty extension line
    ],
)
def test_malformed_checkpoint_bodies_are_rejected(body: str) -> None:
    with pytest.raises(CheckpointFormatError):
        Checkpoint.parse(body)


def test_signed_checkpoint_opens_with_the_log_key_and_its_origin() -> None:
    signer = Signer.generate("anjian.example/log")
    checkpoint = Checkpoint("anjian.example/log", 42, ROOT)
    note = sign_checkpoint(checkpoint, signer)
    opened, _ = open_checkpoint(note, [signer.verifier], origin="anjian.example/log")
    assert opened == checkpoint
    with pytest.raises(CheckpointFormatError):
        open_checkpoint(note, [signer.verifier], origin="other.example/log")
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(note, [Signer.generate("anjian.example/log").verifier])


def test_a_witness_cosignature_by_an_unknown_key_does_not_disturb_the_log_signature() -> None:
    log_key = Signer.generate("anjian.example/log")
    witness = Signer.generate("witness.example/w1")
    note = sign_checkpoint(Checkpoint("anjian.example/log", 7, ROOT), log_key, witness)
    opened, verified = open_checkpoint(note, [log_key.verifier])
    assert opened.size == 7
    assert [s.name for s in verified.unverified] == ["witness.example/w1"]


# A signed tree head published by the Go checksum database (sum.golang.org), a production
# C2SP checkpoint in the wild, with the key every Go toolchain ships (GOSUMDB default).
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = (
    "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n"
    "— sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/"
    "R3cVtYspg3dxXABkGZZKdsQ8=\n"
)


def test_a_checkpoint_signed_by_the_go_checksum_database_opens_with_its_published_key() -> None:
    checkpoint, _ = open_checkpoint(
        SUMDB_NOTE, [Verifier.from_vkey(SUMDB_VKEY)], origin="go.sum database tree"
    )
    assert checkpoint.size == 65209736
    assert base64.b64encode(checkpoint.root).decode() == (
        "5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo="
    )
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(
            SUMDB_NOTE.replace("65209736", "65209737"), [Verifier.from_vkey(SUMDB_VKEY)]
        )
