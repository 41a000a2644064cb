"""The period an SOP cycle runs on, parsed in one place: a triwulan (`2024-TW3`) or a year (`2024`).

The text is the stored form (instances, cycles, realisasi rows, URLs): `str(period)` gives it back
exactly. Parsing takes the whole text and nothing around it (no spaces, no newline, digits 0-9
only), because callers go on to use the text they gave in queries, file names and headers.

    >>> Period.parse("2024-TW3")
    Period(year=2024, quarter=3)
    >>> str(Period.parse("2024"))
    '2024'

The callers keep their own contract messages: they catch `PeriodError` and raise what they
raised before (the Indonesian field message of a realisasi entry, the English one of `sakip start`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["triwulan", "tahunan"]
TRIWULAN: PeriodKind = "triwulan"
TAHUNAN: PeriodKind = "tahunan"
QUARTERS = (1, 2, 3, 4)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

# Matched against the whole text (fullmatch): `$` would also pass a trailing newline, and `\d`
# would pass other digits than 0-9.
_PERIOD = re.compile(r"([0-9]{4})(?:-TW([1-4]))?")
_EXAMPLES: dict[str, str] = {TRIWULAN: "2024-TW1", TAHUNAN: "2024"}


class PeriodError(ValueError):
    """A text that is not a period (of the kind asked for)."""

    def __init__(self, text: str, kind: str | None = None) -> None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        example = _EXAMPLES.get(kind or "", "2024-TW1 or 2024")
        super().__init__(f"{shown!r} is not a period like {example}")
        self.text = text
        self.kind = kind


@dataclass(frozen=True, order=True)
class Period:
    """A year, or one triwulan (QUARTER 1-4) of it."""

    year: int
    quarter: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.year <= 9999 or self.quarter not in (None, *QUARTERS):
            raise PeriodError(f"{self.year}-TW{self.quarter}" if self.quarter is not None else str(self.year))

    @classmethod
    def parse(cls, text: str, kind: str | None = None) -> Period:
        """`2024-TW3` or `2024`; with KIND (`triwulan` or `tahunan`) only that form. PeriodError otherwise."""
        match = _PERIOD.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise PeriodError(str(text), kind)
        period = cls(int(match.group(1)), int(match.group(2)) if match.group(2) else None)
        if kind is not None and period.kind != kind:
            raise PeriodError(text, kind)
        return period

    @classmethod
    def triwulan(cls, text: str) -> Period:
        """A triwulan only (`2024-TW3`); PeriodError for a year or anything else."""
        return cls.parse(text, TRIWULAN)

    @property
    def kind(self) -> PeriodKind:
        return TRIWULAN if self.quarter is not None else TAHUNAN

    @property
    def is_triwulan(self) -> bool:
        return self.quarter is not None

    @property
    def triwulan_no(self) -> int:
        """The triwulan's number, 1-4; PeriodError for a year."""
        if self.quarter is None:
            raise PeriodError(str(self), TRIWULAN)
        return self.quarter

    def of_quarter(self, quarter: int) -> Period:
        """The triwulan QUARTER of the same year."""
        return Period(self.year, quarter)

    def to_date(self) -> tuple[Period, ...]:
        """The triwulans of the year up to and including this one (TW I..TW n); the whole year's for a year."""
        last = self.quarter if self.quarter is not None else 4
        return tuple(Period(self.year, q) for q in range(1, last + 1))

    def label(self) -> str:
        """`Triwulan I Tahun 2024`, `Tahun 2024`: the period in a document's heading."""
        if self.quarter is None:
            return f"Tahun {self.year:04d}"
        return f"Triwulan {ROMAN[self.quarter]} Tahun {self.year:04d}"

    def __str__(self) -> str:
        if self.quarter is None:
            return f"{self.year:04d}"
        return f"{self.year:04d}-TW{self.quarter}"
