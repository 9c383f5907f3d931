"""`anjian backup`: one file holding a consistent, online snapshot of the platform's data.

The archive is a gzip-compressed POSIX tar, mode 0600 (it holds the platform's private keys
unless ANJIAN_KEYS_DIR keeps them apart). Its first member is `manifest.json`::

    format          anjian-backup/1
    version         the platform's version (the `anjian` distribution)
    created_at      when the snapshot was taken, in the platform's zone with its offset
    event_store     the event store's member (anjian.sqlite, or postgres/store.dump)
    databases       {"store", "vault", "identity"}: the member of each store
    events          the notification id of the newest event the snapshot holds
    checkpoint      {"size", "root"} of the newest checkpoint (root hex), or null
    relay_position  the stream relay's position as the snapshot holds it (reset on restore)
    signing_keys    "included" (keys/ of the home) or "apart" (ANJIAN_KEYS_DIR: not in it)
    stream          how the stream comes back (below)
    members         [{"path", "kind", "size", "sha256"}]: every other member, in archive order

Every other member is a file of the home at its relative path, or a database dump, of one
kind:

    sqlite   a SQLite database (found by its header, wherever it lies in the home), copied
             through SQLite's online backup API in one step (one read transaction, so writers
             in other processes go on and the copy is one moment of the database) and checked
             with PRAGMA quick_check; its -wal/-shm/-journal files are inside that copy
    postgres a PostgreSQL store (ANJIAN_DATABASE_URL, ANJIAN_VAULT_URL, ANJIAN_IDENTITY_URL):
             postgres/<store|vault|identity>.dump, pg_dump's custom format, taken in a snapshot
             that a repeatable-read transaction exports and reads the manifest's facts in
             (the password goes to pg_dump in PGPASSWORD, never on its command line)
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
   relay's position, all in one database, so one transaction (on PostgreSQL the read models
   and their positions too: one pg_dump snapshot);
3. the vault's key store and the credential store — after the event store, so every sealed
   reference in the copied events has its key (an erasure made meanwhile stays made);
4. the plain files.

The stream: the archive does not hold the JetStream store. A restore starts an empty stream
and resets the relay's position to 0, so the relay republishes every stored event once, in log
order (the relay also resumes after the `sequence` of the stream's last message, so a stream
that kept its messages — an external NATS — is not published twice). The messages are built
from the stored events alone, so the stream comes back as it was; integrators' durable
consumers, which lived in the old server, are created again by the integrators.

A SQLite store configured outside the home is refused in one line (the archive covers the
home and the PostgreSQL stores). PostgreSQL needs pg_dump and pg_restore of the server's
version (PATH, or ANJIAN_PG_BIN); for point-in-time recovery use the server's own
pg_basebackup and WAL archiving beside this.
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
import subprocess
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
    "VARIABLES",
    "BackupError",
    "Member",
    "backup",
    "check_stores",
    "database_url",
    "databases",
    "is_sqlite",
    "left_out",
    "pg_command",
    "pg_tool",
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
# The events table: eventsourcing's SQLite recorder names it stored_events, its PostgreSQL
# recorder <application name>_events (domain.application.Records.name).
EVENT_TABLES = frozenset({"stored_events", "anjian_events"})
VARIABLES = {  # the setting of each store, by role
    "store": "ANJIAN_DATABASE_URL",
    "vault": "ANJIAN_VAULT_URL",
    "identity": "ANJIAN_IDENTITY_URL",
}
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
    if name in _GENERATED or (rel.parts[0] == "nats" and rel.name.endswith(".partial")):
        return "rewritten by the embedded nats-server at every start"
    if rel.suffix == ".lock":
        return "a lock"
    if rel.suffix == ".log":
        return "a log"
    return None


def check_stores(settings: Settings) -> None:
    """BackupError when a SQLite store of `settings` lies outside the home, or a PostgreSQL
    store's tools (pg_dump, pg_restore) are missing."""
    for variable, url in (
        ("ANJIAN_DATABASE_URL", settings.database_url),
        ("ANJIAN_VAULT_URL", settings.vault_url),
        ("ANJIAN_IDENTITY_URL", settings.identity_url),
    ):
        if url.startswith("postgresql"):
            pg_tool("pg_dump", variable)
        elif url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if not path.resolve().is_relative_to(settings.home.resolve()):
                raise BackupError(
                    f"{variable} names {path}, outside the data directory {settings.home}: "
                    "anjian backup and restore cover the data directory only"
                )


