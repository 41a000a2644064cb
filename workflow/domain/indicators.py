"""Indicator rules without a database: kinds, quarterly aggregation, values, and capaian.

Kinds of indicator:
- `numeric`: a count or an index (7 Dokumen, IKM 93,66);
- `percentage`: a value already in percent (% Realisasi Anggaran 93,35);
- `ratio`: numerator and denominator entered separately (1736 / 1736), shown in percent;
- `grade`: a letter on a rating scale (Nilai SAKIP B, BB, A …).

Any kind may be supplied by an outside source (`external_source`: SUKMA-e, the Inspektorat,
BKPSDM); such a value may be *pending* until the source publishes it.

Quarterly aggregation (how TW1..TWn become the value "s.d. triwulan n"):
- `cumulative`: each quarter's value is already the year-to-date value (the latest counts);
- `sum`: the quarters add up (462 + 428 + 1.235 + 1.037 = 3.162 pelayanan, 001:631); for a
  ratio the numerators and denominators add up, never the percentages;
- `last`: a stock (21 pegawai in TW IV, 001:610): the latest value entered;
- `average`: the mean of the quarters entered.
A percentage can never be summed (the "425%" of 001:629 and 001:575): that rule is refused
when the indicator is defined, and `aggregate` refuses it again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from workflow.domain.capaian import HUNDRED, POLICIES, CapaianPolicy, capaian, capaian_grade
from workflow.domain.numbers import NumberError, parse_number
from workflow.domain.periods import QUARTERS, Period, PeriodError
from workflow.domain.scales import load_scale

KINDS = ("numeric", "percentage", "ratio", "grade")
DIRECTIONS = ("positive", "negative")
AGGREGATIONS = ("cumulative", "sum", "last", "average")
NODE_KINDS = ("tujuan", "sasaran", "kinerja_lainnya", "program", "kegiatan", "sub_kegiatan")
TOP_NODE_KINDS = ("sasaran", "kinerja_lainnya")
TARGET_KINDS = ("renstra", "pk", "pk_perubahan", "rencana_aksi")
TARGET_KIND_LABELS = {
    "renstra": "Renstra",
    "pk": "PK",
    "pk_perubahan": "PK Perubahan",
    "rencana_aksi": "Rencana Aksi",
}
_PLACES = Decimal("0.01")


class IndicatorError(ValueError):
    """A definition or a value that breaks a rule; the message names the field (in Indonesian).

    Like `WorkflowError` it carries a code and params (`InvalidInput(str(exc), code=exc.code,
    **exc.params)` passes them on): by default `value.invalid` with the message as `detail`.
    """

    def __init__(self, message: str, *, code: str = "value.invalid", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params: dict[str, object] = params or {"detail": message}


def parse_period(period: str) -> tuple[int, int]:
    """`2024-TW3` -> (2024, 3); IndicatorError otherwise (the field message a realisasi entry shows).

    The whole text must be the period, nothing around it (`Period.triwulan` parses it)."""
    try:
        found = Period.triwulan(period)
    except PeriodError:
        shown = period if len(period) <= 40 else period[:40] + "…"
        raise IndicatorError(
            f"period: {shown!r} harus berbentuk TAHUN-TWn, misalnya 2024-TW1",
            code="period.malformed",
            period=repr(shown),
        ) from None
    return found.year, found.triwulan_no


def quantize(value: Decimal, places: Decimal = _PLACES) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def canonical(value: Decimal) -> str:
    """Decimal text without exponent or trailing zeros after the point (`93.35`, `3162`)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class IndicatorRule:
    """What the aggregation and capaian rules need to know about one indicator."""

    code: str
    kind: str
    direction: str = "positive"
    aggregation: str = "cumulative"
    scale: str | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None

    def check(self) -> None:
        """Refuse a definition whose rules contradict each other."""
        if self.kind not in KINDS:
            raise IndicatorError(f"jenis: {self.kind!r} bukan salah satu dari {', '.join(KINDS)}")
        if self.direction not in DIRECTIONS:
            raise IndicatorError(f"arah: {self.direction!r} bukan positive atau negative")
        if self.aggregation not in AGGREGATIONS:
            raise IndicatorError(f"agregasi: {self.aggregation!r} bukan salah satu dari {', '.join(AGGREGATIONS)}")
        if self.kind == "percentage" and self.aggregation == "sum":
            raise IndicatorError(
                "agregasi: persentase tidak boleh dijumlahkan antar triwulan; pakai cumulative, last atau average"
            )
        if self.kind == "grade":
            if self.scale is None:
                raise IndicatorError("skala: indikator berjenis grade memerlukan skala (misalnya sakip)")
            if self.aggregation not in ("cumulative", "last"):
                raise IndicatorError("agregasi: nilai huruf hanya dapat diambil yang terakhir (cumulative atau last)")
        if self.scale is not None:
            try:
                load_scale(self.scale)
            except KeyError:
                raise IndicatorError(f"skala: {self.scale!r} tidak dikenal") from None
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise IndicatorError("min: lebih besar dari maks")


