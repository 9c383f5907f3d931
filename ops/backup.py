"""`anjian backup`: one file holding a consistent, online snapshot of an embedded data directory.

The archive is a gzip-compressed POSIX tar, mode 0600 (it holds the platform's private keys
unless ANJIAN_KEYS_DIR keeps them apart). Its first member is `manifest.json`::

    format          anjian-backup/1
    version         the platform's version (the `anjian` distribution)
    created_at      when the snapshot was taken, in the platform's zone with its offset
    event_store     the event store's path in the home (anjian.sqlite)
    events          the notification id of the newest event the snapshot holds
    checkpoint      {"size", "root"} of the newest checkpoint (root hex), or null
    relay_position  the stream relay's position as the snapshot holds it (reset on restore)
    signing_keys    "included" (keys/ of the home) or "apart" (ANJIAN_KEYS_DIR: not in it)
    stream          how the stream comes back (below)
    members         [{"path", "kind", "size", "sha256"}]: every other member, in archive order

Every other member is a file of the home at its relative path, of one kind:

    sqlite   a SQLite database (found by its header, wherever it lies in the home), copied
             through SQLite's online backup API in one step (one read transaction, so writers
             in other processes go on and the copy is one moment of the database) and checked
             with PRAGMA quick_check; its -wal/-shm/-journal files are inside that copy
    chain    the embedded anvil's state (chain/anvil-state.json), copied under the node's
             lock when no node runs, else read until it parses whole (the node rewrites it)
    file     any other file, byte for byte: the keys (keys/*), the integrators' store
             (nats/integrators.json), the keys-apart marker

Left out, each for a reason: locks (*.lock), logs (*.log), the embedded nats-server's
generated configuration, port and pid (server.conf, users.conf, port, server.pid: rewritten at
every start) and its JetStream store (nats/jetstream: see below).

Consistency. Each database is one moment of itself; across databases the order makes the
whole one moment of the event store that every other part agrees with:

1. the chain state, then every derived database (the read models: their positions are in
   them) — taken before the event store, so they never point past the events it holds; a
   follower re-applies what came after (and the ledger re-submits an anchor the chain copy
   lacks, as after a node crash, ops/chain_node.py);
2. the event store: events, command ids, the ledger's leaves, checkpoints and anchors and the
   relay's position, all in one database, so one transaction;
3. the vault's key store and the credential store — after the event store, so every sealed
   reference in the copied events has its key (an erasure made meanwhile stays made);
4. the plain files.

The stream: the archive does not hold the JetStream store. A restore starts an empty stream
and resets the relay's position to 0, so the relay republishes every stored event once, in log
order (the relay also resumes after the `sequence` of the stream's last message, so a stream
that kept its messages — an external NATS — is not published twice). The messages are built
from the stored events alone, so the stream comes back as it was; integrators' durable
consumers, which lived in the old server, are created again by the integrators.

Only the embedded default is covered: with PostgreSQL (ANJIAN_DATABASE_URL, ANJIAN_VAULT_URL,
ANJIAN_IDENTITY_URL) the backup is refused in one line naming pg_dump / pg_basebackup, and so
is a SQLite file configured outside the home.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import sqlite3
import stat
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from ops.settings import Settings

__all__ = [
    "FORMAT",
    "MANIFEST",
    "BackupError",
    "Member",
    "backup",
    "is_sqlite",
    "left_out",
    "platform_version",
]

FORMAT = "anjian-backup/1"
MANIFEST = "manifest.json"
SQLITE_HEADER = b"SQLite format 3\x00"
CHAIN_STATE = "chain/anvil-state.json"
CHAIN_LOCK = "chain/node.lock"
STREAM_NOTE = (
    "not archived: a restore starts an empty stream and resets the relay's position, so the "
    "relay republishes every stored event once, in log order"
)
_GENERATED = {"nats/server.conf", "nats/users.conf", "nats/port", "nats/server.pid"}
_COMPANIONS = ("-wal", "-shm", "-journal")  # inside the database's backup


class BackupError(Exception):
    """The backup cannot be made; nothing is left behind."""


@dataclass(frozen=True)
class Member:
    """One archived file: its path in the home, kind, size and SHA-256 (hex)."""

    path: str
    kind: str  # sqlite | chain | file
    size: int
    sha256: str


def platform_version() -> str:
    try:
        return importlib.metadata.version("anjian")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def is_sqlite(path: Path) -> bool:
    """Whether `path` starts with the SQLite database header."""
    try:
        with path.open("rb") as fh:
            return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def left_out(rel: PurePosixPath) -> str | None:
    """Why the file at `rel` (relative to the home) is not archived, or None."""
    name = rel.as_posix()
    if name.endswith(_COMPANIONS):
        return "inside its database's backup"
    if rel.parts[:2] == ("nats", "jetstream"):
        return "the stream: republished by the relay after a restore"
    if name in _GENERATED or rel.name.endswith(".partial"):
        return "rewritten by the embedded nats-server at every start"
    if rel.suffix == ".lock":
        return "a lock"
    if rel.suffix == ".log":
        return "a log"
    return None


def check_embedded(settings: Settings) -> None:
    """BackupError unless every store of `settings` is a SQLite file inside the home."""
    for variable, url in (
        ("ANJIAN_DATABASE_URL", settings.database_url),
        ("ANJIAN_VAULT_URL", settings.vault_url),
        ("ANJIAN_IDENTITY_URL", settings.identity_url),
    ):
        if url.startswith("postgresql"):
            raise BackupError(
                f"{variable} names a PostgreSQL database: back it up with the server's tools "
                "(pg_dump, or pg_basebackup with WAL archiving); anjian backup covers the "
                "embedded SQLite default"
            )
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if not path.resolve().is_relative_to(settings.home.resolve()):
                raise BackupError(
                    f"{variable} names {path}, outside the data directory {settings.home}: "
                    "anjian backup and restore cover the data directory only"
                )


def _in_home(settings: Settings, url: str) -> str:
    """The path, relative to the home, of the SQLite file of `url` (checked: inside it)."""
    path = Path(url.removeprefix("sqlite:///"))
    return path.resolve().relative_to(settings.home.resolve()).as_posix()


def event_store_path(settings: Settings) -> str:
    """The event store's path relative to the home (a posix path)."""
    return settings.sqlite_path.resolve().relative_to(settings.home.resolve()).as_posix()


