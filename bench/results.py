"""bench/RESULTS.md: each benchmark owns one section between its begin/end markers."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(script: str, title: str, body: str) -> None:
    """Replace the section of `script` (e.g. "bench/ledger.py") in RESULTS.md, creating the
    file or appending the section when missing."""
    begin, end = f"<!-- {script}: begin -->", f"<!-- {script}: end -->"
    section = f"{begin}\n## {title} ({script})\n\n{body}\n{end}\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")
