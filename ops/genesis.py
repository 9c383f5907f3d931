"""Genesis: the platform actor's self-signed registration, the first event of every store.

Genesis is signed with the platform's own key and names no channel: nobody is authenticated
for it, the platform registers itself (it is not a custodial signature, see ops.intake).
"""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.actor import PLATFORM_ACCOUNT
from domain.envelope import SignedCommand
from domain.ids import actor_id
from domain.regions import PROVINCE
from ledger.canonical import canonical_text
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
    text = canonical_text(
        {
            "actor": PLATFORM_ACCOUNT,
            "data": {
                "account": PLATFORM_ACCOUNT,
                "role": "platform",
                "name": "湖北省安全生产综合信息平台",
                "jurisdiction": PROVINCE,
                "public_key": key.public_key_b64,
                "custody": "own",
            },
            "id": str(uuid4()),
            "occurred_at": datetime.now(platform.settings.zone).isoformat(),
            "region": PROVINCE,
            "role": "platform",
            "subject": str(actor_id(PLATFORM_ACCOUNT)),
            "type": "actor.register",
        }
    )
    platform.records.execute(SignedCommand.of(text, key.sign_b64(text.encode()), key.key_id))
    return True