# -- the plan: what is copied, in which order ----------------------------------------------------


def _walk(home: Path) -> Iterator[PurePosixPath]:
    """Every regular file under `home`, relative; BackupError on a symlink or special file."""
    for root, dirs, files in os.walk(home, onerror=_unreadable):
        here = Path(root)
        for name in sorted(dirs):
            path = here / name
            if path.is_symlink():
                raise BackupError(f"{path} is a symbolic link: the data directory holds none")
        dirs[:] = sorted(d for d in dirs if _rel(home, here / d).parts[:2] != ("nats", "jetstream"))
        for name in sorted(files):
            path = here / name
            if name.endswith(_COMPANIONS):
                continue  # inside its database's backup (and gone when its last user closes)
            try:
                mode = path.lstat().st_mode
            except FileNotFoundError:
                continue  # removed meanwhile (a temporary file): not part of the snapshot
            if stat.S_ISLNK(mode):
                raise BackupError(f"{path} is a symbolic link: the data directory holds none")
            if not stat.S_ISREG(mode):
                raise BackupError(f"{path} is not a regular file")
            yield _rel(home, path)


def _unreadable(exc: OSError) -> None:
    raise BackupError(f"cannot read {exc.filename}: {exc.strerror or exc}")


def _rel(home: Path, path: Path) -> PurePosixPath:
    return PurePosixPath(path.relative_to(home).as_posix())


def plan(settings: Settings) -> list[tuple[str, str]]:
    """(path, kind) of every file to archive, in the order they are copied (module docstring)."""
    home = settings.home
    store = event_store_path(settings)
    secrets = {  # the vault's key store and the credential store: copied after the events
        _in_home(settings, settings.vault_sqlalchemy_url),
        _in_home(settings, settings.identity_sqlalchemy_url),
    }
    chain: list[tuple[str, str]] = []
    derived: list[tuple[str, str]] = []
    after: list[tuple[str, str]] = []
    files: list[tuple[str, str]] = []
    core: list[tuple[str, str]] = []
    for rel in _walk(home):
        name = rel.as_posix()
        if is_sqlite(home / rel):
            if name == store:
                core.append((name, "sqlite"))
            elif name in secrets:
                after.append((name, "sqlite"))
            else:
                derived.append((name, "sqlite"))
        elif left_out(rel) is not None:
            continue
        elif name == CHAIN_STATE:
            chain.append((name, "chain"))
        else:
            files.append((name, "file"))
    if not core:
        raise BackupError(f"the data directory {home} (ANJIAN_HOME) holds no event store ({store})")
    return chain + derived + core + after + files


# -- copying ------------------------------------------------------------------------------------


def copy_sqlite(source: Path, target: Path) -> None:
    """One moment of the database at `source` into a new file `target`, checked."""
    try:
        src = sqlite3.connect(f"{source.absolute().as_uri()}?mode=rw", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)  # pages=-1: the whole database in one step, one read transaction
                verdict = dst.execute("PRAGMA quick_check").fetchone()
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the database {source}: {exc}") from None
    if verdict is None or verdict[0] != "ok":
        raise BackupError(f"the database {source} fails PRAGMA quick_check: {verdict}")


