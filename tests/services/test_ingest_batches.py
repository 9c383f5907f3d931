"""services/ingest: the one loop that records lines in batches, for every entry point.

Receipts come as each batch commits, before the next line is even read; the first refused line
is named by its number, and nothing of its batch is stored.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.envelope import SignedCommand
from domain.errors import InvalidValue
from domain.ids import enterprise_id
from ops.keystore import Keystore
from services.ingest.batches import (
    MAX_LINE,
    Committed,
    Line,
    LineRefused,
    bounded_lines,
    record_batches,
)
from services.ingest.service import Ingest
from tests.support import Harness, new_uscc

REGULATOR = "r-wh"


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    h.actor(REGULATOR, "regulator", "420100")
    yield h
    h.close()


def enterprise(h: Harness, uscc: str) -> Line:
    """A pre-signed line registering `uscc`, as a device or terminal sends it."""
    cmd = h.sign(
        REGULATOR,
        "enterprise.register",
        uscc[2:8],
        {
            "uscc": uscc,
            "name": f"企业{uscc[-6:]}",
            "industry": "hazardous_chemicals",
            "standardisation": "level2",
        },
        subject=enterprise_id(uscc),
    )
    line = {"envelope": json.loads(cmd.text), "signature": cmd.signature}
    return json.dumps({**line, "key_id": cmd.key_id}, ensure_ascii=False).encode()


def stored(h: Harness) -> int:
    return int(h.records.recorder.max_notification_id() or 0)


def test_each_batch_is_stored_before_the_next_line_is_read(
    harness: Harness, tmp_path: Path
) -> None:
    ingest = Ingest(harness.records, Keystore(tmp_path / "keys"))
    before = stored(harness)
    seen_when_read: list[int] = []

    def lines() -> Iterator[Line]:
        for _ in range(5):
            line = enterprise(harness, new_uscc())
            seen_when_read.append(stored(harness) - before)
            yield line

    committed = list(ingest.record(lines(), batch=2))
    assert [(c.first_line, c.last_line) for c in committed] == [(1, 2), (3, 4), (5, 5)]
    assert seen_when_read == [0, 0, 2, 2, 4]  # lines 3 and 5 are read after a commit
    assert [len(c.receipts()) for c in committed] == [2, 2, 1]
    assert stored(harness) - before == 5


def test_a_refused_line_is_named_and_nothing_of_its_batch_is_stored(
    harness: Harness, tmp_path: Path
) -> None:
    ingest = Ingest(harness.records, Keystore(tmp_path / "keys"))
    before = stored(harness)
    bad_uscc = new_uscc()[:-1] + "?"
    lines = [enterprise(harness, new_uscc()) for _ in range(3)]
    lines.append(enterprise(harness, bad_uscc))
    committed: list[Committed] = []
    with pytest.raises(LineRefused) as refused:
        committed.extend(ingest.record(lines, batch=2))
    assert [(c.first_line, c.last_line) for c in committed] == [(1, 2)]
    assert refused.value.where == "line 4"
    assert isinstance(refused.value.cause, InvalidValue)
    assert refused.value.line == lines[3]
    assert stored(harness) - before == 2  # line 3 shared the refused line's batch


def test_blank_and_unreadable_lines_keep_their_numbers(harness: Harness, tmp_path: Path) -> None:
    ingest = Ingest(harness.records, Keystore(tmp_path / "keys"))
    lines: list[Line] = [enterprise(harness, new_uscc()), b"  \n", b"\xff{}\n"]
    with pytest.raises(LineRefused) as refused:
        list(ingest.record(lines))
    assert str(refused.value).startswith("line 3: not UTF-8: byte 0xff")


def test_a_line_longer_than_the_limit_is_refused_unread_and_nothing_is_stored(
    harness: Harness, tmp_path: Path
) -> None:
    ingest = Ingest(harness.records, Keystore(tmp_path / "keys"))
    before = stored(harness)
    good = enterprise(harness, new_uscc())
    assert isinstance(good, bytes)
    endless = io.BytesIO(good + b"\n" + b" " * (3 * MAX_LINE))
    lines = bounded_lines(endless)
    with pytest.raises(LineRefused) as refused:
        list(ingest.record(lines, None, batch=2))
    assert refused.value.where == "line 2"
    assert f"longer than {MAX_LINE} bytes" in str(refused.value)
    assert stored(harness) == before  # its batch held the good line too: nothing stored
    assert endless.tell() <= len(good) + 1 + MAX_LINE + 3  # the rest was never read


def test_a_line_of_exactly_the_limit_is_parsed_as_a_command(harness: Harness) -> None:
    padded = b'{"envelope": 1' + b" " * (MAX_LINE - 15) + b"}\n"
    assert len(padded.rstrip(b"\n")) == MAX_LINE
    (line,) = bounded_lines(io.BytesIO(padded))

    def parse(value: object) -> SignedCommand:
        raise InvalidValue(f"parsed {value}")

    with pytest.raises(LineRefused) as refused:
        list(record_batches(harness.records, parse, [line]))
    assert "parsed {'envelope': 1}" in str(refused.value)
