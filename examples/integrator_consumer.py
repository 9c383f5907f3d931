#!/usr/bin/env python3
"""An integrator's consumer of Anjian's event stream (ANJIAN_EVENTS on NATS JetStream).

Needs only nats-py, cloudevents (2.x) and pynacl, and the standard library:

    pip install nats-py cloudevents pynacl
    python integrator_consumer.py --server nats://anjian.example:4222 \\
        --nkey-seed wuhan.nk --inbox-prefix _INBOX_wuhan-emergency \\
        --subject 'anjian.events.4201.>' --durable wuhan-emergency \\
        --keys actor-keys.json [--from-seq 1 | --from-time 2026-01-01T00:00:00+08:00]

What it does with each message:

1. reads it as a CloudEvent (structured JSON mode; the SDK's JSON format);
2. rebuilds the envelope the actor signed from the event alone and verifies the Ed25519
   signature (`signature`, `keyid`) with the actor's public key from the keys file;
3. checks for a gap (below);
4. hands it to `process` (here: one printed line, or one JSON line with --json);
5. acknowledges it — only after processing, so a crash redelivers it (at-least-once: the
   same event id may arrive twice; `process` must be idempotent by event id).

It is a durable pull consumer: its position lives on the server under --durable, so a restart
continues where it acked. --from-seq (a stream sequence) or --from-time (an instant with its
offset) choose where a NEW durable starts; an existing durable keeps its position.

The keys file (the platform's export of actor keys) is JSON:

    {"<account>": [{"key_id": "<32 hex>", "public_key": "<base64, 32 bytes>",
                    "status": "current" | "rotated" | "revoked"}, ...], ...}

A key id is the first 16 bytes of SHA-256 of the raw public key, in hex; entries that do not
hold to that are refused.

What a gap means. Every event carries `sequence`, its position in Anjian's one log, and
`previous`, the position of the event before it in that log. Positions have holes (a write
that rolled back uses its number up), so "sequence + 1" means nothing:

- consuming the whole stream (`anjian.events.>`): a gap is an event whose `previous` is not
  the `sequence` of the event received before it;
- consuming a filter (a region, a kind): other regions' and kinds' events are skipped by
  design, so the log positions cannot tell; the check is per record instead. An event's id is
  "<record id>:<version>", a record's versions are 1, 2, 3, … and all of a record's events
  share its subject's region and kind, so a gap is an event whose version is not the next one
  after the last seen for that record (or, replaying from the start, a record first seen at a
  version above 1).

A gap is reported on stderr (`GAP ...`) and the event is still processed; replay the range
with --from-seq to fill it.

The signed envelope is the RFC 8785 canonical JSON of

    {"actor", "channel" (only if present), "data", "id": commandid,
     "occurred_at": occurredat, "region", "role", "subject", "type": commandtype}

`canonical` below implements RFC 8785 with the standard library (keys sorted by UTF-16 code
units, numbers as ECMAScript prints them). To prove an event is in the log, ask the platform
for its proof bundle: `anjian audit proof <event id>`, then `anjian audit check`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import math
import sys
from datetime import datetime
from decimal import Decimal
from typing import Any

import nats
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

STREAM = "ANJIAN_EVENTS"
FORMAT = JSONFormat()


# -- RFC 8785 with the standard library --------------------------------------------------------


def _number(value: float) -> str:
    """A JSON number as ECMAScript's Number.prototype.toString writes it (RFC 8785 3.2.2.3)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("NaN and infinity are not JSON")
    if value == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    k, n = len(text), len(text) + int(exponent)
    if k <= n <= 21:
        out = text + "0" * (n - k)
    elif 0 < n <= 21:
        out = text[:n] + "." + text[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * -n + text
    else:
        e = n - 1
        mantissa = text if k == 1 else text[0] + "." + text[1:]
        out = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return ("-" if sign else "") + out


def canonical(value: Any) -> str:
    """The RFC 8785 canonical JSON text of a JSON value."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(f"{canonical(k)}:{canonical(value[k])}" for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    raise TypeError(f"not a JSON value: {type(value).__name__}")


# -- verifying -----------------------------------------------------------------------------------


def load_keys(path: str) -> dict[tuple[str, str], tuple[VerifyKey, str]]:
    """(account, key id) → (public key, status) from the keys file (format above)."""
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    keys: dict[tuple[str, str], tuple[VerifyKey, str]] = {}
    for account, entries in document.items():
        for entry in entries:
            raw = base64.b64decode(entry["public_key"], validate=True)
            if hashlib.sha256(raw).digest()[:16].hex() != entry["key_id"] or len(raw) != 32:
                raise ValueError(f"{account}: key {entry['key_id']} does not match its public key")
            keys[(account, entry["key_id"])] = (VerifyKey(raw), entry.get("status", "current"))
    return keys


def signed_text(event: BaseCloudEvent) -> bytes:
    """The bytes the actor signed, rebuilt from the CloudEvent alone."""
    a = event.get_attributes()
    envelope = {
        "actor": a["actor"],
        "data": event.get_data(),
        "id": a["commandid"],
        "occurred_at": a["occurredat"],
        "region": a["region"],
        "role": a["role"],
        "subject": a["subject"],
        "type": a["commandtype"],
    }
    if "channel" in a:
        envelope["channel"] = a["channel"]
    return canonical(envelope).encode("utf-8")


def verify(event: BaseCloudEvent, keys: dict[tuple[str, str], tuple[VerifyKey, str]]) -> str:
    """ "ok", "ok (key revoked)", "unknown key" or "BAD SIGNATURE"."""
    a = event.get_attributes()
    found = keys.get((a["actor"], a["keyid"]))
    if found is None:
        return "unknown key"
    key, status = found
    try:
        key.verify(signed_text(event), base64.b64decode(a["signature"]))
    except (BadSignatureError, ValueError):
        return "BAD SIGNATURE"
    return "ok" if status != "revoked" else "ok (key revoked)"


class Gaps:
    """The gap check (see the module docstring); `whole` when consuming every subject."""

    def __init__(self, whole: bool, from_start: bool) -> None:
        self.whole = whole
        self.from_start = from_start
        self.last_sequence: int | None = None
        self.versions: dict[str, int] = {}

    def check(self, event: BaseCloudEvent) -> str | None:
        """A description of the gap before `event`, or None."""
        a = event.get_attributes()
        record, _, version_text = a["id"].rpartition(":")
        version = int(version_text)
        found = None
        if self.whole and self.last_sequence is not None and a["previous"] != self.last_sequence:
            found = (
                f"the log between {self.last_sequence} and {a['previous']} is missing "
                f"(before {a['sequence']})"
            )
        last = self.versions.get(record)
        if last is not None and version != last + 1 and version > last:
            found = found or f"record {record}: versions {last + 1}..{version - 1} missing"
        elif last is None and version > 1 and self.from_start:
            found = found or f"record {record}: first seen at version {version}"
        self.versions[record] = max(version, last or 0)
        self.last_sequence = a["sequence"]
        return found


# -- consuming -----------------------------------------------------------------------------------


def process(event: BaseCloudEvent, verdict: str, as_json: bool) -> None:
    """What the integrator does with an event (here: print it). Must be idempotent by id."""
    a = event.get_attributes()
    if as_json:
        line = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in a.items()}
        print(
            json.dumps({**line, "data": event.get_data(), "verified": verdict}, ensure_ascii=False)
        )
    else:
        print(f"{a['sequence']} {a['type']} {a['subject']} {a['region']} {a['actor']}: {verdict}")
    sys.stdout.flush()


async def _report(exc: Exception) -> None:
    print(f"nats: {exc}", file=sys.stderr)


def connect_options(args: argparse.Namespace) -> dict[str, Any]:
    """nats.connect's options: the servers and the credentials given."""
    options: dict[str, Any] = {
        "servers": args.server.split(","),
        "max_reconnect_attempts": args.reconnect_attempts,  # -1: for ever
        "error_cb": _report,
    }
    if args.user:
        options |= {"user": args.user, "password": args.password}
    if args.token:
        options["token"] = args.token
    if args.creds:
        options["user_credentials"] = args.creds
    if args.nkey_seed:
        options["nkeys_seed"] = args.nkey_seed
    if args.inbox_prefix:
        options["inbox_prefix"] = args.inbox_prefix
    return options


def consumer_config(args: argparse.Namespace) -> ConsumerConfig:
    """Where a new durable starts, its filter, explicit acks."""
    if args.from_seq is not None:
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=args.from_seq
        )
    elif args.from_time is not None:
        start = datetime.fromisoformat(args.from_time)
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=start)
    else:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    config.ack_policy = AckPolicy.EXPLICIT
    config.filter_subject = args.subject
    return config


