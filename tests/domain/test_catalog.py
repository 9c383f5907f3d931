"""The catalog is built from the list of aggregates (domain.catalog): every command it lists has
its handler and its applier, and defining an aggregate registers nothing by itself."""

from __future__ import annotations

from typing import Any

import pytest

from domain.catalog import AGGREGATES, CATALOG, build
from domain.commands import REGULATOR, command, commands_of, text
from domain.envelope import Envelope, SignedCommand
from domain.record import Record, appliers_of


def test_every_command_has_its_handler_and_its_applier() -> None:
    for type_, spec in CATALOG.items():
        kind, _, verb = type_.partition(".")
        assert kind == spec.aggregate.KIND
        assert spec.handler == getattr(spec.aggregate, spec.method)
        handler: Any = getattr(spec.handler, "__func__", spec.handler)
        declared = handler.__anjian_command__
        assert declared["verb"] == verb, type_
        aggregate: type[Record] = spec.aggregate
        applier = appliers_of(aggregate)[type_]
        assert applier is getattr(aggregate, spec.applier) == getattr(aggregate, f"on_{verb}")


def test_every_applier_of_an_aggregate_applies_one_of_its_commands() -> None:
    for aggregate in AGGREGATES:
        appliers = {n for n in dir(aggregate) if n.startswith("on_")}
        assert appliers == {s.applier for s in commands_of(aggregate).values()}, aggregate


def test_the_catalog_is_every_aggregates_commands_and_nothing_else() -> None:
    assert {s.aggregate for s in CATALOG.values()} == set(AGGREGATES)
    assert dict(CATALOG) == {t: s for a in AGGREGATES for t, s in commands_of(a).items()}


class Toy(Record):
    """An aggregate defined outside the list of aggregates."""

    KIND = "toy"

    @classmethod
    @command(
        "make",
        event="ToyMade",
        zh="制作",
        en="Make a toy",
        event_zh="已制作",
        rule="test",
        roles=(REGULATOR,),
        properties={"name": text()},
        creates=True,
    )
    def make(cls, cmd: SignedCommand, ctx: Any) -> Toy:
        return cls.create(cmd)

    def on_make(self, env: Envelope, d: dict[str, Any]) -> None:
        self.name = d["name"]


def test_defining_an_aggregate_puts_nothing_in_the_catalog() -> None:
    assert "toy.make" not in CATALOG
    assert list(build([Toy])) == ["toy.make"]


def test_a_command_without_its_applier_is_refused_when_the_catalog_is_built() -> None:
    class Broken(Record):
        KIND = "broken"

        @command(
            "fix",
            event="BrokenFixed",
            zh="修理",
            en="Fix",
            event_zh="已修理",
            rule="test",
            roles=(REGULATOR,),
            properties={},
        )
        def fix(self, cmd: SignedCommand, ctx: Any) -> None:
            self.record(cmd)

    with pytest.raises(TypeError, match=r"Broken handles broken\.fix but has no on_fix"):
        build([Broken])


def test_two_aggregates_of_one_kind_are_refused() -> None:
    class Twin(Toy):
        pass

    with pytest.raises(TypeError, match="KIND of its own"):
        build([Toy, Twin])
