"""`/log/*`: the Merkle log by the C2SP tlog-tiles API (c2sp.org/tlog-tiles), so that any
tlog-tiles client or witness follows and verifies the log with its own code.

    GET /log/checkpoint                 the latest signed checkpoint, with its cosignatures
    GET /log/tile/<L>/<N>[.p/<W>]       a tile of Merkle tree hashes
    GET /log/tile/entries/<N>[.p/<W>]   an entry bundle: the leaves, uint16-length-prefixed

What is served and how paths are read: services/ledger/tiles.py. Headers as the
specification asks: the checkpoint is `text/plain; charset=utf-8` and mutable (no-cache);
tiles and bundles are `application/octet-stream` and immutable, partial ones too (a path names
its width, and the hashes at a position never change); bundles are gzip-compressed for a client
that accepts gzip. A path that is not a tile path is 400, a tile outside the tree of the
latest checkpoint 404 (not cached: it may exist later), a tile the store cannot give as signed
503.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, and the
# dependency's alias is local to tiles_router.
import gzip
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from api.docs import answers
from services.ledger.tiles import (
    ENTRIES_PATH_PATTERN,
    TILE_PATH_PATTERN,
    BadTilePath,
    Tile,
    TileError,
    TileNotFound,
    TileServer,
)

__all__ = ["IMMUTABLE", "MUTABLE", "tiles_router"]

IMMUTABLE = "public, max-age=31536000, immutable"
MUTABLE = "no-cache"
_OCTETS = "application/octet-stream"
_TEXT = "text/plain; charset=utf-8"


def _status(exc: TileError) -> int:
    if isinstance(exc, BadTilePath):
        return 400
    if isinstance(exc, TileNotFound):
        return 404
    return 503


def _refusal(exc: TileError) -> HTTPException:
    return HTTPException(_status(exc), str(exc), headers={"Cache-Control": MUTABLE})


def _accepts_gzip(request: Request) -> bool:
    for item in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() != "gzip":
            continue
        q = params.strip().lower()
        try:
            return not q.startswith("q=") or float(q[2:]) > 0
        except ValueError:
            return False
    return False


def _doc(
    media: str, what: str, *statuses: int, auth: bool = False
) -> dict[int | str, dict[str, Any]]:
    """The route's answers: 200 with `media`; problem documents for 400 (not a tlog-tiles
    path), 404 (not in the tree of the latest checkpoint), 503 (the store cannot give it as
    the checkpoint signs it) and `statuses`."""
    out = answers(None, 404, 503, *statuses, auth=auth)
    out[200] = {"description": what, "content": {media: {}}}
    return out


# The pattern is described, not enforced by FastAPI: a path outside it is answered 400 by the
# tile server (BadTilePath), one inside it 200 or 404.
TilePathParam = Annotated[
    str,
    Path(
        description="`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, N in 3-digit groups, all "
        "but the last prefixed with x (1234067: x001/x234/067)",
        json_schema_extra={"pattern": TILE_PATH_PATTERN},
    ),
]


EntriesPathParam = Annotated[
    str,
    Path(
        description="`<N>[.p/<W>]`, N in 3-digit groups, all but the last prefixed with x",
        json_schema_extra={"pattern": ENTRIES_PATH_PATTERN},
    ),
]


def tiles_router(
    get_tile_server: Callable[..., TileServer],
    entries_reader: Callable[..., object] | None = None,
) -> APIRouter:
    """The `/log` routes over the TileServer that `get_tile_server` (a FastAPI dependency)
    gives for a request. `entries_reader`, a dependency, guards the entry bundles (they hold
    the events themselves; the checkpoint and the hash tiles reveal nothing of them)."""
    router = APIRouter(prefix="/log", tags=["log"])
    Server = Annotated[TileServer, Depends(get_tile_server)]  # noqa: N806 (a type alias)

    @router.get(
        "/checkpoint",
        response_class=Response,
        responses=_doc(_TEXT, "the signed checkpoint note (c2sp.org/tlog-checkpoint)"),
    )
    def checkpoint(server: Server) -> Response:
        """The latest signed checkpoint of the log, with the witnesses' cosignatures."""
        try:
            note = server.checkpoint()
        except TileError as exc:
            raise _refusal(exc) from None
        return Response(note, media_type=_TEXT, headers={"Cache-Control": MUTABLE})

    def serve(path: str, request: Request, server: TileServer) -> Response:
        try:
            found: Tile = server.tile(f"tile/{path}")
        except TileError as exc:
            raise _refusal(exc) from None
        headers = {"Cache-Control": IMMUTABLE}
        body = found.data
        if path.startswith("entries/"):
            headers["Vary"] = "Accept-Encoding"
            if _accepts_gzip(request):
                body = gzip.compress(body, mtime=0)
                headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=_OCTETS, headers=headers)

    @router.get(
        "/tile/entries/{path:path}",
        response_class=Response,
        responses=_doc(
            _OCTETS,
            "an entry bundle: the leaves (c2sp.org/tlog-tiles)",
            *((403,) if entries_reader is not None else ()),
            auth=entries_reader is not None,
        ),
        dependencies=[Depends(entries_reader)] if entries_reader is not None else [],
    )
    def entries(path: EntriesPathParam, request: Request, server: Server) -> Response:
        """An entry bundle `entries/<N>[.p/<W>]`: the logged events, each length-prefixed."""
        return serve(f"entries/{path}", request, server)

    @router.get(
        "/tile/{path:path}",
        response_class=Response,
        responses=_doc(_OCTETS, "a tile of Merkle tree hashes (c2sp.org/tlog-tiles)"),
    )
    def tile(path: TilePathParam, request: Request, server: Server) -> Response:
        """A tile `<L>/<N>[.p/<W>]` of Merkle tree hashes."""
        return serve(path, request, server)

    return router
