"""The plausibility rules (workflow/domain/plausibility.py): the same for the page, the API and the CLI."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflow.domain.indicators import IndicatorRule, Value
from workflow.domain.plausibility import (
    ABOVE_CEILING,
    BELOW_TARGET,
    JUMP,
    Bounds,
    bounds_for,
    check_settings,
    flags,
    jump,
    needs_explanation,
    needs_reason,
)

SUM = IndicatorRule("7.01.02.2.04.02", "number", aggregation="sum")
LEVEL = IndicatorRule("IKU-1", "number", aggregation="last")
D = Decimal


def test_a_capaian_above_the_ceiling_needs_a_penjelasan_and_the_ceiling_is_exclusive() -> None:
    # 000:1028: targets that are easily exceeded are what the evaluators call "undervalue".
    assert needs_explanation(D("120.01"), Bounds())
    assert not needs_explanation(D("120.00"), Bounds())
    assert not needs_explanation(D("150"), Bounds(capaian_ceiling=D(150)))
    assert not needs_explanation(None, Bounds())


def test_a_missed_target_needs_hambatan_except_a_running_total_before_tw4() -> None:
    assert needs_reason(LEVEL, 2, D("99.99"), quarterly=False)
    assert not needs_reason(LEVEL, 2, D("100"), quarterly=False)
    assert not needs_reason(SUM, 2, D("50"), quarterly=False)  # short of the annual target until TW IV
    assert needs_reason(SUM, 2, D("50"), quarterly=True)  # a missed Rencana Aksi quarter target
    assert needs_reason(SUM, 4, D("50"), quarterly=False)


def test_a_jump_is_judged_against_the_previous_quarters_own_value() -> None:
    bounds = Bounds()
    # 7.01.02.2.04 in the demo: 93 then 270 (+190 %) more than doubles.
    found = jump(Value(number=D(93)), Value(number=D(270)), bounds)
    assert found is not None and found.code == JUMP and found.change is not None
    assert found.change.quantize(D("0.01")) == D("190.32")
    assert jump(Value(number=D(100)), Value(number=D(200)), bounds) is None  # exactly doubles: within
    assert jump(Value(number=D(100)), Value(number=D(49)), bounds) is not None  # falls by more than half
    assert jump(Value(number=D(100)), Value(number=D(50)), bounds) is None
    assert jump(Value(number=D(0)), Value(number=D(9)), bounds) is None  # no ratio to judge by
    # A ratio is judged by its value in percent: 402/402 then 405/410 moves 1,22 %.
    tw1, tw2 = Value(numerator=D(402), denominator=D(402)), Value(numerator=D(405), denominator=D(410))
    assert jump(tw1, tw2, bounds) is None
    assert jump(Value(grade="B"), Value(grade="A"), bounds) is None


def test_flags_of_a_row_list_each_problem_once() -> None:
    quarters = {1: Value(number=D(4)), 2: Value(number=D(9))}
    found = flags(SUM, 2, D("144.44"), True, quarters, Bounds())
    assert [f.code for f in found] == [ABOVE_CEILING, JUMP]
    assert found[0].capaian == D("144.44") and found[0].limit == D(120)
    missed = flags(LEVEL, 1, D("80"), False, {1: Value(number=D(80))}, Bounds())
    assert [f.code for f in missed] == [BELOW_TARGET]


def test_the_nearest_unit_that_sets_a_key_wins() -> None:
    kabupaten = {"capaian_ceiling": "150", "jump_rise": "300"}
    kecamatan = {"capaian_ceiling": "130"}
    bounds = bounds_for([kecamatan, kabupaten, None])  # nearest first
    assert bounds == Bounds(capaian_ceiling=D(130), jump_rise=D(300), jump_fall=D(50))
    assert bounds_for([None, None]) == Bounds()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"capaian_ceiling": 90}, "at least 100"),
        ({"capaian_ceiling": "banyak"}, "must be a number"),
        ({"jump_rise": True}, "must be a number"),
        ({"jump_fall": 0}, "above 0"),
        ({"ceiling": 120}, "unknown key"),
        ([120], "must be a mapping"),
    ],
)
def test_bad_settings_are_named(raw: object, problem: str) -> None:
    found = check_settings(raw)
    assert found and problem in found[0][1]


def test_good_settings_pass() -> None:
    assert check_settings({"capaian_ceiling": 150, "jump_rise": "200", "jump_fall": 75.5}) == []
