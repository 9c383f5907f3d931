"""The demo's logins: one account per role, created through services/identity once the province
is recorded, each with a one-time password the demo prints.

    wuhan-regulator    regulator of Wuhan (420100)
    yichang-regulator  regulator of Yichang (420500)
    hubei-regulator    regulator of the province (420000)
    wuhan-enterprise   the showcase enterprise of Wuhan (青山区), bound to its USCC
    auditor            reads the log, proofs and anchors
    integrator         reads the province's records
    admin              administers accounts

Each is an actor registered now (live, by the platform); the province's history before go-live
is the migrated history the demo recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.regions import PROVINCE
from services.identity.accounts import Accounts

__all__ = ["LOGINS", "LOGINS_FILE", "DemoLogin", "create_logins", "login_lines"]

# Where `anjian demo` keeps its logins in the (private) data directory, for `anjian serve` (and
# `make run`) to show them again at every start: demo passwords, as the demo set them.
LOGINS_FILE = "demo-logins.txt"


@dataclass(frozen=True)
class DemoLogin:
    login: str
    role: str
    jurisdiction: str
    enterprises: tuple[str, ...]
    password: str  # one-time


ROLES = [
    ("wuhan-regulator", "regulator", "420100", "武汉市应急管理局"),
    ("yichang-regulator", "regulator", "420500", "宜昌市应急管理局"),
    ("hubei-regulator", "regulator", PROVINCE, "湖北省应急管理厅"),
    ("auditor", "auditor", PROVINCE, "审计人员"),
    ("integrator", "integrator", PROVINCE, "数据对接方"),
    ("admin", "admin", PROVINCE, "平台账户管理员"),
]

ENTERPRISE_LOGIN = "wuhan-enterprise"
LOGINS = [*(login for login, *_ in ROLES), ENTERPRISE_LOGIN]


def create_logins(accounts: Accounts, enterprise: tuple[str, str] | None) -> list[DemoLogin]:
    """One login per role; `enterprise` is the (USCC, county) the enterprise login is bound
    to (none: no enterprise login)."""
    out = []
    for login, role, region, name in ROLES:
        new = accounts.add(login, role, region, name=name)
        out.append(DemoLogin(login, role, region, (), new.password))
    if enterprise is not None:
        uscc, county = enterprise
        new = accounts.add(ENTERPRISE_LOGIN, "enterprise", county, enterprises=[uscc])
        out.insert(3, DemoLogin(ENTERPRISE_LOGIN, "enterprise", county, (uscc,), new.password))
    return out


def login_lines(logins: list[DemoLogin]) -> list[str]:
    """One line per login: login, role, jurisdiction, bound USCCs, password."""
    lines = []
    for x in logins:
        bound = f" {' '.join(x.enterprises)}" if x.enterprises else ""
        lines.append(f"  {x.login:<18} {x.role:<11} {x.jurisdiction}{bound}  {x.password}")
    return lines
