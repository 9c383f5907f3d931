"""The TileServer serves the Merkle log as c2sp.org/tlog-tiles, at the latest checkpoint's size."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit.cosignature import Cosigner, split_note
from ledger.checkpoints import WitnessAnswer
from ledger.rfc6962 import leaf_hash, root_from_hashes
from services.ledger.tiles import TileNotFound, TileServer, TileUnavailable
from tests.throwaway import Postgres
from tests.tiles.conftest import SPEC_EXAMPLE
from tests.tiles.toylog import ToyLog, bundle_entries, toy_events


def hashes(blob: bytes) -> list[bytes]:
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def widths(server: TileServer, paths: list[str]) -> list[int]:
    return [len(server.tile(p).data) // 32 for p in paths]


def test_a_tree_of_70000_leaves_is_the_tiles_of_the_specification_example(
    big_log: ToyLog,
) -> None:
    """273 full level-0 tiles, a partial one of width 112, one full level-1 tile, a partial
    one of width 17 and a partial level-2 tile of width 1 (c2sp.org/tlog-tiles)."""
    server = big_log.server()
    assert big_log.checkpoints.latest().size == SPEC_EXAMPLE  # type: ignore[union-attr]
    assert widths(server, ["tile/0/000", "tile/0/272", "tile/0/273.p/112"]) == [256, 256, 112]
    assert widths(server, ["tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"]) == [256, 17, 1]
    assert not server.tile("tile/0/000").partial
    assert server.tile("tile/1/001.p/17").partial
    for missing in ["tile/0/273", "tile/0/273.p/113", "tile/0/274.p/1", "tile/1/001",
                    "tile/1/001.p/18", "tile/2/000", "tile/2/000.p/2", "tile/3/000.p/1",
                    "tile/9/000.p/1", "tile/63/000.p/1", "tile/entries/273",
                    "tile/entries/274.p/1", "tile/0/" + "x999/" * 30 + "999"]:  # fmt: skip
        with pytest.raises(TileNotFound):
            server.tile(missing)


def test_tile_hashes_are_the_merkle_tree_hashes_of_their_ranges(big_log: ToyLog) -> None:
    server = big_log.server()
    leaves = [leaf.hash for leaf in big_log.log.leaves(0, SPEC_EXAMPLE)]
    assert b"".join(leaves[256 * 272 : 256 * 273]) == server.tile("tile/0/272").data
    assert hashes(server.tile("tile/0/273.p/112").data) == leaves[256 * 273 :]
    level1 = hashes(server.tile("tile/1/000").data) + hashes(server.tile("tile/1/001.p/17").data)
    assert level1 == [root_from_hashes(leaves[256 * i : 256 * (i + 1)]) for i in range(273)]
    (level2,) = hashes(server.tile("tile/2/000.p/1").data)
    assert level2 == root_from_hashes(leaves[:65536])


def test_a_prefix_of_a_tile_is_served_as_the_partial_tile_of_an_older_tree(
    big_log: ToyLog,
) -> None:
    server = big_log.server()
    assert server.tile("tile/0/005.p/3").data == server.tile("tile/0/005").data[:96]
    assert server.tile("tile/1/000.p/2").data == server.tile("tile/1/000").data[:64]


def test_an_entry_bundle_holds_the_leaves_of_its_level_0_tile(big_log: ToyLog) -> None:
    server = big_log.server()
    for n in ["000", "001", "272"]:
        bundle = bundle_entries(server.tile(f"tile/entries/{n}").data)
        assert [leaf_hash(e) for e in bundle] == hashes(server.tile(f"tile/0/{n}").data)
    partial = bundle_entries(server.tile("tile/entries/273.p/112").data)
    assert [leaf_hash(e) for e in partial] == hashes(server.tile("tile/0/273.p/112").data)
    assert partial[0].startswith(b'{"envelope":{"actor":"inspector-0042"')


def test_nothing_beyond_the_latest_checkpoint_is_served_though_the_log_holds_it(
    toy: ToyLog,
) -> None:
    toy.grow(300)
    toy.record(250)
    assert toy.log_events() == 550  # logged, not yet signed
    server = toy.server()
    assert len(server.tile("tile/0/001.p/44").data) == 44 * 32
    for beyond in ["tile/0/001", "tile/0/001.p/45", "tile/0/002.p/1", "tile/1/000.p/2",
                   "tile/entries/001", "tile/entries/001.p/45"]:  # fmt: skip
        with pytest.raises(TileNotFound):
            server.tile(beyond)
    toy.checkpointer.checkpoint()
    assert len(server.tile("tile/0/001").data) == 8192
    assert len(server.tile("tile/1/000.p/2").data) == 64
    assert len(bundle_entries(server.tile("tile/entries/002.p/38").data)) == 38


def test_the_checkpoint_is_the_latest_signed_note_with_its_cosignatures(toy: ToyLog) -> None:
    with pytest.raises(TileNotFound):
        toy.server().checkpoint()
    with pytest.raises(TileNotFound):
        toy.server().tile("tile/0/000.p/1")
    toy.grow(3)
    latest = toy.grow(2)
    witness = Cosigner.generate("witness.example")
    line = witness.cosign(split_note(latest.note)[0], 1_714_550_400)
    toy.checkpoints.record_answer(
        WitnessAnswer(latest.seq, witness.key.vkey, line, None, datetime.now(UTC))
    )
    served = toy.server().checkpoint().decode()
    assert served == latest.note + line
    assert served.split("\n")[1] == "5"


def test_a_bundle_of_an_event_changed_since_it_was_logged_is_not_served(toy: ToyLog) -> None:
    toy.grow(10)
    toy.tamper_event(4)
    server = toy.server()
    assert len(server.tile("tile/0/000.p/10").data) == 320  # the hashes stand as logged
    with pytest.raises(TileUnavailable, match="leaf 3 changed since it was logged"):
        server.tile("tile/entries/000.p/10")
    assert len(bundle_entries(server.tile("tile/entries/000.p/3").data)) == 3


def test_a_leaf_longer_than_an_entry_can_be_is_refused_not_truncated(toy: ToyLog) -> None:
    toy.record(1, data="x" * 70_000)
    toy.sync()
    with pytest.raises(TileUnavailable, match="more than an entry bundle holds"):
        toy.server().tile("tile/entries/000.p/1")


@pytest.mark.postgres
def test_on_postgresql_the_tiles_and_bundles_are_those_of_sqlite(
    postgres: Postgres, tmp_path: Path
) -> None:
    pg, lite = ToyLog.postgres(postgres), ToyLog.sqlite(tmp_path / "log.sqlite")
    try:
        events = toy_events(0, 600, "same")
        for toy in (pg, lite):
            toy.insert(events)
        paths = ["tile/0/000", "tile/0/002.p/88", "tile/1/000.p/2", "tile/entries/001",
                 "tile/entries/002.p/88"]  # fmt: skip
        for toy in (pg, lite):
            toy.sync()
        assert pg.checkpoints.latest().root == lite.checkpoints.latest().root  # type: ignore[union-attr]
        served = [[t.server().tile(p).data for p in paths] for t in (pg, lite)]
        assert served[0] == served[1]
        pg.tamper_event(5)
        with pytest.raises(TileUnavailable):
            pg.server().tile("tile/entries/000")
    finally:
        pg.close()
        lite.close()
