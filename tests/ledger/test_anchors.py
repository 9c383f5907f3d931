"""Recorded anchors (ledger.anchors): live and lost rows, the queue's boundary, deployments on
SQLite and PostgreSQL; re-anchoring what a chain lost, on an in-process chain."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from web3 import EthereumTesterProvider, Web3
from web3.types import Wei

from ledger.anchors import AnchorStore, Deployment, reanchor_lost
from ledger.chain import AnchorChain, AnchorReceipt
from ops.chain_node import dev_accounts

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OWNER, ANCHORER = dev_accounts(2)


def root_of(size: int) -> bytes:
    """A stand-in Merkle root for a tree of `size` leaves."""
    return hashlib.sha256(b"root %d" % size).digest()


def receipt(size: int, *, chain_id: int = 31337, contract: str = CONTRACT) -> AnchorReceipt:
    tx = "0x" + hashlib.sha256(b"tx %d %d" % (chain_id, size)).hexdigest()
    return AnchorReceipt(chain_id, contract, tx, size, size, root_of(size))


class AnchorStoreContract:
    @pytest.fixture
    def url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def store(self, url: str) -> Iterator[AnchorStore]:
        engine = create_engine(url)
        yield AnchorStore(engine)
        engine.dispose()

    def test_live_anchors_are_listed_by_growing_tree_size(self, store: AnchorStore) -> None:
        for size, seq in ((8, 2), (4, 1), (12, 3)):
            store.add(receipt(size), seq)
        live = store.live()
        assert [(r.tree_size, r.checkpoint_seq) for r in live] == [(4, 1), (8, 2), (12, 3)]
        assert [r.receipt for r in live] == [receipt(4), receipt(8), receipt(12)]
        assert all(r.anchored_at.utcoffset() == timedelta(0) for r in live)

    def test_the_queue_starts_after_the_newest_live_anchor(self, store: AnchorStore) -> None:
        assert store.anchored_size() == 0
        store.add(receipt(4), 1)
        store.add(receipt(8), 2)
        assert store.anchored_size() == 8

    def test_a_proof_uses_the_first_live_anchor_of_a_tree_at_least_that_large(
        self, store: AnchorStore
    ) -> None:
        assert store.covering(1) is None
        store.add(receipt(4), 1)
        store.add(receipt(8), 2)
        covering = [store.covering(n) for n in (1, 4, 5, 8, 9)]
        assert [None if c is None else c.tree_size for c in covering] == [4, 4, 8, 8, None]

    def test_a_replaced_anchor_is_kept_as_lost_beside_its_resubmission(
        self, store: AnchorStore
    ) -> None:
        store.add(receipt(4), 1)
        (old,) = store.live()
        again = receipt(4, contract="0x" + "ab" * 20)
        store.replace(old, again)
        (new,) = store.live()
        assert (new.receipt, new.checkpoint_seq) == (again, 1)
        assert store.lost_count() == 1

    def test_a_new_deployment_on_a_chain_marks_only_that_chains_earlier_ones_lost(
        self, store: AnchorStore
    ) -> None:
        assert store.deployment(31337) is None
        store.add_deployment(31337, CONTRACT, 1, "0xowner")
        store.add_deployment(1337, "0x" + "cd" * 20, 7, "operator")
        store.add_deployment(31337, "0x" + "ab" * 20, 3, "0xowner")
        assert store.deployment(31337) == Deployment(3, "0x" + "ab" * 20, 3)
        assert store.deployment(1337) == Deployment(2, "0x" + "cd" * 20, 7)
        rows = store.deployments()
        assert [(d["chain_id"], d["status"]) for d in rows] == [
            (31337, "lost"),
            (1337, "live"),
            (31337, "live"),
        ]
        assert all(d["deployed_at"].utcoffset() == timedelta(0) for d in rows)


class TestSQLite(AnchorStoreContract):
    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'anjian.db'}"


@pytest.mark.postgres
class TestPostgres(AnchorStoreContract):
    @pytest.fixture
    def url(self, postgres_url: str) -> str:
        return postgres_url


# -- re-anchoring ------------------------------------------------------------------------------


@pytest.fixture
def w3() -> Web3:
    w3 = Web3(EthereumTesterProvider())
    for account in (OWNER, ANCHORER):
        w3.eth.send_transaction(
            {"from": w3.eth.accounts[0], "to": account.address, "value": Wei(10**21)}
        )
    return w3


def anchoring_contract(w3: Web3) -> AnchorChain:
    admin = AnchorChain.deploy(w3, OWNER)
    admin.allow(ANCHORER.address)
    return admin.as_account(ANCHORER)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AnchorStore]:
    engine = create_engine(f"sqlite:///{tmp_path / 'anjian.db'}")
    yield AnchorStore(engine)
    engine.dispose()


def test_anchors_the_chain_still_holds_are_not_submitted_again(
    w3: Web3, store: AnchorStore
) -> None:
    chain = anchoring_contract(w3)
    for seq, size in enumerate((4, 8), start=1):
        store.add(chain.anchor(size, root_of(size)), seq)
    before = store.live()
    assert reanchor_lost(store, chain) == 0
    assert store.live() == before
    assert store.lost_count() == 0


def test_anchors_on_a_contract_no_longer_used_go_again_to_the_current_one(
    w3: Web3, store: AnchorStore
) -> None:
    old = anchoring_contract(w3)
    for seq, size in enumerate((4, 8), start=1):
        store.add(old.anchor(size, root_of(size)), seq)
    new = anchoring_contract(w3)
    assert reanchor_lost(store, new) == 2
    live = store.live()
    assert [(r.tree_size, r.checkpoint_seq, r.contract) for r in live] == [
        (4, 1, new.address),
        (8, 2, new.address),
    ]
    for row in live:
        new.verify_anchor(row.receipt)
    assert new.head() == (8, root_of(8))
    assert store.lost_count() == 2
    assert reanchor_lost(store, new) == 0


def test_only_the_anchors_newer_than_the_newest_one_held_are_submitted_again(
    w3: Web3, store: AnchorStore
) -> None:
    chain = anchoring_contract(w3)
    store.add(chain.anchor(4, root_of(4)), 1)
    forgotten = receipt(8, contract=chain.address)  # recorded, but the chain never saw it
    store.add(forgotten, 2)
    assert reanchor_lost(store, chain) == 1
    live = store.live()
    assert [r.tree_size for r in live] == [4, 8]
    assert live[1].tx_hash != forgotten.tx_hash
    chain.verify_anchor(live[1].receipt)
    assert store.lost_count() == 1


def test_reading_the_anchor_tables_does_not_load_the_chain_stack(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "for name in ('web3', 'eth_account', 'eth_utils'): sys.modules[name] = None\n"
        "from sqlalchemy import create_engine\n"
        "from ledger.anchors import AnchorStore\n"
        f"store = AnchorStore(create_engine('sqlite:///{tmp_path / 'anjian.db'}'))\n"
        "print(store.live(), store.anchored_size(), store.deployments())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] 0 []"
