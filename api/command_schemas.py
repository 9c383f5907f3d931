"""The JSON Schemas of `POST /v1/commands` bodies, taken from the catalog (信息资源目录).

One schema per command type (`Command.<type>`: the unsigned command the platform signs for the
caller, its `data` the catalog's schema of that type), gathered in `Command` (oneOf,
discriminated by `type`); `SignedCommand`, a command its actor signed (`anjian record`
lines); a body is one of either or a list of them. Generated clients and fuzzers thus know
every command type and its data.
"""

from __future__ import annotations

import copy
from typing import Any

from domain.catalog import CATALOG
from domain.commands import REGION, UUID_
from domain.envelope import CHANNELS

__all__ = ["BODY_REF", "components", "data_schema"]

BODY_REF = {"$ref": "#/components/schemas/CommandBody"}


def data_schema(command_type: str, public_url: str) -> dict[str, Any]:
    """The catalog's JSON Schema of a command type's data, identified by its URL (the
    `dataschema` of the CloudEvents carrying it)."""
    spec = CATALOG[command_type]
    schema = copy.deepcopy(spec.schema)
    schema["$id"] = f"{public_url}/v1/catalog/{command_type}"
    return schema


def _unsigned(command_type: str) -> dict[str, Any]:
    spec = CATALOG[command_type]
    data = {k: v for k, v in copy.deepcopy(spec.schema).items() if k not in ("$schema", "$id")}
    return {
        "type": "object",
        "title": f"{spec.zh} / {spec.en}",
        "description": f"{spec.type}: roles {', '.join(sorted(spec.roles))}; {spec.rule}",
        "required": ["type", "actor", "region", "data"],
        "properties": {
            "type": {"type": "string", "const": command_type},
            "actor": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "the caller's own account (the platform signs for it only)",
            },
            "region": REGION,
            "data": data,
            "subject": {**UUID_, "description": "the record's id (new records: derived)"},
            "id": {**UUID_, "description": "the command id: the idempotency key"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "role": {"type": "string", "minLength": 1, "maxLength": 20},
        },
        "additionalProperties": False,
    }


SIGNED = {
    "type": "object",
    "title": "a command its actor signed (RFC 8785 canonical envelope, Ed25519)",
    "required": ["envelope", "signature", "key_id"],
    "properties": {
        "envelope": {
            "type": "object",
            "required": ["actor", "data", "id", "occurred_at", "region", "role", "subject", "type"],
            "properties": {
                "actor": {"type": "string", "minLength": 1, "maxLength": 64},
                "channel": {"type": "string", "enum": sorted(CHANNELS)},
                "data": {"type": "object"},
                "id": UUID_,
                "occurred_at": {"type": "string", "format": "date-time"},
                "region": REGION,
                "role": {"type": "string", "minLength": 1, "maxLength": 20},
                "subject": UUID_,
                "type": {"type": "string", "enum": sorted(CATALOG)},
            },
        },
        "signature": {"type": "string", "description": "base64 Ed25519 signature"},
        "key_id": {"type": "string", "description": "hex id of the actor's key"},
    },
    "additionalProperties": False,
}


def components() -> dict[str, Any]:
    """The schemas to add under components/schemas."""
    names = {t: f"Command.{t}" for t in sorted(CATALOG)}
    out: dict[str, Any] = {name: _unsigned(t) for t, name in names.items()}
    out["Command"] = {
        "oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in names.values()],
        "discriminator": {
            "propertyName": "type",
            "mapping": {t: f"#/components/schemas/{n}" for t, n in names.items()},
        },
    }
    out["SignedCommand"] = SIGNED
    one = {
        "oneOf": [
            {"$ref": "#/components/schemas/Command"},
            {"$ref": "#/components/schemas/SignedCommand"},
        ]
    }
    out["CommandBody"] = {
        "oneOf": [
            one,
            {
                "type": "array",
                "minItems": 1,
                "items": one,
                "description": "a batch, one transaction: at most 500 commands (413)",
            },
        ]
    }
    return out
