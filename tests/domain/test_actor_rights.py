"""Accounts and rights are actors and events: an enterprise account bound to several
enterprises, admins that register actors and change rights within their jurisdiction and record
no business command, and rights changes (actor.change_rights) that bind the very next command."""

from __future__ import annotations

from typing import Any

import pytest

from domain.actor import ROLE_NAMES, Actor
from domain.catalog import CATALOG
from domain.commands import ADMIN, AUDITOR, INTEGRATOR, ROLES
from domain.enterprise import Enterprise
from domain.errors import InvalidTransition, InvalidValue, NotAuthorized
from domain.ids import actor_id, enterprise_id
from ledger.keys import KeyPair
from tests.support import Harness, new_uscc


def profile_change(h: Harness, account: str, uscc: str, region: str = "420102") -> None:
    h.run_as(
        account,
        "enterprise.update_profile",
        region,
        {"uscc": uscc, "employees": 10},
        subject=enterprise_id(uscc),
    )


def registration(account: str, role: str, jurisdiction: str, **extra: Any) -> dict[str, Any]:
    return {
        "account": account,
        "role": role,
        "name": account,
        "jurisdiction": jurisdiction,
        "public_key": KeyPair.generate().public_key_b64,
        "custody": "platform",
        **extra,
    }


def register_by(h: Harness, by: str, data: dict[str, Any]) -> None:
    h.run_as(by, "actor.register", data["jurisdiction"], data, subject=actor_id(data["account"]))


def change_rights(h: Harness, by: str, account: str, **data: Any) -> None:
    region = h.records.load(actor_id(account), Actor).region
    h.run_as(
        by,
        "actor.change_rights",
        region,
        {"reason": "岗位调整", **data},
        subject=actor_id(account),
    )


def test_every_role_has_a_chinese_name() -> None:
    assert set(ROLE_NAMES) == set(ROLES)


def test_no_business_command_allows_an_auditor_an_integrator_or_an_admin() -> None:
    for spec in CATALOG.values():
        if spec.type.startswith("actor."):
            continue
        assert not spec.roles & {AUDITOR, INTEGRATOR, ADMIN}, spec.type
    assert {t for t, s in CATALOG.items() if ADMIN in s.roles} == {
        "actor.register",
        "actor.change_rights",
        "actor.deactivate",
        "actor.rotate_key",
    }


def test_an_unbound_enterprise_account_is_refused(h: Harness) -> None:
    with pytest.raises(InvalidValue, match="bound to an enterprise"):
        h.actor("e-none", "enterprise", "420102")


def test_two_usccs_bind_one_enterprise_account(h: Harness, regulator: str) -> None:
    a, b, c = (h.enterprise(regulator) for _ in range(3))
    data = registration("e-group", "enterprise", "420102", enterprises=[a, b])
    data["custody"] = "own"
    key = KeyPair.generate()
    data["public_key"] = key.public_key_b64
    register_by(h, "platform", data)
    h.keys["e-group"] = key
    assert h.records.load(actor_id("e-group"), Actor).enterprises == (a, b)
    profile_change(h, "e-group", a)
    profile_change(h, "e-group", b)
    with pytest.raises(NotAuthorized, match="bound to enterprise"):
        profile_change(h, "e-group", c)
    assert h.records.load(enterprise_id(c), Enterprise).version == 1


def test_a_registration_names_its_enterprises_in_one_field(h: Harness) -> None:
    a, b = new_uscc(), new_uscc()
    data = registration("e-x", "enterprise", "420102", enterprise=a, enterprises=[b])
    with pytest.raises(InvalidValue, match="enterprises"):
        register_by(h, "platform", data)


def test_a_device_is_bound_to_one_enterprise(h: Harness) -> None:
    data = registration("d-x", "device", "420102", enterprises=[new_uscc(), new_uscc()])
    with pytest.raises(InvalidValue, match="one enterprise"):
        register_by(h, "platform", data)


def test_a_single_enterprise_registration_of_earlier_versions_still_binds(
    h: Harness, regulator: str
) -> None:
    a, b = h.enterprise(regulator), h.enterprise(regulator)
    h.actor("e-old", "enterprise", "420102", enterprise=a)
    actor = h.records.load(actor_id("e-old"), Actor)
    assert (actor.enterprise, actor.enterprises) == (a, (a,))
    profile_change(h, "e-old", a)
    with pytest.raises(NotAuthorized):
        profile_change(h, "e-old", b)


