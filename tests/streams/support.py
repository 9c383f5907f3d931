"""What the stream tests share: a platform publishing to a throwaway nats-server, a small demo
province recorded through the real command path, the stream read back, and the actor keys an
integrator verifies with."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import nats
from cloudevents.core.v1.event import CloudEvent

from demo.runner import DemoOptions, run
from ops.bootstrap import Platform, build
from ops.settings import load_settings
from services.ingest.genesis import ensure_genesis
from services.ingest.principal import Principal
from streams.cloudevent import read
from tests.ops.test_cli_record import regulator_line
from tests.support import new_uscc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "integrator_consumer.py"


def platform(home: Path, nats_url: str, **settings: Any) -> Platform:
    return build(load_settings(home=home, nats_url=nats_url, **settings))


def record_province(p: Platform, enterprises: int = 4, months: int = 4, seed: int = 7) -> int:
    """Record a demo province through `p.ingest`; the number of events stored."""
    run(p.ingest, DemoOptions(enterprises, months, seed), where=str(p.settings.home))
    return len(stored_ids(p))


def register_regulator(p: Platform, account: str = "r-wh-1") -> None:
    """The genesis, then the platform operator registers a custodial regulator of Wuhan."""
    ensure_genesis(p.ingest)
    line = regulator_line(p.settings.home, account)
    _record(p, [line], Principal.operator("platform"))


def register_enterprises(p: Platform, n: int, batch: int = 50, account: str = "r-wh-1") -> None:
    """`n` enterprises of Wuhan's districts registered by `account`, `batch` a transaction."""
    lines = [
        {
            "type": "enterprise.register",
            "actor": account,
            "region": f"4201{2 + i % 5:02d}",
            "data": {
                "uscc": new_uscc(),
                "name": f"武汉某化工有限公司{i}",
                "industry": "hazardous_chemicals",
                "standardisation": "level2",
            },
        }
        for i in range(n)
    ]
    _record(p, lines, Principal.operator(account), batch)


def _record(p: Platform, lines: list[dict[str, Any]], who: Principal, batch: int = 1) -> None:
    text = [json.dumps(line, ensure_ascii=False) for line in lines]
    for _ in p.ingest.record(text, who, batch=batch):
        pass


def stored_ids(p: Platform) -> list[str]:
    """The event ids of the store, in log order."""
    return [r.event_id for r in p.records.notifications()]


def read_stream(url: str, subject: str = "anjian.events.>") -> list[tuple[str, CloudEvent]]:
    """(NATS subject, CloudEvent read by the SDK) of every message on `subject`, in order."""
    return [(m.subject, read(m.data)) for m in raw_messages(url, subject)]


def raw_messages(url: str, subject: str = "anjian.events.>") -> list[Any]:
    """The raw NATS messages of the stream (subject, headers, payload) on `subject`, in
    order: as many as the stream holds, on the whole stream; until none arrived for a second,
    on a filter."""

    async def read() -> list[Any]:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            whole = subject == "anjian.events.>"
            expected = (await js.stream_info("ANJIAN_EVENTS")).state.messages if whole else None
            sub = await js.subscribe(subject, stream="ANJIAN_EVENTS", ordered_consumer=True)
            got: list[Any] = []
            while expected is None or len(got) < expected:
                try:
                    got.append(await sub.next_msg(timeout=1.0 if expected is None else 30.0))
                except nats.errors.TimeoutError:
                    if expected is not None:
                        raise
                    break
            await sub.unsubscribe()
            return got
        finally:
            await nc.close()

    return asyncio.run(read())


def published_ids(url: str) -> list[str]:
    """The event ids of the stream, in stream order."""
    return [read(m.data).get_id() for m in raw_messages(url)]


def write_keys(p: Platform, path: Path) -> Path:
    from services.actor_keys import actor_keys

    path.write_text(json.dumps(actor_keys(p.records)), "utf-8")
    return path


def example() -> ModuleType:
    """examples/integrator_consumer.py as a module (its verification, used by the tests)."""
    spec = importlib.util.spec_from_file_location("integrator_consumer", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("integrator_consumer", module)
    spec.loader.exec_module(module)
    return module
