"""A unit's `calendar:` settings: how the organisation file's block is checked, and how a
Kecamatan's effective calendar is merged with its Kabupaten's. No database: a tiny stand-in
answers the only query UnitCalendars.for_unit makes, `session.get(Unit, parent_id)`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workflow.adapters.models import Unit
from workflow.domain.calendar import DEFAULT_OFFICE_HOURS, DayOff
from workflow.domain.waktu import parse_waktu
from workflow.services.unit_calendars import UnitCalendars, validate_calendar

WIB = ZoneInfo("Asia/Jakarta")

# --- validate_calendar ---------------------------------------------------------------------


def test_a_good_calendar_block_is_accepted_and_its_dates_become_iso_strings() -> None:
    raw = {
        "office_hours": {"senin": "07:30-16:00", "jumat": "07:00-14:00", "sabtu": "07:30-12:00"},
        "days_off": [
            {"date": date(2026, 5, 20), "name": "Hari Jadi Kabupaten Mojokerto"},  # as YAML reads it
            {"date": "2026-06-20", "name": "  Hari Jadi Kota Mojokerto  "},
        ],
        "waktu": {"pengukuran-data-kinerja/pengukuran_asn": "2 hari", "penyusunan-lkjip/draf": "1 Minggu"},
    }

    result, problems = validate_calendar(raw)

    assert problems == []
    assert result == {
        "office_hours": {"senin": "07:30-16:00", "jumat": "07:00-14:00", "sabtu": "07:30-12:00"},
        "days_off": [
            {"date": "2026-05-20", "name": "Hari Jadi Kabupaten Mojokerto"},
            {"date": "2026-06-20", "name": "Hari Jadi Kota Mojokerto"},
        ],
        "waktu": {"pengukuran-data-kinerja/pengukuran_asn": "2 hari", "penyusunan-lkjip/draf": "1 Minggu"},
    }


def test_an_empty_calendar_block_is_accepted_as_nothing_to_change() -> None:
    assert validate_calendar({}) == ({}, [])


def test_a_calendar_that_is_not_a_mapping_is_refused() -> None:
    result, problems = validate_calendar(["senin"])

    assert result == {}
    assert [field for field, _ in problems] == ["calendar"]


def test_an_unknown_field_is_refused() -> None:
    _, problems = validate_calendar({"office_hour": {"senin": "07:30-16:00"}})

    assert problems == [("calendar.office_hour", "unknown field")]


def test_a_weekday_name_that_is_not_indonesian_is_refused() -> None:
    result, problems = validate_calendar({"office_hours": {"monday": "07:30-16:00", "senin": "07:30-16:00"}})

    assert len(problems) == 1
    field, reason = problems[0]
    assert field == "calendar.office_hours.monday"
    assert reason.startswith("not a weekday")
    assert "senin" in reason and "minggu" in reason
    assert result["office_hours"] == {"senin": "07:30-16:00"}


def test_office_hours_that_close_before_they_open_are_refused() -> None:
    _, problems = validate_calendar({"office_hours": {"senin": "16:00-07:30"}})

    assert problems == [("calendar.office_hours.senin", "'16:00-07:30': the office must open before it closes")]


def test_office_hours_written_with_dots_are_refused() -> None:
    # The seed prints "07.30-16.00" (000:944); the settings want HH:MM-HH:MM.
    _, problems = validate_calendar({"office_hours": {"senin": "7.30-16.00"}})

    assert problems == [("calendar.office_hours.senin", "'7.30-16.00' is not HH:MM-HH:MM")]


def test_office_hours_with_an_impossible_time_are_refused() -> None:
    _, problems = validate_calendar({"office_hours": {"senin": "07:30-24:00", "selasa": "07:60-16:00"}})

    assert [field for field, _ in problems] == ["calendar.office_hours.senin", "calendar.office_hours.selasa"]


def test_empty_office_hours_are_refused() -> None:
    _, problems = validate_calendar({"office_hours": {}})

    assert [field for field, _ in problems] == ["calendar.office_hours"]


def test_a_day_off_without_a_name_is_refused() -> None:
    _, problems = validate_calendar(
        {"days_off": [{"date": "2026-05-20"}, {"date": "2026-05-21", "name": "  "}, {"name": "Hari Jadi"}]}
    )

    assert problems == [
        ("calendar.days_off[0]", "needs a date (YYYY-MM-DD) and a name"),
        ("calendar.days_off[1]", "needs a date (YYYY-MM-DD) and a name"),
        ("calendar.days_off[2]", "needs a date (YYYY-MM-DD) and a name"),
    ]


def test_a_day_off_with_a_bad_date_is_refused() -> None:
    result, problems = validate_calendar(
        {"days_off": [{"date": "2026-02-30", "name": "Hari Jadi"}, {"date": "20 Mei 2026", "name": "Hari Jadi"}]}
    )

    assert problems == [
        ("calendar.days_off[0].date", "'2026-02-30' is not a date (YYYY-MM-DD)"),
        ("calendar.days_off[1].date", "'20 Mei 2026' is not a date (YYYY-MM-DD)"),
    ]
    assert result["days_off"] == []


def test_days_off_that_are_not_a_list_are_refused() -> None:
    _, problems = validate_calendar({"days_off": {"date": "2026-05-20", "name": "Hari Jadi"}})

    assert [field for field, _ in problems] == ["calendar.days_off"]


def test_a_day_off_written_as_a_yaml_timestamp_is_refused_or_kept_as_a_plain_date() -> None:
    # YAML reads `date: 2026-05-20 00:00:00` as a datetime. Whatever validate_calendar accepts,
    # UnitCalendars.for_unit must be able to read back with date.fromisoformat.
    result, problems = validate_calendar({"days_off": [{"date": datetime(2026, 5, 20, 0, 0), "name": "Hari Jadi"}]})

    if problems:
        assert [field for field, _ in problems] == ["calendar.days_off[0].date"]
    else:
        assert result["days_off"] == [{"date": "2026-05-20", "name": "Hari Jadi"}]


def test_a_waktu_override_whose_key_has_no_slash_is_refused() -> None:
    result, problems = validate_calendar({"waktu": {"pengukuran_asn": "2 hari"}})

    assert problems == [("calendar.waktu.pengukuran_asn", "the key must be SOP_KEY/STEP_ID")]
    assert result["waktu"] == {}


def test_a_waktu_override_in_months_is_refused_with_the_forms_that_are_accepted() -> None:
    _, problems = validate_calendar({"waktu": {"pengukuran-data-kinerja/pengukuran_asn": "3 bulan"}})

    assert len(problems) == 1
    field, reason = problems[0]
    assert field == "calendar.waktu.pengukuran-data-kinerja/pengukuran_asn"
    assert reason.startswith("cannot read '3 bulan'")
    assert "menit, jam, hari, Minggu" in reason


def test_every_problem_in_one_block_is_reported_together() -> None:
    _, problems = validate_calendar(
        {
            "holidays": [],
            "office_hours": {"senin": "16:00-07:30"},
            "days_off": [{"date": "2026-05-20"}],
            "waktu": {"x": "1 hari"},
        }
    )

    assert [field for field, _ in problems] == [
        "calendar.holidays",
        "calendar.office_hours.senin",
        "calendar.days_off[0]",
        "calendar.waktu.x",
    ]


# --- UnitCalendars.for_unit ----------------------------------------------------------------


class FakeSession:
    """Stands in for the Session: for_unit only looks up parents with session.get(Unit, id)."""

    def __init__(self, *units: Unit) -> None:
        self.units = {unit.id: unit for unit in units}
        self.lookups: list[int] = []

    def get(self, model: type, ident: int) -> Unit | None:
        assert model is Unit
        self.lookups.append(ident)
        return self.units.get(ident)


def kabupaten(calendar: dict[str, Any] | None) -> Unit:
    return Unit(
        id=1,
        code="mojokerto",
        name="Kabupaten Mojokerto",
        kind="kabupaten",
        timezone="Asia/Jakarta",
        parent_id=None,
        calendar=calendar,
    )


def kecamatan(calendar: dict[str, Any] | None, timezone: str = "Asia/Jakarta") -> Unit:
    return Unit(
        id=2,
        code="kutorejo",
        name="Kecamatan Kutorejo",
        kind="kecamatan",
        timezone=timezone,
        parent_id=1,
        calendar=calendar,
    )


def for_unit(calendars: UnitCalendars, unit: Unit, *others: Unit) -> Any:
    return calendars.for_unit(cast(Session, FakeSession(unit, *others)), unit)


KABUPATEN_SETTINGS: dict[str, Any] = {
    "office_hours": {d: "08:00-15:00" for d in ("senin", "selasa", "rabu", "kamis", "jumat")},
    # The dates are fixtures (working days without a national holiday), not real anniversaries.
    "days_off": [{"date": "2026-05-20", "name": "Hari Jadi Kabupaten Mojokerto"}],
    "waktu": {
        "pengukuran-data-kinerja/pengukuran_asn": "3 hari",
        "penyusunan-lkjip/draf": "2 Minggu",
    },
}

KECAMATAN_SETTINGS: dict[str, Any] = {
    "office_hours": {"senin": "07:30-16:00", "selasa": "07:30-16:00", "sabtu": "07:30-12:00"},
    "days_off": [{"date": "2026-06-10", "name": "Hari Jadi Kecamatan Kutorejo"}],
    "waktu": {"pengukuran-data-kinerja/pengukuran_asn": "1 hari"},
}


def test_a_kecamatan_inherits_its_kabupatens_days_off_and_keeps_its_own() -> None:
    unit_calendar = for_unit(UnitCalendars(), kecamatan(KECAMATAN_SETTINGS), kabupaten(KABUPATEN_SETTINGS))
    calendar = unit_calendar.calendar

    assert calendar.days_off == (
        DayOff(date(2026, 5, 20), "Hari Jadi Kabupaten Mojokerto"),
        DayOff(date(2026, 6, 10), "Hari Jadi Kecamatan Kutorejo"),
    )
    assert not calendar.is_working_day(date(2026, 5, 20))
    assert not calendar.is_working_day(date(2026, 6, 10))
    assert calendar.holiday_name(date(2026, 5, 20)) == "Hari Jadi Kabupaten Mojokerto"


def test_a_kecamatans_own_office_hours_replace_its_kabupatens() -> None:
    calendar = for_unit(UnitCalendars(), kecamatan(KECAMATAN_SETTINGS), kabupaten(KABUPATEN_SETTINGS)).calendar

    assert calendar.office_hours == {
        0: (time(7, 30), time(16, 0)),
        1: (time(7, 30), time(16, 0)),
        5: (time(7, 30), time(12, 0)),
    }
    # Tuesday 2 Jun 15:30 + 60 menit: 30 until 16:00; Wednesday-Friday are not the Kecamatan's
    # office days (the Kabupaten's 08:00-15:00 weekdays are replaced), so the rest is on Saturday.
    due = calendar.due_at(datetime(2026, 6, 2, 15, 30, tzinfo=WIB), parse_waktu("60 menit"))
    assert due == datetime(2026, 6, 6, 8, 0, tzinfo=WIB)


def test_a_kecamatan_without_office_hours_takes_its_kabupatens() -> None:
    calendar = for_unit(UnitCalendars(), kecamatan({"days_off": []}), kabupaten(KABUPATEN_SETTINGS)).calendar

    assert calendar.office_hours == {d: (time(8, 0), time(15, 0)) for d in range(5)}
    assert calendar.days_off == (DayOff(date(2026, 5, 20), "Hari Jadi Kabupaten Mojokerto"),)


def test_without_any_office_hours_the_jetis_defaults_apply() -> None:
    # Mon-Thu 07:30-16:00, Fri 07:00-14:00 (000:944-945).
    calendar = for_unit(UnitCalendars(), kecamatan(None), kabupaten(None)).calendar

    assert calendar.office_hours == DEFAULT_OFFICE_HOURS
    assert calendar.days_off == ()
    assert calendar.timezone == "Asia/Jakarta"


def test_waktu_overrides_merge_and_the_kecamatan_wins() -> None:
    unit_calendar = for_unit(UnitCalendars(), kecamatan(KECAMATAN_SETTINGS), kabupaten(KABUPATEN_SETTINGS))

    assert unit_calendar.waktu_overrides == {
        "pengukuran-data-kinerja/pengukuran_asn": parse_waktu("1 hari"),
        "penyusunan-lkjip/draf": parse_waktu("2 Minggu"),
    }
    assert unit_calendar.waktu_for("pengukuran-data-kinerja", "pengukuran_asn", parse_waktu("2 hari")) == parse_waktu(
        "1 hari"
    )
    assert unit_calendar.waktu_for("penyusunan-lkjip", "draf", None) == parse_waktu("2 Minggu")
    default = parse_waktu("5 menit")
    assert unit_calendar.waktu_for("penyusunan-lkjip", "kirim", default) is default


def test_a_day_off_on_the_same_date_takes_the_kecamatans_name() -> None:
    own = {"days_off": [{"date": "2026-05-20", "name": "Hari Jadi Kecamatan Kutorejo"}]}

    calendar = for_unit(UnitCalendars(), kecamatan(own), kabupaten(KABUPATEN_SETTINGS)).calendar

    assert calendar.days_off == (DayOff(date(2026, 5, 20), "Hari Jadi Kecamatan Kutorejo"),)


def test_the_calendar_is_in_the_units_own_time_zone() -> None:
    calendar = for_unit(UnitCalendars(), kecamatan(None, "Asia/Makassar"), kabupaten(KABUPATEN_SETTINGS)).calendar

    assert calendar.timezone == "Asia/Makassar"


def test_the_same_settings_return_the_same_cached_calendar() -> None:
    calendars = UnitCalendars()

    first = for_unit(calendars, kecamatan(KECAMATAN_SETTINGS), kabupaten(KABUPATEN_SETTINGS))
    again = for_unit(calendars, kecamatan(dict(KECAMATAN_SETTINGS)), kabupaten(dict(KABUPATEN_SETTINGS)))

    assert again is first


def test_changed_settings_build_a_new_calendar() -> None:
    calendars = UnitCalendars()
    first = for_unit(calendars, kecamatan(KECAMATAN_SETTINGS), kabupaten(KABUPATEN_SETTINGS))

    more_days_off = {
        **KABUPATEN_SETTINGS,
        "days_off": [*KABUPATEN_SETTINGS["days_off"], {"date": "2026-07-01", "name": "Rapat Kabupaten"}],
    }
    changed = for_unit(calendars, kecamatan(KECAMATAN_SETTINGS), kabupaten(more_days_off))
    other_zone = for_unit(calendars, kecamatan(KECAMATAN_SETTINGS, "Asia/Jayapura"), kabupaten(KABUPATEN_SETTINGS))

    assert changed is not first
    assert changed.calendar.holiday_name(date(2026, 7, 1)) == "Rapat Kabupaten"
    assert first.calendar.holiday_name(date(2026, 7, 1)) is None
    assert other_zone is not first and other_zone is not changed


def test_for_unit_looks_up_only_the_parent_chain() -> None:
    session = FakeSession(kecamatan(KECAMATAN_SETTINGS), kabupaten(KABUPATEN_SETTINGS))

    UnitCalendars().for_unit(cast(Session, session), session.units[2])

    assert session.lookups == [1]


def test_validated_settings_feed_for_unit_directly() -> None:
    settings, problems = validate_calendar(
        {"days_off": [{"date": date(2026, 5, 20), "name": "Hari Jadi Kabupaten Mojokerto"}]}
    )
    assert problems == []

    calendar = for_unit(UnitCalendars(), kecamatan(None), kabupaten(settings)).calendar

    assert not calendar.is_working_day(date(2026, 5, 20))
    due = calendar.due_at(datetime(2026, 5, 19, 10, 0, tzinfo=WIB), parse_waktu("1 hari"))
    assert due == datetime(2026, 5, 21, 10, 0, tzinfo=WIB)
