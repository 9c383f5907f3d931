"""Every event fits one C2SP tlog-tiles entry (at most 65,535 bytes): the write path refuses an
envelope whose leaf would not, though its data is valid by the catalog's schema, so no command
can make an entry bundle unservable to the clients following the log."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.envelope import MAX_ENVELOPE_BYTES, SignedCommand
from domain.errors import InvalidEnvelope
from ledger.canonical import canonical_text
from ledger.keys import KeyPair
from ledger.leaf import leaf_from_parts
from ops.schemas import CatalogSchemas
from services.ledger.tiles import MAX_ENTRY


def envelope(data: dict[str, object]) -> str:
    return canonical_text(
        {
            "actor": "e-1",
            "data": data,
            "id": str(uuid4()),
            "occurred_at": "2024-05-01T10:00:00+08:00",
            "region": "420102",
            "role": "enterprise",
            "subject": str(uuid4()),
            "type": "hazard.rectify",
        }
    )


def test_a_schema_valid_command_too_large_for_a_log_entry_is_refused() -> None:
    evidence = [
        {"ref": f"photo-{i}", "sha256": "ab" * 32, "description": "整改照片" * 125}
        for i in range(100)
    ]
    data: dict[str, object] = {"description": "整改完成", "evidence": evidence}
    CatalogSchemas()("hazard.rectify", data)  # valid by the catalog
    text = envelope(data)
    assert len(text.encode()) > MAX_ENTRY
    key = KeyPair.generate()
    with pytest.raises(InvalidEnvelope, match="would not fit a log entry"):
        SignedCommand.of(text, key.sign_b64(text.encode()), key.key_id)


def test_the_largest_envelope_received_makes_a_leaf_that_fits_an_entry() -> None:
    pad = MAX_ENVELOPE_BYTES - len(envelope({"description": ""}).encode())
    text = envelope({"description": "x" * pad})
    assert len(text.encode()) == MAX_ENVELOPE_BYTES
    SignedCommand.of(text, "c2ln" * 22, "ab" * 16)  # received
    leaf = leaf_from_parts(
        envelope=text,
        event_id=str(uuid4()),
        recorded_at="2024-05-01T02:00:00.123456+00:00",
        event_type="domain.some_long_aggregate_name:SomeLongAggregateName.SomeLongEventName",
        version=2**63 - 1,
        key_id="f" * 64,
        notification_id=2**63 - 1,
        signature="A" * 88,
    )
    assert len(leaf) <= MAX_ENTRY
    one_more = envelope({"description": "x" * (pad + 1)})
    with pytest.raises(InvalidEnvelope, match=f"has {MAX_ENVELOPE_BYTES + 1} bytes"):
        SignedCommand.of(one_more, "c2ln" * 22, "ab" * 16)
