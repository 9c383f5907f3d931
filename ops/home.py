"""The data directory (ANJIAN_HOME) is private to the account that runs the platform.

Everything under it holds records or secrets: the SQLite stores (events and ledger, read
models), the vault's key store and the platform's keys (keys/), the chain's state (chain/),
locks. `secure_home`, called once by ops.bootstrap.build before anything is opened, makes it so:

* the process's umask becomes 077, so every file the platform (and the chain node or other
  child processes it launches, which inherit the umask) creates from then on is mode 0600 and
  every directory 0700; SQLite gives its -wal, -shm and -journal files the database file's mode;
* the home is created mode 0700 when missing;
* a home that exists with looser permissions (made by an older version, by hand, or restored
  from a backup) is tightened, not refused: group and other permissions are removed from the
  home and from everything in it, and the tightened paths are reported in one warning on the
  `anjian.home` logger. A path the running user does not own cannot be tightened; it is reported
  the same way (the platform still starts, its own new files being private).

An embedded SQLite store configured outside the home (ANJIAN_DATABASE_URL=sqlite:///…) is
tightened the same way. A PostgreSQL database is protected by the server, not by file modes.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ops.settings import Settings

__all__ = ["PRIVATE_UMASK", "secure_home"]

PRIVATE_UMASK = 0o077
log = logging.getLogger("anjian.home")


def secure_home(settings: Settings) -> list[Path]:
    """Set the private umask, create or tighten the home; the paths tightened now."""
    os.umask(PRIVATE_UMASK)
    home = settings.home
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = list(_walk(home))
    if not settings.is_postgres and not _inside(settings.sqlite_path, home):
        db = settings.sqlite_path
        paths += [p for s in ("", "-wal", "-shm", "-journal") if (p := Path(f"{db}{s}")).exists()]
    tightened, refused = [], []
    for path in paths:
        try:
            if _tighten(path):
                tightened.append(path)
        except PermissionError:
            refused.append(path)
    if tightened:
        log.warning(
            "%s had group or other permissions; removed them from %d path(s): %s",
            home,
            len(tightened),
            ", ".join(map(str, tightened[:5])) + (", …" if len(tightened) > 5 else ""),
        )
    if refused:
        log.warning(
            "cannot make %d path(s) under %s private (owned by another user): %s",
            len(refused),
            home,
            ", ".join(map(str, refused[:5])) + (", …" if len(refused) > 5 else ""),
        )
    return tightened


def _walk(home: Path) -> Iterator[Path]:
    yield home
    for root, dirs, files in os.walk(home):
        for name in (*dirs, *files):
            yield Path(root) / name


def _tighten(path: Path) -> bool:
    """Remove group and other permissions from `path` (not following symlinks)."""
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode) or not st.st_mode & PRIVATE_UMASK:
        return False
    path.chmod(stat.S_IMODE(st.st_mode) & ~PRIVATE_UMASK)
    return True


def _inside(path: Path, home: Path) -> bool:
    return path.resolve().is_relative_to(home.resolve())
