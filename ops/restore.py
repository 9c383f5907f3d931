"""`anjian restore`: an archive of `anjian backup` (ops/backup.py) into an empty data directory.

Nothing in the archive is trusted until checked, and nothing is written until all of it is:

1. the home must be empty (or not exist), and the settings the embedded default the archive
   was made of (a SQLite event store at the same path in the home; ANJIAN_KEYS_DIR set exactly
   when the backup kept the keys apart);
2. the archive is read once without writing: `manifest.json` first (format, members), then
   every member must be a regular file (no symlink, hard link, device, FIFO or directory) at a
   safe relative path (no absolute path, no `..`, no empty, `.` or repeated separator, no
   backslash or NUL), listed in the manifest once, of the listed size and SHA-256; every listed
   member must be present. The first failure is refused naming the member. With the signing
   keys apart, ANJIAN_KEYS_DIR must hold the very keys the archived keys-apart marker names;
3. it is read again into a private staging directory beside the home (each member checked
   again as it is written, files 0600 and directories 0700, created exclusively), each
   database passes PRAGMA quick_check, and the relay's position is reset to 0 (the stream is
   not archived: the relay republishes every event once, in log order, see ops/backup.py);
4. the staged files are moved into the home.

`resume(settings)` then brings the followers up: the read models catch up from their restored
positions and the relay republishes the stream (starting the embedded nats-server for it).
The ledger resumes at its next sync from the leaves the snapshot holds.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ops.backup import FORMAT, MANIFEST, BackupError, check_embedded, event_store_path
from ops.key_directory import MARKER as MARKER_FILE
from ops.settings import Settings

__all__ = ["RestoreError", "Resumed", "restore", "resume", "safe_path", "verify_archive"]

MAX_MANIFEST = 4 << 20  # bytes
KINDS = ("sqlite", "chain", "file")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_BLOCK = 1 << 20


_NOT_FILES: tuple[tuple[Callable[[tarfile.TarInfo], bool], str], ...] = (
    (tarfile.TarInfo.issym, "a symbolic link"),
    (tarfile.TarInfo.islnk, "a hard link"),
    (tarfile.TarInfo.isdir, "a directory"),
    (tarfile.TarInfo.isdev, "a device or FIFO"),
    (lambda _: True, "not a regular file"),
)


class RestoreError(Exception):
    """The archive cannot be restored here; nothing was written."""


@dataclass(frozen=True)
class Listed:
    """A member as the manifest lists it."""

    path: str
    kind: str
    size: int
    sha256: str


def safe_path(name: str) -> PurePosixPath:
    """`name` as a relative path that stays inside the directory it is written to; ValueError
    naming what is wrong otherwise."""
    if not name or "\x00" in name or "\\" in name:
        raise ValueError("an empty name, or one holding NUL or a backslash")
    path = PurePosixPath(name)
    if path.is_absolute():
        raise ValueError("an absolute path")
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise ValueError("a path with '..', '.' or an empty part")
    if path.as_posix() != name or name == MANIFEST:
        raise ValueError("not a plain relative path")
    return path


def _manifest(tar: tarfile.TarFile, archive: Path) -> tuple[dict[str, Any], dict[str, Listed]]:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isreg():
        raise RestoreError(f"{archive}: the first member must be the regular file {MANIFEST}")
    if first.size > MAX_MANIFEST:
        raise RestoreError(f"{archive}: {MANIFEST} is larger than {MAX_MANIFEST} bytes")
    fh = tar.extractfile(first)
    assert fh is not None  # a regular file
    try:
        manifest = json.loads(fh.read())
    except ValueError as exc:
        raise RestoreError(f"{archive}: {MANIFEST} is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreError(f"{archive}: {MANIFEST} is not of the format {FORMAT}")
    rows = manifest.get("members")
    if not isinstance(rows, list):
        raise RestoreError(f"{archive}: {MANIFEST} lists no members")
    listed: dict[str, Listed] = {}
    for row in rows:
        entry = _listed(row)
        if entry is None:
            raise RestoreError(f"{archive}: {MANIFEST} lists a malformed member: {row!r:.200}")
        if entry.path in listed:
            raise RestoreError(f"{archive}: {MANIFEST} lists {entry.path} twice")
        listed[entry.path] = entry
    for path in listed:
        clash = next((p for p in PurePosixPath(path).parents if p.as_posix() in listed), None)
        if clash is not None:
            raise RestoreError(
                f"{archive}: {MANIFEST} lists {clash} as a file and {path} inside it"
            )
    store = manifest.get("event_store")
    if not isinstance(store, str) or store not in listed or listed[store].kind != "sqlite":
        raise RestoreError(f"{archive}: {MANIFEST} names no event store among its members")
    return manifest, listed


def _listed(row: object) -> Listed | None:
    if not isinstance(row, dict):
        return None
    path, kind, size, digest = (row.get(k) for k in ("path", "kind", "size", "sha256"))
    if not (isinstance(path, str) and kind in KINDS and isinstance(digest, str)):
        return None
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return None
    if not _HEX64.fullmatch(digest):
        return None
    try:
        safe_path(path)
    except ValueError:
        return None
    return Listed(path, str(kind), size, digest)


def _members(archive: Path) -> Iterator[tuple[dict[str, Any], Listed, IO[bytes]]]:
    """(manifest, the listed member, its bytes) for every member of `archive`, each checked as
    the module docstring says except its SHA-256 (see `_copy`)."""
    current = MANIFEST
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            manifest, listed = _manifest(tar, archive)
            seen: set[str] = set()
            while (info := tar.next()) is not None:
                current = info.name
                entry = _check(archive, info, listed, seen)
                fh = tar.extractfile(info)
                assert fh is not None  # a regular file
                yield manifest, entry, fh
            missing = sorted(set(listed) - seen)
            if missing:
                raise RestoreError(f"{archive}: member {missing[0]} is listed but missing")
            current = "(the end of the archive)"
            raw = tar.fileobj  # the gzip stream: read to its end, so its CRC and size are checked
            assert raw is not None
            while raw.read(_BLOCK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise RestoreError(
            f"{archive}: truncated or not a gzip tar archive (at member {current}): {exc}"
        ) from None


def _check(
    archive: Path, info: tarfile.TarInfo, listed: dict[str, Listed], seen: set[str]
) -> Listed:
    try:
        safe_path(info.name)
    except ValueError as exc:
        raise RestoreError(f"{archive}: member {info.name!r} is refused: {exc}") from None
    if not info.isreg():
        what = next(n for test, n in _NOT_FILES if test(info))
        raise RestoreError(f"{archive}: member {info.name} is refused: {what}")
    entry = listed.get(info.name)
    if entry is None:
        raise RestoreError(f"{archive}: member {info.name} is not listed in {MANIFEST}")
    if info.name in seen:
        raise RestoreError(f"{archive}: member {info.name} appears twice")
    seen.add(info.name)
    if info.size != entry.size:
        raise RestoreError(
            f"{archive}: member {info.name} holds {info.size} bytes, the manifest says {entry.size}"
        )
    return entry


def _copy(archive: Path, entry: Listed, source: IO[bytes], target: IO[bytes] | None) -> None:
    """Stream the member into `target` (None: only read it), then check its SHA-256."""
    digest = hashlib.sha256()
    try:
        for block in iter(lambda: source.read(_BLOCK), b""):
            digest.update(block)
            if target is not None:
                target.write(block)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise RestoreError(
            f"{archive}: member {entry.path} is truncated or damaged: {exc}"
        ) from None
    if digest.hexdigest() != entry.sha256:
        raise RestoreError(
            f"{archive}: member {entry.path} fails its SHA-256 check (altered or damaged)"
        )


def verify_archive(archive: Path) -> dict[str, Any]:
    """Read `archive` through, writing nothing; its manifest, or RestoreError naming the first
    member that fails."""
    return _verify(archive)[0]


def _verify(archive: Path) -> tuple[dict[str, Any], bytes | None]:
    """verify_archive, and the bytes of the keys-apart marker when the archive holds one."""
    result: dict[str, Any] | None = None
    marker = None
    for manifest, entry, fh in _members(archive):
        if entry.path == MARKER_FILE and entry.size <= MAX_MANIFEST:
            kept = io.BytesIO()
            _copy(archive, entry, fh, kept)
            marker = kept.getvalue()
        else:
            _copy(archive, entry, fh, None)
        result = manifest
    if result is None:  # unreachable: the manifest lists the event store, _members checks it
        raise RestoreError(f"{archive}: the archive holds no member but {MANIFEST}")
    return result, marker


def _refuse_unless_empty(settings: Settings) -> None:
    home = settings.home
    if home.is_symlink() or (home.exists() and not home.is_dir()):
        raise RestoreError(f"{home} (ANJIAN_HOME) is not a directory")
    if home.exists() and any(home.iterdir()):
        raise RestoreError(
            f"the data directory {home} (ANJIAN_HOME) is not empty: restore into an empty "
            "or new directory"
        )


def _check_settings(settings: Settings, manifest: dict[str, Any], archive: Path) -> None:
    for variable, url in (
        ("ANJIAN_DATABASE_URL", settings.database_url),
        ("ANJIAN_VAULT_URL", settings.vault_url),
        ("ANJIAN_IDENTITY_URL", settings.identity_url),
    ):
        if url.startswith("postgresql"):
            raise RestoreError(
                f"{variable} names a PostgreSQL database: restore it with the server's tools "
                "(pg_restore of a pg_dump, or a pg_basebackup); anjian restore covers the "
                "embedded SQLite default"
            )
    try:
        check_embedded(settings)
    except BackupError as exc:
        raise RestoreError(str(exc)) from None
    store = event_store_path(settings)
    if manifest["event_store"] != store:
        raise RestoreError(
            f"{archive} holds the event store at {manifest['event_store']}, these settings "
            f"put it at {store} (ANJIAN_DATABASE_URL)"
        )
    apart = manifest.get("signing_keys") == "apart"
    if apart and settings.keys_dir is None:
        raise RestoreError(
            f"{archive} was taken with the signing keys apart: set ANJIAN_KEYS_DIR to their "
            "directory"
        )
    if not apart and settings.keys_dir is not None:
        raise RestoreError(
            f"{archive} holds the signing keys: unset ANJIAN_KEYS_DIR (move the keys apart "
            "after the restore)"
        )


def restore(settings: Settings, archive: Path) -> dict[str, Any]:
    """Restore `archive` into the empty home of `settings` (module docstring); its manifest."""
    home = settings.home.absolute()
    _refuse_unless_empty(settings)
    if not archive.is_file():
        raise RestoreError(f"{archive} is not a file")
    manifest, marker = _verify(archive)
    _check_settings(settings, manifest, archive)
    if settings.keys_dir is not None:
        _same_keys(settings.keys_dir.absolute(), marker, archive)
    home.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.restore-", dir=home.parent))
    try:
        for _, entry, fh in _members(archive):
            _write(archive, staging, entry, fh)
        _reset_relay(staging / manifest["event_store"])
        _refuse_unless_empty(settings)  # still empty: nothing appeared meanwhile
        home.mkdir(exist_ok=True, mode=0o700)
        os.chmod(home, 0o700)
        for child in staging.iterdir():
            os.rename(child, home / child.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _write(archive: Path, staging: Path, entry: Listed, source: IO[bytes]) -> None:
    target = staging / entry.path
    try:
        for parent in reversed(PurePosixPath(entry.path).parents):
            (staging / parent).mkdir(exist_ok=True, mode=0o700)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(target, flags, 0o600), "wb") as fh:
            _copy(archive, entry, source, fh)
    except OSError as exc:
        raise RestoreError(
            f"{archive}: member {entry.path} cannot be written: {exc.strerror or exc}"
        ) from None
    if entry.kind == "sqlite":
        try:
            conn = sqlite3.connect(target)
            try:
                verdict = conn.execute("PRAGMA quick_check").fetchone()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            verdict = (str(exc),)
        if verdict is None or verdict[0] != "ok":
            raise RestoreError(f"{archive}: member {entry.path} is not a sound database: {verdict}")


def _same_keys(keys: Path, marker: bytes | None, archive: Path) -> None:
    """RestoreError unless `keys` (ANJIAN_KEYS_DIR) holds the signing keys whose SHA-256 the
    archived keys-apart marker lists (ops/key_directory.py checks the same at every start)."""
    try:
        expected = dict(json.loads(marker or b""))
    except (ValueError, TypeError):
        raise RestoreError(f"{archive}: the keys are apart but {MARKER_FILE} is missing") from None
    for name, digest in sorted(expected.items()):
        path = keys / str(name)
        try:
            held = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            held = None
        if held != digest:
            raise RestoreError(
                f"ANJIAN_KEYS_DIR {keys} does not hold the signing key {name} of {archive} "
                f"({'missing' if held is None else 'another key'})"
            )


def _reset_relay(store: Path) -> None:
    """Position 0 for every relay: the restored stream starts empty and the relay republishes."""
    conn = sqlite3.connect(store)
    try:
        with conn:
            tables = conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='stream_relay_position'"
            ).fetchall()
            if tables:
                conn.execute("UPDATE stream_relay_position SET position = 0")
    finally:
        conn.close()


@dataclass(frozen=True)
class Resumed:
    """What the followers did right after a restore."""

    readmodels: int  # events the read models applied
    published: int  # events the relay published to the stream
    stream_error: str | None  # why the stream was not republished now (the relay does it later)


def resume(settings: Settings) -> Resumed:
    """Bring the read models and the stream up to the restored log."""
    from ops.bootstrap import build
    from ops.nats_server import NatsServerError
    from streams.relay import StreamUnavailable

    with build(settings) as p:
        applied = p.readmodels.follower.catch_up()
        try:
            published, error = p.stream.catch_up(), None
        except (NatsServerError, StreamUnavailable) as exc:
            published, error = 0, f"{type(exc).__name__}: {exc}"
    return Resumed(applied, published, error)
