"""Build the auditor's verifier, the `anjian-audit` wheel, offline.

    python dist/auditor/build.py OUTDIR

Stages a source tree of its own (this directory's pyproject.toml, audit/README.md as its
README, the audit package and exactly the ledger modules it imports, listed in LEDGER) and
builds it with pip, without build isolation or an index: the build needs setuptools and wheel
in the running interpreter, and no network. Prints the wheel's path.

The wheel has no native code: ledger/keys.py falls back to PyNaCl when its optional batch
verifier (ledger/_ed25519) is absent.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# The ledger primitives the audit package imports (tests/audit/test_auditor_distribution.py
# holds this list equal to what importing audit/ loads).
LEDGER = ("__init__", "canonical", "errors", "keys", "leaf", "note", "rfc6962")


def stage(dest: Path) -> Path:
    """Copy the distribution's sources into `dest`; return it."""
    shutil.copy2(HERE / "pyproject.toml", dest / "pyproject.toml")
    shutil.copy2(REPO / "audit" / "README.md", dest / "README.md")
    (dest / "audit").mkdir()
    for source in sorted((REPO / "audit").glob("*.py")):
        shutil.copy2(source, dest / "audit" / source.name)
    (dest / "ledger").mkdir()
    for name in LEDGER:
        shutil.copy2(REPO / "ledger" / f"{name}.py", dest / "ledger" / f"{name}.py")
    return dest


def build(out: Path) -> Path:
    """Build the wheel into `out`; return its path."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="anjian-audit-") as tmp:
        src = stage(Path(tmp))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "--quiet",
                "--wheel-dir",
                str(out),
                str(src),
            ],
            check=True,
        )
    (wheel,) = out.glob("anjian_audit-*.whl")
    return wheel


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python dist/auditor/build.py OUTDIR")
    print(build(Path(sys.argv[1])))
