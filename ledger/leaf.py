"""The Merkle leaf of one stored event notification.

A leaf is the RFC 8785 canonical JSON text (UTF-8) of

    {"envelope": <envelope object>,
     "event": {"id": "<originator uuid>", "recorded_at": "<stored timestamp ISO string>",
               "type": "<event topic>", "version": <originator version>},
     "key_id": "<hex>", "notification_id": <int>, "signature": "<base64>"}

The stored envelope text is already canonical (the actor signed exactly those bytes), so the
leaf is built by concatenation in JCS key order (envelope < event < key_id < notification_id
< signature; id < recorded_at < type < version) with every other string escaped the way JCS
escapes it (`json.encoder.encode_basestring`, i.e. ECMAScript JSON.stringify). Nothing is parsed
and re-serialised, which keeps the follower fast; the auditor re-checks that the envelope text is
canonical, so a non-canonical envelope is caught there, not silently normalised here.

Input: the stored state of an eventsourcing notification, as written by eventsourcing's
`JSONTranscoder` with no compressor and no cipher: a JSON object holding `envelope`, `signature`,
`key_id` (strings) and `timestamp` transcoded by `DatetimeAsISO`, i.e.
`{"_type_": "datetime_iso", "_data_": "<datetime.isoformat()>"}`. The ISO string is used as
stored, never re-formatted, so the leaf commits to the exact bytes in the event store.

Pure standard library: the offline auditor rebuilds leaves with the same function.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _str
from typing import Protocol
from uuid import UUID

from ledger.errors import LeafError

__all__ = ["StoredNotification", "leaf_bytes", "leaf_from_parts"]

_decode = json.JSONDecoder().decode


class StoredNotification(Protocol):
    """What the leaf needs from `eventsourcing.persistence.Notification` (structural)."""

    @property
    def id(self) -> int: ...
    @property
    def originator_id(self) -> UUID | str: ...
    @property
    def originator_version(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def state(self) -> bytes: ...


def leaf_from_parts(
    *,
    envelope: str,
    event_id: str,
    recorded_at: str,
    event_type: str,
    version: int,
    key_id: str,
    notification_id: int,
    signature: str,
) -> bytes:
    """The leaf bytes from its parts. `envelope` must be canonical JSON object text.

    UnicodeEncodeError if a string holds a lone surrogate (JCS has no encoding for it).
    """
    # One f-string: about twice as fast as building the text piece by piece.
    return (
        f'{{"envelope":{envelope},"event":{{"id":{_str(event_id)},'
        f'"recorded_at":{_str(recorded_at)},"type":{_str(event_type)},'
        f'"version":{version:d}}},"key_id":{_str(key_id)},'
        f'"notification_id":{notification_id:d},"signature":{_str(signature)}}}'
    ).encode()


def leaf_bytes(notification: StoredNotification) -> bytes:
    """The Merkle leaf of a stored notification; LeafError if its state is not as expected."""
    nid = notification.id
    try:
        # Decoding to str first avoids json.loads' slower bytes path (encoding detection).
        state = _decode(notification.state.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LeafError(nid, f"state is not JSON (compressed or encrypted?): {exc}") from None
    try:
        envelope = state["envelope"]
        signature = state["signature"]
        key_id = state["key_id"]
        timestamp = state["timestamp"]
        recorded_at = timestamp["_data_"]
        transcoding = timestamp["_type_"]
    except (KeyError, TypeError) as exc:
        raise LeafError(nid, f"state lacks {exc}") from None
    if transcoding != "datetime_iso" or type(recorded_at) is not str:
        raise LeafError(nid, "timestamp is not stored as a datetime_iso transcoding")
    if type(envelope) is not str or type(signature) is not str or type(key_id) is not str:
        raise LeafError(nid, "envelope, signature and key_id must be strings")
    # A cheap shape check only: the envelope is spliced in verbatim as a JSON object.
    if envelope[:1] != "{" or envelope[-1:] != "}":
        raise LeafError(nid, "envelope is not JSON object text")
    try:
        return leaf_from_parts(
            envelope=envelope,
            event_id=str(notification.originator_id),
            recorded_at=recorded_at,
            event_type=notification.topic,
            version=notification.originator_version,
            key_id=key_id,
            notification_id=nid,
            signature=signature,
        )
    except UnicodeEncodeError:
        raise LeafError(nid, "state holds a lone surrogate") from None
