"""The Merkle log as C2SP tlog-tiles (c2sp.org/tlog-tiles): what `/log/*` serves.

A tlog-tiles client or witness follows the log with its own code from three resources:

    checkpoint                      the latest signed checkpoint note, with every stored
                                    cosignature line (ledger/checkpoints.py)
    tile/<L>/<N>[.p/<W>]            level-L tile N: 256 (or W) consecutive 32-byte Merkle tree
                                    hashes, MTH(D[(N*256+i) * 256**L : (N*256+i+1) * 256**L])
    tile/entries/<N>[.p/<W>]        entry bundle N: the leaves of level-0 tile N, each a
                                    big-endian uint16 length and the leaf bytes (ledger/leaf.py),
                                    whose RFC 6962 leaf hash is the tile's entry

The stored tiles are already that layout (ledger/tree.py): level 0 is the leaf blocks of 256
leaf hashes, level t >= 1 the level-8t subtree hashes, and a stored hash never changes, so a
prefix of a stored tile is the tile of any smaller tree.

Everything served is read at the size of the latest signed checkpoint, never the live log's:
a tile or bundle is served only when its W hashes lie inside the tree that checkpoint signs
(N*256 + W <= floor(size / 256**L)); beyond it TileNotFound, even when the live log holds it.
So every byte served is fixed by a signed root (the same path always answers the same bytes),
and a client can only ask for what a checkpoint it verified requires.

Paths are parsed strictly, as the specification spells them: L a decimal integer 0..63, N in
3-digit groups all but the last prefixed with `x` (1234067 is `x001/x234/067`), W 1..255, no
leading zeros anywhere; a path is accepted only if it is the canonical spelling of what it
parses to. Anything else is BadTilePath.

Errors::

    TileError
    ├── BadTilePath      not a tile path (HTTP 400)
    ├── TileNotFound     no such tile in the tree of the latest checkpoint, or no checkpoint
    │                    yet (404)
    └── TileUnavailable  the store cannot give it as signed: a tile row shorter than the tree
                         needs, an event changed since it was logged, a leaf longer than an
                         entry bundle can hold (503)
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from domain.log_reader import NotificationSource
from ledger.checkpoints import CheckpointStore
from ledger.errors import LeafError
from ledger.leaf import StoredNotification, leaf_bytes
from ledger.log import MerkleLog
from ledger.rfc6962 import HASH_SIZE, leaf_hash
from services.ledger.stores import Ledger

__all__ = [
    "ENTRIES_PATH_PATTERN",
    "TILE_PATH_PATTERN",
    "BadTilePath",
    "Tile",
    "TileError",
    "TileNotFound",
    "TilePath",
    "TileServer",
    "TileUnavailable",
    "index_path",
    "parse_tile_path",
]

TILE_HEIGHT = 8
FULL = 1 << TILE_HEIGHT  # hashes in a full tile, entries in a full bundle
MAX_LEVEL = 63  # the specification's range of <L>
MAX_ENTRY = 0xFFFF  # an entry's length is a big-endian uint16

# Exactly the canonical paths after `tile/` (ECMA and Python syntax alike), for the API's
# description: what it matches is answered 200 or 404, anything else is BadTilePath.
_INDEX_PATTERN = (
    r"(?:[0-9]{3}|x(?:00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})(?:/x[0-9]{3})*/[0-9]{3})"
    r"(?:\.p/(?:[1-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5]))?$"
)
TILE_PATH_PATTERN = r"^(?:entries|[0-9]|[1-5][0-9]|6[0-3])/" + _INDEX_PATTERN
ENTRIES_PATH_PATTERN = "^" + _INDEX_PATTERN  # the part after `entries/`
_LEVEL = re.compile(r"0|[1-9][0-9]?")  # 0..99 (at most two digits: int() stays cheap)
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")  # 1..999
_GROUP = re.compile(r"x?[0-9]{3}")


class TileError(Exception):
    """Base class of the tile server's errors."""


class BadTilePath(TileError):
    """The path is not a tlog-tiles path (malformed, or not spelled canonically)."""


class TileNotFound(TileError):
    """No such tile or bundle in the tree of the latest checkpoint (or no checkpoint yet)."""


class TileUnavailable(TileError):
    """The store cannot give the tile or bundle as the checkpoint signs it."""


@dataclass(frozen=True)
class TilePath:
    """A parsed tile path: `level` None for an entry bundle; `width` 256 for a full tile."""

    level: int | None
    index: int
    width: int = FULL

    @property
    def partial(self) -> bool:
        return self.width < FULL

    @property
    def path(self) -> str:
        """The canonical spelling, after `<prefix>/`."""
        level = "entries" if self.level is None else str(self.level)
        suffix = f".p/{self.width}" if self.partial else ""
        return f"tile/{level}/{index_path(self.index)}{suffix}"


def index_path(index: int) -> str:
    """<N> as path elements: 3-digit groups, all but the last prefixed with x."""
    if index < 0:
        raise ValueError("a tile index is non-negative")
    groups = [f"{index % 1000:03d}"]
    while index >= 1000:
        index //= 1000
        groups.append(f"x{index % 1000:03d}")
    return "/".join(reversed(groups))


