"""Reading what an auditor is handed (a bundle, a receipt) with a bound on its size: a file
named by a careless or hostile sender may be endless (`/dev/zero`, a pipe) and must end in a
one-line refusal, not in exhausted memory."""

from __future__ import annotations

import sys
from typing import BinaryIO

__all__ = ["BUNDLE_LIMIT", "RECEIPT_LIMIT", "TooLarge", "read_limited"]

BUNDLE_LIMIT = 16 * 1024 * 1024  # a bundle is one event with its proofs: kilobytes
RECEIPT_LIMIT = 64 * 1024  # a receipt is a signed note of a few lines


class TooLarge(ValueError):
    """The input holds more than the limit of what it claims to be."""


def read_limited(name: str, limit: int, *, what: str) -> bytes:
    """The bytes of file `name` ("-" for standard input), at most `limit` of them. TooLarge
    (a ValueError) past the limit, OSError when the file cannot be read."""
    if name == "-":
        return _read(sys.stdin.buffer, limit, what)
    with open(name, "rb") as fh:
        return _read(fh, limit, what)


def _read(stream: BinaryIO, limit: int, what: str) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"more than {limit} bytes: too large to be {what}")
    return data
