"""Exports people can open: CSV with a BOM and XLSX in Chinese, JSON for programs, the format
the file's extension says, times with their offset, amounts in one unit, and no lapsed permit
shown as active."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from ops.bootstrap import store_env
from ops.cli.analytics import export
from ops.settings import Settings
from tests.projections.scenes import Site, at
from tests.projections.world import WUHAN, World

app = typer.Typer()
app.command()(export)
app.command("noop")(lambda: None)  # a group, so `export` is a subcommand as in anjian
runner = CliRunner()
LATER = "2024-05-01T12:00:00+08:00"  # the permit granted 2021-04-15 expired on 2024-04-15


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Site]:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path))
    w = World(store_env(Settings(home=tmp_path)), f"sqlite:///{tmp_path / 'scratch.sqlite'}")
    site = Site(w, WUHAN, "420102", name="武汉化工")
    site.permit(at("2021-04-15"))
    site.permit(at("2023-01-10"))  # held until 2026-01-10
    site.hazard(when=at("2024-03-01"))
    case = site.penalty(fine_yuan=10_000, when=at("2024-03-02"))
    site.pay(case, 250_050, when=at("2024-03-05"))  # 2500.50 yuan
    w.close()
    return tmp_path, site


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_csv_opens_in_a_spreadsheet_in_chinese_and_no_lapsed_permit_is_active(
    home: tuple[Path, Site],
) -> None:
    root, _ = home
    target = root / "licences.csv"
    code, output = run("export", "licences", "-o", str(target), "--at", LATER)
    assert code == 0, output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM Excel needs to read UTF-8
    df = pl.read_csv(target)
    assert df.columns[:4] == ["记录编号", "类别", "统一社会信用代码", "企业名称"]
    assert set(df["企业名称"].to_list()) == {"武汉化工"}
    assert sorted(df["状态"].to_list()) == ["已过期", "有效"]
    expired = df.filter(pl.col("有效期至") == "2024-04-15")
    assert expired["状态"].to_list() == ["已过期"]


def test_codes_keep_machine_names_and_no_lapsed_permit_is_active_on_any_later_day(
    home: tuple[Path, Site],
) -> None:
    root, _ = home
    for day in ("2024-04-15T00:30:00+08:00", LATER, "2030-01-01T00:00:00+08:00"):
        target = root / "licences.csv"
        code, output = run("export", "licences", "-o", str(target), "--at", day, "--codes")
        assert code == 0, output
        df = pl.read_csv(target, try_parse_dates=False)
        lapsed = df.filter(pl.col("expires_on") <= day[:10])
        assert set(lapsed["status"].to_list()) == {"lapsed"}
        assert "active" not in lapsed["status"].to_list()


def test_the_format_follows_the_extension_unless_named(home: tuple[Path, Site]) -> None:
    root, _ = home
    csv = root / "hazards.csv"
    code, output = run("export", "hazards", "-o", str(csv), "--json")
    assert code == 0, output
    assert json.loads(output)["format"] == "csv"
    assert csv.read_bytes().startswith("\ufeff记录编号".encode())  # not Parquet
    named = root / "hazards.data"
    code, output = run("export", "hazards", "-o", str(named), "--format", "parquet")
    assert code == 0, output
    assert pl.read_parquet(named).height == 1
    code, output = run("export", "hazards", "-o", str(root / "hazards.data"))
    assert code == 2
    assert "UsageError" in output
    assert "--format" in output


def test_an_xlsx_has_chinese_headers_and_names(home: tuple[Path, Site]) -> None:
    root, _ = home
    target = root / "penalties.xlsx"
    code, output = run("export", "penalties", "-o", str(target), "--at", LATER)
    assert code == 0, output
    with zipfile.ZipFile(target) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
    for text in ("立案号", "处罚决定书文号", "决定机关", "罚款金额（元）", "已缴金额（元）"):
        assert text in strings
    assert "武汉化工" in strings
    assert "江岸区应急管理局" in strings  # the bureau of the case's region (420102)


def test_json_keeps_codes_times_with_offsets_and_amounts_in_yuan(
    home: tuple[Path, Site],
) -> None:
    root, site = home
    target = root / "penalties.json"
    code, output = run("export", "penalties", "-o", str(target))
    assert code == 0, output
    (row,) = json.loads(target.read_text("utf-8"))["rows"]
    assert row["enterprise"] == site.uscc
    assert row["enterprise_name"] == "武汉化工"
    assert (row["fine_yuan"], row["paid_yuan"]) == (10_000, 2500.5)
    assert "paid_fen" not in row
    assert row["decision_no"] == "决-1"
    assert row["filed_at"] == "2024-03-02T10:00:00+08:00"


def test_a_hazard_export_carries_its_description_and_company(home: tuple[Path, Site]) -> None:
    root, _ = home
    target = root / "hazards.csv"
    code, output = run("export", "hazards", "-o", str(target))
    assert code == 0, output
    (row,) = pl.read_csv(target).to_dicts()
    assert row["隐患描述"] == "储罐阀门泄漏"
    assert row["企业名称"] == "武汉化工"
    assert row["等级"] == "一般事故隐患"
    assert row["报告时间"] == "2024-03-01T10:00:00+08:00"
