"""Where the platform's signing keys live, checked at start-up by ops.bootstrap.build.

Unset ANJIAN_KEYS_DIR (the embedded default, as before): keys/ in the data directory, each key
created on first use (ops/keystore.py) and made private with the rest of the home by ops.home
(tightened, not refused). Whoever holds a copy of the data directory then holds the keys and can
sign as the platform; `ledger status` and `audit verify` say so (`keys_statement`).

ANJIAN_KEYS_DIR set: the platform key, the custody secret, the log key and the anchorer key live
there, apart from the data.

* The directory must lie outside the data directory, belong to the running user, be mode 0700
  and every file in it 0600 (no group or other bits). A looser one is refused with one line
  naming the path (KeysDirTooOpen), not tightened: it sits outside the home, often on a secrets
  mount the platform does not manage, and a loose mode there may already have exposed the keys,
  which tightening in silence would hide. (The home is tightened because it holds data restored
  from backups or made by older versions, see ops/home.py.)
* The first start creates the four keys at once and writes `keys-apart` into the data
  directory: the SHA-256 of each key file (which tells nothing of 32 random bytes). Every later
  start needs ANJIAN_KEYS_DIR holding those very files: a copy of the data directory started
  without its keys, or with other ones, is refused before anything is opened (KeysMissing), so
  it writes nothing. Deleting the marker from a copy lets it start with keys of its own, which
  sign nothing the platform's published log key or registered custodial keys verify.
* A home whose keys/ already holds signing keys is refused until they are moved to
  ANJIAN_KEYS_DIR: new keys would otherwise sign for an existing history.

The vault's key store (keys/vault.sqlite, the personal-data keys) stays in the data directory:
it is data, written at every record of personal data and erased by the erasure service, and it
must be backed up with the records it opens (losing it loses the personal data). Keeping it
apart from the ciphertexts is ANJIAN_VAULT_URL's business; ANJIAN_KEYS_DIR holds only signing
keys, created once and never rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from ops.keystore import KEY_FILES, Keystore
from ops.settings import Settings

__all__ = [
    "MARKER",
    "KeysDirError",
    "KeysDirTooOpen",
    "KeysMissing",
    "check_apart",
    "key_directory",
    "keys_statement",
]

MARKER = "keys-apart"  # in the data directory: the key files' SHA-256, when they live apart


class KeysDirError(Exception):
    """The signing keys' directory cannot be used (see the module docstring)."""


class KeysDirTooOpen(KeysDirError):
    """ANJIAN_KEYS_DIR, or a file in it, is readable or writable by others."""


class KeysMissing(KeysDirError):
    """The data directory's keys live apart and are not where ANJIAN_KEYS_DIR points."""


def check_apart(settings: Settings) -> None:
    """Raise KeysDirError when ANJIAN_KEYS_DIR lies inside the data directory (a setting's
    error, found before anything is opened or created)."""
    if settings.keys_dir is None:
        return
    keys = settings.keys_dir.absolute()
    if keys.resolve().is_relative_to(settings.home.resolve()):
        raise KeysDirError(f"ANJIAN_KEYS_DIR {keys} lies inside the data directory {settings.home}")


def key_directory(settings: Settings) -> Path:
    """The directory of the platform's signing keys, checked (see the module docstring).
    Precondition: ops.home.secure_home ran (umask 077, the home exists)."""
    home = settings.home
    marker = home / MARKER
    if settings.keys_dir is None:
        if marker.exists():
            raise KeysMissing(
                f"{marker} says this data directory's signing keys are kept apart: set "
                "ANJIAN_KEYS_DIR to their directory (the data directory alone cannot sign)"
            )
        return home / "keys"
    keys = settings.keys_dir.absolute()
    check_apart(settings)
    if keys.exists():
        _private(keys)
    else:
        keys.mkdir(parents=True, mode=0o700)
    if marker.exists():
        _same_keys(keys, marker)
        return keys
    kept = [name for name in KEY_FILES if (home / "keys" / name).exists()]
    if kept:
        raise KeysDirError(
            f"{home / 'keys'} holds this data directory's signing keys ({', '.join(kept)}): "
            f"move them to {keys} before starting with ANJIAN_KEYS_DIR"
        )
    created = Keystore(keys).create_all()
    marker.write_text(
        json.dumps({name: hashlib.sha256(raw).hexdigest() for name, raw in created.items()}) + "\n",
        encoding="utf-8",
    )
    return keys


def keys_statement(settings: Settings) -> tuple[bool, str]:
    """(apart, a sentence for a person): where the signing keys are and what that means."""
    if settings.keys_dir is None:
        return False, (
            f"the signing keys share the data directory ({settings.home / 'keys'}): a copy of it "
            "can sign as the platform; set ANJIAN_KEYS_DIR to keep them apart"
        )
    return True, f"the signing keys are kept apart from the data directory, in {settings.keys_dir}"


def _private(keys: Path) -> None:
    for path in [keys, *sorted(keys.iterdir())]:
        st = path.lstat()
        if st.st_uid != os.geteuid():
            raise KeysDirTooOpen(f"{path} belongs to another user (uid {st.st_uid})")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            wanted = "0700" if stat.S_ISDIR(st.st_mode) else "0600"
            raise KeysDirTooOpen(
                f"{path} is mode {mode:04o}: the signing keys' directory must be 0700 and its "
                f"files 0600 (chmod {wanted} {path})"
            )


def _same_keys(keys: Path, marker: Path) -> None:
    try:
        expected = dict(json.loads(marker.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise KeysMissing(f"{marker} cannot be read: {exc}") from None
    for name, digest in expected.items():
        path = keys / str(name)
        if not path.is_file():
            raise KeysMissing(
                f"{path} is missing: ANJIAN_KEYS_DIR does not hold this data directory's "
                f"signing keys ({marker})"
            )
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise KeysMissing(
                f"{path} is not the key this data directory was signed with ({marker})"
            )