def pg_tool(name: str, variable: str) -> str:
    """The path of PostgreSQL's `name` (ANJIAN_PG_BIN, else PATH); BackupError if missing."""
    folder = os.environ.get("ANJIAN_PG_BIN")
    found = shutil.which(name, path=folder) if folder else shutil.which(name)
    if found is None:
        raise BackupError(
            f"{variable} names a PostgreSQL database and {name} is not installed: install the "
            "PostgreSQL client of the server's version (or set ANJIAN_PG_BIN to its bin/)"
        )
    return found


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq takes it (postgresql://…)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pg_command(url: str) -> tuple[str, dict[str, str]]:
    """(a libpq connection string without the password, the environment that carries it):
    a password never appears on a command line, where `ps` shows it."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**{k: str(v) for k, v in params.items() if v is not None}), env


def databases(settings: Settings) -> dict[str, tuple[str, str]]:
    """The platform's three stores by role: (kind, the member path in the archive), where kind
    is sqlite (a file of the home) or postgres (a pg_dump of the database)."""
    urls = {
        "store": (settings.database_url, settings.sqlalchemy_url),
        "vault": (settings.vault_url, settings.vault_sqlalchemy_url),
        "identity": (settings.identity_url, settings.identity_sqlalchemy_url),
    }
    found: dict[str, tuple[str, str]] = {}
    for role, (setting, url) in urls.items():
        if setting.startswith("postgresql"):
            found[role] = ("postgres", f"postgres/{role}.dump")
        else:
            found[role] = ("sqlite", _in_home(settings, url))
    return found


def database_url(settings: Settings, role: str) -> str:
    """The libpq URL of the PostgreSQL store of `role`."""
    url = {
        "store": settings.sqlalchemy_url,
        "vault": settings.vault_sqlalchemy_url,
        "identity": settings.identity_sqlalchemy_url,
    }[role]
    return libpq_url(url)


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
    stores = databases(settings)
    store = stores["store"]
    secrets = [stores["vault"], stores["identity"]]  # copied after the events
    chain: list[tuple[str, str]] = []
    derived: list[tuple[str, str]] = []
    files: list[tuple[str, str]] = []
    core = [(store[1], store[0])] if store[0] == "postgres" else []
    after = [(path, kind) for kind, path in secrets if kind == "postgres"]
    for rel in _walk(home):
        name = rel.as_posix()
        if is_sqlite(home / rel):
            if (("sqlite", name)) == store:
                core.append((name, "sqlite"))
            elif ("sqlite", name) in secrets:
                after.insert(0, (name, "sqlite"))
            else:
                derived.append((name, "sqlite"))
        elif left_out(rel) is not None:
            continue
        elif name == CHAIN_STATE:
            chain.append((name, "chain"))
        else:
            files.append((name, "file"))
    if not core:
        raise BackupError(
            f"the data directory {home} (ANJIAN_HOME) holds no event store ({store[1]})"
        )
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


def _facts(conn: Any, tables: set[str], event_id: str) -> dict[str, Any]:
    """The newest event, checkpoint and relay position of an event store (a DB-API connection
    with `execute`: sqlite3 or psycopg) holding `tables`."""
    events = 0
    for table in EVENT_TABLES & tables:
        events = conn.execute(f"SELECT max({event_id}) FROM {table}").fetchone()[0]
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
    return {"events": int(events or 0), "checkpoint": checkpoint, "relay_position": int(relay or 0)}


def sqlite_facts(store: Path) -> dict[str, Any]:
    conn = sqlite3.connect(store)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return _facts(conn, tables, "rowid")
    finally:
        conn.close()


def dump_postgres(url: str, target: Path, variable: str) -> dict[str, Any]:
    """pg_dump of the database at `url` (libpq) into `target` (custom format), taken in a
    snapshot exported by a repeatable-read transaction that also reads the facts of it (the
    event store's newest event, checkpoint and relay position); those facts."""
    import psycopg

    dump = pg_tool("pg_dump", variable)
    try:
        with psycopg.connect(url, autocommit=False) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
            assert snapshot is not None
            tables = {
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema()"
                )
            }
            facts = _facts(conn, tables, "notification_id")
            conninfo, env = pg_command(url)
            done = subprocess.run(
                [
                    dump, "--format=custom", "--no-owner", "--no-privileges",
                    f"--snapshot={snapshot[0]}", f"--file={target}", f"--dbname={conninfo}",
                ],
                capture_output=True,
                text=True,
                check=False,
                env=env,
            )  # fmt: skip
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackupError(f"{variable}: cannot read the database: {reason}") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{variable}: pg_dump failed: {reason}")
    return facts


def backup(settings: Settings, output: Path, *, now: datetime | None = None) -> dict[str, Any]:
    """Write the archive of the home of `settings` to `output` (a new file, mode 0600); its
    manifest. BackupError, with nothing left behind, when it cannot."""
    check_stores(settings)
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
    copies = staging / "members"  # the copies, at their paths in the home
    partial = staging / "archive.partial"  # linked to `output` once whole; removed with staging
    stores = databases(settings)
    facts: dict[str, Any] = {}
    try:
        members = []
        for path, kind in items:
            if kind == "postgres":
                role = next(r for r, (_, p) in stores.items() if p == path)
                members.append(_dump(settings, copies, path, role, facts))
            else:
                members.append(_stage(home, copies, path, kind))
            if path == stores["store"][1] and kind == "sqlite":
                facts.update(sqlite_facts(copies / path))
        manifest = {
            "format": FORMAT,
            "version": platform_version(),
            "created_at": when.isoformat(),
            "event_store": stores["store"][1],
            "databases": {role: path for role, (_, path) in stores.items()},
            **facts,
            "signing_keys": "apart" if settings.keys_dir is not None else "included",
            "stream": STREAM_NOTE,
            "members": [asdict(m) for m in members],
        }
        _write_tar(partial, copies, manifest, members, when)
        try:
            os.link(partial, output)  # never replaces a file that appeared meanwhile
        except FileExistsError:
            raise BackupError(f"{output} exists: name a new file") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _dump(settings: Settings, staging: Path, path: str, role: str, facts: dict[str, Any]) -> Member:
    target = staging / path
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    found = dump_postgres(database_url(settings, role), target, VARIABLES[role])
    if role == "store":
        facts.update(found)
    return Member(path, "postgres", target.stat().st_size, _sha256(target))


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
