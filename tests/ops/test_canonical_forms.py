"""Canonical forms only: ids in their one written form, one meaning per JSON document (no
duplicate keys), plain text in every string of a command, and stored text that is not plain
shown escaped on every terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import fastjsonschema
import pytest
from typer.testing import CliRunner

from domain.catalog import CATALOG
from domain.enterprise import Enterprise
from domain.envelope import SignedCommand
from domain.errors import InvalidEnvelope, InvalidValue
from domain.ids import enterprise_id
from domain.plain_text import RULE, check_plain, escape
from domain.plain_text import UNSAFE as UNSAFE_CHARS
from ledger.canonical import canonical_text
from ops import cli
from ops.bootstrap import build
from ops.cli import app
from ops.keystore import Keystore
from ops.schemas import FORMATS
from ops.settings import load_settings
from services.ingest import strict_json
from services.ingest.genesis import ensure_genesis
from services.ingest.intake import Intake
from services.ingest.principal import Principal
from tests.support import Harness, new_uscc

runner = CliRunner()
ID = UUID("0b9c7a52-4c7e-4c59-9c55-6a0f3f1f2a10")
SPELLINGS = {
    "braces": f"{{{ID}}}",
    "upper case": str(ID).upper(),
    "urn": ID.urn,
    "no hyphens": ID.hex,
    "mixed case": str(ID)[:9] + str(ID)[9:].upper(),
}
UNSAFE = {
    "escape (ESC)": "\x1b[2J",
    "carriage return": "\r",
    "NUL": "\x00",
    "DEL": "\x7f",
    "C1 NEL": "\x85",
    "C1 CSI": "\x9b",
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "first strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
    "right-to-left mark": "\u200f",
    "Arabic letter mark": "\u061c",
}


def enterprise_data(uscc: str, name: str | None = None) -> dict[str, Any]:
    return {
        "uscc": uscc,
        "name": name or f"企业{uscc[-6:]}",
        "industry": "hazardous_chemicals",
        "standardisation": "level2",
    }


def regulator_line(keystore: Keystore) -> dict[str, Any]:
    """The platform's line registering the custodial regulator r-1 (Wuhan)."""
    data = {"account": "r-1", "role": "regulator", "name": "r-1", "jurisdiction": "420100"}
    data |= {"public_key": keystore.custodial("r-1").public_key_b64, "custody": "platform"}
    return {"type": "actor.register", "actor": "platform", "region": "420000", "data": data}


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[tuple[Harness, Intake]]:
    """Records with a key-holding regulator r-1 and an intake authenticated as r-1; lines that
    name the role are signed without a registry look-up, and refused before any signature
    matters (the custodial key is not r-1's)."""
    h = Harness()
    h.actor("r-1", "regulator", "420100")
    yield h, Intake(h.records, Keystore(tmp_path / "keys"), principal=Principal.operator("r-1"))
    h.close()


# -- ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["subject", "id"])
@pytest.mark.parametrize("spelling", list(SPELLINGS), ids=list(SPELLINGS))
def test_an_id_spelled_otherwise_is_refused_in_unsigned_lines_and_signed_envelopes(
    harness: tuple[Harness, Intake], field: str, spelling: str
) -> None:
    h, intake = harness
    uscc = new_uscc()
    line: dict[str, Any] = {"type": "enterprise.register", "actor": "r-1", "role": "regulator"}
    line["region"] = "420102"
    with pytest.raises(InvalidEnvelope, match="must be a lower-case hyphenated UUID") as caught:
        intake.parse(line | {"data": enterprise_data(uscc), field: SPELLINGS[spelling]})
    assert caught.value.field == field
    good = h.sign("r-1", "enterprise.register", "420102", enterprise_data(uscc))
    text = canonical_text({**good.envelope.parsed, field: SPELLINGS[spelling]})
    with pytest.raises(InvalidEnvelope, match="must be a lower-case hyphenated UUID") as caught:
        SignedCommand.of(text, h.keys["r-1"].sign_b64(text.encode()), good.key_id)
    assert caught.value.field == field


