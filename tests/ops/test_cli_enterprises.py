"""`anjian enterprises`: the enterprise directory of a jurisdiction, read from the read model
after catching it up with the log."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from domain.ids import enterprise_id
from ops import cli
from ops.cli import app
from ops.keystore import Keystore
from tests.support import new_uscc

runner = CliRunner()
FIELDS = {"uscc", "name", "industry", "region", "status", "id"}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir with two custodial regulators: r-wh (Wuhan) and r-yc (Yichang)."""
    home = tmp_path / "var"
    monkeypatch.setenv("ANJIAN_HOME", str(home))
    record(tmp_path, [regulator(home, "r-wh", "420100"), regulator(home, "r-yc", "420500")])
    return home


def regulator(home: Path, account: str, jurisdiction: str) -> dict[str, Any]:
    key = Keystore(home / "keys").custodial(account)
    return {
        "type": "actor.register",
        "actor": "platform",
        "region": "420000",
        "data": {
            "account": account,
            "role": "regulator",
            "name": account,
            "jurisdiction": jurisdiction,
            "public_key": key.public_key_b64,
            "custody": "platform",
        },
    }


def register(uscc: str, region: str, name: str = "") -> dict[str, Any]:
    return {
        "type": "enterprise.register",
        "actor": "r-wh" if region.startswith("4201") else "r-yc",
        "region": region,
        "data": {
            "uscc": uscc,
            "name": name or f"企业{uscc[-6:]}",
            "industry": "hazardous_chemicals",
            "standardisation": "level2",
        },
    }


def deregister(uscc: str, region: str) -> dict[str, Any]:
    return {
        "type": "enterprise.deregister",
        "actor": "r-wh" if region.startswith("4201") else "r-yc",
        "region": region,
        "subject": str(enterprise_id(uscc)),
        "data": {"uscc": uscc, "reason": "停产关闭"},
    }


def record(tmp_path: Path, lines: list[dict[str, Any]]) -> None:
    """Record the lines in order, each run of lines by one account as that account (`--as`)."""
    for account, run in itertools.groupby(lines, key=lambda line: line["actor"]):
        f = tmp_path / "in.jsonl"
        f.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in run), "utf-8")
        result = runner.invoke(app, ["record", str(f), "--no-sync", "--as", account])
        assert result.exit_code == 0, result.output


def listed(*args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["enterprises", "--json", *args])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_a_jurisdiction_lists_exactly_its_own_enterprises(home: Path, tmp_path: Path) -> None:
    jianghan, hongshan, yichang = new_uscc("420102"), new_uscc("420111"), new_uscc("420502")
    record(
        tmp_path,
        [register(jianghan, "420102"), register(hongshan, "420111"), register(yichang, "420502")],
    )
    assert [e["uscc"] for e in listed("--region", "420100")] == [jianghan, hongshan]
    assert [e["uscc"] for e in listed("--region", "420102")] == [jianghan]
    assert [e["uscc"] for e in listed("--region", "420500")] == [yichang]
    assert listed("--region", "420600") == []
    assert [e["uscc"] for e in listed()] == [jianghan, hongshan, yichang]  # the province


def test_enterprises_are_listed_in_the_order_they_were_registered(
    home: Path, tmp_path: Path
) -> None:
    first, second, third = new_uscc(), new_uscc(), new_uscc()  # ascending USCCs
    record(tmp_path, [register(u, "420102") for u in (third, first, second)])
    assert [e["uscc"] for e in listed("--region", "420100")] == [third, first, second]


def test_json_gives_the_six_fields_of_each_enterprise(home: Path, tmp_path: Path) -> None:
    uscc = new_uscc("420102")
    record(tmp_path, [register(uscc, "420102", "武汉某化工有限公司")])
    (row,) = listed()
    assert set(row) == FIELDS
    assert row == {
        "uscc": uscc,
        "name": "武汉某化工有限公司",
        "industry": "hazardous_chemicals",
        "region": "420102",
        "status": "active",
        "id": str(enterprise_id(uscc)),
    }


def test_a_deregistered_enterprise_is_listed_with_its_status(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed, open_ = new_uscc("420102"), new_uscc("420102")
    record(tmp_path, [register(closed, "420102"), register(open_, "420102")])
    record(tmp_path, [deregister(closed, "420102")])
    assert [(e["uscc"], e["status"]) for e in listed()] == [
        (closed, "deregistered"),
        (open_, "active"),
    ]
    monkeypatch.setattr(cli.out, "width", 200)  # one table row per line
    result = runner.invoke(app, ["enterprises", "--region", "420100"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if "│ 91" in line}
    assert set(rows) == {closed, open_}
    assert "deregistered" in rows[closed]
    assert "active" in rows[open_]
    assert "(2)" in result.stdout  # the count in the title


@pytest.mark.parametrize(
    ("region", "reason"),
    [
        ("4201", "6-digit GB/T 2260 code"),
        ("110000", "outside Hubei"),
        ("429900", "not a prefecture of Hubei"),
    ],
)
def test_a_bad_region_is_a_usage_error_naming_the_option(
    home: Path, region: str, reason: str
) -> None:
    result = runner.invoke(app, ["enterprises", "--region", region])
    assert result.exit_code == 2
    assert result.stderr.startswith("InvalidValue: ")
    assert reason in result.stderr
    assert "[--region]" in result.stderr
    assert "Traceback" not in result.output


def test_an_enterprise_recorded_just_before_is_listed(home: Path, tmp_path: Path) -> None:
    earlier, just_now = new_uscc("420502"), new_uscc("420502")
    record(tmp_path, [register(earlier, "420502")])
    assert [e["uscc"] for e in listed("--region", "420500")] == [earlier]  # read model built
    record(tmp_path, [register(just_now, "420502")])
    assert [e["uscc"] for e in listed("--region", "420500")] == [earlier, just_now]