async def consume(args: argparse.Namespace) -> int:
    keys = load_keys(args.keys)
    nc = await nats.connect(**connect_options(args))
    js = nc.jetstream()
    config = consumer_config(args)
    try:
        info = await js.consumer_info(STREAM, args.durable)
        resuming = True  # an existing durable continues after its last ack
    except nats.js.errors.NotFoundError:
        resuming = False
    if resuming and info.config.filter_subject != args.subject:
        await nc.close()
        print(
            f"durable {args.durable} consumes {info.config.filter_subject}, not {args.subject}: "
            "use another durable for another subject",
            file=sys.stderr,
        )
        return 2
    sub = await js.pull_subscribe(args.subject, durable=args.durable, stream=STREAM, config=config)
    from_start = not resuming and args.from_seq in (None, 1) and args.from_time is None
    gaps = Gaps(args.subject in ("anjian.events.>", ">"), from_start)
    seen = bad = 0
    idle_since = asyncio.get_running_loop().time()
    try:
        while args.count is None or seen < args.count:
            try:
                want = 100 if args.count is None else min(100, args.count - seen)
                messages = await sub.fetch(want, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):  # nats-py raises either
                if (
                    args.idle is not None
                    and asyncio.get_running_loop().time() - idle_since > args.idle
                ):
                    break
                continue
            idle_since = asyncio.get_running_loop().time()
            for msg in messages:
                event = FORMAT.read(CloudEvent, msg.data)
                verdict = verify(event, keys)
                gap = gaps.check(event)
                if gap is not None:
                    print(f"GAP {gap}", file=sys.stderr)
                if not verdict.startswith("ok"):
                    bad += 1
                process(event, verdict, args.json)
                await msg.ack()
                seen += 1
    finally:
        await nc.close()
    print(f"{seen} event(s), {bad} not verified", file=sys.stderr)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server", default="nats://127.0.0.1:4222", help="NATS URL(s), comma-separated"
    )
    parser.add_argument(
        "--subject", default="anjian.events.>", help="filter, e.g. anjian.events.4201.>"
    )
    parser.add_argument("--durable", required=True, help="the durable consumer's name")
    parser.add_argument("--keys", required=True, help="the actor keys JSON file")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--from-seq", type=int, help="a new durable starts at this stream sequence")
    start.add_argument("--from-time", help="a new durable starts at this instant (ISO 8601)")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--token")
    parser.add_argument("--creds", help="a NATS .creds file (JWT + nkey seed)")
    parser.add_argument("--nkey-seed", help="a file holding an nkey seed (SU...)")
    parser.add_argument(
        "--inbox-prefix",
        help="the inbox prefix the platform granted (anjian integrators add prints it)",
    )
    parser.add_argument(
        "--reconnect-attempts", type=int, default=-1, help="per server; -1 (default): for ever"
    )
    parser.add_argument("--count", type=int, help="stop after N events")
    parser.add_argument("--idle", type=float, help="stop after N seconds without events")
    parser.add_argument("--json", action="store_true", help="one JSON line per event")
    try:
        return asyncio.run(consume(parser.parse_args(argv)))
    except (OSError, nats.errors.Error) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
