"""Parse an SOP time standard (`5 menit`, `60 Menit`, `1 hari`, `2 Minggu`) into a duration."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class WaktuUnit(StrEnum):
    MENIT = "menit"
    JAM = "jam"
    HARI = "hari"
    MINGGU = "minggu"


# A time standard longer than a year is a typo, and would defeat the calendar's arithmetic.
MAX_AMOUNT = {WaktuUnit.MENIT: 60 * 24 * 30, WaktuUnit.JAM: 24 * 30, WaktuUnit.HARI: 250, WaktuUnit.MINGGU: 52}

_PATTERN = re.compile(r"^\s*(\d{1,4})\s*(menit|jam|hari|minggu)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Waktu:
    """A time standard as printed and as a typed amount of office time.

    The unit is kept as a unit, not converted to minutes here: a `hari` is a working day
    and a `Minggu` five of them, which only the working calendar can turn into a due time.
    """

    printed: str
    amount: int
    unit: WaktuUnit

    @property
    def working_minutes(self) -> int | None:
        """Minutes for menit/jam; None for day-based units."""
        if self.unit is WaktuUnit.MENIT:
            return self.amount
        if self.unit is WaktuUnit.JAM:
            return self.amount * 60
        return None

    @property
    def working_days(self) -> int | None:
        """Working days for hari/Minggu (a Minggu is five working days); None otherwise."""
        if self.unit is WaktuUnit.HARI:
            return self.amount
        if self.unit is WaktuUnit.MINGGU:
            return self.amount * 5
        return None


def parse_waktu(printed: str) -> Waktu:
    """Parse PRINTED; raise ValueError naming what is accepted."""
    match = _PATTERN.match(printed)
    if match is None:
        raise ValueError(
            f"cannot read {printed!r}: expected a whole number and one of menit, jam, hari, "
            "Minggu (e.g. '5 menit', '1 hari', '2 Minggu')"
        )
    amount = int(match.group(1))
    unit = WaktuUnit(match.group(2).lower())
    if amount <= 0:
        raise ValueError(f"{printed!r}: the amount must be greater than zero")
    if amount > MAX_AMOUNT[unit]:
        raise ValueError(f"{printed!r}: at most {MAX_AMOUNT[unit]} {unit.value} (a time standard, not a schedule)")
    return Waktu(printed=printed, amount=amount, unit=unit)
