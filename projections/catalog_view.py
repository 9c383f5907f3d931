"""What projections need from the domain catalog: stage and names of a command type."""

from __future__ import annotations

from domain import aggregates as _aggregates  # noqa: F401  (fills the catalog)
from domain.catalog import CATALOG

STAGES = ("准入", "监管", "执法", "处罚", "信用")  # the regulatory lifecycle, in order
PLATFORM_STAGE = "平台"


def stage_of(command_type: str) -> str:
    """The lifecycle stage of a command type ('' when the type is not in the catalog)."""
    spec = CATALOG.get(command_type)
    return spec.step if spec else ""


def event_name_of(command_type: str) -> str:
    """The Chinese event name (`企业已登记`), or the type itself when unknown."""
    spec = CATALOG.get(command_type)
    return spec.event_zh if spec else command_type


def stage_rank(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)
