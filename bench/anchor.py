"""Anchor benchmark: gas per anchor, anchors per second on anvil, anchors per event.

    .venv/bin/python -m bench.anchor [--runs 5] [--sequential 200] [--pipelined 500]
        [--cadence-leaves 1000] [--cadence-seconds 10] [--aged-blocks 6000] [--no-write]

Each run starts a fresh local anvil node (node_modules) with a fresh Anchor contract and
measures, through ledger.chain.AnchorChain over HTTP JSON-RPC:
- gas: deployment, the first anchor, a later anchor, and an anchor of 2**63 events;
- sequential: anchor() one after the other, each waiting for its receipt (K = 1);
- pipelined: submit() a burst, then wait() for each; with the eth_estimateGas preflight
  (the default) and without it (fixed gas limit);
and, as baselines in the same run on the same node: one JSON-RPC round trip
(eth_blockNumber) and local transaction signing (eth-account with coincurve).
Then one more node is grown to --aged-blocks blocks, timing sequential anchors on the way,
because anvil's cost per transaction grows with its chain length.
Anchors per event follow from the checkpoint cadence: a checkpoint every N leaves, or
every T seconds when fewer arrive, and one anchor per checkpoint.
Figures are medians over the runs; the section of bench/RESULTS.md for this benchmark is
replaced (other sections are left alone) unless --no-write.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_typing import HexStr

from bench.results import RESULTS, write_section
from ledger.chain import AnchorChain
from ops.chain_node import AnvilNode, dev_accounts

RATES = (1, 10, 100, 1_000, 10_000)  # events per second to tabulate anchors per event


def root_of(n: int) -> bytes:
    return hashlib.sha256(n.to_bytes(8, "big")).digest()


def rate(n: int, fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def one_run(rpc_url: str, sequential: int, pipelined: int) -> dict[str, float]:
    owner, anchorer_account = dev_accounts(2)
    w3 = AnchorChain.http(rpc_url)
    admin = AnchorChain.deploy(w3, owner)
    admin.allow(anchorer_account.address)
    chain = admin.as_account(anchorer_account)

    def gas(tx_hash: str) -> float:
        return float(w3.eth.get_transaction_receipt(HexStr(tx_hash))["gasUsed"])

    deploy_logs = admin.contract.events.OwnershipTransferred().get_logs(from_block=0)
    figures = {
        "gas_deploy": gas("0x" + bytes(deploy_logs[-1]["transactionHash"]).hex()),
        "gas_first": gas(chain.anchor(1, root_of(1)).tx_hash),
        "gas_later": gas(chain.anchor(2, root_of(2)).tx_hash),
        "gas_huge": gas(chain.anchor(2**63, root_of(3)).tx_hash),
    }
    # Sizes only grow, so every phase continues above 2**63 on the same contract.
    size = 2**63

    def run_sequential() -> None:
        nonlocal size
        for _ in range(sequential):
            size += 1
            chain.anchor(size, root_of(size))

    def run_pipelined(preflight: bool) -> None:
        nonlocal size
        sent = []
        for _ in range(pipelined):
            size += 1
            sent.append((chain.submit(size, root_of(size), preflight=preflight), size))
        for tx_hash, s in sent:
            chain.wait(tx_hash, s, root_of(s))

    figures["seq_per_s"] = rate(sequential, run_sequential)
    figures["pipe_per_s"] = rate(pipelined, lambda: run_pipelined(True))
    figures["pipe_nopre_per_s"] = rate(pipelined, lambda: run_pipelined(False))

    # Baselines: the transport's round trip and local signing.
    n = 500

    def round_trips() -> None:
        for _ in range(n):
            _ = w3.eth.block_number

    tx: dict[str, Any] = {
        "to": chain.address,
        "data": "0x" + "00" * 68,
        "gas": 100_000,
        "gasPrice": 10**9,
        "nonce": 0,
        "chainId": 31337,
        "value": 0,
    }

    def signatures() -> None:
        for _ in range(n):
            anchorer_account.sign_transaction(tx)

    figures["rpc_rtt_ms"] = 1000 / rate(n, round_trips)
    figures["sign_per_s"] = rate(n, signatures)
    return figures


def anchors_per_event(events_per_s: float, leaves: int, seconds: float) -> float:
    """One anchor per checkpoint: every `leaves` leaves, or every `seconds` if that is sooner."""
    checkpoints_per_s = max(events_per_s / leaves, 1 / seconds)
    return checkpoints_per_s / events_per_s


def aged_chain(rpc_url: str, blocks: int, sample: int) -> list[tuple[int, float]]:
    """Sequential anchor latency (ms) as one chain grows to `blocks` blocks, in 4 steps."""
    owner, anchorer_account = dev_accounts(2)
    w3 = AnchorChain.http(rpc_url)
    admin = AnchorChain.deploy(w3, owner)
    admin.allow(anchorer_account.address)
    chain = admin.as_account(anchorer_account)
    size = 0
    points = []
    for step in range(1, 5):
        start = time.perf_counter()
        for _ in range(sample):
            size += 1
            chain.anchor(size, root_of(size))
        points.append((int(w3.eth.block_number), (time.perf_counter() - start) / sample * 1000))
        if step == 4:
            break
        # Grow the chain with pipelined anchors (bursts of 500 keep the pool short).
        target = blocks * step // 3
        while w3.eth.block_number < target:
            sent = []
            for _ in range(500):
                size += 1
                sent.append((chain.submit(size, root_of(size), preflight=False), size))
            for tx_hash, s in sent:
                chain.wait(tx_hash, s, root_of(s))
    return points


def report(
    medians: dict[str, float],
    args: argparse.Namespace,
    *,
    command: str,
    load: str,
    aged: list[tuple[int, float]],
) -> str:
    runs = args.runs
    lines = [
        f"Command: `{command}`",
        "",
        f"anvil 1.7.1 on 127.0.0.1, HTTP JSON-RPC, web3 8.0.0; medians of {runs} runs, "
        "each on a fresh node; "
        f"1-minute load average before/after: {load} on {os.cpu_count()} cores.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| gas: deploy Anchor | {medians['gas_deploy']:,.0f} |",
        f"| gas: first anchor | {medians['gas_first']:,.0f} |",
        f"| gas: later anchor | {medians['gas_later']:,.0f} |",
        f"| gas: anchor covering 2**63 events | {medians['gas_huge']:,.0f} |",
        f"| sequential anchor(), K=1 | {medians['seq_per_s']:,.0f} anchors/s "
        f"({1000 / medians['seq_per_s']:.1f} ms each) |",
        f"| pipelined submit()+wait(), preflight | {medians['pipe_per_s']:,.0f} anchors/s |",
        f"| pipelined, no preflight | {medians['pipe_nopre_per_s']:,.0f} anchors/s |",
        f"| baseline: JSON-RPC round trip (eth_blockNumber) | {medians['rpc_rtt_ms']:.2f} ms |",
        "| baseline: sign a transaction (eth-account, coincurve) | "
        f"{medians['sign_per_s']:,.0f} /s |",
        "",
        f"Anchors per event, checkpoint every {args.cadence_leaves} leaves or "
        f"{args.cadence_seconds:g} s (one anchor per checkpoint, later-anchor gas):",
        "",
        "| events/s | anchors/event | gas/event | anchors/day |",
        "|---|---|---|---|",
    ]
    for events in RATES:
        per_event = anchors_per_event(events, args.cadence_leaves, args.cadence_seconds)
        lines.append(
            f"| {events:,} | {per_event:.6f} | {per_event * medians['gas_later']:,.1f} | "
            f"{per_event * events * 86_400:,.0f} |"
        )
    if aged:
        lines += [
            "",
            "Sequential anchor() latency as one anvil chain grows (known anvil behaviour: "
            "its cost per transaction grows with the number of blocks):",
            "",
            "| blocks | ms per anchor |",
            "|---|---|",
            *(f"| {blocks:,} | {ms:.1f} |" for blocks, ms in aged),
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--pipelined", type=int, default=500)
    parser.add_argument("--cadence-leaves", type=int, default=1000)
    parser.add_argument("--cadence-seconds", type=float, default=10.0)
    parser.add_argument(
        "--aged-blocks",
        type=int,
        default=6000,
        help="grow one chain to this many blocks, timing sequential anchors on the way (0: skip)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    results: list[dict[str, float]] = []
    load_before = os.getloadavg()[0]
    for run in range(args.runs):
        # A fresh node per run: anvil's cost per transaction grows with its chain length.
        with (
            tempfile.TemporaryDirectory(prefix="anjian-bench-anvil-") as tmp,
            AnvilNode(Path(tmp), persist=False) as node,
        ):
            figures = one_run(node.rpc_url, args.sequential, args.pipelined)
        results.append(figures)
        print(
            f"run {run + 1}/{args.runs}: " + ", ".join(f"{k}={v:,.1f}" for k, v in figures.items()),
            flush=True,
        )
    medians = {k: statistics.median(r[k] for r in results) for k in results[0]}
    aged: list[tuple[int, float]] = []
    if args.aged_blocks:
        with (
            tempfile.TemporaryDirectory(prefix="anjian-bench-anvil-") as tmp,
            AnvilNode(Path(tmp), persist=False) as node,
        ):
            aged = aged_chain(node.rpc_url, args.aged_blocks, args.sequential)
        for blocks, ms in aged:
            print(f"aged chain: {blocks:,} blocks -> {ms:.1f} ms per sequential anchor")
    command = ".venv/bin/python -m bench.anchor " + " ".join(sys.argv[1:])
    load = f"{load_before:.1f}/{os.getloadavg()[0]:.1f}"
    body = report(medians, args, command=command.strip(), load=load, aged=aged)
    print()
    print(body)
    if not args.no_write:
        write_section("bench/anchor.py", "Anchoring", body)
        print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