@dataclass(frozen=True)
class Value:
    """One quarter's realisasi (or target): a number, a ratio, or a grade."""

    number: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    grade: str | None = None

    def percent(self) -> Decimal:
        """The value as a number; a ratio in percent (unrounded)."""
        if self.numerator is not None and self.denominator is not None:
            if self.denominator == 0:
                raise IndicatorError("penyebut: tidak boleh nol")
            return self.numerator / self.denominator * HUNDRED
        if self.number is None:
            raise IndicatorError("nilai: tidak ada angka")
        return self.number

    def display(self) -> str:
        if self.grade is not None:
            return self.grade
        if self.numerator is not None and self.denominator is not None:
            return f"{canonical(self.numerator)}/{canonical(self.denominator)}"
        return canonical(self.number) if self.number is not None else ""


def read_value(rule: IndicatorRule, text: str | None, field: str = "nilai") -> Value:
    """Read one entered value for RULE: a grade, `N/D` for a ratio, or a number (ID or EN style)."""
    raw = (text or "").strip()
    if rule.kind == "grade":
        assert rule.scale is not None
        scale = load_scale(rule.scale)
        try:
            rank = scale.rank(raw)
        except ValueError:
            grades = ", ".join(b.grade for b in scale.bands)
            raise IndicatorError(f"{field}: {raw!r} bukan nilai huruf skala {rule.scale} ({grades})") from None
        return Value(grade=scale.bands[rank - 1].grade)  # as the scale spells it
    if rule.kind == "ratio" and "/" in raw:
        top, _, bottom = raw.partition("/")
        return ratio_value(rule, top, bottom, field)
    number = _number(raw, field)
    _check_range(rule, number, field)
    return Value(number=number)


def ratio_value(rule: IndicatorRule, numerator: str, denominator: str, field: str = "nilai") -> Value:
    top = _number(numerator, f"{field} (pembilang)")
    bottom = _number(denominator, f"{field} (penyebut)")
    if bottom == 0:
        raise IndicatorError(f"{field} (penyebut): tidak boleh nol")
    if top > bottom and rule.max_value is not None and rule.max_value <= HUNDRED:
        raise IndicatorError(f"{field}: pembilang {canonical(top)} lebih besar dari penyebut {canonical(bottom)}")
    return Value(numerator=top, denominator=bottom)


def _number(text: str, field: str) -> Decimal:
    try:
        number = parse_number(text, field)
    except NumberError as exc:
        raise IndicatorError(str(exc)) from None
    if number < 0:
        raise IndicatorError(f"{field}: tidak boleh negatif")
    return number


def _check_range(rule: IndicatorRule, number: Decimal, field: str) -> None:
    if rule.min_value is not None and number < rule.min_value:
        raise IndicatorError(f"{field}: {canonical(number)} di bawah batas minimum {canonical(rule.min_value)}")
    if rule.max_value is not None and number > rule.max_value:
        raise IndicatorError(f"{field}: {canonical(number)} di atas batas maksimum {canonical(rule.max_value)}")


def read_target(rule: IndicatorRule, text: str, field: str = "target") -> str:
    """A target as stored: a grade, or a canonical decimal. Accepts `82 (Tinggi)`, `3 Inovasi`, `97,86%`."""
    raw = re.sub(r"\s*\([^)]*\)\s*$", "", text.strip())
    if rule.kind == "grade":
        return read_value(rule, raw, field).display()
    raw = re.sub(r"^([\d.,]+)\s*[A-Za-z/ ]+$", r"\1", raw)
    return canonical(_number(raw, field))


def target_from_number(rule: IndicatorRule, number: Decimal, field: str = "target") -> str:
    """A target given as a number already (a spreadsheet cell): checked like a typed one."""
    if rule.kind == "grade":
        raise IndicatorError(f"{field}: indikator berjenis grade memerlukan nilai huruf, bukan angka")
    if number < 0:
        raise IndicatorError(f"{field}: tidak boleh negatif")
    return canonical(number)


