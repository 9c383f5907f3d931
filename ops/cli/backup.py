"""`anjian backup` and `anjian restore`: one archive of the embedded data directory, and back.

The logic is in ops/backup.py (what is archived, in which order, and why the snapshot is
consistent while the platform writes) and ops/restore.py (what an archive must be before
anything is written); these commands print the outcome, Chinese first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ops.backup import BackupError
from ops.backup import backup as write_backup
from ops.cli.arguments import JsonOpt
from ops.cli.output import emit_json, err, fail, out
from ops.restore import RestoreError, resume
from ops.restore import restore as restore_archive
from ops.settings import load_settings

__all__ = ["backup", "restore"]


def _checkpoint(manifest: dict[str, Any]) -> str:
    cp = manifest.get("checkpoint")
    return f"size {cp['size']}, root {cp['root'][:16]}…" if cp else "none 无"


def backup(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="the archive to write (a new file)")
    ],
    as_json: JsonOpt = False,
) -> None:
    """备份 Write a consistent snapshot of the data directory while the platform runs: every
    SQLite database through SQLite's online backup API, each PostgreSQL store with pg_dump in
    one snapshot, the keys, the chain's state, the integrators; one gzip tar with a manifest of
    SHA-256s. The archive holds the platform's private keys: it is written mode 0600; keep it
    as you keep the keys."""
    try:
        manifest = write_backup(load_settings(), output)
    except BackupError as exc:
        fail("BackupError", str(exc))
    if as_json:
        emit_json({**manifest, "archive": str(output.absolute())})
        return
    members = manifest["members"]
    out.print(
        f"备份完成 backup written: {output} (mode 0600), {len(members)} member(s), "
        f"{sum(m['size'] for m in members)} bytes; events up to {manifest['events']}, "
        f"checkpoint {_checkpoint(manifest)}; {manifest['created_at']}",
        soft_wrap=True,
        markup=False,
    )
    if manifest["signing_keys"] == "included":
        err.print(
            "[yellow]note[/]: 备份含平台私钥 the archive holds the platform's private keys: "
            "store it encrypted, where only the operator can read it",
            soft_wrap=True,
        )
    else:
        err.print(
            "[yellow]note[/]: the signing keys live apart (ANJIAN_KEYS_DIR) and are not in the "
            "archive: back them up with their secrets store",
            soft_wrap=True,
        )


def restore(
    archive: Annotated[Path, typer.Argument(help="an archive written by anjian backup")],
    as_json: JsonOpt = False,
) -> None:
    """恢复 Restore an archive of `anjian backup` into an empty data directory (ANJIAN_HOME)
    and, for PostgreSQL stores, empty databases: every member is checked against the manifest's
    SHA-256 before anything is written; then the read models catch up and the relay
    republishes the stream."""
    settings = load_settings()
    try:
        manifest = restore_archive(settings, archive)
    except RestoreError as exc:
        fail("RestoreError", str(exc))
    try:
        resumed = resume(settings)
    except Exception as exc:  # the files are in place: say so, and what did not follow
        fail(
            "ResumeError",
            f"restored into {settings.home.absolute()}, but the followers did not catch up "
            f"({type(exc).__name__}: {exc}); they resume from their restored positions at the "
            "next start",
        )
    if as_json:
        emit_json(
            {
                "home": str(settings.home.absolute()),
                "created_at": manifest["created_at"],
                "version": manifest["version"],
                "events": manifest["events"],
                "checkpoint": manifest["checkpoint"],
                "members": len(manifest["members"]),
                "readmodels_applied": resumed.readmodels,
                "stream_published": resumed.published,
                "stream_error": resumed.stream_error,
            }
        )
        return
    out.print(
        f"恢复完成 restored into {settings.home.absolute()}: {len(manifest['members'])} "
        f"member(s) of the backup of {manifest['created_at']} (version {manifest['version']}); "
        f"events up to {manifest['events']}, checkpoint {_checkpoint(manifest)}; read models "
        f"applied {resumed.readmodels}, stream republished {resumed.published}",
        soft_wrap=True,
        markup=False,
    )
    if resumed.stream_error:
        err.print(
            f"[yellow]note[/]: stream not republished now ({escape(resumed.stream_error)}); the "
            "relay "
            "republishes it from position 0 when it next runs",
            soft_wrap=True,
        )
