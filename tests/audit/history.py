"""A small realistic history recorded through the real write path, then logged and anchored.

Part one: regulators and officers, two enterprises, an enterprise account, a general hazard
closed through its whole loop (report, order, rectify, recheck, accept, close); sync. Part two:
the enterprise account rotates its key and reports with the new one, the platform revokes an
officer's key; sync. With a checkpoint every 4 leaves the log holds several checkpoints and two
anchors, so bundles carry consistency proofs and anchors can be lost and replaced.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from domain.actor import PLATFORM_ACCOUNT, Actor
from domain.envelope import SignedCommand
from domain.ids import actor_id, enterprise_id
from domain.stored import parse_event_id
from ledger.canonical import canonical_text
from ledger.keys import KeyPair
from ops.bootstrap import build, store_env
from ops.settings import load_settings
from services.ledger.sync import SyncReport
from services.ledger.sync import sync as sync_ledger
from tests.insider import insider_write as write
from tests.support import Harness, new_uscc

REGION = "420102"
OFFICERS = ["o-1", "o-2"]
EVIDENCE = [{"ref": "photo-1", "sha256": "ab" * 32}]


@dataclass
class History:
    """What was recorded: event ids by role in the story, all of them in notification order."""

    home: Path
    events: list[str] = field(default_factory=list)
    hazard_report: str = ""
    closure: str = ""  # the regulator closes the hazard (its key stays current)
    rotation: str = ""
    after_rotation: str = ""
    enterprises: list[str] = field(default_factory=list)  # the two registration events
    last: str = ""
    keys: dict[str, KeyPair] = field(default_factory=dict)  # the actors' signing keys

    @property
    def db(self) -> Path:
        return self.home / "anjian.sqlite"

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.db)

    def row(self, event_id: str) -> tuple[str, int]:
        """(originator_id as stored by eventsourcing's SQLite recorder, version)."""
        subject, version = parse_event_id(event_id)
        return subject.hex, version


def sync() -> SyncReport:
    with build(load_settings()) as platform:
        return sync_ledger(platform.ledger)


def record_history(home: Path) -> History:
    """Record both parts, syncing after each. Precondition: ANJIAN_HOME is `home`."""
    history = History(home)
    h = Harness(store_env(load_settings()))
    try:
        _part_one(h, history)
        sync()
        _part_two(h, history)
        sync()
        notifications = h.records.recorder.select_notifications(None, 10_000)
        history.events = [f"{n.originator_id}:{n.originator_version}" for n in notifications]
        history.last = history.events[-1]
        history.keys = dict(h.keys)
    finally:
        h.close()
    return history


def record_more(history: History, count: int) -> list[str]:
    """Register `count` more enterprises, signed by the regulator, without a sync."""
    with build(load_settings()) as platform:
        records = platform.records
        key = history.keys["r-wuhan"]
        out = []
        for _ in range(count):
            uscc = new_uscc(REGION)
            envelope = {
                "actor": "r-wuhan",
                "data": {"industry": "non_coal_mining", "name": f"矿山{uscc[-6:]}",
                         "standardisation": "level3", "uscc": uscc},
                "id": str(uuid4()),
                "occurred_at": "2024-04-01T09:00:00+08:00",
                "region": REGION,
                "role": "regulator",
                "subject": str(enterprise_id(uscc)),
                "type": "enterprise.register",
            }  # fmt: skip
            text = canonical_text(envelope)
            cmd = SignedCommand.of(text, key.sign_b64(text.encode()), key.key_id)
            out.append(records.execute(cmd).event_id)
        return out


def insider_write(
    history: History,
    account: str,
    event_type: str,
    subject: UUID,
    data: dict[str, Any],
    *,
    record: UUID | None = None,
    topic: str | None = None,
    role: str | None = None,
    version: int | None = None,
) -> str:
    """An insider's event: `account` signs the command with its current key (in `role`,
    default the one it is registered with) and it goes straight into the store as the next
    version of `record` (default `subject`) or as `version`, under `topic` (default: where
    the write path stores events of the type's kind). Its event id. Precondition:
    ANJIAN_HOME is `history.home`."""
    with build(load_settings()) as platform:
        records = platform.records
        return write(
            records,
            history.keys[account],
            actor=account,
            role=role or records.load(actor_id(account), Actor).role,
            event_type=event_type,
            subject=subject,
            region=REGION,
            data=data,
            record=record,
            topic=topic,
            version=version,
        )


def ledger_rows(history: History) -> tuple[int, int, int]:
    """(leaf rows' total count, checkpoints, live anchors): what a refused sync must not change."""
    with history.connect() as db:
        leaves = db.execute("SELECT COALESCE(SUM(count), 0) FROM ledger_leaves").fetchone()[0]
        cps = db.execute("SELECT COUNT(*) FROM ledger_checkpoints").fetchone()[0]
        anchors = db.execute("SELECT COUNT(*) FROM ledger_anchors WHERE status='live'").fetchone()[
            0
        ]
    return int(leaves), int(cps), int(anchors)


def _run(h: Harness, account: str, ctype: str, data: dict[str, Any], **kw: Any) -> str:
    recorded = h.run_as(account, ctype, kw.pop("region", REGION), data, **kw)
    return recorded.event_id


def _part_one(h: Harness, history: History) -> None:
    h.actor("r-wuhan", "regulator", "420100")
    for officer in OFFICERS:
        h.actor(officer, "regulator", "420100")
    first, second = h.enterprise("r-wuhan"), h.enterprise("r-wuhan")
    history.enterprises = [f"{enterprise_id(e)}:1" for e in (first, second)]
    h.actor("e-1", "enterprise", REGION, enterprise=first)
    case = uuid4()
    history.hazard_report = _run(
        h,
        "e-1",
        "hazard.report",
        {
            "enterprise": first,
            "grade": "general",
            "source": "self_check",
            "description": "液氯储罐阀门泄漏 valve leak on the chlorine tank",
        },
        subject=case,
    )
    _hazard(
        h,
        case,
        "order_rectification",
        {"deadline": "2024-03-05", "requirements": "更换阀门"},
        "e-1",
    )
    _hazard(h, case, "rectify", {"description": "已更换", "evidence": EVIDENCE}, "e-1")
    _hazard(h, case, "request_recheck", {}, "e-1")
    _hazard(
        h, case, "accept", {"officers": OFFICERS, "on_site": True, "report": "现场复查"}, "r-wuhan"
    )
    history.closure = _hazard(h, case, "close", {"document_no": "XH-1"}, "r-wuhan")


def _hazard(h: Harness, case: UUID, verb: str, data: dict[str, Any], who: str) -> str:
    return _run(h, who, f"hazard.{verb}", data, subject=case)


def _part_two(h: Harness, history: History) -> None:
    new = KeyPair.generate()
    history.rotation = _run(
        h, "e-1", "actor.rotate_key", {"public_key": new.public_key_b64}, subject=actor_id("e-1")
    )
    h.keys["e-1"] = new
    enterprise = h.records.load(actor_id("e-1"), Actor).enterprise
    history.after_rotation = _run(
        h,
        "e-1",
        "hazard.report",
        {
            "enterprise": enterprise,
            "grade": "general",
            "source": "self_check",
            "description": "消防通道堵塞 blocked fire lane",
        },
        subject=uuid4(),
    )
    _run(
        h,
        PLATFORM_ACCOUNT,
        "actor.revoke_key",
        {"key_id": h.keys["o-2"].key_id, "reason": "执法终端遗失"},
        subject=actor_id("o-2"),
        region="420100",
    )
