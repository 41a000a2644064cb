"""Each unit's working calendar from its `calendar` settings and those of the units above it.

Settings (in the organisation file, under a unit):

    calendar:
      office_hours: {senin: "07:30-16:00", ..., jumat: "07:00-14:00"}   # replaces the default
      days_off: [{date: 2026-05-20, name: Hari Jadi Kabupaten}]          # added to the holidays
      waktu: {pengukuran-data-kinerja/pengukuran_asn: 2 hari}            # step budget overrides

A Kecamatan inherits its Kabupaten's days off and overrides and, unless it sets its own, its
office hours.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from workflow.adapters.models import Unit, unit_chain
from workflow.domain.calendar import DEFAULT_OFFICE_HOURS, WEEKDAYS, DayOff, WorkCalendar
from workflow.domain.waktu import Waktu, parse_waktu

_HOURS_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def validate_calendar(raw: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check a unit's calendar settings; return them normalised and (field, reason) problems."""
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, dict):
        return {}, [("calendar", "must be a mapping with office_hours, days_off, waktu")]
    result: dict[str, Any] = {}
    for key in raw:
        if key not in ("office_hours", "days_off", "waktu"):
            problems.append((f"calendar.{key}", "unknown field"))
    hours = raw.get("office_hours")
    if hours is not None:
        if not isinstance(hours, dict) or not hours:
            problems.append(("calendar.office_hours", "must map weekday names (senin..minggu) to HH:MM-HH:MM"))
        else:
            clean: dict[str, str] = {}
            for day, span in hours.items():
                match = _HOURS_RE.match(str(span))
                if day not in WEEKDAYS:
                    problems.append((f"calendar.office_hours.{day}", f"not a weekday; one of {', '.join(WEEKDAYS)}"))
                elif match is None:
                    problems.append((f"calendar.office_hours.{day}", f"{span!r} is not HH:MM-HH:MM"))
                else:
                    h1, m1, h2, m2 = (int(g) for g in match.groups())
                    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60 and (h1, m1) < (h2, m2)):
                        problems.append(
                            (f"calendar.office_hours.{day}", f"{span!r}: the office must open before it closes")
                        )
                    else:
                        clean[day] = str(span)
            result["office_hours"] = clean
    days_off = raw.get("days_off")
    if days_off is not None:
        clean_days: list[dict[str, str]] = []
        if not isinstance(days_off, list):
            problems.append(("calendar.days_off", "must be a list of {date, name}"))
        else:
            for i, item in enumerate(days_off):
                field = f"calendar.days_off[{i}]"
                if not isinstance(item, dict) or "date" not in item or not str(item.get("name") or "").strip():
                    problems.append((field, "needs a date (YYYY-MM-DD) and a name"))
                    continue
                day = _plain_date(item["date"])
                if day is None:
                    problems.append((f"{field}.date", f"{item['date']!r} is not a date (YYYY-MM-DD)"))
                    continue
                clean_days.append({"date": day.isoformat(), "name": str(item["name"]).strip()})
        result["days_off"] = clean_days
    overrides = raw.get("waktu")
    if overrides is not None:
        clean_waktu: dict[str, str] = {}
        if not isinstance(overrides, dict):
            problems.append(("calendar.waktu", "must map SOP_KEY/STEP_ID to a time standard"))
        else:
            for step, printed in overrides.items():
                if "/" not in str(step):
                    problems.append((f"calendar.waktu.{step}", "the key must be SOP_KEY/STEP_ID"))
                    continue
                try:
                    parse_waktu(str(printed))
                except ValueError as exc:
                    problems.append((f"calendar.waktu.{step}", str(exc)))
                    continue
                clean_waktu[str(step)] = str(printed)
        result["waktu"] = clean_waktu
    return result, problems


def _plain_date(value: Any) -> date | None:
    """A calendar date written as YYYY-MM-DD; a time of day or any other form is refused."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _parse_hours(spec: dict[str, str]) -> dict[int, tuple[time, time]]:
    hours: dict[int, tuple[time, time]] = {}
    for day, span in spec.items():
        match = _HOURS_RE.match(span)
        assert match is not None
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        hours[WEEKDAYS.index(day)] = (time(h1, m1), time(h2, m2))
    return hours


@dataclass(frozen=True)
class UnitCalendar:
    calendar: WorkCalendar
    waktu_overrides: dict[str, Waktu]

    def waktu_for(self, sop_key: str, step_id: str, default: Waktu | None) -> Waktu | None:
        return self.waktu_overrides.get(f"{sop_key}/{step_id}", default)


class UnitCalendars:
    """Build and share each unit's effective calendar (cached until its settings change)."""

    def __init__(self) -> None:
        self._cache: dict[str, UnitCalendar] = {}
        self._lock = threading.Lock()

    def for_unit(self, session: Session, unit: Unit) -> UnitCalendar:
        chain = unit_chain(session, unit)
        hours: dict[str, str] | None = None
        days: dict[str, str] = {}
        waktu: dict[str, str] = {}
        for u in reversed(chain):  # the Kabupaten first, the unit itself last (it wins)
            settings = u.calendar or {}
            if settings.get("office_hours"):
                hours = settings["office_hours"]
            for d in settings.get("days_off", []):
                days[d["date"]] = d["name"]
            waktu.update(settings.get("waktu", {}))
        key = json.dumps([unit.timezone, hours, days, waktu], sort_keys=True)
        with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                calendar = WorkCalendar(
                    timezone=unit.timezone,
                    office_hours=_parse_hours(hours) if hours else dict(DEFAULT_OFFICE_HOURS),
                    days_off=tuple(DayOff(date.fromisoformat(d), n) for d, n in sorted(days.items())),
                )
                cached = UnitCalendar(calendar, {k: parse_waktu(v) for k, v in waktu.items()})
                self._cache[key] = cached
            return cached
