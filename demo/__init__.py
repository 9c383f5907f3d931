"""`anjian demo`: a deterministic synthetic Hubei province, recorded through services/ingest.

A client of the application layer like any other entry point: it may import services and
below, never ops (the composition root hands it an `Ingest`).

build      the province from a seed: regulators, enterprises, what they bring from before
script     the showcase lifecycles of the first enterprises
enterprises, permits, certificates, hazards, inspections, penalties, sensors, accidents
           one process per record, following the domain's rules and clocks
sim        the scheduler that turns processes into command lines in time order
runner     the run through Ingest.record (batched), the store check, the summary
console    the progress bar and the summary on a terminal
"""
