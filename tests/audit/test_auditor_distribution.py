"""The auditor's verifier builds as a distribution of its own (dist/auditor), installs into a
fresh virtual environment that holds only its crypto dependencies, and checks a real bundle
there, outside the repository, with nothing of the platform importable."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from types import ModuleType

from tests.audit.conftest import cli
from tests.audit.history import History

REPO = Path(__file__).resolve().parents[2]
# PyNaCl calls libsodium through cffi; rfc8785 is pure Python.
CRYPTO = ("pynacl", "cffi", "pycparser", "rfc8785")


def build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("auditor_build", REPO / "dist/auditor/build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def crypto_only(into: Path) -> Path:
    """A directory holding (symlinks to) the installed crypto packages and nothing else."""
    into.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for name in CRYPTO:
        files = importlib.metadata.distribution(name).files or []
        for top in {f.parts[0] for f in files if not f.parts[0].startswith("..")}:
            if (site / top).exists() and not (into / top).exists():
                (into / top).symlink_to(site / top)
    return into


def auditor_venv(tmp: Path, wheel: Path) -> Path:
    """A fresh venv with the wheel installed and a .pth naming only the crypto packages."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet"]
    subprocess.run([*pip, "--target", purelib, str(wheel)], check=True)
    (Path(purelib) / "crypto.pth").write_text(f"{crypto_only(tmp / 'crypto')}\n")
    return python


def auditor_env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("ANJIAN_", "PYTHON", "VIRTUAL"))
    }


def test_the_distribution_holds_exactly_the_ledger_modules_audit_imports() -> None:
    probe = (
        "import sys, audit.bundle, audit.verify, audit.verdict, audit.__main__\n"
        "print(sorted(m.split('.')[1] for m in sys.modules if m.startswith('ledger.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = {m for m in json.loads(done.stdout.replace("'", '"')) if m != "_ed25519"}
    assert set(build_module().LEDGER) == loaded | {"__init__"}


def test_the_auditor_wheel_checks_a_real_bundle_in_a_venv_without_the_platform(
    history: History, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.json"
    assert cli("audit", "proof", history.hazard_report, "-o", str(bundle)).exit_code == 0
    doc = json.loads(bundle.read_text(encoding="utf-8"))
    wheel = build_module().build(tmp_path / "wheels")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {
        "audit",
        "ledger",
        wheel.name.split("-py3")[0] + ".dist-info",
    }
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    requires = sorted(
        re.split("[<>=!~ ;]", line.removeprefix("Requires-Dist:").strip())[0]
        for line in meta.splitlines()
        if line.startswith("Requires-Dist:")
    )
    assert requires == ["pynacl", "rfc8785"]  # its crypto dependencies, nothing else

    python = auditor_venv(tmp_path, wheel)
    auditor = tmp_path / "auditor"
    auditor.mkdir()

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), *argv],
            cwd=auditor,
            env=auditor_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    where = run(
        "-c",
        "import importlib.util as u, audit, ledger\n"
        "print(audit.__file__, ledger.__file__)\n"
        "print([m for m in ('domain', 'ops', 'services', 'projections', 'sqlalchemy', 'web3')"
        " if u.find_spec(m)], u.find_spec('ledger.log'))",
    )
    assert where.returncode == 0, where.stderr
    files, reachable = where.stdout.splitlines()
    assert str(REPO) not in files
    assert files.startswith(str(tmp_path))
    assert reachable == "[] None"

    done = run("-m", "audit", "check", str(bundle), "--log-key", doc["log_key"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    assert "VERIFIED" in done.stdout
    assert "未证明 Not proven:" in done.stdout
    doc["leaf_index"] += 1
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc), encoding="utf-8")
    done = run("-m", "audit", "check", str(changed), "--log-key", doc["log_key"])
    assert done.returncode == 1
    assert "FAIL inclusion" in done.stdout
    script = run(
        "-c",
        "import importlib.metadata as m\n"
        "print(m.entry_points(group='console_scripts')['anjian-audit'].value)",
    )
    assert script.stdout.strip() == "audit.__main__:main"
