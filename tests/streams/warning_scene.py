"""A small scene for the warning worker's tests, recorded through the real command path three
hours in the past (so that ticks half an hour after an alarm are not in the future): a Wuhan
regulator, an enterprise of 江岸区 with the 一级 major hazard source T-01, a device account and
its gas detector GD-1 (set points 20 / 40 %LEL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from domain.ids import device_id, enterprise_id
from ops.bootstrap import Platform
from ops.keystore import Keystore
from services.ingest.principal import Principal
from tests.streams.support import register_regulator
from tests.support import new_uscc

REGION = "420102"


@dataclass
class Scene:
    p: Platform
    uscc: str
    at: datetime  # the instant the next line is dated

    def record(self, account: str, line: dict[str, Any]) -> list[str]:
        """Record one line as `account` (custodial, channel cli), dated a minute after the
        last; its event ids."""
        self.at += timedelta(minutes=1)
        line = {**line, "actor": account, "occurred_at": self.at.isoformat()}
        text = json.dumps(line, ensure_ascii=False)
        return [
            r.event_id
            for c in self.p.ingest.record([text], Principal.operator(account))
            for r in c.recorded
        ]

    def alarm(self, value: float, level: str) -> str:
        """A gas alarm of GD-1 raised now (scene time); its event id."""
        (eid,) = self.record(
            "dev-1",
            {
                "type": "sensor_alarm.raise",
                "region": REGION,
                "subject": str(uuid4()),
                "data": {
                    "enterprise": self.uscc,
                    "device": str(device_id("GD-1")),
                    "value": value,
                    "level": level,
                },
            },
        )
        return eid


def scene(p: Platform) -> Scene:
    register_regulator(p)
    uscc = new_uscc(REGION)
    s = Scene(p, uscc, datetime.now(UTC) - timedelta(hours=3))
    s.record(
        "r-wh-1",
        {
            "type": "enterprise.register",
            "region": REGION,
            "data": {
                "uscc": uscc,
                "name": "武汉某石化有限公司",
                "industry": "hazardous_chemicals",
                "standardisation": "level2",
            },
        },
    )
    s.record(
        "r-wh-1",
        {
            "type": "enterprise.register_hazard_source",
            "region": REGION,
            "subject": str(enterprise_id(uscc)),
            "data": {
                "uscc": uscc,
                "source": "T-01",
                "name": "液化烃罐区",
                "substances": [{"name": "丙烯", "quantity": 1000, "critical": 10, "beta": 2}],
                "people_within_500m": 120,
            },
        },
    )
    keys = Keystore(p.settings.home / "keys")
    for account, role in (("dev-1", "device"), ("e-1", "enterprise")):
        s.record(
            "platform",
            {
                "type": "actor.register",
                "region": REGION,
                "data": {
                    "account": account,
                    "role": role,
                    "name": account,
                    "jurisdiction": REGION,
                    "enterprise": uscc,
                    "public_key": keys.custodial(account).public_key_b64,
                    "custody": "platform",
                },
            },
        )
    s.record(
        "r-wh-1",
        {
            "type": "sensor.install",
            "region": REGION,
            "data": {
                "enterprise": uscc,
                "serial": "GD-1",
                "account": "dev-1",
                "source": "T-01",
                "quantity": "combustible_gas",
                "unit": "%LEL",
                "high": 20,
                "high_high": 40,
            },
        },
    )
    return s
