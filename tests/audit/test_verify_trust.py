"""`anjian audit verify` states the trust roots it used: the log key and where it came from,
the chain it asked, and the contracts, which it reads from the platform's own database."""

from __future__ import annotations

from ledger.note import Signer
from ops.keystore import Keystore
from tests.audit.conftest import cli, verify_report
from tests.audit.history import History


def test_verify_names_the_log_key_the_chain_and_the_contracts(history: History) -> None:
    vkey = Signer("anjian.hubei.gov.cn/log", Keystore(history.home / "keys").log_key().seed).vkey
    code, report = verify_report()
    assert code == 0, report["failures"]
    trust = report["trust"]
    assert trust["log_keys"] == [vkey]
    assert trust["log_keys_source"] == "the data directory"
    assert trust["chain"]["checked"] is True
    assert trust["chain"]["source"].startswith("the platform's settings: embedded anvil")
    assert [c["address"] for c in trust["contracts"]]
    assert trust["contracts_source"] == "the platform's database (not pinned)"

    code, pinned = verify_report("--offline", "--log-key", vkey)
    assert code == 0, pinned["failures"]
    assert pinned["trust"]["log_keys_source"] == "pinned (--log-key)"
    assert pinned["trust"]["chain"] == {"checked": False, "why": "--offline"}

    text = cli("audit", "verify", "--offline").stdout
    assert f"trust: log key {vkey} (from the data directory)" in text
    assert "trust: chain not checked: --offline" in text
    assert "(from the platform's database (not pinned))" in text
