"""What a caller may read: outside its scope a record does not exist (404, never 403).

Regulators and integrators read the regions their jurisdiction covers; an enterprise reads
the records of the enterprises it is bound to; auditors read the log (events, proofs, anchors,
keys) and no business view; admins read no records. Personal data is shown only to callers
with `sees_personal_data`.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.problems import Problem
from domain.regions import PREFECTURES, validate_region
from services.identity.caller import AUDITOR, ENTERPRISE, Caller

__all__ = ["PROVINCE", "REGION_PATTERN", "Scope", "not_found", "records_scope", "sees_event"]

PROVINCE = "420000"
# A USCC's shape (GB 32100: 18 characters of its alphabet); the check character is checked
# where it is used.
USCC_PATTERN = "^[0-9A-HJ-NPQRTUWXY]{18}$"
# Exactly the codes domain.regions.validate_region accepts: the province, a prefecture or a
# county of one, a province-administered city.
REGION_PATTERN = (
    "^(420000|("
    + "|".join(sorted(c[:4] for c in PREFECTURES if not c.startswith("4290")))
    + r")\d\d|"
    + "|".join(sorted(c for c in PREFECTURES if c.startswith("4290")))
    + ")$"
)


def not_found(what: str) -> Problem:
    return Problem(404, "NotFound", f"no {what}")


@dataclass(frozen=True)
class Scope:
    """The jurisdiction a business view is read in, and the enterprises it is narrowed to
    (None: every enterprise of the jurisdiction)."""

    jurisdiction: str
    enterprises: frozenset[str] | None

    def admits(self, uscc: str) -> bool:
        return self.enterprises is None or uscc in self.enterprises


def records_scope(caller: Caller, region: str | None) -> Scope:
    """The scope of a business view asked for `region` (default: the caller's own): 404 when
    the caller reads no records or the region lies outside its jurisdiction."""
    if region is not None:
        validate_region(region, field="region")
    if not caller.sees_records:
        raise not_found("business records for this caller")
    if caller.role == ENTERPRISE:
        return Scope(region or PROVINCE, caller.enterprises)
    wanted = region or caller.jurisdiction
    if not caller.sees_region(wanted):
        raise not_found(f"records of region {wanted} for this caller")
    return Scope(wanted, None)


def sees_event(caller: Caller, region: str, owner: tuple[str, str] | None) -> bool:
    """Whether `caller` may read an event of `region`, about enterprise `owner` (USCC,
    region) when it is about one."""
    if caller.role == AUDITOR:
        return True
    if not caller.sees_records:
        return False
    if owner is not None:
        return caller.sees_enterprise(*owner)
    return caller.sees_region(region)
