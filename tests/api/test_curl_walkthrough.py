"""The newcomer's walk of README "The API with curl": `anjian demo` prints the logins, `anjian
serve` starts the API, and with curl alone the Wuhan enterprise logs in, records a hazard, sees
it in its history and downloads its proof bundle, which `python -m audit check` verifies; the
Wuhan regulator gets 404 on a Yichang enterprise. Real processes, a real socket, real curl."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def anjian(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args], env=env, capture_output=True, text=True,
        timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip


def curl(*args: str) -> tuple[int, str]:
    """curl ARGS; the HTTP status and the body."""
    done = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", *args],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    body, _, code = done.stdout.rpartition("\n")
    return int(code), body


def logins(demo_output: str) -> dict[str, list[str]]:
    """login → [role, jurisdiction, (USCC,) password] from the demo's printed logins."""
    found = {}
    for line in demo_output.splitlines():
        parts = line.split()
        if len(parts) >= 4 and re.fullmatch(r"[a-z]+-?[a-z]*", parts[0]) and parts[2].isdigit():
            found[parts[0]] = parts[1:]
    return found


@pytest.mark.slow
def test_a_newcomer_records_sees_and_proves_a_hazard_with_curl_alone(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANJIAN_")}
    env |= {"ANJIAN_HOME": str(tmp_path / "home"), "ANJIAN_PUBLIC_URL": base}
    env["PYTHONPATH"] = str(ROOT)
    made = anjian(env, "demo", "--enterprises", "6", "--months", "2")
    assert made.returncode == 0, made.stderr
    users = logins(made.stdout)
    role, county, uscc, password = users["wuhan-enterprise"]
    assert role == "enterprise"
    yichang = json.loads(anjian(env, "enterprises", "--region", "420500", "--json").stdout)
    log_key = json.loads(anjian(env, "ledger", "status", "--json").stdout)["log_key"]  # published
    server = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "serve", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=(tmp_path / "serve.log").open("w"),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if curl(f"{base}/v1/catalog")[0] == 200:
                    break
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.2)
        jar = str(tmp_path / "cookies")
        login = json.dumps({"login": "wuhan-enterprise", "password": password})
        code, body = curl("-c", jar, "-H", "Content-Type: application/json", "-d", login,
                          f"{base}/v1/session")  # fmt: skip
        assert code == 200, body
        csrf = json.loads(body)["csrf"]
        hazard: dict[str, Any] = {
            "type": "hazard.report",
            "actor": "wuhan-enterprise",
            "region": county,
            "data": {"enterprise": uscc, "grade": "general", "source": "self_check",
                     "description": "二号仓库消防通道堵塞"},
        }  # fmt: skip
        code, body = curl("-b", jar, "-H", f"X-CSRF-Token: {csrf}", "-H",
                          "Content-Type: application/json", "-d", json.dumps(hazard),
                          f"{base}/v1/commands")  # fmt: skip
        assert code == 200, body
        (event_id,) = json.loads(body)["event_ids"]
        code, body = curl("-b", jar, f"{base}/v1/enterprises/{uscc}/history")
        assert code == 200, body
        assert event_id in [e["event_id"] for e in json.loads(body)["items"]]
        bundle = tmp_path / "bundle.json"
        deadline = time.monotonic() + 60  # the server logs and anchors after the write
        while (
            code := curl("-b", jar, "-o", str(bundle), f"{base}/v1/proofs/{event_id}")[0]
        ) != 200:
            assert time.monotonic() < deadline, bundle.read_text()
            time.sleep(0.5)
        checked = subprocess.run(
            [sys.executable, "-m", "audit", "check", str(bundle), "--log-key", log_key],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert event_id in checked.stdout
        regulator = json.dumps(
            {"login": "wuhan-regulator", "password": users["wuhan-regulator"][-1]}
        )
        reg_jar = str(tmp_path / "reg-cookies")
        assert curl("-c", reg_jar, "-H", "Content-Type: application/json", "-d", regulator,
                    f"{base}/v1/session")[0] == 200  # fmt: skip
        other = yichang[0]["uscc"]
        code, body = curl("-b", reg_jar, f"{base}/v1/enterprises/{other}")
        assert code == 404, body
        assert json.loads(body)["status"] == 404
    finally:
        server.terminate()
        server.wait(timeout=30)
