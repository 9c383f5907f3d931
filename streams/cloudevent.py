"""A stored event as a CloudEvents 1.0 event, in structured JSON mode over NATS.

The NATS protocol binding's structured mode: the whole event, attributes and data, is the
message payload in the JSON event format, and the header `content-type` says
`application/cloudevents+json`. The payload is byte for byte what the cloudevents SDK (2.x,
`cloudevents.core`) writes for the event (`structured`, a direct path a test holds to the
SDK's output); a consumer reads it back with `JSONFormat().read(CloudEvent, payload)`.

Attributes:

    id               the event id, "<record id>:<version>" (also the Nats-Msg-Id)
    source           "<log origin>/<region>", a URI-reference: anjian.hubei.gov.cn/log/420102
    type             cn.gov.hubei.anjian.<kind>.<event>.v1 (streams.subjects)
    subject          the record id (the envelope's subject)
    time             occurred_at, with its offset
    dataschema       <public url>/v1/catalog/<command type>: the JSON Schema of `data`
    datacontenttype  application/json
    data             the envelope's data exactly as signed (personal data only sealed)

Extensions (lower-case a-z0-9, at most 20 characters):

    sequence     the event's notification id: its position in the one log
    previous     the notification id of the event before it in the log (0: none); a consumer
                 of the whole stream has missed something when `previous` is not the
                 `sequence` it saw last (ids have gaps, so `sequence` alone cannot tell)
    actor, role, region, channel (custodial signatures only)
    commandid    the envelope's id;  commandtype  the envelope's type, e.g. hazard.report
    occurredat   the envelope's occurred_at exactly as signed (`time` is re-written by the SDK)
    recordedat   when the platform recorded it
    signature    base64 Ed25519 signature;  keyid  the actor's key id
    traceparent  W3C trace context of the relay's active OpenTelemetry span, if any

The signed text is the RFC 8785 canonical form of

    {"actor", "channel"?, "data", "id": commandid, "occurred_at": occurredat, "region",
     "role", "subject", "type": commandtype}

so a consumer rebuilds it from the CloudEvent alone and verifies `signature` with the actor's
public key of `keyid`: examples/integrator_consumer.py (`signed_text`, `verify`) does it with
the standard library, nats-py, the SDK and PyNaCl, and the tests verify every event through it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from domain.log_reader import Raw
from streams.subjects import event_type, subject_of

__all__ = [
    "CONTENT_TYPE",
    "Message",
    "message_of",
    "read",
    "structured",
    "traceparent",
]

CONTENT_TYPE = JSONFormat.CONTENT_TYPE  # application/cloudevents+json
_FORMAT = JSONFormat()
_decode = json.JSONDecoder().decode
_dumps = json.JSONEncoder().encode


@dataclass(frozen=True, slots=True)
class Message:
    """One event as published: its subject, its id (Nats-Msg-Id) and the payload."""

    sequence: int
    subject: str
    id: str
    payload: bytes


def traceparent() -> str | None:
    """The W3C traceparent of the active OpenTelemetry span, or None (no valid span)."""
    try:
        from opentelemetry import trace
    except ImportError:  # pragma: no cover - the SDK is a dependency
        return None
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def _time(occurred_at: str) -> str:
    """`time` as the SDK writes it: the parsed instant's isoformat, +00:00 written Z."""
    text = datetime.fromisoformat(occurred_at).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def structured(attributes: dict[str, Any], data: Any) -> bytes:
    """The bytes `JSONFormat().write(CloudEvent(attributes, data))` gives for our attributes
    (`time` already written by `_time`), without building and validating a CloudEvent per
    event: the SDK appends `specversion` after the attributes given and `data` last, and
    writes it all with json.dumps' defaults. tests/streams/test_cloudevent.py holds the two to
    the same bytes, and the SDK's validation to accepting our attribute names."""
    return _dumps({**attributes, "specversion": "1.0", "data": data}).encode()


def message_of(
    row: Raw, previous: int, *, origin: str, public_url: str, trace: str | None = None
) -> Message:
    """The CloudEvent of the stored notification `row`; `previous` is the notification id of
    the event before it in the log (0 if none), `trace` the traceparent to carry (the
    publisher's, `traceparent()`, read once per window)."""
    state = _decode(row.state.decode())
    text = state["envelope"]
    envelope = _decode(text)
    ts = state["timestamp"]
    command = envelope["type"]
    region = envelope["region"]
    eid = f"{row.originator_id}:{row.originator_version}"
    attributes: dict[str, Any] = {
        "id": eid,
        "source": f"{origin}/{region}",
        "type": event_type(command),
        "subject": envelope["subject"],
        "time": _time(envelope["occurred_at"]),
        "dataschema": f"{public_url}/v1/catalog/{command}",
        "datacontenttype": "application/json",
        "sequence": row.id,
        "previous": previous,
        "actor": envelope["actor"],
        "role": envelope["role"],
        "region": region,
        "commandid": envelope["id"],
        "commandtype": command,
        "occurredat": envelope["occurred_at"],
        "recordedat": ts["_data_"] if isinstance(ts, dict) else str(ts),
        "signature": state["signature"],
        "keyid": state["key_id"],
    }
    if "channel" in envelope:
        attributes["channel"] = envelope["channel"]
    if trace is not None:
        attributes["traceparent"] = trace
    payload = structured(attributes, envelope["data"])
    return Message(row.id, subject_of(region, command), eid, payload)


def read(payload: bytes) -> CloudEvent:
    """The CloudEvent of a structured-mode payload (the SDK's JSON format)."""
    return cast(CloudEvent, _FORMAT.read(CloudEvent, payload))
