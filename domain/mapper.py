"""RecordMapper: eventsourcing's Mapper with a direct path for the events Records stores.

A Record event's state is strings (envelope, signature, key id, the created event's topic) and
one datetime (the recorded-at timestamp). The library's JSONTranscoder reaches the datetime
through a Python `default` hook, the largest part of the write path's mapping cost. For such
states this mapper writes the same JSON directly: the same keys in the same order, strings
escaped by the same C function the stdlib encoder uses with ensure_ascii=False, the timestamp
as the transcoder's own `{"_type_": …, "_data_": …}` object. Any other state, a compressor or a
cipher goes through the library unchanged. tests/store/test_mapper.py holds the two to the
same bytes.
"""

from __future__ import annotations

from datetime import datetime
from json.encoder import encode_basestring  # the C escaper when the accelerator is present
from typing import Any

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent
from eventsourcing.utils import get_topic

_SKIPPED = frozenset({"originator_id", "originator_version"})


class RecordMapper(Mapper[Any]):
    """Maps domain events to stored events, writing string-and-datetime states directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        transcoder = self.transcoder
        self._direct = (
            isinstance(transcoder, JSONTranscoder)
            and type(transcoder.types.get(datetime)) is DatetimeAsISO
            and self.compressor is None
            and self.cipher is None
        )
        self._datetime_type = encode_basestring(DatetimeAsISO.name)

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        if not self._direct or getattr(type(domain_event), "class_version", 1) > 1:
            return super().to_stored_event(domain_event)
        state = vars(domain_event)
        parts = []
        for key, value in state.items():
            if key in _SKIPPED:
                continue
            kind = type(value)
            if kind is str:
                parts.append(f"{encode_basestring(key)}:{encode_basestring(value)}")
            elif kind is datetime:
                parts.append(
                    f'{encode_basestring(key)}:{{"_type_":{self._datetime_type},'
                    f'"_data_":{encode_basestring(value.isoformat())}}}'
                )
            else:
                return super().to_stored_event(domain_event)
        return StoredEvent(
            originator_id=state["originator_id"],
            originator_version=state["originator_version"],
            topic=get_topic(type(domain_event)),
            state=("{" + ",".join(parts) + "}").encode("utf-8"),
        )
