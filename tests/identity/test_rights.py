"""Rights come from the log: the caller of every request is the actor as the log last recorded
it (role, jurisdiction, enterprises, status); admins administer accounts and nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.errors import InvalidValue, NotAuthorized
from domain.ids import enterprise_id
from domain.uscc import make_uscc
from services.identity.accounts import AccountExists, Accounts, InvalidAccount, NotAdministrator
from services.ingest.batches import LineRefused
from services.ingest.principal import Principal

DAY = timedelta(days=1)
A, B, C = (make_uscc(f"91420102MA{n:07d}") for n in (1, 2, 3))


def events(accounts: Accounts) -> list[dict[str, Any]]:
    return [r.envelope for r in accounts.ingest.records.notifications()]


def test_a_rights_change_is_an_event_and_binds_the_next_request(accounts: Accounts) -> None:
    accounts.add("wh-reg", "regulator", "420100")
    token = accounts.create_token("wh-reg", scope="read", ttl=DAY).token
    assert accounts.bearer(token, source="s").sees_region("420102")
    accounts.change_rights("wh-reg", reason="调岗宜昌", region="420500")
    last = events(accounts)[-1]
    assert (last["type"], last["data"]["jurisdiction"]) == ("actor.change_rights", "420500")
    caller = accounts.bearer(token, source="s")
    assert caller.jurisdiction == "420500"
    assert not caller.sees_region("420102")
    assert caller.sees_region("420502")
    accounts.change_rights("wh-reg", reason="转为数据对接", role="integrator")
    caller = accounts.bearer(token, source="s")
    assert caller.role == "integrator"
    assert not caller.writes_records


def test_an_enterprise_caller_bound_to_two_usccs(accounts: Accounts) -> None:
    accounts.add("group", "enterprise", "420102", enterprises=[A, B])
    token = accounts.create_token("group", scope="write", ttl=DAY).token
    caller = accounts.bearer(token, source="s")
    assert caller.enterprises == frozenset({A, B})
    assert caller.sees_enterprise(A, "420102")
    assert caller.sees_enterprise(B, "420102")
    assert not caller.sees_enterprise(C, "420102")
    accounts.change_rights("group", reason="新增子公司", enterprises=[A, B, C])
    assert accounts.bearer(token, source="s").sees_enterprise(C, "420102")


def test_an_admin_adds_accounts_within_its_jurisdiction_signed_by_its_custodial_key(
    accounts: Accounts,
) -> None:
    accounts.add("wh-admin", "admin", "420100")
    accounts.add("wh-reg", "regulator", "420102", by="wh-admin", channel="api", source="s")
    stored = list(accounts.ingest.records.notifications())[-1]
    registered = stored.envelope
    assert (registered["actor"], registered["role"], registered["channel"]) == (
        "wh-admin",
        "admin",
        "api",
    )
    assert stored.key_id == accounts.ingest.custody.custodial("wh-admin").key_id
    with pytest.raises(NotAuthorized, match="outside the jurisdiction"):
        accounts.add("yc-reg", "regulator", "420500", by="wh-admin", channel="api")
    assert accounts.store.credential("yc-reg") is None


def test_an_admin_cannot_record_a_business_command(accounts: Accounts) -> None:
    accounts.add("p-admin", "admin", "420000")
    line = {
        "type": "enterprise.register",
        "actor": "p-admin",
        "region": "420102",
        "subject": str(enterprise_id(A)),
        "data": {"uscc": A, "name": "某化工", "industry": "warehousing", "standardisation": "none"},
    }
    with pytest.raises(LineRefused) as exc:
        list(accounts.ingest.record([line], Principal("p-admin", "api")))
    assert isinstance(exc.value.cause, NotAuthorized)
    assert "may not issue enterprise.register" in str(exc.value.cause)


def test_a_refused_account_writes_nothing(accounts: Accounts) -> None:
    before = len(events(accounts))
    with pytest.raises(InvalidValue):  # the domain: an invalid USCC check character
        accounts.add("bad", "enterprise", "420102", enterprises=[A[:-1] + "0"])
    with pytest.raises(InvalidAccount):
        accounts.add("Bad Login", "regulator", "420100")
    with pytest.raises(InvalidAccount):
        accounts.add("dev", "device", "420100")
    assert len(events(accounts)) == before
    assert accounts.store.credentials() == []
    assert accounts.security_log() == []
    accounts.add("wh-reg", "regulator", "420100")
    with pytest.raises(AccountExists):
        accounts.add("wh-reg", "regulator", "420100")
    assert len(events(accounts)) == before + 1


def test_an_admin_administers_credentials_only_within_its_jurisdiction(
    accounts: Accounts,
) -> None:
    accounts.add("wh-admin", "admin", "420100")
    accounts.add("wh-reg", "regulator", "420102")
    accounts.add("yc-reg", "regulator", "420500")
    yc_token = accounts.create_token("yc-reg", scope="read", ttl=DAY)
    before = len(accounts.security_log())
    for refused in (
        lambda: accounts.reset_password("yc-reg", by="wh-admin"),
        lambda: accounts.reset_password("wh-admin", by="wh-admin"),
        lambda: accounts.disable("yc-reg", reason="x", by="wh-admin"),
        lambda: accounts.revoke_token(yc_token.record.id, by="wh-admin"),
        lambda: accounts.reset_password("yc-reg", by="wh-reg"),  # not an admin
    ):
        with pytest.raises(NotAdministrator):
            refused()
    assert len(accounts.security_log()) == before
    assert accounts.bearer(yc_token.token, source="s").account == "yc-reg"
    accounts.reset_password("wh-reg", by="wh-admin", source="s")
    assert accounts.security_log("wh-reg")[-1].detail.startswith("by wh-admin")


def test_only_the_account_itself_or_the_platform_issues_its_token(accounts: Accounts) -> None:
    accounts.add("p-admin", "admin", "420000")
    accounts.add("wh-reg", "regulator", "420100")
    with pytest.raises(NotAdministrator, match="acts as its account"):
        accounts.create_token("wh-reg", scope="read", ttl=DAY, by="p-admin")
    assert accounts.tokens() == []
    own = accounts.create_token("wh-reg", scope="read", ttl=DAY, by="wh-reg")
    accounts.revoke_token(own.record.id, by="wh-reg")
