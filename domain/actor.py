"""Actors: the accounts, terminals and gateways that sign commands, and their keys.

Every command is signed by an actor's current Ed25519 key. Registration, rotation and
revocation of keys are themselves signed events, so an auditor can rebuild, from the log alone,
which key was valid for which actor at every point of the history.

The first event of a store is the platform actor's self-signed registration (genesis); after
that the platform, or an admin account within its jurisdiction, registers actors, changes their
rights (role, jurisdiction, enterprise bindings: `actor.change_rights`) and deactivates them.
Users without a key of their own sign through a custodial platform key bound to their account
(custody "platform"). An enterprise account is bound to one or more enterprises (USCCs): the
`enterprises` list, or the single `enterprise` of earlier registrations. A service actor (role
`service`: a module of the platform, 风险预警 or 应急协调指挥, whose key the platform holds) is
registered by the platform alone, and only the platform changes its rights.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.commands import (
    ACCOUNT_ROLES,
    ADMIN,
    AUDITOR,
    DEVICE,
    ENTERPRISE,
    INTEGRATOR,
    PLATFORM,
    REGION,
    REGULATOR,
    ROLES,
    SERVICE,
    USCC,
    array,
    command,
    enum,
    text,
)
from domain.context import Context
from domain.envelope import Envelope, SignedCommand
from domain.errors import (
    AlreadyExists,
    InvalidTransition,
    InvalidValue,
    MigrationRefused,
    NotAuthorized,
)
from domain.ids import actor_id
from domain.record import Record
from domain.regions import covers, validate_region
from domain.uscc import validate_uscc

PLATFORM_ACCOUNT = "platform"
KEY_RULE = "Ed25519 key registry"
RIGHTS_RULE = "统一身份认证: role, jurisdiction and enterprise bindings are events"
SERVICE_RULE = "a service actor is a module of the platform: registered by the platform alone"
# Roles bound to enterprises: they act on their enterprises' records only.
BOUND_ROLES = (ENTERPRISE, DEVICE)
# Roles an actor may be given or moved to (the platform role belongs to the platform alone).
GRANTABLE_ROLES = (REGULATOR, ENTERPRISE, DEVICE, AUDITOR, INTEGRATOR, ADMIN)
ENTERPRISES = array(USCC, min_items=1, max_items=200)
PUBLIC_KEY = {
    "type": "string",
    "pattern": "^[A-Za-z0-9+/]{43}=$",
    "description": "base64 of a 32-byte Ed25519 public key",
}


def key_id_of(public_key: bytes) -> str:
    """Lowercase hex of the first 16 bytes of SHA-256 of the raw public key."""
    return hashlib.sha256(public_key).digest()[:16].hex()


def decode_key(value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        raise InvalidValue("public_key is not base64", field="public_key") from None
    if len(raw) != 32:
        raise InvalidValue(
            f"public_key must be 32 bytes, got {len(raw)}", field="public_key", rule=KEY_RULE
        )
    return raw


@dataclass
class KeyEntry:
    public_key: bytes
    status: str  # current | rotated | revoked
    since: str  # occurred_at of the event that added it


class Actor(Record):
    KIND = "actor"
    KIND_ZH = "主体账户"

    @classmethod
    @command(
        "register",
        event="ActorRegistered",
        zh="注册主体账户",
        en="Register actor",
        event_zh="主体账户已注册",
        rule=KEY_RULE,
        roles=ACCOUNT_ROLES,
        creates=True,
        step="平台",
        properties={
            "account": text(64),
            "role": enum(*ROLES),
            "name": text(200),
            "jurisdiction": REGION,
            "enterprise": USCC,
            "enterprises": ENTERPRISES,
            "public_key": PUBLIC_KEY,
            "custody": enum("own", "platform"),
        },
        required=("account", "role", "name", "jurisdiction", "public_key", "custody"),
    )
    def register(cls, cmd: SignedCommand, ctx: Context) -> Actor:
        env, d = cmd.envelope, cmd.envelope.data
        if env.subject != actor_id(d["account"]):
            raise InvalidValue(
                f"subject of actor {d['account']} must be {actor_id(d['account'])}",
                field="subject",
            )
        if ctx.find(env.subject, Actor) is not None:
            raise AlreadyExists(f"actor {d['account']} is registered already")
        validate_region(d["jurisdiction"], field="data.jurisdiction")
        decode_key(d["public_key"])
        if "enterprise" in d and "enterprises" in d:
            raise InvalidValue(
                "name the enterprises in `enterprises` alone (`enterprise` is the single "
                "binding of earlier registrations)",
                field="data.enterprise",
            )
        bound = _bindings(d)
        if d["role"] in BOUND_ROLES:
            if not bound:
                raise InvalidValue(
                    f"a {d['role']} actor must be bound to an enterprise", field="data.enterprise"
                )
        elif "enterprises" in d:
            raise InvalidValue(
                f"a {d['role']} actor is bound to no enterprise", field="data.enterprises"
            )
        _check_bindings(d["role"], bound, "data.enterprises" if "enterprises" in d else None)
        if d["role"] == PLATFORM and d["account"] != PLATFORM_ACCOUNT:
            raise NotAuthorized("only the platform account has the platform role")
        if d["role"] == SERVICE and env.role != PLATFORM:
            raise NotAuthorized(
                "only the platform registers a service actor (a module of the platform, whose "
                "key the platform holds)",
                field="data.role",
                rule=SERVICE_RULE,
            )
        if env.role == ADMIN:
            _admin_reaches(env, ctx, d["jurisdiction"])
        return cls.create(cmd)

    def on_register(self, env: Envelope, d: dict[str, Any]) -> None:
        self.account: str = d["account"]
        self.role: str = d["role"]
        self.name: str = d["name"]
        self.jurisdiction: str = d["jurisdiction"]
        self.enterprises: tuple[str, ...] = _bindings(d)
        self.custody: str = d["custody"]
        self.keys: dict[str, KeyEntry] = {}
        self._add_key(d["public_key"], env)
        self.status = "active"

    @property
    def enterprise(self) -> str | None:
        """The first enterprise the actor is bound to (a device's one enterprise), or None."""
        return self.enterprises[0] if self.enterprises else None

    # -- rights: role, jurisdiction, enterprise bindings ---------------------------------------

    @command(
        "change_rights",
        event="ActorRightsChanged",
        zh="变更主体账户权限",
        en="Change actor rights",
        event_zh="主体账户权限已变更",
        rule=RIGHTS_RULE,
        roles=ACCOUNT_ROLES,
        step="平台",
        properties={
            "role": enum(*GRANTABLE_ROLES),
            "jurisdiction": REGION,
            "enterprises": ENTERPRISES,
            "reason": text(500),
        },
        required=("reason",),
    )
    def change_rights(self, cmd: SignedCommand, ctx: Context) -> None:
        env, d = cmd.envelope, cmd.envelope.data
        self.require("active", action="a change of rights")
        if self.account == PLATFORM_ACCOUNT:
            raise NotAuthorized("the platform account's rights cannot be changed", rule=RIGHTS_RULE)
        if not {"role", "jurisdiction", "enterprises"} & d.keys():
            raise InvalidValue(
                "a change of rights names a role, a jurisdiction or enterprises", field="data"
            )
        role, jurisdiction, bound = self._rights_after(d)
        if "jurisdiction" in d:
            validate_region(jurisdiction, field="data.jurisdiction")
        if role in BOUND_ROLES and not bound:
            raise InvalidValue(
                f"a {role} actor must be bound to an enterprise", field="data.enterprises"
            )
        if role not in BOUND_ROLES and "enterprises" in d:
            raise InvalidValue(
                f"a {role} actor is bound to no enterprise", field="data.enterprises"
            )
        _check_bindings(role, bound, "data.enterprises" if "enterprises" in d else None)
        if (role, jurisdiction, bound) == (self.role, self.jurisdiction, self.enterprises):
            raise InvalidTransition(
                f"actor {self.account} has these rights already", rule=RIGHTS_RULE
            )
        if self.role == SERVICE and env.role != PLATFORM:
            raise NotAuthorized(
                f"the rights of service actor {self.account} are the platform's to change",
                rule=SERVICE_RULE,
            )
        if env.role == ADMIN:
            if env.actor == self.account:
                raise NotAuthorized("an admin does not change its own rights", rule=RIGHTS_RULE)
            _admin_reaches(env, ctx, self.jurisdiction)
            _admin_reaches(env, ctx, jurisdiction)
        self.record(cmd)

    def _rights_after(self, d: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]]:
        """The role, jurisdiction and bindings the change `d` leaves: bindings end with a
        bound role."""
        role = d.get("role", self.role)
        jurisdiction = d.get("jurisdiction", self.jurisdiction)
        if "enterprises" in d:
            bound: tuple[str, ...] = tuple(d["enterprises"])
        else:
            bound = self.enterprises if role in BOUND_ROLES else ()
        return role, jurisdiction, bound

    def on_change_rights(self, env: Envelope, d: dict[str, Any]) -> None:
        self.role, self.jurisdiction, self.enterprises = self._rights_after(d)

    def _add_key(self, public_key_b64: str, env: Envelope) -> None:
        raw = base64.b64decode(public_key_b64)
        for entry in self.keys.values():
            if entry.status == "current":
                entry.status = "rotated"
        self.keys[key_id_of(raw)] = KeyEntry(raw, "current", env.occurred_at.isoformat())

    @property
    def current_key(self) -> tuple[str, bytes] | None:
        for kid, entry in self.keys.items():
            if entry.status == "current":
                return kid, entry.public_key
        return None

    # -- key rotation and revocation ---------------------------------------------------------

    @command(
        "rotate_key",
        event="ActorKeyRotated",
        zh="轮换密钥",
        en="Rotate key",
        event_zh="密钥已轮换",
        rule=KEY_RULE,
        roles=ROLES,
        step="平台",
        properties={"public_key": PUBLIC_KEY},
        required=("public_key",),
    )
    def rotate_key(self, cmd: SignedCommand, ctx: Context) -> None:
        env = cmd.envelope
        self.require("active", action="key rotation")
        if env.role != PLATFORM and env.actor != self.account:
            raise NotAuthorized("only the actor itself or the platform rotates its key")
        raw = decode_key(env.data["public_key"])
        if key_id_of(raw) in self.keys:
            raise InvalidValue(
                "this key was used before; a rotation needs a new key",
                field="data.public_key",
                rule=KEY_RULE,
            )
        self.record(cmd)

    def on_rotate_key(self, env: Envelope, d: dict[str, Any]) -> None:
        self._add_key(d["public_key"], env)
        if env.actor == self.account and self.custody == "platform":
            # The account chose a key of its own: the platform no longer holds its key, so
            # it no longer signs for it, and its envelopes can no longer speak for the
            # platform (check_channel).
            self.custody = "own"

    @command(
        "revoke_key",
        event="ActorKeyRevoked",
        zh="吊销密钥",
        en="Revoke key",
        event_zh="密钥已吊销",
        rule=KEY_RULE,
        roles=(PLATFORM,),
        step="平台",
        properties={"key_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"}, "reason": text(500)},
        required=("key_id", "reason"),
    )
    def revoke_key(self, cmd: SignedCommand, ctx: Context) -> None:
        kid = cmd.envelope.data["key_id"]
        if kid not in self.keys:
            raise InvalidValue(f"actor {self.account} has no key {kid}", field="data.key_id")
        if self.keys[kid].status == "revoked":
            raise InvalidTransition(f"key {kid} is revoked already")
        self.record(cmd)

    def on_revoke_key(self, env: Envelope, d: dict[str, Any]) -> None:
        self.keys[d["key_id"]].status = "revoked"

    @command(
        "deactivate",
        event="ActorDeactivated",
        zh="停用主体账户",
        en="Deactivate actor",
        event_zh="主体账户已停用",
        rule=KEY_RULE,
        roles=ACCOUNT_ROLES,
        step="平台",
        properties={"reason": text(500)},
        required=("reason",),
    )
    def deactivate(self, cmd: SignedCommand, ctx: Context) -> None:
        env = cmd.envelope
        self.require("active", action="deactivation")
        if self.account == PLATFORM_ACCOUNT:
            raise NotAuthorized("the platform account cannot be deactivated")
        if env.role == ADMIN:
            if env.actor == self.account:
                raise NotAuthorized("an admin does not deactivate itself", rule=RIGHTS_RULE)
            _admin_reaches(env, ctx, self.jurisdiction)
        self.record(cmd)

    def on_deactivate(self, env: Envelope, d: dict[str, Any]) -> None:
        self.status = "deactivated"


