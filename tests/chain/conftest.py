"""Chain fixtures: a real anvil node (from node_modules) for the whole test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ops.chain_node import AnvilNode


@pytest.fixture(scope="session")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    """One anvil for the session, state in a temporary data directory.

    Tests that stop, reset or kill a node start their own `AnvilNode` instead.
    """
    with AnvilNode(tmp_path_factory.mktemp("anvil")) as node:
        yield node


@pytest.fixture(scope="session")
def anvil_rpc(anvil_node: AnvilNode) -> str:
    """JSON-RPC URL of the session's anvil node (http://127.0.0.1:PORT)."""
    return anvil_node.rpc_url
