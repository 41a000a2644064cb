"""The government working calendar of one unit: office hours, holidays, cuti bersama, days off.

Time standards are counted in office time:
- `N menit` / `N jam` are working minutes inside office hours;
- `N hari` is the same office time N working days later (clamped to that day's hours);
- `N Minggu` is 5·N working days;
- a clock started outside office hours starts at the next opening.

Holidays come from the `holidays` package (Indonesia, categories PUBLIC and GOVERNMENT: cuti
bersama is only in the latter), plus the unit's own days off.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from workflow.domain.waktu import Waktu, WaktuUnit

if TYPE_CHECKING:  # imported when a calendar is first asked: the command line starts without it
    import holidays

WEEKDAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")

# Kecamatan Jetis publishes Mon-Thu 07.30-16.00 and Fri 07.00-14.00 (000:944-945).
DEFAULT_OFFICE_HOURS: dict[int, tuple[time, time]] = {
    0: (time(7, 30), time(16, 0)),
    1: (time(7, 30), time(16, 0)),
    2: (time(7, 30), time(16, 0)),
    3: (time(7, 30), time(16, 0)),
    4: (time(7, 0), time(14, 0)),
}

_MAX_SCAN_DAYS = 3660
_HOLIDAYS_LOCK = threading.Lock()


@dataclass(frozen=True)
class DayOff:
    day: date
    name: str


@dataclass(frozen=True)
class WorkCalendar:
    """Working time for one unit. Inputs and outputs are timezone-aware datetimes."""

    timezone: str = "Asia/Jakarta"
    office_hours: dict[int, tuple[time, time]] = field(default_factory=lambda: dict(DEFAULT_OFFICE_HOURS))
    days_off: tuple[DayOff, ...] = ()

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _national(self) -> holidays.HolidayBase:
        import holidays

        return holidays.country_holidays("ID", categories=("public", "government"), language="id")

    @cached_property
    def _own(self) -> dict[date, str]:
        return {d.day: d.name for d in self.days_off}

    def holiday_name(self, day: date) -> str | None:
        """The holiday, cuti bersama or unit day off on DAY, if any."""
        if day in self._own:
            return self._own[day]
        with _HOLIDAYS_LOCK:  # the holidays object fills in years lazily: one thread at a time
            name = self._national.get(day)
        return str(name) if name else None

    def holidays_in(self, year: int) -> list[tuple[date, str]]:
        """Every non-working holiday of YEAR (national, cuti bersama and the unit's own)."""
        import holidays

        national = holidays.country_holidays("ID", years=year, categories=("public", "government"), language="id")
        found = {d: str(n) for d, n in national.items()}
        found.update({d: n for d, n in self._own.items() if d.year == year})
        return sorted(found.items())

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.office_hours and self.holiday_name(day) is None

    def hours_on(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing of DAY in local time, or None if it is not a working day."""
        if not self.is_working_day(day):
            return None
        start, end = self.office_hours[day.weekday()]
        return datetime.combine(day, start, self.tz), datetime.combine(day, end, self.tz)

    def next_working_day(self, day: date, n: int = 1) -> date:
        """The N-th working day after DAY."""
        found = 0
        current = day
        for _ in range(_MAX_SCAN_DAYS):
            current += timedelta(days=1)
            if self.is_working_day(current):
                found += 1
                if found == n:
                    return current
        raise ValueError("no working day within ten years: check the office hours")

    def previous_working_day(self, day: date, n: int = 1) -> date:
        """The N-th working day before DAY."""
        found = 0
        current = day
        for _ in range(_MAX_SCAN_DAYS):
            current -= timedelta(days=1)
            if self.is_working_day(current):
                found += 1
                if found == n:
                    return current
        raise ValueError("no working day within ten years: check the office hours")

    def first_working_day_on_or_after(self, day: date) -> date:
        return day if self.is_working_day(day) else self.next_working_day(day)

    def next_opening(self, moment: datetime) -> datetime:
        """MOMENT if the office is open then, else the next opening (local time)."""
        local = moment.astimezone(self.tz)
        hours = self.hours_on(local.date())
        if hours is not None:
            opens, closes = hours
            if local < opens:
                return opens
            if local < closes:
                return local
        day = self.next_working_day(local.date())
        hours = self.hours_on(day)
        assert hours is not None
        return hours[0]

    def add_working_minutes(self, moment: datetime, minutes: int) -> datetime:
        current = self.next_opening(moment)
        remaining = timedelta(minutes=minutes)
        for _ in range(_MAX_SCAN_DAYS):
            hours = self.hours_on(current.date())
            assert hours is not None
            left_today = hours[1] - current
            if remaining <= left_today:
                return current + remaining
            remaining -= left_today
            current = self.next_opening(hours[1])
        raise ValueError("duration too long to count")

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        start = self.next_opening(moment)
        target = self.next_working_day(start.date(), days)
        hours = self.hours_on(target)
        assert hours is not None
        due = datetime.combine(target, start.timetz().replace(tzinfo=None), self.tz)
        # A Friday closes early: the same office time may not exist that day.
        return min(max(due, hours[0]), hours[1])

    def due_at(self, moment: datetime, waktu: Waktu) -> datetime:
        """When a step with time standard WAKTU, started at MOMENT, falls due (UTC)."""
        if waktu.unit in (WaktuUnit.MENIT, WaktuUnit.JAM):
            minutes = waktu.working_minutes
            assert minutes is not None
            due = self.add_working_minutes(moment, minutes)
        else:
            days = waktu.working_days
            assert days is not None
            due = self.add_working_days(moment, days)
        return due.astimezone(UTC)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)
