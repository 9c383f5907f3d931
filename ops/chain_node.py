"""The embedded default chain: a local anvil node, launched and supervised by the platform
(a `Child` of ops/supervisor.py, like the embedded nats-server).

The binary comes from the npm package `@foundry-rs/anvil` installed at the repository root
(`npm ci` in the README's set-up), so nothing is downloaded at run time. The node listens on
a free loopback port and persists its whole chain state in one JSON file under the data
directory (`--state FILE`: loaded at start, dumped on a clean stop and every
`state_interval` seconds), so anchors survive a restart. A crash loses at most the last
interval; the anchoring code detects such lost anchors (`AnchorChain.verify_anchor`) and
submits them again.

Errors::

    ChainNodeError
    ├── AnvilNotInstalled   the binary is not under node_modules
    └── NodeStartFailed     the process exited or did not answer RPC in time

Dev accounts: anvil funds the accounts of the well-known test mnemonic
(`DEV_MNEMONIC`, BIP-44 path m/44'/60'/0'/0/i). Their keys are public knowledge: they are
for the embedded single-machine default and tests only, never for a shared chain.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ops.supervisor import Child, StartFailed

__all__ = [
    "ANVIL_RELATIVE_PATH",
    "DEV_CHAIN_ID",
    "DEV_MNEMONIC",
    "AnvilNode",
    "AnvilNotInstalled",
    "ChainNodeError",
    "NodeStartFailed",
    "dev_accounts",
    "find_anvil",
]

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_CHAIN_ID = 31337
ANVIL_RELATIVE_PATH = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
_REPO_ROOT = Path(__file__).resolve().parent.parent


class ChainNodeError(Exception):
    """Base class of the errors of the local chain node supervisor."""


class AnvilNotInstalled(ChainNodeError):
    """The anvil binary is missing: run `npm ci` at the repository root."""


class NodeStartFailed(ChainNodeError, StartFailed):
    """anvil exited early or did not answer JSON-RPC before the start-up timeout."""


def dev_accounts(count: int = 10, mnemonic: str = DEV_MNEMONIC) -> list[LocalAccount]:
    """The first `count` accounts anvil funds for `mnemonic` (index 0 is the usual deployer)."""
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
        for index in range(count)
    ]


def find_anvil(root: Path | None = None) -> Path:
    """The anvil binary under `root`/node_modules (default: the repository root).

    `ANJIAN_ANVIL` in the environment overrides the location (e.g. a system-wide foundry).
    """
    override = os.environ.get("ANJIAN_ANVIL")
    path = Path(override) if override else (root or _REPO_ROOT) / ANVIL_RELATIVE_PATH
    if not path.is_file() or not os.access(path, os.X_OK):
        raise AnvilNotInstalled(f"anvil not found at {path}: run `npm ci` in {root or _REPO_ROOT}")
    return path


def rpc_chain_id(url: str, timeout: float) -> int | None:
    """eth_chainId over plain HTTP, or None while the node does not answer."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"not a loopback node URL: {url}")
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    request = urllib.request.Request(  # noqa: S310 (a loopback http URL, checked above)
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(json.loads(response.read())["result"], 16)
    except (OSError, ValueError, KeyError):
        return None


class AnvilNode:
    """A supervised anvil process (ops/supervisor.py) with its state persisted in `data_dir`.

    Use as a context manager, or call `start()` / `stop()`; `restart()` keeps the port and
    the state file, `ensure_running()` restarts a node that died. Not thread-safe.
    `persist=False` runs without a state file (a fresh chain at every start).
    `history_states` bounds the historical world states anvil keeps (in memory only):
    anchoring reads the latest state, blocks, receipts and logs. Without a bound anvil 1.7.1
    keeps a state per block and spills them to disk, and after a few thousand blocks
    transactions stalled for minutes (a burst of 3000 transfers after 3000 blocks did not
    finish in 120 s). Zero is not safe either: a call against "latest" racing a new block
    then fails with BlockOutOfRangeError. None lets anvil keep its default.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        chain_id: int = DEV_CHAIN_ID,
        port: int | None = None,
        binary: Path | None = None,
        mnemonic: str = DEV_MNEMONIC,
        persist: bool = True,
        state_interval: int = 2,
        history_states: int | None = 64,
        startup_timeout: float = 15.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.data_dir = Path(data_dir)
        self.chain_id = chain_id
        self.binary = binary or find_anvil()
        self.mnemonic = mnemonic
        self.persist = persist
        self.state_interval = state_interval
        self.history_states = history_states
        self.startup_timeout = startup_timeout
        self.extra_args = tuple(extra_args)
        self.child = Child(
            "anvil",
            self._command,
            log_file=self.log_file,
            probe=self._answers,
            port=port,
            startup_timeout=startup_timeout,
        )

    @property
    def state_file(self) -> Path:
        return self.data_dir / "anvil-state.json"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "anvil.log"

    @property
    def port(self) -> int:
        port = self.child.port
        if port is None:
            raise ChainNodeError("the node has not been started")
        return port

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.child.pid

    @property
    def running(self) -> bool:
        return self.child.running

    def _command(self, port: int) -> list[str]:
        command = [
            str(self.binary),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--chain-id", str(self.chain_id),
            "--mnemonic", self.mnemonic,
        ]  # fmt: skip
        if self.history_states is not None:
            command += ["--prune-history", str(self.history_states)]
        if self.persist:
            command += ["--state", str(self.state_file)]
            command += ["--state-interval", str(self.state_interval)]
        return command + list(self.extra_args)

    def _answers(self, port: int) -> bool:
        """Ready once eth_chainId answers; another chain id means another node holds the port."""
        url = f"http://127.0.0.1:{port}"
        chain_id = rpc_chain_id(url, timeout=1.0)
        if chain_id is not None and chain_id != self.chain_id:
            raise NodeStartFailed(
                f"{url} answers chain id {chain_id}, expected {self.chain_id}: "
                "another node holds the port"
            )
        return chain_id is not None

    def start(self) -> None:
        """Launch anvil and return once it answers eth_chainId with our chain id (a port
        picked at random and taken meanwhile is retried on another port)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.child.start()
        except NodeStartFailed:
            raise
        except StartFailed as exc:
            raise NodeStartFailed(str(exc)) from exc

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the node; SIGTERM lets anvil dump its state file before it exits."""
        self.child.stop(timeout)

    def kill(self) -> None:
        """Simulate a crash: SIGKILL, no state dump (anchors since the last dump are lost)."""
        self.child.kill()

    def restart(self) -> None:
        """Stop and start again on the same port with the same state file."""
        self.stop()
        self.start()

    def ensure_running(self) -> bool:
        """Restart the node if its process died; True when a restart happened."""
        if self.running:
            return False
        self.start()
        return True

    def reset_state(self) -> None:
        """Delete the persisted chain (the node must be stopped): the next start is genesis."""
        if self.running:
            raise ChainNodeError("stop the node before deleting its state")
        self.state_file.unlink(missing_ok=True)

    def __enter__(self) -> AnvilNode:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
