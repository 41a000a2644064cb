"""The SOP time standards (`Waktu` column) as printed in the seeds, and what parse_waktu refuses."""

from __future__ import annotations

import dataclasses
import re

import pytest

from workflow.domain.waktu import Waktu, WaktuUnit, parse_waktu

# (printed exactly as in the seed, amount, unit, working minutes, working days)
SEED_FORMS = [
    pytest.param("5 menit", 5, WaktuUnit.MENIT, 5, None, id="5 menit"),  # 000:1063
    pytest.param("5 Menit", 5, WaktuUnit.MENIT, 5, None, id="5 Menit"),  # 002:1390
    pytest.param("10 menit", 10, WaktuUnit.MENIT, 10, None, id="10 menit"),  # 002:1369
    pytest.param("15 menit", 15, WaktuUnit.MENIT, 15, None, id="15 menit"),  # 002:1359
    pytest.param("30 Menit", 30, WaktuUnit.MENIT, 30, None, id="30 Menit"),  # 002:1400
    pytest.param("60 Menit", 60, WaktuUnit.MENIT, 60, None, id="60 Menit"),  # 002:1391
    pytest.param("60 menit", 60, WaktuUnit.MENIT, 60, None, id="60 menit"),  # 000:1064
    pytest.param("120 menit", 120, WaktuUnit.MENIT, 120, None, id="120 menit"),  # 002:1397
    pytest.param("120 Menit", 120, WaktuUnit.MENIT, 120, None, id="120 Menit"),  # 002:1392
    pytest.param("1 Hari", 1, WaktuUnit.HARI, None, 1, id="1 Hari"),  # 002:1393
    pytest.param("1 hari", 1, WaktuUnit.HARI, None, 1, id="1 hari"),  # 000:1066
    pytest.param("2 hari", 2, WaktuUnit.HARI, None, 2, id="2 hari"),  # 002:1358
    pytest.param("3 hari", 3, WaktuUnit.HARI, None, 3, id="3 hari"),  # 002:1361
    pytest.param("1 Minggu", 1, WaktuUnit.MINGGU, None, 5, id="1 Minggu"),  # 000:1098
    pytest.param("2 Minggu", 2, WaktuUnit.MINGGU, None, 10, id="2 Minggu"),  # 000:1100
]


@pytest.mark.parametrize(("printed", "amount", "unit", "minutes", "days"), SEED_FORMS)
def test_parse_waktu_reads_every_form_printed_in_the_seeds(
    printed: str, amount: int, unit: WaktuUnit, minutes: int | None, days: int | None
) -> None:
    waktu = parse_waktu(printed)

    assert waktu == Waktu(printed=printed, amount=amount, unit=unit)
    assert waktu.working_minutes == minutes
    assert waktu.working_days == days


def test_parse_waktu_keeps_the_text_as_printed_including_its_capital_letter() -> None:
    assert parse_waktu("60 Menit").printed == "60 Menit"  # 002:1391
    assert parse_waktu("60 menit").printed == "60 menit"  # 000:1064


def test_menit_is_case_insensitive_so_both_printings_mean_the_same_duration() -> None:
    upper = parse_waktu("120 Menit")  # 002:1392
    lower = parse_waktu("120 menit")  # 002:1397

    assert (upper.amount, upper.unit) == (lower.amount, lower.unit) == (120, WaktuUnit.MENIT)


def test_a_minggu_is_five_working_days_not_seven() -> None:
    assert parse_waktu("1 Minggu").working_days == 5  # 000:1098
    assert parse_waktu("2 Minggu").working_days == 10  # 000:1100
    assert parse_waktu("1 Minggu").working_days == parse_waktu("5 hari").working_days


def test_a_hari_is_one_working_day_and_has_no_minute_count() -> None:
    waktu = parse_waktu("1 Hari")  # 002:1393

    assert waktu.working_days == 1
    assert waktu.working_minutes is None


def test_menit_has_minutes_and_no_working_days() -> None:
    waktu = parse_waktu("15 menit")  # 002:1359

    assert waktu.working_minutes == 15
    assert waktu.working_days is None


def test_jam_counts_sixty_working_minutes_each() -> None:
    waktu = parse_waktu("2 jam")

    assert waktu.unit is WaktuUnit.JAM
    assert waktu.working_minutes == 120
    assert waktu.working_days is None


@pytest.mark.parametrize(
    "printed",
    [
        pytest.param("", id="empty"),
        pytest.param("menit", id="unit without amount"),
        pytest.param("0 hari", id="zero amount"),
        pytest.param("1,5 hari", id="decimal comma"),
        pytest.param("3 bulan", id="unknown unit bulan"),
        pytest.param("satu hari", id="amount in words"),
    ],
)
def test_parse_waktu_rejects_text_it_cannot_turn_into_a_duration(printed: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(printed))):
        parse_waktu(printed)


def test_rejection_of_an_unknown_unit_names_the_accepted_units() -> None:
    with pytest.raises(ValueError) as info:
        parse_waktu("3 bulan")

    message = str(info.value)
    for unit in ("menit", "jam", "hari", "Minggu"):
        assert unit in message


def test_rejection_of_zero_says_the_amount_must_be_positive() -> None:
    with pytest.raises(ValueError, match="greater than zero"):
        parse_waktu("0 hari")


def test_waktu_is_immutable() -> None:
    waktu = parse_waktu("1 hari")

    with pytest.raises(dataclasses.FrozenInstanceError):
        waktu.amount = 2  # type: ignore[misc]
