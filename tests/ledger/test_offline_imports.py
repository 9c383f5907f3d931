"""What the offline auditor needs from the ledger imports with the standard library and PyNaCl
alone: no database driver, no eventsourcing, no chain client, no domain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_proof_note_and_leaf_modules_need_only_stdlib_and_pynacl() -> None:
    script = (
        "import sys\n"
        "blocked = ('sqlalchemy', 'eventsourcing', 'web3', 'psycopg', 'domain')\n"
        "for name in blocked: sys.modules[name] = None  # any import of them now fails\n"
        "import ledger.errors, ledger.rfc6962, ledger.note, ledger.leaf, ledger.tree\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