def uuid_fragments(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        if schema.get("format") == "uuid":
            yield schema
        for value in schema.values():
            yield from uuid_fragments(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from uuid_fragments(value)


def test_every_uuid_valued_field_of_the_catalog_takes_only_the_canonical_form() -> None:
    fragments = [f for spec in CATALOG.values() for f in uuid_fragments(spec.schema)]
    assert len(fragments) >= 5  # hazards, inspections, permits, sensors, sealed persons
    for fragment in fragments:
        validate = fastjsonschema.compile(fragment, formats=FORMATS)
        validate(str(ID))
        for spelling in SPELLINGS.values():
            with pytest.raises(fastjsonschema.JsonSchemaValueException):
                validate(spelling)
        no_pattern = fastjsonschema.compile({**fragment, "pattern": ".*"}, formats=FORMATS)
        with pytest.raises(fastjsonschema.JsonSchemaValueException):
            no_pattern(str(ID).upper())  # the format alone holds the form too


def test_a_proof_bundle_of_an_accepted_event_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the one form is for: the event is logged under its subject's canonical text, and
    the bundle built from it checks."""
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    for name in ("ANJIAN_CHAIN_RPC_URL", "ANJIAN_DATABASE_URL", "ANJIAN_CHAIN_CONTRACT"):
        monkeypatch.delenv(name, raising=False)
    f = tmp_path / "regulator.jsonl"
    f.write_text(json.dumps(regulator_line(Keystore(tmp_path / "var" / "keys"))) + "\n", "utf-8")
    assert runner.invoke(app, ["record", str(f), "--as", "platform", "--no-sync"]).exit_code == 0
    uscc = new_uscc()
    line = {
        "type": "enterprise.register",
        "actor": "r-1",
        "region": "420102",
        "data": enterprise_data(uscc),
        "id": str(ID),
    }
    f.write_text(json.dumps({**line, "id": str(ID).upper()}) + "\n", encoding="utf-8")
    refused = runner.invoke(app, ["record", str(f), "--as", "r-1"])
    assert refused.stderr.startswith("InvalidEnvelope: line 1: id must be a lower-case")
    f.write_text(json.dumps(line) + "\n", encoding="utf-8")
    recorded = runner.invoke(app, ["record", str(f), "--as", "r-1", "--json"])  # and sync
    assert recorded.exit_code == 0, recorded.output
    event_id = json.loads(recorded.stdout.splitlines()[0])["event_id"]
    bundle = tmp_path / "bundle.json"
    assert runner.invoke(app, ["audit", "proof", event_id, "-o", str(bundle)]).exit_code == 0
    assert f'"id":"{ID}"' in json.loads(bundle.read_text("utf-8"))["event"]
    key = json.loads(bundle.read_text("utf-8"))["log_key"]
    checked = runner.invoke(app, ["audit", "check", str(bundle), "--log-key", key])
    assert checked.exit_code == 0, checked.output
    assert "FAIL" not in checked.stdout


# -- one meaning per document ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ('{"type": "a", "type": "b"}', "/type"),
        ('{"data": {"name": "甲", "uscc": "x", "name": "乙"}}', "/data/name"),
        ('{"envelope": {"actor": "r-1", "actor": "r-2"}}', "/envelope/actor"),
        ('{"data": {"items": [{}, {"a/b": 1, "a/b": 2}]}}', "/data/items/1/a~1b"),
    ],
)
def test_a_duplicate_key_is_refused_naming_the_key_and_where(text: str, pointer: str) -> None:
    with pytest.raises(InvalidEnvelope, match="duplicate key") as caught:
        strict_json.loads(text)
    assert caught.value.field == pointer
    assert "RFC 7493" in caught.value.rule


def test_anjian_record_names_the_line_and_the_key_repeated(tmp_path: Path) -> None:
    line = '{"type": "enterprise.register", "actor": "r-1", "actor": "platform", "data": {}}'
    f = tmp_path / "in.jsonl"
    f.write_text("\n" + line + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["record", str(f), "--as", "r-1"], env={"ANJIAN_HOME": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("InvalidEnvelope: line 2: duplicate key 'actor' [/actor]")


# -- plain text --------------------------------------------------------------------------------


@pytest.mark.parametrize("char", list(UNSAFE.values()), ids=list(UNSAFE))
def test_a_control_or_bidi_character_in_command_text_is_refused_naming_its_pointer(
    harness: tuple[Harness, Intake], char: str
) -> None:
    h, _ = harness
    uscc = new_uscc()
    data = enterprise_data(uscc, name=f"武汉{char}化工")
    with pytest.raises(InvalidValue, match=f"U\\+{ord(char[0]):04X}") as caught:
        h.run_as("r-1", "enterprise.register", "420102", data, subject=enterprise_id(uscc))
    assert (caught.value.field, caught.value.rule) == ("/data/name", RULE)


def test_tab_and_line_feed_are_plain_text(harness: tuple[Harness, Intake]) -> None:
    h, _ = harness
    uscc = new_uscc()
    data = enterprise_data(uscc, name="武汉\t化工\n有限公司")
    h.run_as("r-1", "enterprise.register", "420102", data, subject=enterprise_id(uscc))


def test_the_intake_refuses_text_before_sealing_it(tmp_path: Path) -> None:
    sealed: list[object] = []

    def sealer(ctype: str, data: dict[str, Any]) -> dict[str, Any]:
        sealed.append(data)
        return data

    h = Harness()
    intake = Intake(h.records, Keystore(tmp_path), sealer, Principal.operator("r-1"))
    holder = {"name": "张\u202e三", "id_number": "420102199001011234", "phone": "13800000000"}
    line = {"type": "certificate.issue", "actor": "r-1", "region": "420102"}
    with pytest.raises(InvalidValue, match="U\\+202E") as caught:
        intake.parse({**line, "data": {"enterprise": new_uscc(), "holder": holder}})
    assert caught.value.field == "/data/holder/name"
    assert sealed == []
    h.close()


def test_a_json_pointer_names_keys_and_array_items() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_plain({"findings": ["a", "b", "c\x1b"]}, "/data")
    assert caught.value.field == "/data/findings/2"
    with pytest.raises(InvalidValue) as caught:
        check_plain({"ok": {"a~b/\u202ec": 1}}, "/data")
    assert caught.value.field == "/data/ok/a~0b~1\u202ec"


def test_every_refused_character_is_one_repr_escapes() -> None:
    """The premise of check_plain's fast path: a value whose repr has no backslash is plain."""
    refused = [c for c in map(chr, range(0x110000)) if UNSAFE_CHARS.fullmatch(c)]
    assert len(refused) == 30 + 1 + 32 + 12  # C0 but tab and LF, DEL, C1, bidi formatting
    assert all("\\" in repr(c) for c in refused)
    with pytest.raises(InvalidValue) as caught:  # past the fast path: a quote and a backslash
        check_plain({"a": "it's \\ fine", "b": ["x", "y\u2066"]}, "/data")
    assert caught.value.field == "/data/b/1"


def test_escape_shows_every_refused_character_and_leaves_plain_text_alone() -> None:
    assert escape("武汉\t化工\n") == "武汉\t化工\n"
    for char in UNSAFE.values():
        shown = escape(f"a{char}b")
        assert shown == f"a\\u{ord(char[0]):04x}{char[1:]}b"


# -- stored text that is not plain, on a terminal ----------------------------------------------


@pytest.fixture
def stored_unsafe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store holding an enterprise named with an escape sequence and a bidi override, as
    stored before the rule (written around the write path); its USCC."""
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    monkeypatch.setattr(cli.out, "width", 400)  # one table row per line
    p = build(load_settings())
    ensure_genesis(p.ingest)
    key = p.keystore.custodial("r-1")
    p.records.execute(p.intake(Principal.operator("platform")).parse(regulator_line(p.keystore)))
    uscc = new_uscc()
    envelope = {
        "actor": "r-1",
        "channel": "cli",
        "data": enterprise_data(uscc, name="\x1b[31m红色\u202e司公\x9b"),
        "id": str(uuid4()),
        "occurred_at": "2024-03-01T09:00:00+08:00",
        "region": "420102",
        "role": "regulator",
        "subject": str(enterprise_id(uscc)),
        "type": "enterprise.register",
    }
    text = canonical_text(envelope)
    p.records.save(
        Enterprise.create(SignedCommand.of(text, key.sign_b64(text.encode()), key.key_id))
    )
    p.close()
    return uscc


def test_stored_text_is_escaped_in_tables_and_json_on_the_terminal(stored_unsafe: str) -> None:
    uscc, subject = stored_unsafe, enterprise_id(stored_unsafe)
    for argv, shows_the_name in (
        (["enterprises"], True),
        (["enterprises", "--json"], True),
        (["show", f"{subject}:1"], True),
        (["show", f"{subject}:1", "--json"], True),
        (["history", "--enterprise", uscc], False),
        (["history", "--enterprise", uscc, "--json"], False),
    ):
        result = runner.invoke(app, argv)
        assert result.exit_code == 0, result.output
        for raw in ("\x1b", "\u202e", "\x9b"):
            assert raw not in result.stdout + result.stderr, argv
        if shows_the_name:
            assert "\\u001b[31m红色\\u202e司公\\u009b" in result.stdout, argv
    listed = json.loads(runner.invoke(app, ["enterprises", "--json"]).stdout)
    assert listed[0]["name"] == "\x1b[31m红色\u202e司公\x9b"  # the same JSON value


def test_an_error_quoting_a_refused_value_is_escaped(tmp_path: Path) -> None:
    line = {"type": "enterprise.register", "actor": "r-\x1b[2J", "region": "420102", "data": {}}
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps(line) + "\n", encoding="utf-8")
    env = {"ANJIAN_HOME": str(tmp_path / "var")}
    result = runner.invoke(app, ["record", str(f), "--as", "r-\x1b[2J"], env=env)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    assert result.stderr.startswith("UnknownActor: line 1: actor r-\\u001b[2J is not registered")
