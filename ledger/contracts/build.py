"""Rebuild the committed contract artifacts from their Vyper sources.

Usage: `python -m ledger.contracts.build [--check]`. Without flags it rewrites
`Anchor.json`; with `--check` it writes nothing and exits 1 when the committed artifact
differs from a fresh build. The EVM version is pinned to "paris" (no PUSH0, no
transient storage) so the bytecode runs on older consortium chains such as Hyperledger
Besu; the source also says so in its pragma, and the compiler refuses a mismatch.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from ledger.contracts import CONTRACTS_DIR

__all__ = ["EVM_VERSION", "artifact_text", "build_artifact", "main"]

EVM_VERSION = "paris"
CONTRACTS = ("Anchor",)


def build_artifact(name: str, directory: Path = CONTRACTS_DIR) -> dict[str, Any]:
    """Compile `<name>.vy` and return the artifact object (see the package docstring)."""
    import vyper
    from vyper.compiler.settings import OptimizationLevel, Settings

    source_path = directory / f"{name}.vy"
    source = source_path.read_bytes()
    settings = Settings(evm_version=EVM_VERSION, optimize=OptimizationLevel.GAS)
    output = vyper.compile_code(
        source.decode("utf-8"),
        contract_path=source_path.name,
        output_formats=["abi", "bytecode", "bytecode_runtime"],
        settings=settings,
    )
    return {
        "contract_name": name,
        "source": source_path.name,
        "source_sha256": hashlib.sha256(source).hexdigest(),
        "compiler": "vyper",
        "compiler_version": vyper.__version__,
        "evm_version": EVM_VERSION,
        "optimize": "gas",
        "abi": output["abi"],
        "bytecode": output["bytecode"],
        "bytecode_runtime": output["bytecode_runtime"],
    }


def artifact_text(artifact: dict[str, Any]) -> str:
    """The committed form: 2-space indented JSON, keys in build order, final newline."""
    return json.dumps(artifact, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rebuild (or with --check, compare) every artifact; the exit code says if all agree."""
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    stale = []
    for name in CONTRACTS:
        path = CONTRACTS_DIR / f"{name}.json"
        fresh = artifact_text(build_artifact(name))
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == fresh:
            print(f"{path.name}: up to date")
        elif check:
            stale.append(path.name)
            print(f"{path.name}: differs from a fresh build", file=sys.stderr)
        else:
            path.write_text(fresh, encoding="utf-8")
            print(f"{path.name}: rebuilt")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
