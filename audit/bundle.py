"""The offline proof bundle of one event, and its verification with no database.

A bundle is one JSON object with exactly these fields:

    event              str   the canonical RFC 8785 envelope text, as stored and signed
    signature          str   base64 of the 64-byte Ed25519 signature over the UTF-8 event
    actor_key          str   base64 of the actor's 32-byte Ed25519 public key
    leaf               str   base64 of the Merkle leaf bytes (ledger/leaf.py layout)
    leaf_index         int   the leaf's index in the log
    tree_size          int   the size of the checkpoint's tree (the inclusion proof's size)
    inclusion_proof    [str] base64 32-byte hashes, RFC 9162 §2.1.3.1 order
    checkpoint         str   the C2SP signed note of the tlog checkpoint (origin, size, root)
    log_key            str   the C2SP verifier key of the log, name+keyid+base64
    anchor             obj   chain_id, contract, tx_hash, block_number, tree_size, root
                             (audit/rpc.py): where a checkpoint of size >= tree_size is anchored
    consistency_proof  [str] base64 32-byte hashes from tree_size to anchor.tree_size, RFC 9162
                             §2.1.4.1 order; empty when the two sizes are equal

The checkpoint note carries the log's signature and, once witnesses cosigned it, their
C2SP tlog-cosignature lines (audit/cosignature.py).

`check_bundle` verifies, in order: the event is canonical envelope JSON; the signature verifies
with actor_key; the leaf is canonical JSON holding exactly that envelope, signature and key id,
for the envelope's record; the checkpoint note is signed by the log key (or by the auditor's
pinned key, which must then be the bundle's); with witness keys, at least `quorum` of them
cosigned that checkpoint; the leaf is included at leaf_index in the checkpoint's tree; that
tree is consistent with the anchored (size, root); and, given a chain RPC, the anchor
transaction is on chain carrying that size and root from that contract.

Fail closed: everything in a bundle can be forged by whoever makes it, its log key included.
Without a trust root from outside the bundle (a pinned log key, or a quorum of pinned
witnesses) the `trust` step fails with "UNVERIFIED: no trusted log key", whatever else holds.
A skipped step (the chain not looked up) is listed as not checked, never as held.
Only the standard library and ledger primitives: an auditor runs it anywhere.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.cosignature import WitnessKey, cosignatures
from audit.errors import BundleFormatError, RpcError
from audit.events import is_envelope_shape
from audit.rpc import Anchor, RpcClient, anchor_problems
from ledger.canonical import canonical_text, is_canonical
from ledger.errors import LedgerError
from ledger.keys import key_id, verify_signature
from ledger.note import Checkpoint, Verifier, open_checkpoint
from ledger.rfc6962 import leaf_hash, verify_consistency, verify_inclusion

__all__ = ["BUNDLE_FIELDS", "UNVERIFIED", "Bundle", "BundleCheck", "check_bundle"]

UNVERIFIED = "UNVERIFIED: no trusted log key"

BUNDLE_FIELDS = (
    "event",
    "signature",
    "actor_key",
    "leaf",
    "leaf_index",
    "tree_size",
    "inclusion_proof",
    "checkpoint",
    "log_key",
    "anchor",
    "consistency_proof",
)


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise BundleFormatError(f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BundleFormatError(f"{what} is not base64") from None


def _hashes(value: object, what: str) -> list[bytes]:
    if not isinstance(value, list):
        raise BundleFormatError(f"{what} must be a list of base64 hashes")
    return [_b64(v, f"{what}[{i}]") for i, v in enumerate(value)]


def _count(value: object, what: str) -> int:
    if type(value) is not int or value < 0:
        raise BundleFormatError(f"{what} must be a non-negative integer")
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise BundleFormatError(f"{what} must be a string")
    return value


def _b64s(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class Bundle:
    """A parsed bundle (see the module docstring for the JSON form)."""

    event: str
    signature: bytes
    actor_key: bytes
    leaf: bytes
    leaf_index: int
    tree_size: int
    inclusion_proof: list[bytes]
    checkpoint: str
    log_key: str
    anchor: Anchor
    consistency_proof: list[bytes]

    @classmethod
    def from_json(cls, doc: object) -> Bundle:
        """Parse strictly: exactly the bundle's fields, each of its type and encoding."""
        if not isinstance(doc, Mapping):
            raise BundleFormatError("a bundle is a JSON object")
        missing = [f for f in BUNDLE_FIELDS if f not in doc]
        extra = sorted(set(doc) - set(BUNDLE_FIELDS))
        if missing or extra:
            raise BundleFormatError(f"bundle fields: missing {missing}, unknown {extra}")
        return cls(
            event=_text(doc["event"], "event"),
            signature=_b64(doc["signature"], "signature"),
            actor_key=_b64(doc["actor_key"], "actor_key"),
            leaf=_b64(doc["leaf"], "leaf"),
            leaf_index=_count(doc["leaf_index"], "leaf_index"),
            tree_size=_count(doc["tree_size"], "tree_size"),
            inclusion_proof=_hashes(doc["inclusion_proof"], "inclusion_proof"),
            checkpoint=_text(doc["checkpoint"], "checkpoint"),
            log_key=_text(doc["log_key"], "log_key"),
            anchor=Anchor.from_json(doc["anchor"]),
            consistency_proof=_hashes(doc["consistency_proof"], "consistency_proof"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "signature": _b64s(self.signature),
            "actor_key": _b64s(self.actor_key),
            "leaf": _b64s(self.leaf),
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "inclusion_proof": [_b64s(h) for h in self.inclusion_proof],
            "checkpoint": self.checkpoint,
            "log_key": self.log_key,
            "anchor": self.anchor.to_json(),
            "consistency_proof": [_b64s(h) for h in self.consistency_proof],
        }


@dataclass(frozen=True)
class Step:
    """One check of a bundle: its name, whether it held, and what was found."""

    name: str
    ok: bool | None  # None: not checked (skipped)
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class BundleCheck:
    """The outcome of `check_bundle`; `ok` only when no step failed."""

    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok is not False for s in self.steps)

    @property
    def failed(self) -> list[Step]:
        return [s for s in self.steps if s.ok is False]

    @property
    def skipped(self) -> list[Step]:
        return [s for s in self.steps if s.ok is None]

    @property
    def unverified(self) -> bool:
        """No trust root outside the bundle was given: nothing it says is proven."""
        return any(
            s.name == "trust" and s.ok is False and s.detail.startswith(UNVERIFIED)
            for s in self.steps
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "unverified": self.unverified,
            "not_checked": [s.name for s in self.skipped],
            "checks": [s.to_json() for s in self.steps],
        }

    def run(self, name: str, check: Callable[[], str]) -> bool:
        """Run one check; it returns what it established or raises with what failed."""
        try:
            detail = check()
        except (LedgerError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self.steps.append(Step(name, False, f"{type(exc).__name__}: {exc}"))
            return False
        self.steps.append(Step(name, True, detail))
        return True

    def skip(self, name: str, why: str) -> None:
        self.steps.append(Step(name, None, why))


class _Failed(ValueError):
    pass


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise _Failed(message)


class _Checks:
    """The steps of `check_bundle` over one parsed bundle; each returns what it established."""

    def __init__(self, b: Bundle, log_key: str | None) -> None:
        self.b = b
        self.log_key = log_key
        self.checkpoint: Checkpoint | None = None
        self.witnessed = False

    def event(self) -> str:
        _require(is_canonical(self.b.event), "the event is not RFC 8785 canonical JSON")
        envelope = json.loads(self.b.event)
        _require(
            is_envelope_shape(envelope),
            "the event is not a command envelope",
        )
        return f"{envelope['type']} by {envelope['actor']}, command {envelope['id']}"

    def signature(self) -> str:
        b = self.b
        _require(len(b.actor_key) == 32, "actor_key is not a 32-byte Ed25519 public key")
        _require(
            verify_signature(b.actor_key, b.event.encode("utf-8"), b.signature),
            "the Ed25519 signature does not verify with actor_key",
        )
        return f"Ed25519, key id {key_id(b.actor_key)}"

    def leaf(self) -> str:
        b = self.b
        _require(is_canonical(b.leaf), "the leaf is not RFC 8785 canonical JSON")
        record = json.loads(b.leaf)
        _require(isinstance(record, dict), "the leaf is not a JSON object")
        # Both texts are canonical, so equal envelopes have equal canonical texts (comparing
        # parsed values would not do: Python holds true == 1).
        _require(
            canonical_text(record.get("envelope")) == b.event, "the leaf holds another envelope"
        )
        _require(record.get("signature") == _b64s(b.signature), "the leaf holds another signature")
        _require(
            len(b.actor_key) == 32 and record.get("key_id") == key_id(b.actor_key),
            "the leaf names another key",
        )
        subject = record["envelope"].get("subject")
        event = record.get("event")
        _require(
            isinstance(event, dict) and event.get("id") == subject,
            "the leaf records an event of another record than the envelope's subject",
        )
        return (
            f"event {subject}:{event.get('version')}, notification {record.get('notification_id')}"
        )

    def note(self) -> str:
        if self.log_key is not None:
            _require(self.log_key == self.b.log_key, "the bundle's log_key is not the trusted key")
        checkpoint, _ = open_checkpoint(self.b.checkpoint, [Verifier.from_vkey(self.b.log_key)])
        self.checkpoint = checkpoint
        how = "the pinned" if self.log_key is not None else "the bundle's own (unpinned)"
        return f"{checkpoint.origin} size {checkpoint.size}, signed by {how} log key"

    def witnesses(self, keys: Sequence[WitnessKey], quorum: int) -> str:
        _require(self.checkpoint is not None, "no verified checkpoint")
        found = cosignatures(self.b.checkpoint, keys)
        valid = sorted(c.witness.name for c in found if c.valid)
        bad = sorted(c.witness.name for c in found if not c.valid)
        detail = f"{len(valid)} valid cosignature(s) of {len(keys)} pinned witness(es)"
        if bad:
            detail += f"; invalid: {', '.join(bad)}"
        _require(len(valid) >= quorum, f"{detail}, fewer than the quorum {quorum}")
        self.witnessed = True
        return f"{detail} ({', '.join(valid)}), quorum {quorum}"

    def trust(self) -> str:
        if self.log_key is not None:
            return "the checkpoint is signed by the pinned log key"
        _require(self.witnessed, "the checkpoint lacks a quorum of pinned witnesses")
        return "the checkpoint is cosigned by a quorum of pinned witnesses"

    def inclusion(self) -> str:
        b, cp = self.b, self.checkpoint
        _require(cp is not None, "no verified checkpoint")
        assert cp is not None
        _require(b.tree_size == cp.size, f"tree_size {b.tree_size} is not the checkpoint's")
        verify_inclusion(b.leaf_index, b.tree_size, leaf_hash(b.leaf), b.inclusion_proof, cp.root)
        return f"leaf {b.leaf_index} of {b.tree_size}"

    def consistency(self) -> str:
        a, cp = self.b.anchor, self.checkpoint
        _require(cp is not None, "no verified checkpoint")
        assert cp is not None
        verify_consistency(cp.size, a.tree_size, cp.root, a.root, self.b.consistency_proof)
        return f"tree {cp.size} is a prefix of the anchored tree {a.tree_size}"

    def on_chain(self, rpc: RpcClient) -> str:
        a = self.b.anchor
        try:
            problems = anchor_problems(rpc, a)
        except RpcError as exc:
            raise _Failed(f"could not check the chain: {exc}") from None
        _require(not problems, "; ".join(problems))
        return f"tx {a.tx_hash} in block {a.block_number} of chain {a.chain_id}: size {a.tree_size}"


def check_bundle(
    doc: object,
    *,
    log_key: str | None = None,
    rpc: RpcClient | None = None,
    contract: str | None = None,
    witnesses: Sequence[WitnessKey] = (),
    quorum: int | None = None,
) -> BundleCheck:
    """Verify a bundle document (parsed JSON). See the module docstring for the checks.

    `log_key`: the verifier key the auditor trusts; the bundle's log_key must be it.
    `witnesses`, `quorum`: witness keys the auditor trusts, and how many of them must have
    cosigned the checkpoint (default: all of them). Without `log_key` and `witnesses` the
    result is UNVERIFIED (the `trust` step fails).
    `contract`: the Anchor contract address the auditor trusts; the anchor must name it.
    `rpc`: a chain node to look the anchor transaction up on; without it that step is skipped.
    """
    if quorum is not None and not 1 <= quorum <= len(witnesses):
        raise ValueError(f"the quorum must be between 1 and the {len(witnesses)} witness key(s)")
    result = BundleCheck()
    try:
        bundle = Bundle.from_json(doc)
    except BundleFormatError as exc:
        result.steps.append(Step("format", False, str(exc)))
        return result
    result.steps.append(Step("format", True, "all bundle fields present and well formed"))
    checks = _Checks(bundle, log_key)
    result.run("event", checks.event)
    result.run("signature", checks.signature)
    result.run("leaf", checks.leaf)
    result.run("checkpoint", checks.note)
    if witnesses:
        need = len(witnesses) if quorum is None else quorum
        result.run("witnesses", lambda: checks.witnesses(witnesses, need))
    if log_key is None and not witnesses:
        result.steps.append(
            Step(
                "trust",
                False,
                f"{UNVERIFIED}: the bundle's own log key proves nothing (anyone can make one); "
                "pin the log's key (--log-key) or witnesses (--witness VKEY --quorum K)",
            )
        )
    else:
        result.run("trust", checks.trust)
    result.run("inclusion", checks.inclusion)
    result.run("consistency", checks.consistency)
    if contract is not None:
        result.run("contract", lambda: _pinned_contract(bundle.anchor, contract))
    if rpc is None:
        result.skip("anchor", "not looked up on a chain (pass --rpc URL)")
    else:
        result.run("anchor", lambda: checks.on_chain(rpc))
    return result


def _pinned_contract(anchor: Anchor, contract: str) -> str:
    _require(anchor.contract.lower() == contract.lower(), "the anchor names another contract")
    return f"anchored by the pinned contract {contract}"
