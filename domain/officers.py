"""Law-enforcement officers (执法人员): who may inspect, investigate and hold hearings.

行政处罚法 §42: an administrative penalty is enforced by at least two officers holding
enforcement credentials; 安全生产法 §65 likewise for inspections. Here an officer is a
registered, active regulator actor whose jurisdiction covers the record's region, named by its
account id. Precondition: `ctx` is the changeset of the command being checked.

The officers named on a record also sign its steps (安全生产法 §68: the inspection record is
signed by the inspectors): `check_signer` refuses any other account, even a regulator of the
same jurisdiction.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.actor import Actor
from domain.commands import REGULATOR, array, text
from domain.context import Context
from domain.errors import InvalidValue, NotAnOfficer
from domain.ids import actor_id
from domain.regions import covers

RULE = "行政处罚法 §42; 安全生产法 §65"
SIGNER_RULE = "安全生产法 §68; 行政处罚法 §42"
OFFICERS = array(text(64), 2, 20)


def check_officers(accounts: Sequence[str], ctx: Context, region: str, field: str) -> None:
    """At least two distinct officers, each an active regulator covering `region`."""
    if len(set(accounts)) != len(accounts):
        raise InvalidValue("an officer is listed twice", rule=RULE, field=field)
    if len(accounts) < 2:
        raise InvalidValue(
            f"at least two officers are needed, got {len(accounts)}", rule=RULE, field=field
        )
    for account in accounts:
        check_officer(account, ctx, region, field)


def check_officer(account: str, ctx: Context, region: str, field: str) -> None:
    officer = ctx.find(actor_id(account), Actor)
    if officer is None:
        raise InvalidValue(f"officer {account} is not a registered actor", rule=RULE, field=field)
    if officer.role != REGULATOR or officer.status != "active":
        raise InvalidValue(
            f"officer {account} is a {officer.status} {officer.role}, not an active regulator",
            rule=RULE,
            field=field,
        )
    if not covers(officer.jurisdiction, region):
        raise InvalidValue(
            f"officer {account} of {officer.jurisdiction} has no jurisdiction over {region}",
            rule=RULE,
            field=field,
        )


def check_signer(actor: str, officers: Sequence[str], what: str) -> None:
    """The signing account is one of `officers`, the officers named on `what`."""
    if actor not in officers:
        raise NotAnOfficer(
            f"{actor} is not one of the officers of {what} ({', '.join(officers)}); "
            "only they sign its steps",
            rule=SIGNER_RULE,
            field="actor",
        )
