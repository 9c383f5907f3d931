"""RecordMapper writes exactly the bytes eventsourcing's own Mapper writes.

The stored state is what the Merkle leaves, the projections and the auditor read back, so the
direct path may only ever be faster, never different.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.persistence import JSONTranscoder, Mapper
from hypothesis import given
from hypothesis import strategies as st

from domain.enterprise import Enterprise
from domain.ids import enterprise_id
from domain.mapper import RecordMapper
from tests.support import Harness, new_uscc


def transcoder() -> JSONTranscoder:
    t = JSONTranscoder()
    Application.register_transcodings(Application.__new__(Application), t)
    return t


LIBRARY = Mapper[Any](transcoder=transcoder())
DIRECT = RecordMapper(transcoder=transcoder())

instants = st.datetimes(
    min_value=datetime(1970, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(0))]),
)


def event(kind: Any, **fields: Any) -> Any:
    return kind(**fields)


@given(
    fields=st.fixed_dictionaries(
        {"envelope": st.text(), "signature": st.text(), "key_id": st.text(), "timestamp": instants}
    ),
    topic=st.text(),
    version=st.integers(1, 2**31),
)
def test_direct_and_library_mapping_agree_on_any_strings(
    fields: dict[str, Any], topic: str, version: int
) -> None:
    subject = UUID(int=version)
    created = event(
        Enterprise.Created,
        originator_id=subject,
        originator_version=1,
        originator_topic=topic,
        **fields,
    )
    later = event(Enterprise.Event, originator_id=subject, originator_version=version, **fields)
    for e in (created, later):
        try:
            expected = LIBRARY.to_stored_event(e)
        except UnicodeEncodeError:  # a lone surrogate: neither may store it
            try:
                DIRECT.to_stored_event(e)
            except UnicodeEncodeError:
                continue
            raise AssertionError("the direct path stored a lone surrogate") from None
        assert DIRECT.to_stored_event(e) == expected


def test_events_of_a_real_history_map_identically() -> None:
    h = Harness()
    h.actor("r-wh", "regulator", "420100")
    uscc = h.enterprise("r-wh", uscc=new_uscc("420102"))
    h.run_as(
        "r-wh",
        "enterprise.update_profile",
        "420102",
        {"uscc": uscc, "name": '武汉\u2028"引号"\\化工\t'},
        subject=enterprise_id(uscc),
    )
    notifications = h.records.recorder.select_notifications(start=1, limit=100)
    assert len(notifications) >= 3
    for n in notifications:
        stored = h.records.mapper.to_domain_event(n)
        assert DIRECT.to_stored_event(stored) == LIBRARY.to_stored_event(stored)
        assert h.records.mapper.to_stored_event(stored).state == n.state
    h.close()


def test_other_states_and_compression_go_through_the_library() -> None:
    at = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    e = event(
        Enterprise.Event,
        originator_id=UUID(int=7),
        originator_version=2,
        timestamp=at,
        envelope="{}",
        signature="s",
        key_id="k",
    )
    object.__setattr__(e, "extra", {"n": 1, "when": at})  # not a string: library path
    assert DIRECT.to_stored_event(e) == LIBRARY.to_stored_event(e)

    compressed = RecordMapper(transcoder=transcoder(), compressor=ZlibCompressor())
    state = compressed.to_stored_event(e).state
    assert zlib.decompress(state) == LIBRARY.to_stored_event(e).state
