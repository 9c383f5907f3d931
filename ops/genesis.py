"""Genesis: the platform actor's self-signed registration, the first event of every store."""

from __future__ import annotations

from eventsourcing.application import AggregateNotFoundError

from domain.actor import PLATFORM_ACCOUNT
from domain.ids import actor_id
from domain.regions import PROVINCE
from ops.bootstrap import Platform


def ensure_genesis(platform: Platform) -> bool:
    """Record the genesis event unless the store has it; True when it was recorded now."""
    try:
        platform.records.repository.get(actor_id(PLATFORM_ACCOUNT))
    except AggregateNotFoundError:
        pass
    else:
        return False
    key = platform.keystore.platform_key()
    cmd = platform.intake().parse(
        {
            "type": "actor.register",
            "actor": PLATFORM_ACCOUNT,
            "region": PROVINCE,
            "data": {
                "account": PLATFORM_ACCOUNT,
                "role": "platform",
                "name": "湖北省安全生产综合信息平台",
                "jurisdiction": PROVINCE,
                "public_key": key.public_key_b64,
                "custody": "own",
            },
        }
    )
    platform.records.execute(cmd)
    return True