def aggregate(rule: IndicatorRule, quarters: Mapping[int, Value], upto: int) -> Value | None:
    """The value "s.d. triwulan UPTO" from the quarters entered (None if none is)."""
    entered = [(q, quarters[q]) for q in QUARTERS if q <= upto and q in quarters]
    if not entered:
        return None
    if rule.aggregation in ("cumulative", "last") or rule.kind == "grade":
        return entered[-1][1]
    if rule.aggregation == "sum":
        if rule.kind == "percentage":
            raise IndicatorError("agregasi: persentase tidak boleh dijumlahkan antar triwulan")
        if rule.kind == "ratio":
            top = sum((v.numerator or Decimal(0) for _, v in entered), Decimal(0))
            bottom = sum((v.denominator or Decimal(0) for _, v in entered), Decimal(0))
            return Value(numerator=top, denominator=bottom)
        return Value(number=sum((v.percent() for _, v in entered), Decimal(0)))
    # average
    values = [v.percent() for _, v in entered]
    return Value(number=sum(values, Decimal(0)) / len(values))


def quarter_target(rule: IndicatorRule, annual: str, quarterly: Mapping[int, str | None], upto: int) -> str:
    """The target "s.d. triwulan UPTO": a Rencana Aksi quarter target if there is one, else the annual.

    Quarterly targets follow the indicator's aggregation: for `sum` they are per-quarter amounts
    (Jombang's Musrenbang 4/0/0/0, 003:1036-1051) and add up; otherwise each is already the
    year-to-date target (SKM Aparatur 23/46/69/95, 003:1036-1039).
    """
    given = {q: t for q, t in quarterly.items() if t is not None}
    if not given:
        return annual
    if rule.aggregation == "sum" and rule.kind not in ("percentage", "grade"):
        total = sum((Decimal(given[q]) for q in QUARTERS if q <= upto and q in given), Decimal(0))
        return canonical(total)
    if upto in given:
        return str(given[upto])
    return annual


def check_quarterly(rule: IndicatorRule, annual: str, quarterly: Mapping[int, str | None]) -> list[str]:
    """Reasons a Rencana Aksi row contradicts itself (empty when it is consistent)."""
    given = {q: t for q, t in quarterly.items() if t is not None}
    if not given or rule.kind == "grade":
        return []
    problems = []
    if rule.aggregation == "sum" and rule.kind != "percentage":
        total = sum((Decimal(t) for t in given.values()), Decimal(0))
        if len(given) == 4 and total != Decimal(annual):
            problems.append(f"jumlah target TW I-IV {canonical(total)} tidak sama dengan target tahunan {annual}")
    else:
        ordered = [Decimal(given[q]) for q in QUARTERS if q in given]
        if any(b < a for a, b in zip(ordered, ordered[1:], strict=False)) and rule.direction == "positive":
            problems.append("target kumulatif tidak boleh turun dari triwulan ke triwulan")
        if 4 in given and Decimal(given[4]) != Decimal(annual):
            problems.append(f"target TW IV {given[4]} harus sama dengan target tahunan {annual}")
    return problems


def measure(rule: IndicatorRule, target: str, value: Value, policy: CapaianPolicy = POLICIES["mojokerto"]) -> Decimal:
    """Capaian of VALUE against TARGET, rounded by POLICY."""
    if rule.kind == "grade":
        assert rule.scale is not None and value.grade is not None
        return capaian_grade(target, value.grade, rule.scale, policy)
    return capaian(Decimal(target), value.percent(), rule.direction, policy)


def category(rule: IndicatorRule, value: Value) -> str | None:
    """The realisasi's category on the indicator's own scale (IKM 93,66 -> "A Sangat Baik")."""
    if rule.scale is None:
        return None
    if value.grade is not None:
        band = next(b for b in load_scale(rule.scale).bands if b.grade.upper() == value.grade.upper())
    else:
        found = load_scale(rule.scale).band_for(quantize(value.percent()))
        if found is None:
            return None
        band = found
    return f"{band.grade} ({band.label})" if band.grade != band.label else band.label


def predikat(capaian_percent: Decimal) -> str | None:
    """The predikat of a capaian on the `capaian` scale."""
    band = load_scale("capaian").band_for(capaian_percent)
    return band.label if band else None
