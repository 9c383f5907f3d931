"""The §72 late fee is one function of the domain, which the case, the read model and the demo
all count with."""

from __future__ import annotations

from datetime import date

import projections.penalties
from domain.penalty import late_fee_fen

DUE = date(2024, 3, 16)  # the last day to pay without a fee (§67)
FINE = 1_000_000  # 10,000 yuan, in fen


def test_nothing_is_owed_up_to_the_last_day_to_pay() -> None:
    assert late_fee_fen(FINE, DUE, date(2024, 3, 1)) == 0
    assert late_fee_fen(FINE, DUE, DUE) == 0


def test_three_percent_of_the_fine_accrues_each_day_late() -> None:
    assert late_fee_fen(FINE, DUE, date(2024, 3, 17)) == 30_000
    assert late_fee_fen(FINE, DUE, date(2024, 4, 18)) == 990_000  # 33 days


def test_the_late_fee_never_exceeds_the_fine() -> None:
    assert late_fee_fen(FINE, DUE, date(2024, 4, 19)) == FINE  # 34 days
    assert late_fee_fen(FINE, DUE, date(2030, 1, 1)) == FINE


def test_the_read_model_counts_the_late_fee_with_the_domains_function() -> None:
    assert vars(projections.penalties)["late_fee_fen"] is late_fee_fen
