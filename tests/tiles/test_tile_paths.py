"""Tile paths are read exactly as c2sp.org/tlog-tiles spells them, and nothing else."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ledger.tiles import (
    TILE_PATH_PATTERN,
    BadTilePath,
    TilePath,
    index_path,
    parse_tile_path,
)


@pytest.mark.parametrize(
    ("index", "path"),
    [(0, "000"), (67, "067"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_an_index_is_written_in_3_digit_groups_all_but_the_last_prefixed_with_x(
    index: int, path: str
) -> None:
    assert index_path(index) == path


@pytest.mark.parametrize(
    ("path", "parsed"),
    [
        ("tile/0/000", TilePath(0, 0)),
        ("tile/0/x001/x234/067", TilePath(0, 1234067)),
        ("tile/1/000.p/17", TilePath(1, 0, 17)),
        ("tile/2/000.p/1", TilePath(2, 0, 1)),
        ("tile/0/273.p/255", TilePath(0, 273, 255)),
        ("tile/63/001", TilePath(63, 1)),
        ("tile/entries/x001/000", TilePath(None, 1000)),
        ("tile/entries/273.p/112", TilePath(None, 273, 112)),
    ],
)
def test_a_canonical_tile_path_is_read(path: str, parsed: TilePath) -> None:
    assert parse_tile_path(path) == parsed
    assert parsed.path == path


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/../../x",  # traversal
        "tile/0/x001",  # the last element has no x
        "tile/0/x000/001",  # a leading zero group
        "tile/0/1",  # not 3 digits
        "tile/0/0001",
        "tile/00/000",  # a level with a leading zero
        "tile/64/000",  # a level beyond 63
        "tile/-1/000",
        "tile/+1/000",
        "tile/0/000.p/0",  # widths are 1..255
        "tile/0/000.p/256",
        "tile/0/000.p/01",
        "tile/0/000.p/",
        "tile/0/000.p",
        "tile/0/000/",
        "tile/0//000",
        "tile/0/00a",
        "tile/0/٠٠٠",  # Arabic-Indic digits are digits to str.isdigit, not to the spec
        "tile/0/x001.p/5/001",
        "tile/entries/000.p/256",
        "tile/entries",
        "tile/data/000",
        "tile/0",
        "0/000",
        "tile/" + "9" * 5000 + "/000",  # never int() of an unbounded number
        "tile/0/000.p/" + "9" * 5000,
    ],
)
def test_anything_else_is_a_bad_tile_path(path: str) -> None:
    with pytest.raises(BadTilePath):
        parse_tile_path(path)


def test_a_huge_index_is_a_path_not_an_error() -> None:
    """Well-formed, so not 400: the server answers 404 because no tree holds it."""
    assert parse_tile_path("tile/0/" + "x999/" * 30 + "999").index == 1000**31 - 1


PIECES = [
    "0",
    "1",
    "9",
    "00",
    "001",
    "010",
    "255",
    "256",
    "063",
    "63",
    "64",
    "x",
    "x000",
    "x001",
    "x999",
    "000",
    "999",
    "entries",
    ".p",
    "/",
    "//",
    "..",
    "-",
    "a",
    "٠",
]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=9).map("".join))
def test_the_published_pattern_matches_exactly_the_paths_read(path: str) -> None:
    """The API describes tile paths with TILE_PATH_PATTERN: what it matches is read (then 200
    or 404), what it does not is BadTilePath (400)."""
    try:
        parse_tile_path(f"tile/{path}")
    except BadTilePath:
        read = False
    else:
        read = True
    assert read is bool(re.fullmatch(TILE_PATH_PATTERN, path))


@pytest.mark.parametrize(
    "path", ["0/000", "63/x001/x234/067", "entries/273.p/112", "2/000.p/1", "1/001.p/255"]
)
def test_the_pattern_matches_canonical_paths(path: str) -> None:
    assert re.fullmatch(TILE_PATH_PATTERN, path)
    parse_tile_path(f"tile/{path}")
