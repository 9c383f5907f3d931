"""`anjian demo`: a deterministic synthetic Hubei province, recorded through the real command path.

build      the province from a seed: regulators, enterprises, what they bring from before
script     the showcase lifecycles of the first enterprises
enterprises, permits, certificates, hazards, inspections, penalties, sensors, accidents
           one process per record, following the domain's rules and clocks
sim        the scheduler that turns processes into command lines in time order
runner     intake + batched execution, the store checks, the summary
"""

from demo.runner import (
    DemoError,
    DemoOptions,
    DemoRejected,
    DemoReport,
    ResetRefused,
    StoreNotEmpty,
    check_empty,
    kind_name,
    reset_store,
    run,
)

__all__ = [
    "DemoError",
    "DemoOptions",
    "DemoRejected",
    "DemoReport",
    "ResetRefused",
    "StoreNotEmpty",
    "check_empty",
    "kind_name",
    "reset_store",
    "run",
]
