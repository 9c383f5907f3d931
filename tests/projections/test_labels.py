"""What the read commands print names things as the domain does: hazard and accident grades,
kinds of record and the steps a penalty clock waits for come from the domain and the catalog,
never from labels the CLI declares again."""

from __future__ import annotations

from domain.accident import GRADES as ACCIDENT_GRADES
from domain.catalog import CATALOG
from domain.certificate import TrainingCertificate
from domain.hazard import GRADES as HAZARD_GRADES
from domain.permit import Permit
from ops.cli.dashboard import render_dashboard
from projections.dashboard import Dashboard


def test_the_dashboard_names_grades_kinds_and_clocks_as_the_domain_does() -> None:
    d = Dashboard(
        "420100",
        "武汉市",
        "2025-03-15",
        hazards_open={"general": 2, "major": 1},
        clocks_overdue={"payment": 1, "service": 2},
        licences_lapsed={"certificate": 3, "permit": 4},
        accidents_12m={"larger": 1},
    )
    text = "\n".join(render_dashboard(d))
    assert f"{HAZARD_GRADES['general']} 2，{HAZARD_GRADES['major']} 1" in text
    assert f"{CATALOG['penalty.pay'].zh} 1，{CATALOG['penalty.serve'].zh} 2" in text
    assert f"{TrainingCertificate.KIND_ZH} 3，{Permit.KIND_ZH} 4" in text
    assert f"{ACCIDENT_GRADES['larger']} 1" in text
