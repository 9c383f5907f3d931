"""The platform's NATS: where it is, how the platform connects, and who else may.

`platform_nats(settings, keystore)` is the one way in: with ANJIAN_NATS_URL it names the
external server or cluster (the platform's credentials from ANJIAN_NATS_CREDS or the URL's
user:password); without, it starts the embedded nats-server of the data directory
(ops/nats_server.py), whose users are the platform's own nkey and the active integrators
(ops/integrators.py), and returns it so that its owner stops it (Platform.close does).

`apply_integrators(settings, keystore)` brings the server's users in line with the integrators'
store after `integrators add|revoke`: the users file is rewritten and a running embedded server
reloads it without a restart. With an external server it writes the integrators' users to
$ANJIAN_HOME/nats/integrators.conf for the operator to merge into that server's users.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ops.file_lock import locked
from ops.integrators import IntegratorStore, integrator_user, public_key_of
from ops.keystore import Keystore
from ops.nats_server import (
    EmbeddedNats,
    NatsEndpoint,
    NatsServerError,
    NatsUser,
    users_config,
    write_private,
)
from ops.settings import Settings

__all__ = [
    "apply_integrators",
    "creds_options",
    "embedded_running",
    "nats_directory",
    "platform_nats",
    "users",
]


def nats_directory(settings: Settings) -> Path:
    """$ANJIAN_HOME/nats: the embedded server's files and the integrators' store."""
    return settings.home / "nats"


def users(settings: Settings, keystore: Keystore) -> list[NatsUser]:
    """The platform's nkey user (every permission) and one user per active integrator."""
    platform = NatsUser(public_key_of(keystore.nats_seed()), "the platform (the relay publishes)")
    store = IntegratorStore(nats_directory(settings))
    return [platform, *(integrator_user(i) for i in store.active())]


def creds_options(path: Path) -> dict[str, Any]:
    """nats.connect options for a credentials file: a .creds file (user JWT and seed) or a file
    holding an nkey seed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NatsServerError(f"ANJIAN_NATS_CREDS {path}: {exc.strerror or exc}") from None
    if "BEGIN NATS USER JWT" in text:
        return {"user_credentials": str(path)}
    if text.strip().startswith("SU"):
        return {"nkeys_seed": str(path)}
    raise NatsServerError(
        f"ANJIAN_NATS_CREDS {path} holds neither a .creds file nor an nkey seed (SU...)"
    )


def embedded_running(settings: Settings) -> bool:
    """Whether the embedded nats-server of this data directory runs now."""
    return EmbeddedNats(settings.home, []).running()


def platform_nats(
    settings: Settings, keystore: Keystore
) -> tuple[NatsEndpoint, EmbeddedNats | None]:
    """The platform's NATS URL(s) and connect options, and the embedded server when this call
    started or joined it (None for an external server). Stop the server when done."""
    if settings.nats_url:
        servers = tuple(url.strip() for url in settings.nats_url.split(","))
        options = creds_options(settings.nats_creds) if settings.nats_creds is not None else {}
        return NatsEndpoint(servers, options), None
    with locked(nats_directory(settings) / "integrators.lock"):  # users as of now: see below
        server = EmbeddedNats(settings.home, users(settings, keystore))
        server.start()
    seed = keystore.nats_seed().decode("ascii")
    return NatsEndpoint((server.url,), {"nkeys_seed_str": seed}, embedded=True), server


def apply_integrators(settings: Settings, keystore: Keystore) -> str:
    """Rewrite the users file from the integrators' store; a sentence saying what took effect.

    Under the store's lock, like the embedded server's start: whatever the order of concurrent
    changes and starts, the last one to write the users file read the store after every change
    before it, so no change is lost."""
    with locked(nats_directory(settings) / "integrators.lock"):
        return _apply(settings, keystore)


def _apply(settings: Settings, keystore: Keystore) -> str:
    wanted = users(settings, keystore)
    if settings.nats_url:
        path = nats_directory(settings) / "integrators.conf"
        write_private(path, users_config(wanted[1:]))
        return (
            f"the integrators' users are in {path}: merge them into the users of the NATS "
            "server at ANJIAN_NATS_URL and reload it (nats-server --signal reload)"
        )
    server = EmbeddedNats(settings.home, wanted)
    if server.set_users(wanted):
        return "the embedded NATS server reloaded its users (no restart)"
    return "the embedded NATS server is not running: it reads the users at its next start"
