"""The working calendar: office hours, national holidays and cuti bersama, a unit's days off, and
when a step with a given time standard (`Waktu`) falls due.

Every expected time below was worked out by hand from the 2026 calendar, not from the code.
Default office hours are those Kecamatan Jetis publishes: Mon-Thu 07:30-16:00 and
Fri 07:00-14:00 (000:944-945).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workflow.domain.calendar import DEFAULT_OFFICE_HOURS, DayOff, WorkCalendar
from workflow.domain.waktu import parse_waktu

WIB = ZoneInfo("Asia/Jakarta")  # +07:00
WITA = ZoneInfo("Asia/Makassar")  # +08:00
WIT = ZoneInfo("Asia/Jayapura")  # +09:00

CALENDAR = WorkCalendar()


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


def due(start: datetime, printed: str, calendar: WorkCalendar = CALENDAR) -> datetime:
    return calendar.due_at(start, parse_waktu(printed))


# --- The default office hours -------------------------------------------------------------


def test_the_default_office_hours_are_those_kecamatan_jetis_publishes() -> None:
    # 000:944-945: Senin-Kamis 07.30-16.00, Jumat 07.00-14.00; no office on Saturday or Sunday.
    assert DEFAULT_OFFICE_HOURS == {
        0: (time(7, 30), time(16, 0)),
        1: (time(7, 30), time(16, 0)),
        2: (time(7, 30), time(16, 0)),
        3: (time(7, 30), time(16, 0)),
        4: (time(7, 0), time(14, 0)),
    }
    assert CALENDAR.hours_on(date(2026, 3, 6)) == (wib(2026, 3, 6, 7, 0), wib(2026, 3, 6, 14, 0))  # a Friday
    assert CALENDAR.hours_on(date(2026, 3, 7)) is None  # a Saturday


# --- The contract example: Nyepi and Idul Fitri 2026 ---------------------------------------


def test_five_hari_from_tuesday_17_march_2026_fall_due_on_31_march_because_of_nyepi_and_lebaran() -> None:
    # 18 Mar cuti bersama Nyepi, 19 Mar Nyepi, 20 Mar cuti bersama Idul Fitri, 21-22 Mar Idul
    # Fitri (a weekend), 23-24 Mar cuti bersama: the five working days are 25, 26, 27, 30, 31 Mar.
    result = due(wib(2026, 3, 17, 10, 0), "5 hari")

    assert result == wib(2026, 3, 31, 10, 0)
    assert CALENDAR.local(result).isoformat() == "2026-03-31T10:00:00+07:00"


def test_due_at_returns_the_due_time_in_utc() -> None:
    result = due(wib(2026, 3, 17, 10, 0), "5 hari")

    assert result.tzinfo is UTC
    assert result == datetime(2026, 3, 31, 3, 0, tzinfo=UTC)


def test_every_day_between_17_and_25_march_2026_is_a_named_holiday_or_cuti_bersama() -> None:
    names = {day: CALENDAR.holiday_name(date(2026, 3, day)) for day in range(18, 25)}
    print(names)  # the Indonesian names the `holidays` library gives

    assert names == {
        18: "Cuti Bersama Hari Suci Nyepi",
        19: "Hari Suci Nyepi",
        20: "Cuti Bersama Hari Raya Idul Fitri",
        21: "Hari Raya Idul Fitri",
        22: "Hari kedua dari Hari Raya Idul Fitri",
        23: "Cuti Bersama Hari Raya Idul Fitri",
        24: "Cuti Bersama Hari Raya Idul Fitri",
    }
    for day in range(18, 25):
        assert not CALENDAR.is_working_day(date(2026, 3, day)), day
    assert "Nyepi" in names[19] and "Cuti Bersama" not in names[19]
    assert "Nyepi" in names[18] and "Cuti Bersama" in names[18]
    for day in (21, 22):
        assert "Idul Fitri" in names[day] and "Cuti Bersama" not in names[day]
    for day in (20, 23, 24):
        assert "Idul Fitri" in names[day] and "Cuti Bersama" in names[day]


def test_the_working_days_on_either_side_of_the_lebaran_break_have_no_holiday() -> None:
    assert CALENDAR.is_working_day(date(2026, 3, 17))
    assert CALENDAR.holiday_name(date(2026, 3, 17)) is None
    assert CALENDAR.is_working_day(date(2026, 3, 25))
    assert CALENDAR.holiday_name(date(2026, 3, 25)) is None


# --- Lebaran 2026: a clock started on a holiday or running into one -------------------------


def test_one_hari_started_on_nyepi_counts_from_the_next_opening_on_25_march() -> None:
    # Thursday 19 Mar is Nyepi: the clock starts at 07:30 on Wednesday 25 Mar, the first working
    # day; one working day later at the same office time is Thursday 26 Mar 07:30.
    assert CALENDAR.next_opening(wib(2026, 3, 19, 10, 0)) == wib(2026, 3, 25, 7, 30)
    assert due(wib(2026, 3, 19, 10, 0), "1 hari") == wib(2026, 3, 26, 7, 30)


def test_sixty_menit_opened_at_1530_before_the_lebaran_break_finish_at_0800_on_25_march() -> None:
    # 30 minutes on Tuesday 17 Mar until 16:00, the other 30 after the 07:30 opening on 25 Mar.
    assert due(wib(2026, 3, 17, 15, 30), "60 menit") == wib(2026, 3, 25, 8, 0)


# --- A Friday afternoon (the week of 2-6 and 9-13 March 2026 has no holiday) ---------------


def test_sixty_menit_opened_on_friday_at_1330_finish_on_monday_at_0800() -> None:
    # Friday closes at 14:00: 30 minutes on Friday 6 Mar, 30 after Monday's 07:30 opening.
    assert due(wib(2026, 3, 6, 13, 30), "60 Menit") == wib(2026, 3, 9, 8, 0)  # 002:1391


def test_one_hari_opened_on_thursday_at_1530_falls_due_at_fridays_1400_closing() -> None:
    # 15:30 on Friday does not exist as office time: the due time is clamped to the closing.
    assert due(wib(2026, 3, 5, 15, 30), "1 hari") == wib(2026, 3, 6, 14, 0)


def test_one_hari_opened_at_fridays_0700_opening_falls_due_at_mondays_0730_opening() -> None:
    # 07:00 on Monday is before the office opens: clamped up to 07:30.
    assert due(wib(2026, 3, 6, 7, 0), "1 hari") == wib(2026, 3, 9, 7, 30)


def test_five_menit_opened_on_friday_after_closing_finish_on_monday_at_0735() -> None:
    assert CALENDAR.next_opening(wib(2026, 3, 6, 16, 30)) == wib(2026, 3, 9, 7, 30)
    assert due(wib(2026, 3, 6, 16, 30), "5 menit") == wib(2026, 3, 9, 7, 35)  # 000:1063


def test_sixty_menit_opened_on_friday_at_1300_finish_exactly_at_the_1400_closing() -> None:
    assert due(wib(2026, 3, 6, 13, 0), "60 menit") == wib(2026, 3, 6, 14, 0)


# --- Minute counts across office-hour boundaries -------------------------------------------


def test_one_hundred_twenty_menit_from_monday_1500_finish_on_tuesday_at_0830() -> None:
    # 60 minutes on Monday 2 Mar until 16:00, 60 after Tuesday's 07:30 opening.
    assert due(wib(2026, 3, 2, 15, 0), "120 menit") == wib(2026, 3, 3, 8, 30)  # 002:1397


def test_two_jam_is_the_same_as_one_hundred_twenty_menit() -> None:
    start = wib(2026, 3, 2, 15, 0)

    assert due(start, "2 jam") == due(start, "120 menit") == wib(2026, 3, 3, 8, 30)


def test_five_menit_opened_at_0600_before_the_office_opens_finish_at_0735_the_same_day() -> None:
    assert CALENDAR.next_opening(wib(2026, 3, 2, 6, 0)) == wib(2026, 3, 2, 7, 30)
    assert due(wib(2026, 3, 2, 6, 0), "5 menit") == wib(2026, 3, 2, 7, 35)


def test_a_clock_opened_in_office_hours_starts_at_once() -> None:
    assert CALENDAR.next_opening(wib(2026, 3, 2, 10, 15)) == wib(2026, 3, 2, 10, 15)
    assert due(wib(2026, 3, 2, 10, 15), "15 menit") == wib(2026, 3, 2, 10, 30)  # 002:1359


def test_a_clock_opened_at_the_closing_time_starts_at_the_next_opening() -> None:
    assert CALENDAR.next_opening(wib(2026, 3, 2, 16, 0)) == wib(2026, 3, 3, 7, 30)


def test_a_clock_opened_on_saturday_or_sunday_starts_on_monday_at_0730() -> None:
    for weekend_day in (7, 8):  # Saturday 7 and Sunday 8 March 2026
        start = wib(2026, 3, weekend_day, 10, 0)
        assert CALENDAR.next_opening(start) == wib(2026, 3, 9, 7, 30)
        assert due(start, "5 menit") == wib(2026, 3, 9, 7, 35)
        assert due(start, "1 hari") == wib(2026, 3, 10, 7, 30)


# --- Minggu: five working days each ---------------------------------------------------------


def test_one_minggu_is_five_working_days_in_a_week_without_holidays() -> None:
    # Monday 2 Mar: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9.
    assert due(wib(2026, 3, 2, 10, 0), "1 Minggu") == wib(2026, 3, 9, 10, 0)  # 000:1098


def test_one_minggu_across_the_lebaran_break_is_the_same_as_five_hari() -> None:
    start = wib(2026, 3, 17, 10, 0)

    assert due(start, "1 Minggu") == due(start, "5 hari") == wib(2026, 3, 31, 10, 0)  # 000:1098


def test_two_minggu_across_the_lebaran_break_and_good_friday_is_ten_working_days() -> None:
    # After 31 Mar (5): Wed 1 Apr (6), Thu 2 Apr (7), Fri 3 Apr is Wafat Yesus Kristus,
    # Mon 6 Apr (8), Tue 7 Apr (9), Wed 8 Apr (10).
    assert CALENDAR.holiday_name(date(2026, 4, 3)) == "Wafat Yesus Kristus"
    assert due(wib(2026, 3, 17, 10, 0), "2 Minggu") == wib(2026, 4, 8, 10, 0)  # 000:1100


def test_one_minggu_across_christmas_skips_the_cuti_bersama_and_natal() -> None:
    # Mon 21 Dec: Tue 22 (1), Wed 23 (2), Thu 24 cuti bersama, Fri 25 Natal, Mon 28 (3),
    # Tue 29 (4), Wed 30 (5).
    assert due(wib(2026, 12, 21, 9, 0), "1 Minggu") == wib(2026, 12, 30, 9, 0)


# --- Other time zones ----------------------------------------------------------------------


def test_a_unit_in_wita_counts_office_hours_in_wita_and_converts_the_due_time_to_utc() -> None:
    calendar = WorkCalendar(timezone="Asia/Makassar")
    start = datetime(2026, 3, 17, 10, 0, tzinfo=WITA)

    result = calendar.due_at(start, parse_waktu("5 hari"))

    assert result.tzinfo is UTC
    assert result == datetime(2026, 3, 31, 2, 0, tzinfo=UTC)
    assert calendar.local(result).isoformat() == "2026-03-31T10:00:00+08:00"


def test_a_unit_in_wita_reads_a_start_given_in_wib_as_its_own_office_time() -> None:
    calendar = WorkCalendar(timezone="Asia/Makassar")
    start = wib(2026, 3, 17, 9, 0)  # 10:00 WITA

    result = calendar.due_at(start, parse_waktu("5 hari"))

    assert calendar.local(result).isoformat() == "2026-03-31T10:00:00+08:00"
    assert result == datetime(2026, 3, 31, 2, 0, tzinfo=UTC)


def test_a_unit_in_wit_counts_office_hours_in_wit_and_converts_the_due_time_to_utc() -> None:
    calendar = WorkCalendar(timezone="Asia/Jayapura")

    result = calendar.due_at(datetime(2026, 3, 17, 10, 0, tzinfo=WIT), parse_waktu("5 hari"))

    assert result == datetime(2026, 3, 31, 1, 0, tzinfo=UTC)
    assert calendar.local(result).isoformat() == "2026-03-31T10:00:00+09:00"


def test_a_monday_0800_due_time_in_wit_is_sunday_evening_in_utc() -> None:
    calendar = WorkCalendar(timezone="Asia/Jayapura")

    result = calendar.due_at(datetime(2026, 3, 6, 13, 30, tzinfo=WIT), parse_waktu("60 menit"))

    assert calendar.local(result).isoformat() == "2026-03-09T08:00:00+09:00"
    assert result == datetime(2026, 3, 8, 23, 0, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)


# --- A unit's own days off -----------------------------------------------------------------

# The date is a fixture (a Wednesday with no national holiday), not the real anniversary.
HARI_JADI = DayOff(date(2026, 5, 20), "Hari Jadi Kabupaten Mojokerto")


def test_a_units_day_off_is_skipped_and_the_same_count_without_it_lands_a_day_earlier() -> None:
    with_day_off = WorkCalendar(days_off=(HARI_JADI,))
    start = wib(2026, 5, 19, 10, 0)  # Tuesday

    assert due(start, "1 hari", with_day_off) == wib(2026, 5, 21, 10, 0)
    assert due(start, "1 hari") == wib(2026, 5, 20, 10, 0)
    assert due(wib(2026, 5, 19, 15, 30), "60 menit", with_day_off) == wib(2026, 5, 21, 8, 0)
    assert due(wib(2026, 5, 19, 15, 30), "60 menit") == wib(2026, 5, 20, 8, 0)


def test_a_units_day_off_is_not_a_working_day_and_carries_its_name() -> None:
    calendar = WorkCalendar(days_off=(HARI_JADI,))

    assert not calendar.is_working_day(date(2026, 5, 20))
    assert calendar.holiday_name(date(2026, 5, 20)) == "Hari Jadi Kabupaten Mojokerto"
    assert CALENDAR.is_working_day(date(2026, 5, 20))
    assert CALENDAR.holiday_name(date(2026, 5, 20)) is None


def test_a_units_day_off_appears_in_holidays_in_its_year_only() -> None:
    calendar = WorkCalendar(days_off=(HARI_JADI,))

    assert (date(2026, 5, 20), "Hari Jadi Kabupaten Mojokerto") in calendar.holidays_in(2026)
    assert date(2026, 5, 20) not in dict(CALENDAR.holidays_in(2026))
    assert all(day.year == 2027 for day, _ in calendar.holidays_in(2027))
    assert calendar.holidays_in(2026) == sorted(CALENDAR.holidays_in(2026) + [(HARI_JADI.day, HARI_JADI.name)])


# --- Custom office hours -------------------------------------------------------------------

WITH_SATURDAY = WorkCalendar(office_hours={**DEFAULT_OFFICE_HOURS, 5: (time(7, 30), time(12, 0))})


def test_a_saturday_half_day_makes_saturday_a_working_day() -> None:
    assert WITH_SATURDAY.is_working_day(date(2026, 3, 7))
    assert WITH_SATURDAY.hours_on(date(2026, 3, 7)) == (wib(2026, 3, 7, 7, 30), wib(2026, 3, 7, 12, 0))
    assert not WITH_SATURDAY.is_working_day(date(2026, 3, 8))  # Sunday
    assert not WITH_SATURDAY.is_working_day(date(2026, 3, 21))  # Idul Fitri on a Saturday


def test_a_saturday_half_day_moves_a_friday_afternoon_due_time_to_saturday() -> None:
    assert due(wib(2026, 3, 6, 13, 30), "60 menit", WITH_SATURDAY) == wib(2026, 3, 7, 8, 0)
    assert due(wib(2026, 3, 6, 16, 30), "5 menit", WITH_SATURDAY) == wib(2026, 3, 7, 7, 35)
    assert due(wib(2026, 3, 6, 10, 0), "1 hari", WITH_SATURDAY) == wib(2026, 3, 7, 10, 0)


def test_a_saturday_half_day_clamps_a_hari_to_its_1200_closing() -> None:
    assert due(wib(2026, 3, 6, 13, 0), "1 hari", WITH_SATURDAY) == wib(2026, 3, 7, 12, 0)


def test_a_saturday_half_day_shortens_one_minggu() -> None:
    # Monday 2 Mar: Tue 3, Wed 4, Thu 5, Fri 6, Sat 7.
    assert due(wib(2026, 3, 2, 10, 0), "1 Minggu", WITH_SATURDAY) == wib(2026, 3, 7, 10, 0)


def test_other_opening_hours_change_where_minutes_carry_over() -> None:
    calendar = WorkCalendar(office_hours={d: (time(8, 0), time(15, 0)) for d in range(5)})

    assert due(wib(2026, 3, 2, 14, 30), "60 menit", calendar) == wib(2026, 3, 3, 8, 30)
    # Friday now closes at 15:00, so 14:30 on Friday is office time and nothing is clamped.
    assert due(wib(2026, 3, 5, 14, 30), "1 hari", calendar) == wib(2026, 3, 6, 14, 30)
    assert due(wib(2026, 3, 5, 14, 30), "1 hari") == wib(2026, 3, 6, 14, 0)
    assert due(wib(2026, 3, 6, 13, 30), "60 menit", calendar) == wib(2026, 3, 6, 14, 30)


# --- holidays_in ---------------------------------------------------------------------------


def test_holidays_in_2026_include_the_cuti_bersama_and_are_sorted() -> None:
    found = CALENDAR.holidays_in(2026)
    days = [day for day, _ in found]

    assert days == sorted(days)
    assert len(days) == len(set(days))
    assert all(day.year == 2026 for day in days)
    named = dict(found)
    assert named[date(2026, 12, 24)] == "Cuti Bersama Hari Raya Natal"
    assert named[date(2026, 12, 25)] == "Hari Raya Natal"
    assert named[date(2026, 3, 18)] == "Cuti Bersama Hari Suci Nyepi"
    assert named[date(2026, 3, 19)] == "Hari Suci Nyepi"
    assert [day for day, name in found if "Cuti Bersama" in name] == [
        date(2026, 2, 16),
        date(2026, 3, 18),
        date(2026, 3, 20),
        date(2026, 3, 23),
        date(2026, 3, 24),
        date(2026, 5, 15),
        date(2026, 5, 28),
        date(2026, 12, 24),
    ]


def test_holidays_in_agree_with_is_working_day() -> None:
    for day, name in CALENDAR.holidays_in(2026):
        assert not CALENDAR.is_working_day(day), (day, name)
        assert CALENDAR.holiday_name(day) == name


# --- Working days forwards and backwards ---------------------------------------------------


def test_previous_working_day_seven_back_skips_weekends() -> None:
    # Fri 13 Mar: Thu 12, Wed 11, Tue 10, Mon 9, Fri 6, Thu 5, Wed 4.
    assert CALENDAR.previous_working_day(date(2026, 3, 13), 7) == date(2026, 3, 4)


def test_previous_working_day_seven_back_skips_the_lebaran_break_for_an_h_minus_7_reminder() -> None:
    # Tue 31 Mar: Mon 30, Fri 27, Thu 26, Wed 25, (24..18 off), Tue 17, Mon 16, Fri 13.
    assert CALENDAR.previous_working_day(date(2026, 3, 31), 7) == date(2026, 3, 13)


def test_previous_working_day_seven_back_skips_christmas() -> None:
    # Thu 31 Dec: Wed 30, Tue 29, Mon 28, (25 Natal, 24 cuti bersama), Wed 23, Tue 22, Mon 21, Fri 18.
    assert CALENDAR.previous_working_day(date(2026, 12, 31), 7) == date(2026, 12, 18)


def test_previous_and_next_working_day_default_to_one() -> None:
    assert CALENDAR.previous_working_day(date(2026, 3, 9)) == date(2026, 3, 6)
    assert CALENDAR.previous_working_day(date(2026, 3, 25)) == date(2026, 3, 17)
    assert CALENDAR.next_working_day(date(2026, 3, 6)) == date(2026, 3, 9)
    assert CALENDAR.next_working_day(date(2026, 3, 17)) == date(2026, 3, 25)


def test_next_working_day_counts_n_working_days_ahead() -> None:
    assert CALENDAR.next_working_day(date(2026, 3, 17), 5) == date(2026, 3, 31)
    assert CALENDAR.next_working_day(date(2026, 3, 17), 10) == date(2026, 4, 8)


def test_the_first_working_day_on_or_after_a_holiday_is_the_next_working_day() -> None:
    assert CALENDAR.first_working_day_on_or_after(date(2026, 3, 19)) == date(2026, 3, 25)
    assert CALENDAR.first_working_day_on_or_after(date(2026, 3, 25)) == date(2026, 3, 25)
