"""An envelope's channel is one of the channel names; any other JSON value is a malformed
envelope (InvalidEnvelope), never a crash of the write path."""

from __future__ import annotations

from typing import Any

import pytest

from domain.envelope import Envelope
from domain.errors import InvalidEnvelope

ENVELOPE: dict[str, Any] = {
    "actor": "r-1",
    "data": {},
    "id": "00000000-0000-4000-8000-000000000000",
    "occurred_at": "2024-03-01T09:00:00+08:00",
    "region": "420102",
    "role": "regulator",
    "subject": "00000000-0000-4000-8000-000000000001",
    "type": "hazard.close",
}


@pytest.mark.parametrize("channel", [{}, [], 1, True, "web", ""])
def test_a_channel_that_is_not_a_channel_name_is_a_malformed_envelope(channel: object) -> None:
    with pytest.raises(InvalidEnvelope, match="channel must be one of"):
        Envelope.from_json({**ENVELOPE, "channel": channel})


def test_a_channel_name_is_taken() -> None:
    assert Envelope.from_json({**ENVELOPE, "channel": "api"}).channel == "api"
