"""The enterprise directory (rm_enterprises): profile, status, aggregate id and the log's order
of registration, the same whether applied incrementally or rebuilt."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from uuid import UUID

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, inspect, select, text

from domain.enterprise import Enterprise
from domain.ids import enterprise_id
from projections.enterprises import EnterpriseDirectory, enterprises, in_registration_order
from projections.follower import ReadModelFollower
from projections.store import MIGRATIONS, create_store_engine, migrate, tracking
from tests.projections.scenes import Site, at
from tests.projections.world import WUHAN, YICHANG, World, dump
from tests.support import new_uscc


def deregister(site: Site) -> None:
    site.run(
        "enterprise.deregister", {"uscc": site.uscc, "reason": "关闭"}, enterprise_id(site.uscc)
    )


def test_the_directory_mirrors_each_enterprise_aggregate(world: World) -> None:
    sites = [Site(world, WUHAN, "420102"), Site(world, YICHANG, "420502")]
    sites[0].profile(name="更名后的企业", industry="metallurgy")
    deregister(sites[1])
    world.follower([EnterpriseDirectory()]).catch_up()
    with world.engine.connect() as conn:
        rows = in_registration_order(conn, "420000")
    for row, site in zip(rows, sites, strict=True):
        ent = world.h.records.load(UUID(row.subject), Enterprise)
        assert (row.uscc, row.name, row.industry, row.region, row.status) == (
            ent.uscc,
            ent.name,
            ent.industry,
            ent.region,
            ent.status,
        )
        assert row.subject == str(ent.id) == str(enterprise_id(site.uscc))
    assert [r.status for r in rows] == ["active", "deregistered"]


def test_the_order_is_the_log_order_of_registration_not_the_actor_clock(world: World) -> None:
    late = Site(world, WUHAN, "420102")
    # Recorded after `late`, but claiming to have happened a year before it.
    back_dated = new_uscc("420111")
    world.h.run_as(
        WUHAN,
        "enterprise.register",
        "420111",
        {
            "uscc": back_dated,
            "name": "补录企业",
            "industry": "construction",
            "standardisation": "none",
        },
        subject=enterprise_id(back_dated),
        occurred_at=at("2017-03-01"),
    )
    yichang = Site(world, YICHANG, "420502")
    world.follower([EnterpriseDirectory()], batch_size=1).catch_up()
    with world.engine.connect() as conn:
        province = in_registration_order(conn, "420000")
        wuhan = [r.uscc for r in in_registration_order(conn, "420100")]
    assert [r.uscc for r in province] == [late.uscc, back_dated, yichang.uscc]
    assert province[1].registered_at < province[0].registered_at
    assert wuhan == [late.uscc, back_dated]


def test_a_profile_change_or_deregistration_keeps_the_place_in_the_order(world: World) -> None:
    first, second = Site(world, WUHAN, "420102"), Site(world, WUHAN, "420102")
    follower = world.follower([EnterpriseDirectory()])
    follower.catch_up()
    first.profile(standardisation="level1", when=at("2024-02-01"))
    deregister(first)
    follower.catch_up()
    with world.engine.connect() as conn:
        rows = in_registration_order(conn, "420100")
    assert [(r.uscc, r.status, r.standardisation) for r in rows] == [
        (first.uscc, "deregistered", "level1"),
        (second.uscc, "active", "level2"),
    ]


def test_rebuilding_the_directory_equals_applying_it_event_by_event(world: World) -> None:
    sites = [Site(world, WUHAN, "420102") for _ in range(3)] + [Site(world, YICHANG, "420502")]
    sites[2].profile(name="新名称")
    deregister(sites[0])
    deregister(sites[3])
    follower = world.follower([EnterpriseDirectory()], batch_size=1)
    follower.catch_up()
    with world.engine.connect() as conn:
        incremental = dump(conn, tables=[enterprises])
    follower.batch_size = 5000
    follower.rebuild()
    with world.engine.connect() as conn:
        assert dump(conn, tables=[enterprises]) == incremental
        assert len(incremental["rm_enterprises"]) == 4


def _upgrade_to(engine: Engine, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_a_directory_built_before_revision_0004_is_rebuilt_from_the_log(
    world: World, tmp_path: Path
) -> None:
    site = Site(world, WUHAN, "420102")
    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    _upgrade_to(engine, "0003")
    with engine.begin() as conn:  # what the directory held before it kept the order
        conn.execute(
            text(
                "INSERT INTO rm_enterprises VALUES ('s', '91420102MA0000000X', 'old', "
                "'metallurgy', '420102', 'none', 0, 'active', '2024-01-01', 7)"
            )
        )
        conn.execute(
            insert(tracking).values(
                name="enterprises", position=7, version="1", updated_at=datetime(2024, 1, 1)
            )
        )
    migrate(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("rm_enterprises")}
    assert "registered_notification_id" in columns
    with engine.connect() as conn:
        assert conn.execute(select(enterprises)).all() == []
        assert conn.execute(select(tracking)).all() == []
    ReadModelFollower(world.h.records.recorder, engine, [EnterpriseDirectory()]).catch_up()
    with engine.connect() as conn:
        assert [r.uscc for r in in_registration_order(conn, "420100")] == [site.uscc]
    engine.dispose()
