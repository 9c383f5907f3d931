"""Every projection the platform runs, in one list: what `anjian projections` manages."""

from __future__ import annotations

from pathlib import Path

from projections.accidents import Accidents
from projections.alarms import Alarms
from projections.credit import Credit
from projections.enterprises import EnterpriseDirectory
from projections.follower import Projection
from projections.hazards import Hazards
from projections.incidents import IncidentLog, Incidents
from projections.inspections import Inspections
from projections.licences import Licences
from projections.penalties import Penalties
from projections.personal_data import PersonalData
from projections.risk_map import RiskMap
from projections.risk_points import RiskPoints
from projections.rulebook import RULEBOOKS, available
from projections.teams import Teams
from projections.timeline import Timeline
from projections.warnings import Warnings


def all_projections(rulebooks: Path = RULEBOOKS) -> list[Projection]:
    """A fresh instance of every projection, one credit projection per rulebook file."""
    base: list[Projection] = [
        EnterpriseDirectory(),
        Timeline(),
        RiskPoints(),
        Hazards(),
        Inspections(),
        Penalties(),
        Licences(),
        Alarms(),
        Accidents(),
        PersonalData(),
        Incidents(),
        IncidentLog(),
        Teams(),
        Warnings(),
        RiskMap(),
    ]
    return base + [Credit(book) for book in available(rulebooks)]
