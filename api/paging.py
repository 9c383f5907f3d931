"""Cursor pagination for every list: `?limit=N&cursor=…`, and the `next` link.

A cursor is opaque to the client (URL-safe base64 of the last key it was given); a list is
read in the order of its key, so a page never repeats or skips an item when items are added
between two pages. The `next` link is absent on the last page. A cursor this API did not
give names no page (404).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request

from api.problems import Problem

__all__ = ["Cursor", "Limit", "page"]

T = TypeVar("T")
MAX_LIMIT = 500

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="the cursor of the previous page's `next` link"),
]


def encode(key: Any) -> str:
    text = json.dumps(key, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(
            404, "InvalidCursor", "no page at this cursor: not one this API gave"
        ) from None


def page(
    request: Request,
    items: Sequence[T],
    key: Callable[[T], Any],
    *,
    cursor: str | None,
    limit: int,
    show: Callable[[T], Any],
) -> dict[str, Any]:
    """The page of `items` (sorted by `key`, a JSON value: str, int or a list of them) after
    `cursor`: `{"items": [...], "next": url | null}`."""
    rest: Sequence[T] = items
    if cursor is not None:
        after = decode(cursor)
        try:
            rest = [i for i in items if _json(key(i)) > after]
        except TypeError:
            raise Problem(
                404, "InvalidCursor", "no page at this cursor: not one this API gave"
            ) from None
    chosen = list(rest[:limit])
    nxt = None
    if len(rest) > limit:
        url = request.url.include_query_params(cursor=encode(_json(key(chosen[-1]))))
        nxt = str(url)
    return {"items": [show(i) for i in chosen], "next": nxt}


def _json(key: Any) -> Any:
    """The key as it reads back from a cursor (tuples become lists)."""
    return list(key) if isinstance(key, tuple) else key