def parse_tile_path(path: str) -> TilePath:
    """`tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`; BadTilePath unless it is the
    canonical spelling of a tile of a level 0..63 or of an entry bundle."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise BadTilePath(f"not a tile path: {path[:80]!r}")
    head, groups = parts[1], parts[2:]
    if head == "entries":
        level = None
    elif _LEVEL.fullmatch(head) and int(head) <= MAX_LEVEL:
        level = int(head)
    else:
        raise BadTilePath(f"not a tile level (0..{MAX_LEVEL}): {head[:20]!r}")
    width = FULL
    if len(groups) >= 2 and groups[-2].endswith(".p"):
        w = groups[-1]
        if not _WIDTH.fullmatch(w) or int(w) >= FULL:
            raise BadTilePath(f"not a partial tile width (1..{FULL - 1}): {w[:20]!r}")
        width = int(w)
        groups = [*groups[:-2], groups[-2].removesuffix(".p")]
    if not all(_GROUP.fullmatch(g) for g in groups):
        raise BadTilePath(f"not a tile index: {'/'.join(groups)[:80]!r}")
    index = 0
    for g in groups:
        index = index * 1000 + int(g.removeprefix("x"))
    parsed = TilePath(level, index, width)
    if parsed.path != path:
        raise BadTilePath(f"not the canonical spelling of {parsed.path!r}: {path[:80]!r}")
    return parsed


@dataclass(frozen=True)
class Tile:
    """What a tile path answers: its bytes, and whether it is partial (fewer than 256)."""

    data: bytes
    partial: bool


class TileServer:
    """The log's checkpoint, tiles and entry bundles as c2sp.org/tlog-tiles serves them.

    `notifications` is the event store the log follows (its leaves are rebuilt from it for
    entry bundles, and checked against the logged leaf hashes)."""

    def __init__(
        self, log: MerkleLog, checkpoints: CheckpointStore, notifications: NotificationSource
    ) -> None:
        self._log = log
        self._checkpoints = checkpoints
        self._notifications = notifications

    @classmethod
    def of(cls, ledger: Ledger) -> TileServer:
        notifications: NotificationSource = ledger.recorder
        return cls(ledger.log, ledger.checkpoints, notifications)

    def checkpoint(self) -> bytes:
        """The latest signed checkpoint note with its cosignature lines (UTF-8 text)."""
        latest = self._checkpoints.latest()
        if latest is None:
            raise TileNotFound("the log has no signed checkpoint yet")
        return self._checkpoints.cosigned_note(latest).encode()

    def _signed_size(self) -> int:
        latest = self._checkpoints.latest()
        if latest is None:
            raise TileNotFound("the log has no signed checkpoint yet")
        return latest.size

    def tile(self, path: str) -> Tile:
        """The tile or entry bundle at `path` (after `<prefix>/`), in the tree of the latest
        checkpoint."""
        wanted = parse_tile_path(path)
        size = self._signed_size()
        level = wanted.level or 0
        if wanted.index * FULL + wanted.width > size >> (TILE_HEIGHT * level):
            raise TileNotFound(f"{wanted.path} is not in the tree of the latest checkpoint")
        if wanted.level is None:
            return Tile(self._bundle(wanted.index, wanted.width), wanted.partial)
        stored = self._log.tile(level, wanted.index)
        if len(stored) < wanted.width * HASH_SIZE:
            raise TileUnavailable(
                f"{wanted.path}: the stored tile holds {len(stored) // HASH_SIZE} hashes"
            )
        return Tile(stored[: wanted.width * HASH_SIZE], wanted.partial)

    def _bundle(self, index: int, width: int) -> bytes:
        start = index * FULL
        leaves = self._log.leaves(start, start + width)
        if len(leaves) != width:
            raise TileUnavailable(f"leaves {start}..{start + width - 1} are not all stored")
        ids = [leaf.notification_id for leaf in leaves]
        found = {
            n.id: n for n in self._notifications.select_notifications(ids[0], width, stop=ids[-1])
        }
        out = bytearray()
        for leaf in leaves:
            entry = self._entry(leaf.index, found.get(leaf.notification_id), leaf.hash)
            out += struct.pack(">H", len(entry)) + entry
        return bytes(out)

    @staticmethod
    def _entry(index: int, notification: StoredNotification | None, logged: bytes) -> bytes:
        if notification is None:
            raise TileUnavailable(f"the event of leaf {index} is no longer stored")
        try:
            entry = leaf_bytes(notification)
        except LeafError as exc:
            raise TileUnavailable(f"leaf {index}: {exc}") from None
        if leaf_hash(entry) != logged:
            raise TileUnavailable(f"the event of leaf {index} changed since it was logged")
        if len(entry) > MAX_ENTRY:
            raise TileUnavailable(
                f"leaf {index} has {len(entry)} bytes, more than an entry bundle holds "
                f"({MAX_ENTRY})"
            )
        return entry
