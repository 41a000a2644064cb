"""Numbers as offices write them, capaian against the seeds' own figures, and the rating scales."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.domain.capaian import POLICIES, average, capaian, capaian_grade, efisiensi
from workflow.domain.numbers import NumberError, format_id, parse_number
from workflow.domain.scales import load_scale, scale_names

D = Decimal


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("93,35", "93.35"),  # 002:738
        ("93.35", "93.35"),
        ("2.975.061.600,00", "2975061600.00"),
        ("2,975,061,600.00", "2975061600.00"),
        ("3,595,075,745.00", "3595075745.00"),  # English style in an Indonesian report, 001:600
        ("Rp 2.850.293.456,00", "2850293456.00"),  # 000:856
        ("95,81%", "95.81"),  # 004:550
        ("1736", "1736"),
        ("0,5", "0.5"),
        ("0.125", "0.125"),
    ],
)
def test_indonesian_and_english_forms_are_both_read(text: str, value: str) -> None:
    assert parse_number(text) == D(value)


@pytest.mark.parametrize("text", ["1.234", "1,234", "12.345", "999,000", "1,429"])  # "1,429" jiwa at 004:95
def test_a_form_that_reads_two_ways_is_refused_never_guessed(text: str) -> None:
    with pytest.raises(NumberError, match="dapat dibaca dua cara"):
        parse_number(text, "realisasi")


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "1.234.5", "1,23,4", "12a", "--5"])
def test_text_where_a_number_belongs_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(NumberError, match="^realisasi: "):
        parse_number(text, "realisasi")


amounts = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)


def _indonesian(value: Decimal) -> str:
    whole, frac = f"{value:.2f}".split(".")
    return f"{int(whole):,}".replace(",", ".") + "," + frac


def _english(value: Decimal) -> str:
    return f"{value:,.2f}"


@given(amounts)
def test_both_written_forms_round_trip(value: Decimal) -> None:
    assert parse_number(_indonesian(value)) == value
    assert parse_number(_english(value)) == value


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=999), st.sampled_from(".,"))
def test_a_single_separator_before_three_digits_is_never_silently_accepted(head: int, tail: int, sep: str) -> None:
    with pytest.raises(NumberError):
        parse_number(f"{head}{sep}{tail:03d}")


@pytest.mark.parametrize(
    ("target", "realisasi", "expected"),
    [
        ("88,6", "88,53", "99.92"),  # F1, Jetis IKM 2023, 000:640, 652
        ("2.925.418.587,00", "2.850.293.456,00", "97.43"),  # F3, Jetis budget 2023, 000:817, 856
        ("75", "70,85", "94.47"),  # F5, Sooko IP ASN 2023, 001:403 (the LKjIP prints a rounded 94%)
        ("500", "3162", "632.40"),  # F6, Sooko Nonperizinan 462+428+1235+1037 pelayanan, 001:398
        ("90,36", "93,66", "103.65"),  # F7, Kutorejo IKM 2024, 002:540
        ("97,86", "93,35", "95.39"),  # F8, Kutorejo % RA 2024, 002:547
        ("2.973.061.600,00", "2.775.362.102,00", "93.35"),  # F8's realisasi itself, 002:736-738
    ],
)
def test_capaian_reproduces_the_seed_figures(target: str, realisasi: str, expected: str) -> None:
    assert capaian(parse_number(target), parse_number(realisasi)) == D(expected)


def test_a_ratio_indicator_is_its_numerator_over_its_denominator() -> None:
    # F10: 1.736 / 1.736 pelayanan and 26 / 26 koordinasi, 002:666, 672 ("1.736" is a count here:
    # as free input it would be refused as ambiguous, so the ratio is entered as two whole numbers).
    assert capaian(D(1736), D(1736)) == D("100.00")
    assert capaian(D(26), D(26)) == D("100.00")


def test_the_average_capaian_of_jombangs_four_indicators_is_95() -> None:
    assert average([D(95), D(100), D(100), D(85)]) == D("95.00")  # F11, 003:439


def test_a_categorical_grade_that_reaches_its_target_is_100_percent() -> None:
    assert capaian_grade("B", "B") == D("100.00")  # F12, Jombang Nilai SAKIP, 003:437
    assert capaian_grade("B", "A") == D("100.00")
    assert capaian_grade("A", "B") == D("66.67")  # our rule below target: rank 4 of 6


def test_efisiensi_is_capaian_minus_budget_absorption() -> None:
    assert efisiensi(D(100), D("95.81")) == D("4.19")  # F15, Pungging, 004:550
    assert efisiensi(D("102.16"), D("82.75")) == D("19.41")  # Kutorejo, 002:767


def test_a_negative_indicator_rewards_a_lower_realisasi() -> None:
    # (2T - R) / T x 100, the rule of 003:418-422 (no seed indicator is flagged negative).
    assert capaian(D(10), D(8), "negative") == D("120.00")
    assert capaian(D(10), D(12), "negative") == D("80.00")


def test_jember_caps_at_100_and_floors_at_0_while_mojokerto_does_not() -> None:
    # 003:410 caps; Mojokerto prints 103,65% (002:540).
    assert capaian(D("90.36"), D("93.66"), policy=POLICIES["jember"]) == D("100.00")
    assert capaian(D(10), D(25), "negative", POLICIES["jember"]) == D("0.00")
    assert capaian(D(10), D(25), "negative", POLICIES["mojokerto"]) == D("-50.00")


def test_rounding_is_half_up_to_two_places() -> None:
    assert capaian(D(8), D("0.0001")) == D("0.00")
    assert capaian(D(200), D("0.01")) == D("0.01")  # 0.005 rounds up
    assert capaian(D(3), D(2)) == D("66.67")


def test_a_zero_target_is_refused() -> None:
    with pytest.raises(ValueError, match="target"):
        capaian(D(0), D(5))


@pytest.mark.parametrize(
    ("scale", "value", "grade"),
    [
        ("ikm", "88.28", "B"),  # Jetis, "Baik ( B )", 001:1026
        ("ikm", "88.53", "A"),  # the value the Jetis LKjIP uses, 000:640
        ("ikm", "90.35", "A"),  # Kutorejo 2023 "kategori A", 002:660
        ("ikm", "64.995", "D"),  # in the printed gap between 64,99 and 65,00
        ("sakip", "82.75", "A"),  # Kutorejo, 002:732
        ("sakip", "82", "A"),  # Pungging, 004:466
        ("sakip", "63.36", "B"),  # national average 2023, 003:497
        ("sakip", "90", "A"),  # where Kutorejo's wording overlaps (002:958): ">90" makes it A
        ("ip-asn", "70.85", "Sedang"),  # Sooko, in the printed gap, 001:403
        ("capaian", "95", "AA"),  # Jombang Table 3.5, 003:592-604
        ("capaian", "85", "A"),
        ("capaian", "632.40", "AA"),  # uncapped capaian stays in the top band
    ],
)
def test_scales_place_each_value_in_exactly_one_band(scale: str, value: str, grade: str) -> None:
    band = load_scale(scale).band_for(D(value))
    assert band is not None and band.grade == grade


def test_no_value_falls_in_two_bands_of_any_scale() -> None:
    assert scale_names() == ["capaian", "ikm", "ip-asn", "sakip"]
    for name in scale_names():
        scale = load_scale(name)
        for band in scale.bands:
            for edge in (band.min, band.max):
                if edge is not None:
                    scale.band_for(edge)  # raises if two bands claim it
    assert load_scale("ikm").band_for(D("24.99")) is None  # below the scale: no guessed category


@pytest.mark.parametrize(
    ("value", "places", "written"),
    [
        ("2973061600", 2, "2.973.061.600,00"),  # the example of a pagu
        ("93.35", None, "93,35"),
        (Decimal("52.6123"), 2, "52,61"),
        (Decimal("0.005"), 2, "0,01"),  # half-up, as capaian is rounded
        ("-1234.5", 2, "-1.234,50"),
        ("400/402", None, "400/402"),
        ("391000000/2973061600", None, "391.000.000/2.973.061.600"),
        ("B", None, "B"),
        (None, None, "-"),
    ],
)
def test_format_id_writes_numbers_the_indonesian_way(value: object, places: int | None, written: str) -> None:
    assert format_id(value, places) == written


@given(st.decimals(min_value=0, max_value=Decimal("1e15"), places=2, allow_nan=False, allow_infinity=False))
def test_what_format_id_writes_with_decimals_reads_back_as_the_same_number(number: Decimal) -> None:
    assert parse_number(format_id(number, 2)) == number
