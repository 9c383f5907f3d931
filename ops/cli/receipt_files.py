"""The receipts directory of `anjian record --receipts DIR`: one signed receipt per event.

Each receipt is written to `<subject uuid>_<version>.receipt` (the event id, its colon made
safe for every file system), mode 0600 in a directory kept 0700. A file is never overwritten:
the same receipt again (an event recorded before is answered with its original receipt, byte
for byte) leaves it as it is; a different receipt under that name is refused with
ReceiptFileConflict. A receipt appears whole or not at all (written beside, then linked).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

__all__ = ["ReceiptFileConflict", "ReceiptFiles", "receipt_file_name"]


class ReceiptFileConflict(Exception):
    """Another receipt is already stored under this event's file name."""


def receipt_file_name(event_id: str) -> str:
    return event_id.replace(":", "_") + ".receipt"


class ReceiptFiles:
    """A private directory of receipt files (created 0700; a looser one is tightened)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(directory.stat().st_mode) & 0o077:
            directory.chmod(0o700)
        self.directory = directory

    def write(self, event_id: str, note: str) -> Path:
        """Store `note` as the receipt of `event_id` (see the module docstring)."""
        path = self.directory / receipt_file_name(event_id)
        data = note.encode("utf-8")
        if path.exists():
            return self._same(path, data)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(temp, path)  # fails if the name was taken meanwhile
            except FileExistsError:
                return self._same(path, data)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return path

    @staticmethod
    def _same(path: Path, data: bytes) -> Path:
        if path.read_bytes() != data:
            raise ReceiptFileConflict(
                f"{path} holds another receipt; it is kept, the new one is not written"
            )
        return path
