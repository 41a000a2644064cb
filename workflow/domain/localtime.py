"""Dates and times written the Indonesian way: "21 Februari 2024 09.00 WIB"."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_name(timezone: str) -> str:
    return ZONE_NAMES.get(timezone, timezone)


def tanggal(day: date) -> str:
    """`21 Februari 2024`."""
    return format_date(day, "d MMMM y", locale="id")


def waktu_lokal(moment: datetime, timezone: str) -> str:
    """`21 Februari 2024 09.00 WIB`, in the unit's own zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{format_datetime(local, 'd MMMM y HH.mm', locale='id')} {zone_name(timezone)}"
