"""Indicator rules: definitions, quarterly aggregation, values and targets as typed, capaian and categories."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.domain.capaian import POLICIES
from workflow.domain.indicators import (
    QUARTERS,
    IndicatorError,
    IndicatorRule,
    Value,
    aggregate,
    category,
    check_quarterly,
    measure,
    parse_period,
    predikat,
    quarter_target,
    read_target,
    read_value,
    target_from_number,
)

D = Decimal

NUMERIC_SUM = IndicatorRule("7.01.02.2.04.02", "numeric", aggregation="sum")  # Nonperizinan, 001:631
NUMERIC_CUMULATIVE = IndicatorRule("skm-aparatur", "numeric", aggregation="cumulative")  # 003:1036-1039
STOCK = IndicatorRule("7.01.01.2.02.01", "numeric", aggregation="last")  # Gaji, 001:610
PERCENT = IndicatorRule("pct", "percentage", min_value=D(0), max_value=D(100))
RATIO_SUM = IndicatorRule("pct-pelayanan", "ratio", aggregation="sum", max_value=D(100))
SAKIP = IndicatorRule("nilai-sakip", "grade", scale="sakip")
PERCENT_SUM = IndicatorRule("7.01.02", "percentage", aggregation="sum")  # never valid: 001:629
IKM = IndicatorRule("ikm", "numeric", scale="ikm", min_value=D(25), max_value=D(100))


def _numbers(*values: str | int) -> dict[int, Value]:
    return {q: Value(number=D(v)) for q, v in zip(QUARTERS, values, strict=False)}


# --- definitions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        NUMERIC_SUM,
        NUMERIC_CUMULATIVE,
        STOCK,
        PERCENT,
        RATIO_SUM,
        SAKIP,
        IKM,
        IndicatorRule("x", "percentage", aggregation="average"),
        IndicatorRule("x", "grade", aggregation="last", scale="sakip"),
        IndicatorRule("x", "numeric", direction="negative", min_value=D(5), max_value=D(5)),
    ],
)
def test_a_consistent_definition_passes_the_check(rule: IndicatorRule) -> None:
    rule.check()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        # the "425%" of 001:629 / 001:575 is refused at definition time
        (IndicatorRule("x", "percentage", aggregation="sum"), r"^agregasi: persentase tidak boleh dijumlahkan"),
        (IndicatorRule("x", "grade"), r"^skala: "),
        (IndicatorRule("x", "grade", aggregation="sum", scale="sakip"), r"^agregasi: "),
        (IndicatorRule("x", "grade", aggregation="average", scale="sakip"), r"^agregasi: "),
        (IndicatorRule("x", "numeric", scale="nilai-bebas"), r"^skala: 'nilai-bebas' tidak dikenal"),
        (IndicatorRule("x", "grade", scale="nilai-bebas"), r"^skala: 'nilai-bebas' tidak dikenal"),
        (IndicatorRule("x", "numeric", min_value=D(100), max_value=D(25)), r"^min: "),
        (IndicatorRule("x", "count"), r"^jenis: "),
        (IndicatorRule("x", "numeric", direction="up"), r"^arah: "),
        (IndicatorRule("x", "numeric", aggregation="median"), r"^agregasi: "),
    ],
)
def test_a_contradictory_definition_is_refused_naming_the_field(rule: IndicatorRule, message: str) -> None:
    with pytest.raises(IndicatorError, match=message):
        rule.check()


def test_a_period_is_a_year_and_a_quarter() -> None:
    assert parse_period("2024-TW3") == (2024, 3)
    # The whole text is the period: nothing around it, not even the newline `$` lets through.
    for bad in ("2024-TW5", "2024-TW0", "TW3-2024", "2024", " 2024-TW3 ", "2024-TW3\n", "2024-TW3\r\n", "٢٠٢٤-TW3"):
        with pytest.raises(IndicatorError, match="^period: "):
            parse_period(bad)


# --- aggregation -------------------------------------------------------------------------------


def test_a_flow_indicator_sums_its_quarters_and_its_capaian_is_632_40() -> None:
    # F6: Sooko Nonperizinan 462 + 428 + 1.235 + 1.037 = 3.162 pelayanan (001:631) against 500 -> 632.40 (001:398)
    total = aggregate(NUMERIC_SUM, _numbers(462, 428, 1235, 1037), 4)
    assert total is not None and total.percent() == D(3162)
    assert measure(NUMERIC_SUM, "500", total) == D("632.40")


def test_a_flow_indicator_sums_only_up_to_the_quarter_asked() -> None:
    quarters = _numbers(462, 428, 1235, 1037)  # 001:631
    assert aggregate(NUMERIC_SUM, quarters, 1) == Value(number=D(462))
    assert aggregate(NUMERIC_SUM, quarters, 2) == Value(number=D(890))
    assert aggregate(NUMERIC_SUM, quarters, 3) == Value(number=D(2125))


def test_evaluasi_kinerja_quarters_add_up_to_its_target_of_20() -> None:
    total = aggregate(NUMERIC_SUM, _numbers(6, 4, 5, 5), 4)  # 001:607
    assert total is not None and measure(NUMERIC_SUM, "20", total) == D("100.00")


def test_a_stock_takes_the_latest_quarter_not_the_sum() -> None:
    # Gaji: 0, 0, 0, 21 pegawai, reported only in TW IV (001:610)
    assert aggregate(STOCK, _numbers(0, 0, 0, 21), 4) == Value(number=D(21))
    assert aggregate(STOCK, _numbers(0, 0, 0, 21), 3) == Value(number=D(0))
    # a stock of 13 Orang/Bulan each quarter stays 13, never 52 (003:1036-1051)
    assert aggregate(STOCK, _numbers(13, 13, 13, 13), 4) == Value(number=D(13))


def test_a_cumulative_indicator_takes_the_latest_quarter_entered() -> None:
    assert aggregate(NUMERIC_CUMULATIVE, _numbers(23, 46, 69, 95), 4) == Value(number=D(95))
    assert aggregate(NUMERIC_CUMULATIVE, _numbers(23, 46, 69, 95), 2) == Value(number=D(46))
    # TW3 not entered yet: s.d. TW3 is the latest quarter that was, TW2
    gap = {1: Value(number=D(23)), 2: Value(number=D(46)), 4: Value(number=D(95))}
    assert aggregate(NUMERIC_CUMULATIVE, gap, 3) == Value(number=D(46))
    assert aggregate(STOCK, {2: Value(number=D(21))}, 4) == Value(number=D(21))


def test_an_average_indicator_takes_the_mean_of_the_quarters_entered() -> None:
    rule = IndicatorRule("ikm-tw", "numeric", aggregation="average")
    assert aggregate(rule, _numbers(95, 100, 100, 85), 4) == Value(number=D(95))  # the 95 of 003:439
    assert aggregate(rule, _numbers(95, 100, 100, 85), 2) == Value(number=D("97.5"))
    assert aggregate(rule, {1: Value(number=D(80)), 3: Value(number=D(90))}, 4) == Value(number=D(85))


def test_a_ratio_with_sum_adds_numerators_and_denominators_never_percentages() -> None:
    quarters = {
        1: Value(numerator=D(402), denominator=D(402)),
        2: Value(numerator=D(431), denominator=D(431)),
        3: Value(numerator=D(460), denominator=D(460)),
        4: Value(numerator=D(443), denominator=D(443)),
    }
    total = aggregate(RATIO_SUM, quarters, 4)
    assert total == Value(numerator=D(1736), denominator=D(1736))  # the 1.736/1.736 of 002:666
    assert total.percent() == D(100)  # not 400
    assert measure(RATIO_SUM, "100", total) == D("100.00")
    # 1/2 then 9/10 is 10/12 = 83.33%, not 50 + 90 = 140% nor their mean 70%
    uneven = {1: Value(numerator=D(1), denominator=D(2)), 2: Value(numerator=D(9), denominator=D(10))}
    total = aggregate(RATIO_SUM, uneven, 4)
    assert total == Value(numerator=D(10), denominator=D(12))
    assert measure(RATIO_SUM, "100", total) == D("83.33")
    assert aggregate(RATIO_SUM, uneven, 1) == Value(numerator=D(1), denominator=D(2))


def test_quarters_after_upto_are_ignored_and_no_quarter_means_no_value() -> None:
    for rule in (NUMERIC_SUM, NUMERIC_CUMULATIVE, STOCK, PERCENT, RATIO_SUM, SAKIP):
        assert aggregate(rule, {}, 4) is None
        assert aggregate(rule, {3: Value(number=D(5)), 4: Value(number=D(7))}, 2) is None
    assert aggregate(NUMERIC_SUM, {1: Value(number=D(5)), 4: Value(number=D(7))}, 3) == Value(number=D(5))


def test_a_grade_takes_the_latest_grade_entered() -> None:
    quarters = {2: Value(grade="B"), 4: Value(grade="BB")}
    assert aggregate(SAKIP, quarters, 4) == Value(grade="BB")
    assert aggregate(SAKIP, quarters, 3) == Value(grade="B")


def test_percentages_93_85_247_0_never_aggregate_to_425() -> None:
    # Anti-fixture: program 7.01.02 summed quarterly percentages 93 + 85 + 247 + 0 = 425 (001:629) and
    # reported a capaian of 525% (001:575). A percentage "sum" rule is refused even if it was never checked.
    quarters = _numbers(93, 85, 247, 0)
    summed = IndicatorRule("7.01.02", "percentage", aggregation="sum")
    with pytest.raises(IndicatorError, match="^agregasi: "):
        aggregate(summed, quarters, 4)
    with pytest.raises(IndicatorError, match="^agregasi: "):
        aggregate(summed, quarters, 1)
    for aggregation in ("cumulative", "last", "average"):
        value = aggregate(IndicatorRule("7.01.02", "percentage", aggregation=aggregation), quarters, 4)
        assert value is not None and value.percent() != D(425)


percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
quarter_percents = st.dictionaries(st.sampled_from(QUARTERS), percents, min_size=1)


@given(st.sampled_from(("cumulative", "last", "average")), quarter_percents, st.sampled_from(QUARTERS))
def test_a_percentage_aggregate_lies_between_the_values_entered(
    aggregation: str, values: dict[int, Decimal], upto: int
) -> None:
    rule = IndicatorRule("pct", "percentage", aggregation=aggregation, min_value=D(0), max_value=D(100))
    rule.check()
    result = aggregate(rule, {q: Value(number=v) for q, v in values.items()}, upto)
    considered = [values[q] for q in sorted(values) if q <= upto]
    if not considered:
        assert result is None
        return
    assert result is not None
    assert min(considered) <= result.percent() <= max(considered)
    if aggregation != "average":
        assert result.percent() == considered[-1]


@given(quarter_percents.filter(lambda values: any(v > 0 for v in values.values())))
def test_a_percentage_is_never_summed_whatever_the_values(values: dict[int, Decimal]) -> None:
    with pytest.raises(IndicatorError, match="^agregasi: "):
        aggregate(PERCENT_SUM, {q: Value(number=v) for q, v in values.items()}, 4)


@st.composite
def _ratio(draw: st.DrawFn) -> tuple[Decimal, Decimal]:
    denominator = draw(st.integers(min_value=1, max_value=100_000))
    return D(draw(st.integers(min_value=0, max_value=denominator))), D(denominator)


@given(st.dictionaries(st.sampled_from(QUARTERS), _ratio(), min_size=1))
def test_a_summed_ratio_is_the_sum_of_numerators_over_the_sum_of_denominators(
    ratios: dict[int, tuple[Decimal, Decimal]],
) -> None:
    quarters = {q: Value(numerator=n, denominator=d) for q, (n, d) in ratios.items()}
    result = aggregate(RATIO_SUM, quarters, 4)
    assert result is not None
    top = sum((n for n, _ in ratios.values()), D(0))
    bottom = sum((d for _, d in ratios.values()), D(0))
    assert (result.numerator, result.denominator) == (top, bottom)
    assert result.percent() == top / bottom * 100
    assert D(0) <= result.percent() <= D(100)


amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(st.dictionaries(st.sampled_from(QUARTERS), amounts, min_size=1), st.sampled_from(QUARTERS))
def test_a_summed_number_is_the_sum_of_the_quarters_up_to_upto(values: dict[int, Decimal], upto: int) -> None:
    result = aggregate(NUMERIC_SUM, {q: Value(number=v) for q, v in values.items()}, upto)
    considered = [v for q, v in values.items() if q <= upto]
    if not considered:
        assert result is None
    else:
        assert result == Value(number=sum(considered, D(0)))


# --- quarterly targets -------------------------------------------------------------------------

SKM_PLAN = {1: "23", 2: "46", 3: "69", 4: "95"}  # F16, SKM Aparatur, 003:1036-1039
MUSRENBANG_PLAN = {1: "4", 2: "0", 3: "0", 4: "0"}  # Lembaga in Musrenbang forum, 003:1036-1051


def test_a_cumulative_plan_gives_that_quarters_own_target() -> None:
    assert quarter_target(NUMERIC_CUMULATIVE, "95", SKM_PLAN, 1) == "23"
    assert quarter_target(NUMERIC_CUMULATIVE, "95", SKM_PLAN, 2) == "46"
    assert quarter_target(NUMERIC_CUMULATIVE, "95", SKM_PLAN, 4) == "95"


def test_a_sum_plan_adds_its_quarters_up_to_upto() -> None:
    rule = IndicatorRule("musrenbang", "numeric", aggregation="sum")
    assert [quarter_target(rule, "4", MUSRENBANG_PLAN, q) for q in QUARTERS] == ["4", "4", "4", "4"]
    # 6 + 4 + 5 + 5 laporan (001:607) as a plan
    plan = {1: "6", 2: "4", 3: "5", 4: "5"}
    assert [quarter_target(rule, "20", plan, q) for q in QUARTERS] == ["6", "10", "15", "20"]


def test_without_quarterly_targets_the_annual_target_applies() -> None:
    for rule in (NUMERIC_CUMULATIVE, NUMERIC_SUM, SAKIP):
        assert quarter_target(rule, "95", {}, 2) == "95"
        assert quarter_target(rule, "95", {1: None, 2: None, 3: None, 4: None}, 2) == "95"


def test_a_percentage_or_grade_plan_is_never_added_up() -> None:
    plan = {1: "25", 2: "50", 3: "75", 4: "100"}  # Persentase PBB, 003:1043
    assert quarter_target(IndicatorRule("pbb", "percentage", aggregation="sum"), "100", plan, 3) == "75"
    assert quarter_target(SAKIP, "BB", {1: "B", 4: "BB"}, 4) == "BB"


def test_a_consistent_plan_has_no_problems() -> None:
    assert check_quarterly(NUMERIC_CUMULATIVE, "95", SKM_PLAN) == []
    assert check_quarterly(PERCENT, "100", {1: "25", 2: "50", 3: "75", 4: "100"}) == []  # 003:1043, 1047
    assert check_quarterly(IndicatorRule("m", "numeric", aggregation="sum"), "4", MUSRENBANG_PLAN) == []
    assert check_quarterly(STOCK, "13", {1: "13", 2: "13", 3: "13", 4: "13"}) == []  # Gaji, 003:1036-1051
    assert check_quarterly(NUMERIC_CUMULATIVE, "95", {}) == []


def test_a_cumulative_plan_whose_fourth_quarter_is_not_the_annual_target_is_reported() -> None:
    problems = check_quarterly(NUMERIC_CUMULATIVE, "95", {1: "23", 2: "46", 3: "69", 4: "90"})
    assert len(problems) == 1 and "TW IV 90" in problems[0] and "95" in problems[0]


def test_a_decreasing_cumulative_plan_is_reported() -> None:
    problems = check_quarterly(NUMERIC_CUMULATIVE, "95", {1: "23", 2: "46", 3: "40", 4: "95"})
    assert len(problems) == 1 and "turun" in problems[0]
    assert any("turun" in p for p in check_quarterly(NUMERIC_CUMULATIVE, "95", {1: "50", 2: "46"}))


def test_a_sum_plan_that_does_not_add_up_to_the_annual_target_is_reported() -> None:
    rule = IndicatorRule("musrenbang", "numeric", aggregation="sum")
    problems = check_quarterly(rule, "4", {1: "4", 2: "0", 3: "0", 4: "1"})
    assert len(problems) == 1 and "jumlah" in problems[0] and "5" in problems[0]
    # a sum plan may go up and down: 6, 4, 5, 5 (001:607)
    assert check_quarterly(rule, "20", {1: "6", 2: "4", 3: "5", 4: "5"}) == []


# --- values as typed ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("93,35", "93.35"),  # 002:738
        ("93.35", "93.35"),
        ("93,35%", "93.35"),
        ("2.975.061.600,00", "2975061600.00"),
        ("2,975,061,600.00", "2975061600.00"),
        ("3,595,075,745.00", "3595075745.00"),  # 001:600
        ("0,25", "0.25"),  # komponen listrik, 001:614
        ("3162", "3162"),
    ],
)
def test_indonesian_and_english_numbers_are_read(text: str, value: str) -> None:
    assert read_value(IndicatorRule("x", "numeric"), text) == Value(number=D(value))


def test_a_ratio_is_read_as_numerator_and_denominator() -> None:
    assert read_value(RATIO_SUM, "1736/1736") == Value(numerator=D(1736), denominator=D(1736))
    assert read_value(RATIO_SUM, " 26 / 26 ") == Value(numerator=D(26), denominator=D(26))  # 002:672
    budget = read_value(IndicatorRule("ra", "ratio"), "2.775.362.102,00/2.973.061.600,00")  # 002:736-738
    assert budget == Value(numerator=D("2775362102.00"), denominator=D("2973061600.00"))


def test_a_ratio_as_the_lkjip_prints_it_is_refused_as_ambiguous_and_read_without_the_dot() -> None:
    # F10: the seed prints "1.736/1.736" (002:666). With no other clue "1.736" reads two ways (a
    # thousand, or 1,736), so it is refused, never guessed; "1736/1736" is read.
    with pytest.raises(IndicatorError, match="dapat dibaca dua cara"):
        read_value(RATIO_SUM, "1.736/1.736")
    assert read_value(RATIO_SUM, "1736/1736") == Value(numerator=D(1736), denominator=D(1736))


def test_a_ratio_above_its_whole_or_over_zero_is_refused() -> None:
    with pytest.raises(IndicatorError, match="^realisasi TW2: pembilang 27 lebih besar dari penyebut 26"):
        read_value(RATIO_SUM, "27/26", "realisasi TW2")
    with pytest.raises(IndicatorError, match=r"^realisasi TW2 \(penyebut\): tidak boleh nol"):
        read_value(RATIO_SUM, "0/0", "realisasi TW2")
    with pytest.raises(IndicatorError, match=r"^realisasi TW2 \(pembilang\): "):
        read_value(RATIO_SUM, "/26", "realisasi TW2")
    # without a 100% ceiling a ratio may exceed its denominator
    assert read_value(IndicatorRule("x", "ratio"), "27/26").percent() > 100


def test_a_grade_is_read_in_the_scales_own_spelling() -> None:
    assert read_value(SAKIP, "b") == Value(grade="B")
    assert read_value(SAKIP, " bb ") == Value(grade="BB")
    grades = r"\(D, C, CC, B, BB, A, AA\)"
    with pytest.raises(IndicatorError, match=rf"^realisasi: 'E' bukan nilai huruf skala sakip {grades}"):
        read_value(SAKIP, "E", "realisasi")
    with pytest.raises(IndicatorError, match="^realisasi: "):
        read_value(SAKIP, "82,75", "realisasi")


def test_a_grade_on_a_mixed_case_scale_keeps_the_scales_spelling() -> None:
    rule = IndicatorRule("ip-asn", "grade", scale="ip-asn")
    assert read_value(rule, "sangat tinggi").display() == "Sangat Tinggi"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.234", "dapat dibaca dua cara"),
        ("1,429", "dapat dibaca dua cara"),  # "1,429" jiwa, 004:95
        ("-5", "tidak boleh negatif"),
        ("-93,35", "tidak boleh negatif"),
        ("banyak", "bukan angka"),
        ("12 pelayanan", "bukan angka"),
        ("", "wajib diisi"),
        (None, "wajib diisi"),
    ],
)
def test_a_value_that_cannot_be_read_is_refused_naming_the_field(text: str | None, message: str) -> None:
    with pytest.raises(IndicatorError, match=f"^realisasi TW3: .*{message}"):
        read_value(IndicatorRule("x", "numeric"), text, "realisasi TW3")


def test_a_value_outside_the_indicators_range_is_refused_naming_the_field() -> None:
    with pytest.raises(IndicatorError, match="^realisasi TW3: 247 di atas batas maksimum 100"):  # 001:629
        read_value(PERCENT, "247", "realisasi TW3")
    with pytest.raises(IndicatorError, match="^realisasi TW3: 100.01 di atas batas maksimum 100"):
        read_value(PERCENT, "100,01", "realisasi TW3")
    with pytest.raises(IndicatorError, match="^realisasi: 24.99 di bawah batas minimum 25"):
        read_value(IKM, "24,99", "realisasi")
    assert read_value(PERCENT, "100") == Value(number=D(100))
    assert read_value(IKM, "25") == Value(number=D(25))
    assert read_value(IKM, "93,66") == Value(number=D("93.66"))  # 002:540


# --- targets as typed --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "text", "stored"),
    [
        (IndicatorRule("x", "numeric"), "82 (Tinggi)", "82"),  # 002:448
        (IndicatorRule("x", "numeric"), "87,5 (Tinggi)", "87.5"),  # 004:215
        (IndicatorRule("x", "numeric"), "81 (A)", "81"),  # 002:400
        (IndicatorRule("x", "numeric"), "3 Inovasi", "3"),
        (IndicatorRule("x", "numeric"), "13 Orang/Bulan", "13"),  # 003:1036-1051
        (IndicatorRule("x", "numeric"), "Rp 25.000.000", "25000000"),  # 001:631
        (PERCENT, "97,86%", "97.86"),  # 002:547
        (PERCENT, "100,00", "100"),
        (SAKIP, "B", "B"),  # 003:437
        (SAKIP, "b", "B"),
    ],
)
def test_a_target_is_stored_canonically(rule: IndicatorRule, text: str, stored: str) -> None:
    assert read_target(rule, text) == stored


def test_a_target_that_is_not_a_target_is_refused_naming_the_field() -> None:
    with pytest.raises(IndicatorError, match="^target PK: "):
        read_target(SAKIP, "82", "target PK")
    with pytest.raises(IndicatorError, match="^target PK: "):
        read_target(IndicatorRule("x", "numeric"), "-3 Inovasi", "target PK")
    with pytest.raises(IndicatorError, match="^target PK: .*dapat dibaca dua cara"):
        read_target(IndicatorRule("x", "numeric"), "1.736 pelayanan", "target PK")


def test_a_target_from_a_spreadsheet_cell_is_checked_like_a_typed_one() -> None:
    assert target_from_number(PERCENT, D("97.860")) == "97.86"
    with pytest.raises(IndicatorError, match="^target: .*huruf"):
        target_from_number(SAKIP, D(82))
    with pytest.raises(IndicatorError, match="^target: tidak boleh negatif"):
        target_from_number(PERCENT, D(-1))


# --- capaian and categories --------------------------------------------------------------------


def test_a_negative_indicator_is_measured_as_2t_minus_r_over_t() -> None:
    rule = IndicatorRule("x", "numeric", direction="negative")  # 003:418-422
    assert measure(rule, "10", Value(number=D(8))) == D("120.00")
    assert measure(rule, "10", Value(number=D(12))) == D("80.00")
    assert measure(rule, "10", Value(number=D(25))) == D("-50.00")
    assert measure(rule, "10", Value(number=D(25)), POLICIES["jember"]) == D("0.00")


def test_a_grade_that_reaches_its_target_is_100_percent() -> None:
    assert measure(SAKIP, "B", read_value(SAKIP, "B")) == D("100.00")  # F12, 003:437
    assert measure(SAKIP, "B", read_value(SAKIP, "a")) == D("100.00")
    assert measure(SAKIP, "A", read_value(SAKIP, "B")) == D("66.67")


def test_jember_caps_capaian_at_100_while_mojokerto_prints_103_65() -> None:
    realisasi = read_value(IKM, "93,66")  # F7, Kutorejo IKM 2024, 002:540
    assert measure(IKM, "90.36", realisasi) == D("103.65")
    assert measure(IKM, "90.36", realisasi, POLICIES["jember"]) == D("100.00")  # 003:410
    assert measure(PERCENT, "97.86", read_value(PERCENT, "93,35")) == D("95.39")  # F8, 002:547


def test_a_value_is_categorised_on_its_indicators_scale() -> None:
    assert category(IKM, read_value(IKM, "93,66")) == "A (Sangat Baik)"  # 002:540 on 002:652-658
    assert category(IKM, read_value(IKM, "88,28")) == "B (Baik)"  # 001:1026
    assert category(IKM, Value(number=D("24.99"))) is None  # below the scale: no guessed category
    ip_asn = IndicatorRule("ip-asn", "numeric", scale="ip-asn")
    assert category(ip_asn, Value(number=D("70.85"))) == "Sedang"  # 001:403
    assert category(SAKIP, Value(grade="B")) == "B (Baik)"
    assert category(SAKIP, Value(grade="aa")) == "AA (Sangat Memuaskan)"
    assert category(NUMERIC_SUM, Value(number=D(3162))) is None


def test_predikat_follows_jombangs_table_3_5() -> None:
    # 003:592-604: 95% and 100% Sangat Memuaskan, 85% Memuaskan
    assert predikat(D(85)) == "Memuaskan"
    assert predikat(D(95)) == "Sangat Memuaskan"
    assert predikat(D(100)) == "Sangat Memuaskan"
    assert predikat(D("632.40")) == "Sangat Memuaskan"  # uncapped Mojokerto capaian, 001:398
    assert predikat(D(90)) == "Memuaskan"
    assert predikat(D(-50)) == "Sangat Kurang"
