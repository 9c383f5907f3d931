"""Laws in force: the day each law, rule or standard the catalog cites took effect.

Every command type follows a rule (CommandSpec.rule), whose text names the laws it applies:
"生产安全事故报告和调查处理条例 §9 (…)", "总局令第16号 §18; 安全生产法 §65", … A record dated
before one of them took effect cannot have followed it, so it is refused (NotInForce); the
date compared is the record's `occurred_at` in China Standard Time, a law taking effect at the
start of its first day.

The table is data: one row per citation as the rules spell it, with the day it took effect
and its source (IN_FORCE); a citation the table does not hold is not checked.

Not covered (?): 行政处罚法 2021 (in force 2021-07-15), GB/T 50493-2019 (2020-01-01),
GB 18218-2018 (2019-03-01), GB 32100-2015 (2015-10-01) and the 2021 article numbering of
安全生产法 (2021-09-01): the demo province's synthetic history (2006–2020) applies them before
those dates, so enforcing them waits for the demo to be dated after them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache

from domain.clocks import CST
from domain.errors import NotInForce

IN_FORCE: tuple[tuple[str, date, str], ...] = (
    ("安全生产许可证条例", date(2004, 1, 13), "国务院令第397号"),
    ("行政许可法", date(2004, 7, 1), "主席令第7号"),
    ("生产安全事故报告和调查处理条例", date(2007, 6, 1), "国务院令第493号"),
    ("总局令第16号", date(2008, 2, 1), "事故隐患排查治理暂行规定"),
    ("总局令第30号", date(2010, 7, 1), "特种作业人员安全技术培训考核管理规定"),
    ("总局令第40号", date(2011, 12, 1), "危险化学品重大危险源监督管理暂行规定"),
    ("应急管理部令第11号", date(2023, 10, 1), "安全生产严重失信主体名单管理办法"),
    ("安全生产法", date(2002, 11, 1), "主席令第70号"),
)


@lru_cache(maxsize=256)
def cited(rule: str) -> tuple[tuple[str, datetime], ...]:
    """The covered laws a rule text cites, latest in force first, each with the first instant
    it is in force (the start of its first day in China Standard Time)."""
    found = [(name, datetime.combine(since, time(), CST)) for name, since, _ in IN_FORCE]
    return tuple(sorted((f for f in found if f[0] in rule), key=lambda f: f[1], reverse=True))


def check_in_force(rule: str, at: datetime, field: str = "occurred_at") -> None:
    """Refuse a record dated `at` under a rule citing a law not yet in force that day.

    Compared as instants, so that no offset of `at` has to be converted."""
    laws = cited(rule)
    if laws and at < laws[0][1]:
        name, since = laws[0]
        raise NotInForce(
            f"dated {at.isoformat()}, before {name} took effect on {since.date()}",
            rule=rule,
            field=field,
        )