ROLE_NAMES = {
    PLATFORM: "平台",
    REGULATOR: "监管部门",
    ENTERPRISE: "生产经营单位",
    DEVICE: "设备终端",
    AUDITOR: "审计人员",
    INTEGRATOR: "数据对接方",
    ADMIN: "账户管理员",
    SERVICE: "平台业务模块",
}


def _bindings(d: Mapping[str, Any]) -> tuple[str, ...]:
    """The enterprises a registration binds: `enterprises`, or the one `enterprise`."""
    if "enterprises" in d:
        return tuple(d["enterprises"])
    return (d["enterprise"],) if "enterprise" in d else ()


def _check_bindings(role: str, bound: tuple[str, ...], field: str | None) -> None:
    """Every bound USCC is valid; a device is bound to exactly one enterprise."""
    for uscc in bound:
        validate_uscc(uscc, field=field or "data.enterprise")
    if role == DEVICE and len(bound) > 1:
        raise InvalidValue("a device is bound to one enterprise", field=field or "data.enterprises")


def _admin_reaches(env: Envelope, ctx: Context, jurisdiction: str) -> None:
    """An admin administers actors within its own jurisdiction only."""
    admin = ctx.find(actor_id(env.actor), Actor)
    if admin is None or not covers(admin.jurisdiction, jurisdiction):
        scope = admin.jurisdiction if admin is not None else "none"
        raise NotAuthorized(
            f"jurisdiction {jurisdiction} is outside the admin {env.actor}'s jurisdiction {scope}",
            field="data.jurisdiction",
            rule=RIGHTS_RULE,
        )


def check_channel(env: Envelope, actor: Actor) -> None:
    """Only a signature the platform makes may claim the `migration` channel.

    Migrated history is judged on its declared time (domain.clocks), a privilege the platform
    grants after authenticating the migration; it signs only for the platform account and for
    custodial accounts (custody "platform"). An actor holding its own key cannot claim it: its
    historical lines (a device's buffered alarms and readings) enter as ordinary lines, dated as
    signed (never after the recorded time plus the skew, in order), and no statutory clock binds
    a device's own steps.
    """
    held = actor.custody == "platform" or actor.account == PLATFORM_ACCOUNT
    if env.channel is not None and not held:
        # Any channel is the platform's statement of how it authenticated the submitter; an
        # actor signing with its own key cannot make it (nor claim migration's privileges).
        raise MigrationRefused(
            f"actor {actor.account} signs with its own key: its commands cannot name a "
            f"channel ({env.channel}); only the platform's signatures can",
            field="channel",
        )
