"""The Merkle leaf of a stored notification (ledger.leaf)."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import canonical_bytes, canonical_text
from ledger.errors import LeafError
from ledger.keys import KeyPair
from ledger.leaf import leaf_bytes, leaf_from_parts
from tests.ledger.toyapp import new_app, populate, sqlite_env


@dataclass(frozen=True)
class FakeNotification:
    id: int
    originator_id: UUID | str
    originator_version: int
    topic: str
    state: bytes


def expected_leaf(n: FakeNotification, state: dict[str, Any]) -> bytes:
    """The leaf as the brief defines it, built the slow way: parse, assemble, canonicalise."""
    return canonical_bytes(
        {
            "envelope": json.loads(state["envelope"]),
            "event": {
                "id": str(n.originator_id),
                "recorded_at": state["timestamp"]["_data_"],
                "type": n.topic,
                "version": n.originator_version,
            },
            "key_id": state["key_id"],
            "notification_id": n.id,
            "signature": state["signature"],
        }
    )


def stored_state(envelope: Any, **extra: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2024-05-01T02:00:00.123456+00:00"},
        "originator_topic": "tests.ledger.toyapp:Toy",
        "envelope": envelope,
        "signature": "c2lnbmF0dXJl",
        "key_id": "ab" * 16,
    }
    state.update(extra)
    return state


def notification(state: dict[str, Any], nid: int = 7) -> FakeNotification:
    # The same encoder settings as eventsourcing's JSONTranscoder.
    raw = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()
    return FakeNotification(nid, uuid4(), 3, "tests.ledger.toyapp:Toy.Recorded", raw)


json_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | json_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(data=json_values, strings=st.lists(json_text, min_size=4, max_size=4))
def test_leaf_built_by_concatenation_is_the_canonical_json_of_the_leaf_object(
    data: Any, strings: list[str]
) -> None:
    envelope = canonical_text({"data": data, "id": str(uuid4()), "type": "toy.record"})
    topic, recorded_at, key_id, signature = strings
    state = stored_state(envelope, key_id=key_id, signature=signature)
    state["timestamp"]["_data_"] = recorded_at
    n = replace(notification(state), topic=topic or "t")
    assert leaf_bytes(n) == expected_leaf(n, state)


def test_leaf_of_a_real_eventsourcing_notification(tmp_path: Any) -> None:
    app = new_app(sqlite_env(str(tmp_path / "events.db")))
    key = KeyPair.generate()
    (toy,) = populate(app, key, 1, events_each=2)
    first, second = app.recorder.select_notifications(1, 10)
    state = json.loads(second.state)
    leaf = json.loads(leaf_bytes(second))
    assert leaf["notification_id"] == second.id
    assert leaf["event"] == {
        "id": str(toy.id),
        "recorded_at": state["timestamp"]["_data_"],
        "type": "tests.ledger.toyapp:Toy.Recorded",
        "version": 2,
    }
    assert canonical_text(leaf["envelope"]) == state["envelope"]
    assert leaf["key_id"] == key.key_id
    assert leaf_bytes(second) == expected_leaf(
        FakeNotification(second.id, second.originator_id, 2, second.topic, second.state),
        state,
    )
    assert leaf_bytes(first) != leaf_bytes(second)


def test_recorded_at_is_the_stored_iso_string_verbatim() -> None:
    state = stored_state('{"a":1}')
    state["timestamp"]["_data_"] = "2024-05-01T10:00:00.000001+08:00"  # not normalised to UTC
    assert b'"recorded_at":"2024-05-01T10:00:00.000001+08:00"' in leaf_bytes(notification(state))


def test_leaf_from_parts_matches_leaf_bytes() -> None:
    state = stored_state('{"a":1}')
    n = notification(state, nid=42)
    assert leaf_bytes(n) == leaf_from_parts(
        envelope='{"a":1}',
        event_id=str(n.originator_id),
        recorded_at=state["timestamp"]["_data_"],
        event_type=n.topic,
        version=3,
        key_id=state["key_id"],
        notification_id=42,
        signature=state["signature"],
    )


@pytest.mark.parametrize(
    ("state_bytes", "reason"),
    [
        (zlib.compress(b'{"envelope":"{}"}'), "not JSON"),
        (b"[1, 2]", "lacks"),
        (json.dumps({"envelope": "{}", "signature": "s", "key_id": "k"}).encode(), "lacks"),
        (json.dumps(stored_state("not an object")).encode(), "not JSON object"),
        (json.dumps(stored_state({"a": 1})).encode(), "must be strings"),
        (json.dumps(stored_state("{}", key_id=None)).encode(), "must be strings"),
        (
            json.dumps(stored_state("{}", timestamp="2024-05-01T02:00:00+00:00")).encode(),
            "lacks",
        ),
        (
            json.dumps(
                stored_state("{}", timestamp={"_type_": "decimal_str", "_data_": "1"})
            ).encode(),
            "datetime_iso",
        ),
        (json.dumps(stored_state("{}", signature="\ud800")).encode(), "surrogate"),
    ],
)
def test_a_state_that_cannot_become_a_leaf_is_a_record_error_naming_the_notification(
    state_bytes: bytes, reason: str
) -> None:
    n = FakeNotification(99, uuid4(), 1, "t", state_bytes)
    with pytest.raises(LeafError, match=reason) as caught:
        leaf_bytes(n)
    assert caught.value.notification_id == 99
