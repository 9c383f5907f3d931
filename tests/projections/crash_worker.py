"""A follower process for the kill -9 test: catches up, printing its progress, until killed.

    python -m tests.projections.crash_worker EVENT_STORE_SQLITE READMODELS_URL BATCH PAUSE

PAUSE seconds are spent inside every batch's transaction, after its rows are written and
before the commit, so that a SIGKILL most likely lands in the middle of a transaction.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from sqlalchemy import Connection

from domain.application import Records
from ledger.notary import Ed25519Notary
from ops.bootstrap import sqlite_env
from ops.schemas import CatalogSchemas
from projections.enterprises import EnterpriseDirectory
from projections.events import Event
from projections.follower import ReadModelFollower
from projections.store import open_store
from projections.timeline import Timeline
from tests.projections.counting import Counting, create_tables


class SlowCounting(Counting):
    def __init__(self, pause: float) -> None:
        super().__init__()
        self.pause = pause

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        super().apply(conn, events)
        time.sleep(self.pause)


def main(argv: list[str]) -> None:
    path, url, batch, pause = argv[0], argv[1], int(argv[2]), float(argv[3])
    records = Records(Ed25519Notary(), CatalogSchemas(), env=sqlite_env(path))
    engine = open_store(url)
    create_tables(engine)
    follower = ReadModelFollower(
        records.recorder, engine, [SlowCounting(pause), Timeline(), EnterpriseDirectory()], batch
    )
    print("ready", flush=True)
    while follower.step():
        print(min(follower.positions().values()), flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
