"""Dates and times written the Indonesian way: "21 Februari 2024 09.00 WIB"."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def utcnow() -> datetime:
    """The clock every service uses unless given another (tests give a fixed one)."""
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """A moment in the JSON contract's form: `2024-04-01T02:00:00Z`."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def local_date(now: datetime, timezone: str) -> date:
    """The calendar date at NOW in a unit's time zone: assignment dates are the unit's dates."""
    return now.astimezone(ZoneInfo(timezone)).date()


def zone_name(timezone: str) -> str:
    return ZONE_NAMES.get(timezone, timezone)


def tanggal(day: date) -> str:
    """`21 Februari 2024`."""
    from babel.dates import format_date  # imported when a date is written: the command line starts without it

    return format_date(day, "d MMMM y", locale="id")


def waktu_lokal(moment: datetime, timezone: str) -> str:
    """`21 Februari 2024 09.00 WIB`, in the unit's own zone."""
    from babel.dates import format_datetime

    local = moment.astimezone(ZoneInfo(timezone))
    return f"{format_datetime(local, 'd MMMM y HH.mm', locale='id')} {zone_name(timezone)}"
