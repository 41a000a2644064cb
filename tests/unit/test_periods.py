"""The Period value: parsed in one place, written back exactly, and every former parse site's contract kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.domain.indicators import IndicatorError, parse_period
from workflow.domain.periods import Period, PeriodError
from workflow.services.documents import period_label
from workflow.services.measurement import period_year

BAD = ("2024-TW5", "2024-TW0", "TW3-2024", " 2024-TW3 ", "2024-TW3\n", "2024\n", "2024-tw3", "24-TW1", "20245",
       "٢٠٢٤-TW3", "٢٠٢٤", "2024-TW", "2024-TW12", "", "2024 ", "2024-TW3x")  # fmt: skip


def test_a_triwulan_and_a_year_parse_into_their_parts_and_back() -> None:
    assert Period.parse("2024-TW3") == Period(2024, 3)
    assert Period.parse("2024") == Period(2024)
    assert (Period.parse("2024-TW3").kind, Period.parse("2024").kind) == ("triwulan", "tahunan")
    assert (str(Period(2024, 3)), str(Period(2024))) == ("2024-TW3", "2024")
    assert Period.parse("2024-TW4").triwulan_no == 4


@pytest.mark.parametrize("text", BAD)
def test_anything_but_the_whole_text_of_a_period_is_refused_with_what_was_expected(text: str) -> None:
    with pytest.raises(PeriodError, match="is not a period like 2024-TW1 or 2024") as refused:
        Period.parse(text)
    assert refused.value.text == text
    assert isinstance(refused.value, ValueError)  # callers that caught ValueError still do


def test_a_kind_asked_for_refuses_the_other_kind() -> None:
    with pytest.raises(PeriodError, match=r"^'2024' is not a period like 2024-TW1$"):
        Period.parse("2024", "triwulan")
    with pytest.raises(PeriodError, match=r"^'2024-TW1' is not a period like 2024$"):
        Period.parse("2024-TW1", "tahunan")
    assert Period.triwulan("2024-TW2") == Period(2024, 2)
    with pytest.raises(PeriodError):
        Period.triwulan("2024")
    with pytest.raises(PeriodError):
        Period(2024).triwulan_no  # noqa: B018 - the property raises


def test_a_long_text_is_not_repeated_in_full() -> None:
    with pytest.raises(PeriodError) as refused:
        Period.parse("2024" * 1000)
    assert len(str(refused.value)) < 100 and "…" in str(refused.value)


def test_a_period_cannot_be_built_outside_its_range() -> None:
    for year, quarter in ((2024, 0), (2024, 5), (-1, None), (10_000, 1)):
        with pytest.raises(PeriodError):
            Period(year, quarter)


@given(st.integers(0, 9999), st.one_of(st.none(), st.integers(1, 4)))
def test_the_text_of_any_period_parses_back_to_it(year: int, quarter: int | None) -> None:
    period = Period(year, quarter)
    assert Period.parse(str(period)) == period


@given(st.text(max_size=12))
def test_parse_accepts_exactly_the_stored_forms(text: str) -> None:
    import re

    stored = re.fullmatch(r"[0-9]{4}(-TW[1-4])?", text) is not None
    try:
        parsed = Period.parse(text)
    except PeriodError:
        assert not stored
    else:
        assert stored and str(parsed) == text


def test_the_triwulans_to_date_and_the_label_of_a_document_heading() -> None:
    assert [str(p) for p in Period(2024, 3).to_date()] == ["2024-TW1", "2024-TW2", "2024-TW3"]
    assert len(Period(2024).to_date()) == 4
    assert Period(2024, 3).of_quarter(1) == Period(2024, 1)
    assert Period(2024, 1).label() == "Triwulan I Tahun 2024"
    assert Period(2024).label() == "Tahun 2024"
    assert period_label("2024-TW4") == "Triwulan IV Tahun 2024" and period_label("2024") == "Tahun 2024"
    assert sorted([Period(2025, 1), Period(2024, 4), Period(2024, 1)]) == [
        Period(2024, 1), Period(2024, 4), Period(2025, 1),
    ]  # fmt: skip


def test_the_former_parse_sites_keep_their_contracts() -> None:
    # A realisasi entry's period: the Indonesian field message, as before.
    assert parse_period("2024-TW3") == (2024, 3)
    for bad in ("2024", "2024-TW5", " 2024-TW3"):
        with pytest.raises(IndicatorError, match=r"^period: .* harus berbentuk TAHUN-TWn, misalnya 2024-TW1$"):
            parse_period(bad)
    # A cycle's (year, quarter), None for a yearly cycle.
    assert period_year("2024-TW2") == (2024, 2) and period_year("2024") is None and period_year("x") is None
