"""Contract sources and their built artifacts (rebuild: `python -m ledger.contracts.build`).

An artifact is a JSON object: `contract_name`, `source` (file name beside it),
`source_sha256` (hex SHA-256 of the source bytes), `compiler` ("vyper"),
`compiler_version`, `evm_version`, `optimize`, `abi` (the Ethereum JSON ABI), `bytecode`
(0x-hex init code) and `bytecode_runtime` (0x-hex code the deployed contract must have).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CONTRACTS_DIR", "ContractArtifact", "load_artifact"]

CONTRACTS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ContractArtifact:
    """A compiled contract as committed in the repository."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    bytecode_runtime: bytes
    compiler_version: str
    evm_version: str
    source_sha256: str


def load_artifact(name: str = "Anchor") -> ContractArtifact:
    """Read `<name>.json` from this folder (no compiler needed at run time)."""
    data = json.loads((CONTRACTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return ContractArtifact(
        name=data["contract_name"],
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
        bytecode_runtime=bytes.fromhex(data["bytecode_runtime"].removeprefix("0x")),
        compiler_version=data["compiler_version"],
        evm_version=data["evm_version"],
        source_sha256=data["source_sha256"],
    )