def test_a_rights_change_is_an_event_and_binds_the_next_command(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    change_rights(h, "platform", regulator, jurisdiction="420500")  # to Yichang
    actor = h.records.load(actor_id(regulator), Actor)
    assert actor.jurisdiction == "420500"
    last = list(h.records.notifications())[-1]
    assert last.envelope["type"] == "actor.change_rights"
    with pytest.raises(NotAuthorized, match="outside the jurisdiction"):
        profile_change(h, regulator, uscc)


def test_adding_an_enterprise_binding_lets_the_account_act_on_it(
    h: Harness, regulator: str
) -> None:
    a, b = h.enterprise(regulator), h.enterprise(regulator)
    h.actor("e-1", "enterprise", "420102", enterprise=a)
    with pytest.raises(NotAuthorized):
        profile_change(h, "e-1", b)
    change_rights(h, "platform", "e-1", enterprises=[a, b])
    profile_change(h, "e-1", b)


def test_a_role_change_away_from_enterprise_ends_the_bindings(h: Harness) -> None:
    h.actor("e-1", "enterprise", "420102", enterprise=new_uscc())
    change_rights(h, "platform", "e-1", role="integrator")
    actor = h.records.load(actor_id("e-1"), Actor)
    assert (actor.role, actor.enterprises) == ("integrator", ())


def test_a_role_change_to_enterprise_needs_an_enterprise(h: Harness, regulator: str) -> None:
    with pytest.raises(InvalidValue, match="bound to an enterprise"):
        change_rights(h, "platform", regulator, role="enterprise")


def test_a_change_that_changes_nothing_is_refused(h: Harness, regulator: str) -> None:
    with pytest.raises(InvalidTransition, match="already"):
        change_rights(h, "platform", regulator, jurisdiction="420100")


def test_no_one_changes_the_platform_accounts_rights(h: Harness) -> None:
    with pytest.raises(InvalidValue):  # the schema: platform is not a grantable role
        change_rights(h, "platform", "platform", role="platform")
    with pytest.raises(NotAuthorized, match="platform account"):
        change_rights(h, "platform", "platform", jurisdiction="420100")


def test_an_admin_registers_changes_and_deactivates_within_its_jurisdiction(
    h: Harness,
) -> None:
    h.actor("admin-wh", "admin", "420100")
    register_by(h, "admin-wh", registration("r-new", "regulator", "420102"))
    change_rights(h, "admin-wh", "r-new", jurisdiction="420103")
    assert h.records.load(actor_id("r-new"), Actor).jurisdiction == "420103"
    h.run_as(
        "admin-wh", "actor.deactivate", "420102", {"reason": "离职"}, subject=actor_id("r-new")
    )
    assert h.records.load(actor_id("r-new"), Actor).status == "deactivated"


def test_an_admin_reaches_no_actor_outside_its_jurisdiction(h: Harness) -> None:
    h.actor("admin-wh", "admin", "420100")
    h.actor("r-yc", "regulator", "420500")
    with pytest.raises(NotAuthorized):
        register_by(h, "admin-wh", registration("r-prov", "regulator", "420000"))
    with pytest.raises(NotAuthorized):
        change_rights(h, "admin-wh", "r-yc", jurisdiction="420100")
    h.actor("r-wh", "regulator", "420100")
    with pytest.raises(NotAuthorized, match="outside the admin"):
        change_rights(h, "admin-wh", "r-wh", jurisdiction="420000")  # to the province
    assert h.records.load(actor_id("r-wh"), Actor).jurisdiction == "420100"


def test_an_admin_does_not_change_its_own_rights_nor_deactivate_itself(h: Harness) -> None:
    h.actor("admin-wh", "admin", "420100")
    with pytest.raises(NotAuthorized, match="its own rights"):
        change_rights(h, "admin-wh", "admin-wh", jurisdiction="420102")
    with pytest.raises(NotAuthorized, match="itself"):
        h.run_as(
            "admin-wh", "actor.deactivate", "420100", {"reason": "x"}, subject=actor_id("admin-wh")
        )


def test_an_admin_records_no_business_command(h: Harness) -> None:
    h.actor("admin-p", "admin", "420000")
    uscc = new_uscc()
    with pytest.raises(NotAuthorized, match=r"may not issue enterprise\.register"):
        h.run_as(
            "admin-p",
            "enterprise.register",
            "420102",
            {"uscc": uscc, "name": "某企业", "industry": "warehousing", "standardisation": "none"},
            subject=enterprise_id(uscc),
        )


@pytest.mark.parametrize("role", ["auditor", "integrator"])
def test_readers_record_no_business_command(h: Harness, regulator: str, role: str) -> None:
    uscc = h.enterprise(regulator)
    h.actor("reader", role, "420000")
    with pytest.raises(NotAuthorized, match="may not issue"):
        profile_change(h, "reader", uscc)
