"""Jurisdiction: a query for 420100 returns only records of 4201xx, whatever the read model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Connection

from domain.errors import InvalidValue
from projections import (
    accidents,
    alarms,
    analytics,
    credit,
    enterprises,
    export,
    hazards,
    licences,
    penalties,
)
from projections.registry import all_projections
from projections.rulebook import available
from projections.timeline import lifecycle
from tests.projections.scenes import Site, at
from tests.projections.world import PROVINCE, WUHAN, YICHANG, World

NOW = at("2024-05-01")
V1 = available()[0]

Query = Callable[[Connection, str], list[Any]]
# Every listing query, with how to read the region of each row it returns.
QUERIES: dict[str, tuple[Query, Callable[[Any], str]]] = {
    "enterprises": (enterprises.list_enterprises, lambda r: r.region),
    "open_hazards": (lambda c, j: hazards.open_hazards(c, j, NOW), lambda r: r.region),
    "overdue_hazards": (lambda c, j: hazards.overdue_hazards(c, j, NOW), lambda r: r.region),
    "supervised": (hazards.supervised_major_hazards, lambda r: r.region),
    "clocks": (lambda c, j: penalties.clocks(c, j, NOW, soon_days=400), lambda r: r.region),
    "expiring": (lambda c, j: licences.expiring(c, j, NOW, days=5000), lambda r: r.region),
    "lapsed": (lambda c, j: licences.lapsed(c, j, at("2040-01-01")), lambda r: r.region),
    "alarms": (alarms.active_alarms, lambda r: r.region),
    "accidents": (accidents.accidents_by, lambda r: r.region),
    "credit": (lambda c, j: credit.ratings(c, V1, j, NOW), lambda r: r.region),
}


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, dict[str, Site]]]:
    """The same records in Wuhan (two districts), Yichang and Xiantao."""
    w = World(None, f"sqlite:///{tmp_path_factory.mktemp('j') / 'readmodels.sqlite'}")
    sites = {
        "420102": Site(w, WUHAN, "420102"),
        "420111": Site(w, WUHAN, "420111"),
        "420502": Site(w, YICHANG, "420502"),
        "429004": Site(w, PROVINCE, "429004"),
    }
    for s in sites.values():
        g = s.hazard(when=at("2024-03-01"))
        s.order(g, "2024-03-10", when=at("2024-03-01"))
        s.supervise(s.hazard("major"))
        s.penalty()
        s.accident(deaths=1)
        s.permit(at("2024-01-10"))
        s.certificate(at("2020-01-10"))
        s.alarm()
    w.follower(all_projections()).catch_up()
    yield w, sites
    w.close()


@pytest.mark.parametrize("name", sorted(QUERIES))
@pytest.mark.parametrize(
    ("jurisdiction", "prefix"),
    [("420100", "4201"), ("420500", "4205"), ("429004", "429004"), ("420000", "42")],
)
def test_a_query_returns_only_what_the_jurisdiction_covers(
    province: tuple[World, dict[str, Site]], name: str, jurisdiction: str, prefix: str
) -> None:
    w, sites = province
    query, region_of = QUERIES[name]
    with w.engine.connect() as conn:
        rows = query(conn, jurisdiction)
    regions = {region_of(r) for r in rows}
    expected = {code for code in sites if code.startswith(prefix)}
    assert regions == expected  # everything it covers, and nothing else


@pytest.mark.parametrize("name", sorted(analytics.ANALYSES))
@pytest.mark.parametrize(("jurisdiction", "prefix"), [("420100", "4201"), ("429004", "429004")])
def test_an_analysis_covers_only_its_jurisdiction(
    province: tuple[World, dict[str, Site]], name: str, jurisdiction: str, prefix: str
) -> None:
    w, _ = province
    with w.engine.connect() as conn:
        df = analytics.run(name, conn, jurisdiction, NOW)
    column = "region" if "region" in df.columns else "prefecture"
    codes = set(df[column].to_list())
    assert all(c.startswith(prefix) for c in codes), codes


@pytest.mark.parametrize("name", export.names())
def test_an_export_covers_only_its_jurisdiction(
    province: tuple[World, dict[str, Site]], name: str
) -> None:
    w, _ = province
    with w.engine.connect() as conn:
        df = export.frame(conn, name, "420100", NOW)
    if "region" in df.columns:
        assert all(c.startswith("4201") for c in df["region"].to_list())
    else:
        assert all(c.startswith("4201") for c in df["prefecture"].to_list()), df.columns


def test_one_enterprise_outside_the_jurisdiction_is_not_found(
    province: tuple[World, dict[str, Site]],
) -> None:
    w, sites = province
    yichang = sites["420502"].uscc
    with w.engine.connect() as conn:
        assert lifecycle(conn, yichang, "420100").entries == []
        assert enterprises.get_enterprise(conn, yichang, "420100") is None
        assert credit.rating(conn, V1, yichang, "420100", NOW) is None
        assert credit.history(conn, V1, yichang, "420100") == []
        assert lifecycle(conn, yichang, "420500").entries


def test_a_jurisdiction_must_be_a_hubei_code(province: tuple[World, dict[str, Site]]) -> None:
    w, _ = province
    with w.engine.connect() as conn, pytest.raises(InvalidValue):
        hazards.open_hazards(conn, "4201%", datetime.now().astimezone())
