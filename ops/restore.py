"""`anjian restore`: an archive of `anjian backup` (ops/backup.py) into an empty data directory.

Nothing in the archive is trusted until checked, and nothing is written until all of it is:

1. the home must be empty (or not exist), and the settings must name stores of the kinds the
   archive holds (each SQLite store at the same path in the home, each PostgreSQL store an
   empty database; ANJIAN_KEYS_DIR set exactly when the backup kept the keys apart);
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
4. each PostgreSQL dump is restored with pg_restore in one transaction (the event store
   first, then its relay position reset), then the staged files are moved into the home.
   A pg_restore that fails stores nothing of its database; one restored before it keeps its
   data (drop and create it again before a retry).

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
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ops.backup import (
    FORMAT,
    MANIFEST,
    VARIABLES,
    BackupError,
    check_stores,
    database_url,
    databases,
    pg_command,
    pg_tool,
)
from ops.key_directory import MARKER as MARKER_FILE
from ops.settings import Settings

__all__ = ["RestoreError", "Resumed", "restore", "resume", "safe_path", "verify_archive"]

MAX_MANIFEST = 4 << 20  # bytes
KINDS = ("sqlite", "postgres", "chain", "file")
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


_NONE = Listed("", "", 0, "")


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
    if not isinstance(store, str) or listed.get(store, _NONE).kind not in ("sqlite", "postgres"):
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


def _describe(kind: str | None, path: object) -> str:
    if kind == "postgres":
        return "a PostgreSQL database"
    return f"the SQLite file {path}" if kind == "sqlite" else "nothing"


def _check_settings(settings: Settings, manifest: dict[str, Any], archive: Path) -> None:
    try:
        check_stores(settings)
        for role, (kind, _) in databases(settings).items():
            if kind == "postgres":
                pg_tool("pg_restore", VARIABLES[role])
    except BackupError as exc:
        raise RestoreError(str(exc)) from None
    kinds = {m["path"]: m["kind"] for m in manifest["members"]}
    archived = manifest.get("databases")
    if not isinstance(archived, dict):
        raise RestoreError(f"{archive}: {MANIFEST} names no databases")
    for role, (kind, path) in databases(settings).items():
        have = archived.get(role)
        have_kind = kinds.get(have) if isinstance(have, str) else None
        if have_kind != kind or have != path:
            raise RestoreError(
                f"{archive} holds the {role} database as {_describe(have_kind, have)}, these "
                f"settings ({VARIABLES[role]}) want {_describe(kind, path)}"
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
    stores = databases(settings)
    postgres = {role: path for role, (kind, path) in stores.items() if kind == "postgres"}
    for role in postgres:
        _refuse_unless_empty_database(database_url(settings, role), VARIABLES[role])
    home.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.restore-", dir=home.parent))
    try:
        for _, entry, fh in _members(archive):
            _write(archive, staging, entry, fh)
        if stores["store"][0] == "sqlite":
            _reset_relay(staging / stores["store"][1])
        _refuse_unless_empty(settings)  # still empty: nothing appeared meanwhile
        for role, path in postgres.items():  # the event store first, as it was dumped
            url = database_url(settings, role)
            _pg_restore(url, staging / path, VARIABLES[role])
            if role == "store":
                _reset_relay_postgres(url)
            (staging / path).unlink()
        if postgres:
            shutil.rmtree(staging / "postgres", ignore_errors=True)
        home.mkdir(exist_ok=True, mode=0o700)
        os.chmod(home, 0o700)
        for child in staging.iterdir():
            os.rename(child, home / child.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _refuse_unless_empty_database(url: str, variable: str) -> None:
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            ).fetchone()
    except psycopg.Error as exc:
        raise RestoreError(f"{variable}: cannot reach the database: {_reason(exc)}") from None
    if row is not None and row[0]:
        raise RestoreError(
            f"{variable} names a database that holds {row[0]} table(s): restore into an empty "
            "database (createdb)"
        )


def _pg_restore(url: str, dump: Path, variable: str) -> None:
    """pg_restore of `dump` into the empty database at `url`, in one transaction."""
    try:
        tool = pg_tool("pg_restore", variable)
    except BackupError as exc:
        raise RestoreError(str(exc)) from None
    conninfo, env = pg_command(url)
    done = subprocess.run(
        [
            tool, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
            f"--dbname={conninfo}", str(dump),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )  # fmt: skip
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RestoreError(f"{variable}: pg_restore failed (nothing of it stored): {reason}")


def _reset_relay_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass('stream_relay_position')").fetchone()
        if row is not None and row[0] is not None:
            conn.execute("UPDATE stream_relay_position SET position = 0")


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
