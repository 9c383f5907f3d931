"""An auditor runs audit/ with nothing of the platform: no database layer, no web3, no domain."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

FORBIDDEN = ("sqlalchemy", "eventsourcing", "web3", "eth_", "psycopg", "domain", "ops", "api")


def test_the_audit_package_imports_only_ledger_primitives_and_the_standard_library() -> None:
    probe = (
        "import sys, audit.bundle, audit.verify, audit.__main__\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0].startswith({FORBIDDEN!r}))\n"
        "ledger = sorted(m for m in sys.modules if m.startswith('ledger.'))\n"
        "print(bad, ledger)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    bad, ledger = done.stdout.strip().split("] [")
    assert bad == "["
    # ledger.keys loads its native batch verifier (ledger/_ed25519.c) when it is built.
    native = ["ledger._ed25519"] if importlib.util.find_spec("ledger._ed25519") else []
    assert ledger.rstrip("]").replace("'", "").split(", ") == [
        *native,
        "ledger.canonical",
        "ledger.errors",
        "ledger.keys",
        "ledger.leaf",
        "ledger.note",
        "ledger.rfc6962",
    ]
