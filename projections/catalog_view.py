"""What projections need from the domain catalog: stage and names of a command type."""

from __future__ import annotations

from domain.catalog import CATALOG

STAGES = ("准入", "监管", "执法", "处罚", "信用")  # the regulatory lifecycle, in order
PLATFORM_STAGE = "平台"


_stages: dict[str, str] = {}


def stage_of(command_type: str) -> str:
    """The lifecycle stage of a command type ('' when the type is not in the catalog)."""
    stage = _stages.get(command_type)
    if stage is None:
        spec = CATALOG.get(command_type)
        stage = spec.step if spec else ""
        if spec is not None:
            _stages[command_type] = stage
    return stage


def event_name_of(command_type: str) -> str:
    """The Chinese event name (`企业已登记`), or the type itself when unknown."""
    spec = CATALOG.get(command_type)
    return spec.event_zh if spec else command_type


def stage_rank(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)
