"""A Kabupaten's triwulan and annual schedule: when each cycle opens, its deadline, reminders.

No seed states a statutory date (DOMAIN.md §5): the defaults below are configuration, not law.
- A triwulan cycle opens on the 1st working day after the quarter ends; its deadline is the
  close of office on the 10th working day after the quarter ends.
- The annual cycle (LKjIP) opens on the 1st working day of the next year; its deadline is the
  close of office on its 30th working day.
- Reminders go out H-7, H-3 and H-1 working days before a deadline; one that could not be sent
  within 24 hours of falling due is recorded as missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.adapters.models import Cycle, Schedule, Unit
from workflow.domain.calendar import WorkCalendar
from workflow.domain.periods import Period, PeriodError
from workflow.services.unit_calendars import UnitCalendars
from workflow.sop.spec import SopRegistry
from workflow.sop.yamlsource import LineDict, SourceError, SourceErrors, load_yaml

DEFAULT_LEADS = (7, 3, 1)
DEFAULT_MAX_LATENESS = timedelta(hours=24)
# Upper bounds, so that no value of the file can make the date arithmetic overflow or run long.
MAX_WORKING_DAY = 120  # a cycle opens or closes within about half a year of office days
MAX_LEAD = 60  # a reminder goes out at most about three months before its deadline
MAX_LEADS = 10  # reminders before each deadline
MAX_LATENESS_HOURS = 24 * 14  # a reminder not sent within two weeks is missed


@dataclass(frozen=True)
class CycleRule:
    sops: tuple[str, ...]
    opens_working_day: int
    deadline_working_day: int
    overrides: dict[str, tuple[date | None, date | None]]


@dataclass(frozen=True)
class ScheduleFile:
    kabupaten: str
    years: tuple[int, ...]
    lead_working_days: tuple[int, ...]
    max_lateness: timedelta
    triwulan: CycleRule | None
    tahunan: CycleRule | None


@dataclass(frozen=True)
class PlannedCycle:
    sop_key: str
    period: str
    opens_at: datetime
    deadline_at: datetime


def _positive_int(
    errors: list[SourceError], file: str, m: LineDict, key: str, path: str, default: int, maximum: int
) -> int:
    value = m.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        errors.append(SourceError(file, m.line_of(key), path, f"must be a whole number from 1 to {maximum}"))
        return default
    return value


def _rule(
    errors: list[SourceError],
    file: str,
    raw: Any,
    path: str,
    line: int,
    registry: SopRegistry,
    kind: str,
    default_open: int,
    default_deadline: int,
) -> CycleRule | None:
    if raw is None:
        return None
    if not isinstance(raw, LineDict):
        errors.append(SourceError(file, line, path, "must be a mapping"))
        return None
    for key in raw:
        if key not in ("sops", "opens_working_day", "deadline_working_day", "overrides"):
            errors.append(SourceError(file, raw.line_of(key), f"{path}.{key}", "unknown field"))
    sops = raw.get("sops")
    keys: list[str] = []
    if not isinstance(sops, list) or not sops:
        errors.append(SourceError(file, raw.line_of("sops"), f"{path}.sops", "must list at least one SOP key"))
    else:
        for key in sops:
            try:
                spec = registry.get(str(key))
            except KeyError:
                errors.append(SourceError(file, raw.line_of("sops"), f"{path}.sops", f"unknown SOP {key!r}"))
                continue
            if spec.periode != kind:
                errors.append(SourceError(file, raw.line_of("sops"), f"{path}.sops", f"{key} runs {spec.periode}"))
                continue
            keys.append(spec.key)
    opens = _positive_int(
        errors, file, raw, "opens_working_day", f"{path}.opens_working_day", default_open, MAX_WORKING_DAY
    )
    deadline = _positive_int(
        errors, file, raw, "deadline_working_day", f"{path}.deadline_working_day", default_deadline, MAX_WORKING_DAY
    )
    if deadline < opens:
        errors.append(SourceError(file, raw.line_of("deadline_working_day"), path, "the deadline comes before opening"))
    overrides: dict[str, tuple[date | None, date | None]] = {}
    raw_overrides = raw.get("overrides")
    if raw_overrides is not None and not isinstance(raw_overrides, LineDict):
        errors.append(SourceError(file, raw.line_of("overrides"), f"{path}.overrides", "must map periods to dates"))
    elif isinstance(raw_overrides, LineDict):
        for period, value in raw_overrides.items():
            where = f"{path}.overrides.{period}"
            if not isinstance(value, LineDict) or not set(value) <= {"opens", "deadline"}:
                errors.append(SourceError(file, raw_overrides.line_of(period), where, "must be {opens, deadline}"))
                continue
            dates: list[date | None] = []
            for field in ("opens", "deadline"):
                v = value.get(field)
                if v is None or (isinstance(v, date) and not isinstance(v, datetime)):
                    dates.append(v)
                else:
                    errors.append(SourceError(file, value.line_of(field), f"{where}.{field}", "must be a date"))
                    dates.append(None)
            try:
                year = Period.parse(str(period), kind).year
            except PeriodError:
                example = "2026-TW1" if kind == "triwulan" else "2026"
                errors.append(SourceError(file, raw_overrides.line_of(period), where, f"not a period like {example}"))
                continue
            for i, field in enumerate(("opens", "deadline")):
                found = dates[i]
                if found is not None and found.year not in (year, year + 1):
                    # a date far from its period is a typo, and would take the reminders' arithmetic off the calendar
                    errors.append(
                        SourceError(file, value.line_of(field), f"{where}.{field}", f"must be in {year} or {year + 1}")
                    )
                    dates[i] = None
            if dates[0] and dates[1] and dates[1] < dates[0]:
                errors.append(
                    SourceError(file, raw_overrides.line_of(period), where, "the deadline comes before opening")
                )
                continue
            overrides[str(period)] = (dates[0], dates[1])
    return CycleRule(tuple(keys), opens, deadline, overrides)


def parse_schedule_file(path: Path, registry: SopRegistry) -> ScheduleFile:
    """Validate a schedule file; raise SourceErrors listing every problem."""
    file = str(path)
    data, _ = load_yaml(path)
    errors: list[SourceError] = []
    if not isinstance(data, LineDict):
        raise SourceErrors([SourceError(file, 1, "file", "must be a mapping")])
    for key in data:
        if key not in ("kabupaten", "years", "reminders", "triwulan", "tahunan"):
            errors.append(SourceError(file, data.line_of(key), key, "unknown field"))
    kabupaten = data.get("kabupaten")
    if not isinstance(kabupaten, str) or not kabupaten:
        errors.append(SourceError(file, data.line_of("kabupaten"), "kabupaten", "is required (a unit code)"))
        kabupaten = ""
    years = data.get("years")
    if not isinstance(years, list) or not years or not all(isinstance(y, int) and 2000 <= y <= 2100 for y in years):
        errors.append(SourceError(file, data.line_of("years"), "years", "must list years such as 2025"))
        years = []
    elif len(set(years)) != len(years):
        errors.append(SourceError(file, data.line_of("years"), "years", "lists a year twice"))
        years = []
    leads: tuple[int, ...] = DEFAULT_LEADS
    lateness = DEFAULT_MAX_LATENESS
    reminders = data.get("reminders")
    if reminders is not None:
        if not isinstance(reminders, LineDict):
            errors.append(SourceError(file, data.line_of("reminders"), "reminders", "must be a mapping"))
        else:
            for key in reminders:
                if key not in ("lead_working_days", "max_lateness_hours"):
                    errors.append(SourceError(file, reminders.line_of(key), f"reminders.{key}", "unknown field"))
            raw_leads = reminders.get("lead_working_days", list(DEFAULT_LEADS))
            if (
                not isinstance(raw_leads, list)
                or len(raw_leads) > MAX_LEADS
                or not all(isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= MAX_LEAD for x in raw_leads)
            ):
                errors.append(
                    SourceError(
                        file,
                        reminders.line_of("lead_working_days"),
                        "reminders.lead_working_days",
                        f"must list at most {MAX_LEADS} whole numbers of working days from 1 to {MAX_LEAD}, "
                        "e.g. [7, 3, 1]",
                    )
                )
            else:
                leads = tuple(sorted(set(raw_leads), reverse=True))
            hours = _positive_int(
                errors, file, reminders, "max_lateness_hours", "reminders.max_lateness_hours", 24, MAX_LATENESS_HOURS
            )
            lateness = timedelta(hours=hours)
    triwulan = _rule(errors, file, data.get("triwulan"), "triwulan", data.line_of("triwulan"), registry,
                     "triwulan", 1, 10)  # fmt: skip
    tahunan = _rule(errors, file, data.get("tahunan"), "tahunan", data.line_of("tahunan"), registry,
                    "tahunan", 1, 30)  # fmt: skip
    for rule in (triwulan, tahunan):
        for period in rule.overrides if rule else {}:
            if Period.parse(period).year not in years:
                errors.append(
                    SourceError(file, data.line_of("years"), "years", f"override {period} is for a year not listed")
                )
    if errors:
        raise SourceErrors(errors)
    return ScheduleFile(kabupaten, tuple(years), leads, lateness, triwulan, tahunan)


def _opening(calendar: WorkCalendar, day: date) -> datetime:
    hours = calendar.hours_on(calendar.first_working_day_on_or_after(day))
    assert hours is not None
    return hours[0].astimezone(UTC)


def _closing(calendar: WorkCalendar, day: date) -> datetime:
    hours = calendar.hours_on(calendar.first_working_day_on_or_after(day))
    assert hours is not None
    return hours[1].astimezone(UTC)


def plan_cycles(schedule: ScheduleFile, calendar: WorkCalendar) -> list[PlannedCycle]:
    """Every cycle the schedule sets for its years, with opening and deadline times (UTC)."""
    planned: list[PlannedCycle] = []
    quarter_ends = {1: date(1, 3, 31), 2: date(1, 6, 30), 3: date(1, 9, 30), 4: date(1, 12, 31)}
    for year in schedule.years:
        rule = schedule.triwulan
        if rule is not None:
            for tw, end in quarter_ends.items():
                period = str(Period(year, tw))
                quarter_end = end.replace(year=year)
                opens, deadline = rule.overrides.get(period, (None, None))
                opens = opens or calendar.next_working_day(quarter_end, rule.opens_working_day)
                deadline = deadline or calendar.next_working_day(quarter_end, rule.deadline_working_day)
                for sop in rule.sops:
                    planned.append(PlannedCycle(sop, period, _opening(calendar, opens), _closing(calendar, deadline)))
        rule = schedule.tahunan
        if rule is not None:
            period = str(Period(year))
            year_end = date(year, 12, 31)
            opens, deadline = rule.overrides.get(period, (None, None))
            opens = opens or calendar.next_working_day(year_end, rule.opens_working_day)
            deadline = deadline or calendar.next_working_day(year_end, rule.deadline_working_day)
            for sop in rule.sops:
                planned.append(PlannedCycle(sop, period, _opening(calendar, opens), _closing(calendar, deadline)))
    return planned


@dataclass(frozen=True)
class ScheduleLoadSummary:
    kabupaten: str
    cycles: int


def load_schedule(
    session: Session, schedule: ScheduleFile, calendars: UnitCalendars, now: datetime
) -> ScheduleLoadSummary:
    """Store the reminder settings and upsert every planned cycle (an opened cycle keeps its opening)."""
    unit = session.scalar(select(Unit).where(Unit.code == schedule.kabupaten))
    if unit is None:
        raise SourceErrors([SourceError("schedule", 1, "kabupaten", f"unknown unit {schedule.kabupaten!r}")])
    settings = session.get(Schedule, unit.id)
    if settings is None:
        settings = Schedule(kabupaten_id=unit.id)
        session.add(settings)
    settings.lead_working_days = list(schedule.lead_working_days)
    settings.max_lateness_minutes = int(schedule.max_lateness.total_seconds() // 60)
    settings.loaded_at = now
    calendar = calendars.for_unit(session, unit).calendar
    planned = plan_cycles(schedule, calendar)
    existing = {(c.sop_key, c.period): c for c in session.scalars(select(Cycle).where(Cycle.kabupaten_id == unit.id))}
    for p in planned:
        cycle = existing.get((p.sop_key, p.period))
        if cycle is None:
            session.add(
                Cycle(
                    kabupaten_id=unit.id,
                    sop_key=p.sop_key,
                    period=p.period,
                    opens_at=p.opens_at,
                    deadline_at=p.deadline_at,
                )  # fmt: skip
            )
            continue
        if cycle.opened_at is None:
            cycle.opens_at = p.opens_at
        cycle.deadline_at = p.deadline_at
    session.flush()
    return ScheduleLoadSummary(schedule.kabupaten, len(planned))