def copy_chain_state(home: Path, target: Path, attempts: int = 50) -> None:
    """The anvil state file into `target`: under the node's lock when no node runs, else read
    until it parses whole (the running node rewrites it every few seconds)."""
    source = home / CHAIN_STATE
    lock_path = home / CHAIN_LOCK
    with contextlib.ExitStack() as stack:
        if lock_path.exists():
            lock = stack.enter_context(lock_path.open("a"))
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                stack.callback(fcntl.flock, lock, fcntl.LOCK_UN)
            except BlockingIOError:
                pass  # a node runs: read a whole dump below
        for _ in range(attempts):
            raw = source.read_bytes()
            try:
                json.loads(raw)
            except ValueError:
                time.sleep(0.1)
                continue
            target.write_bytes(raw)
            return
    raise BackupError(f"{source} did not hold a whole JSON state in {attempts} reads")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _facts(store: Path) -> dict[str, Any]:
    """The newest event, checkpoint and relay position of a copied event store."""
    conn = sqlite3.connect(store)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        events = 0
        if "stored_events" in tables:
            events = conn.execute("SELECT max(rowid) FROM stored_events").fetchone()[0]
        checkpoint = None
        if "ledger_checkpoints" in tables:
            row = conn.execute(
                "SELECT tree_size, root FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            if row is not None:
                checkpoint = {"size": int(row[0]), "root": bytes(row[1]).hex()}
        relay = 0
        if "stream_relay_position" in tables:
            relay = conn.execute("SELECT max(position) FROM stream_relay_position").fetchone()[0]
    finally:
        conn.close()
    return {"events": int(events or 0), "checkpoint": checkpoint, "relay_position": int(relay or 0)}


def backup(settings: Settings, output: Path, *, now: datetime | None = None) -> dict[str, Any]:
    """Write the archive of the home of `settings` to `output` (a new file, mode 0600); its
    manifest. BackupError, with nothing left behind, when it cannot."""
    check_embedded(settings)
    home = settings.home
    if not home.is_dir():
        raise BackupError(f"the data directory {home} (ANJIAN_HOME) does not exist")
    output = output.absolute()
    if output.resolve().is_relative_to(home.resolve()):
        raise BackupError(f"-o {output} lies inside the data directory {home}: write it elsewhere")
    if output.exists() or output.is_symlink():
        raise BackupError(f"{output} exists: name a new file")
    if not output.parent.is_dir():
        raise BackupError(f"{output.parent} is not a directory")
    items = plan(settings)
    when = (now or datetime.now(settings.zone)).astimezone(settings.zone)
    staging = Path(tempfile.mkdtemp(prefix=".anjian-backup-", dir=output.parent))
    partial = output.with_name(f".{output.name}.partial")
    try:
        members = [_stage(home, staging, path, kind) for path, kind in items]
        facts = _facts(staging / event_store_path(settings))
        manifest = {
            "format": FORMAT,
            "version": platform_version(),
            "created_at": when.isoformat(),
            "event_store": event_store_path(settings),
            **facts,
            "signing_keys": "apart" if settings.keys_dir is not None else "included",
            "stream": STREAM_NOTE,
            "members": [asdict(m) for m in members],
        }
        _write_tar(partial, staging, manifest, members, when)
        os.link(partial, output)  # never replaces a file that appeared meanwhile
    except FileExistsError:
        raise BackupError(f"{output} exists: name a new file") from None
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _stage(home: Path, staging: Path, path: str, kind: str) -> Member:
    target = staging / path
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    source = home / path
    if kind == "sqlite":
        copy_sqlite(source, target)
    elif kind == "chain":
        copy_chain_state(home, target)
    else:
        try:
            shutil.copyfile(source, target)
        except OSError as exc:
            raise BackupError(f"cannot copy {source}: {exc.strerror or exc}") from None
    return Member(path, kind, target.stat().st_size, _sha256(target))


def _write_tar(
    partial: Path, staging: Path, manifest: dict[str, Any], members: list[Member], when: datetime
) -> None:
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
            tar.addfile(_info(MANIFEST, len(body), when), fileobj=io.BytesIO(body))
            for m in members:
                with (staging / m.path).open("rb") as fh:
                    tar.addfile(_info(m.path, m.size, when), fileobj=fh)
        raw.flush()
        os.fsync(raw.fileno())


def _info(name: str, size: int, when: datetime) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(when.timestamp())
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
