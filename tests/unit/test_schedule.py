"""Schedule files: the default triwulan and annual dates, overrides, and refused files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from workflow.domain.calendar import WorkCalendar
from workflow.services.schedule import parse_schedule_file, plan_cycles
from workflow.sop.spec import SopRegistry
from workflow.sop.yamlsource import SourceErrors

WIB = ZoneInfo("Asia/Jakarta")
LEADS_REASON = "must list at most 10 whole numbers of working days from 1 to 60, e.g. [7, 3, 1]"
REGISTRY = SopRegistry.from_directory(Path(__file__).resolve().parents[2] / "sop_definitions")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _local(moment: datetime) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M")


def test_default_triwulan_opens_the_first_working_day_and_closes_the_tenth(tmp_path: Path) -> None:
    path = _write(tmp_path, "kabupaten: mojokerto\nyears: [2026]\ntriwulan: {sops: [pengukuran-data-kinerja]}\n")
    cycles = {c.period: c for c in plan_cycles(parse_schedule_file(path, REGISTRY), WorkCalendar())}

    assert sorted(cycles) == ["2026-TW1", "2026-TW2", "2026-TW3", "2026-TW4"]
    # After 31 March 2026: 1 April is working day 1; Good Friday (3 April) is skipped, so the 10th is 15 April.
    assert (_local(cycles["2026-TW1"].opens_at), _local(cycles["2026-TW1"].deadline_at)) == (
        "2026-04-01 07:30",
        "2026-04-15 16:00",
    )
    # TW4 ends on 31 December; 1 January 2027 is a holiday, so the cycle opens on Monday 4 January.
    assert _local(cycles["2026-TW4"].opens_at) == "2027-01-04 07:30"


def test_an_override_sets_one_periods_dates_and_the_annual_cycle_follows_its_own_rule(tmp_path: Path) -> None:
    text = (
        "kabupaten: mojokerto\nyears: [2025]\n"
        "triwulan:\n  sops: [pengukuran-data-kinerja]\n  overrides:\n"
        "    2025-TW2: {opens: 2025-07-07, deadline: 2025-07-25}\n"
        "tahunan: {sops: [penyusunan-lkjip], deadline_working_day: 20}\n"
    )
    cycles = {(c.sop_key, c.period): c for c in plan_cycles(parse_schedule_file(_write(tmp_path, text), REGISTRY),
                                                             WorkCalendar())}  # fmt: skip

    tw2 = cycles[("pengukuran-data-kinerja", "2025-TW2")]
    assert (_local(tw2.opens_at), _local(tw2.deadline_at)) == ("2025-07-07 07:30", "2025-07-25 14:00")  # a Friday
    lkjip = cycles[("penyusunan-lkjip", "2025")]
    assert _local(lkjip.opens_at).startswith("2026-01-02")
    assert len(cycles) == 5


@pytest.mark.parametrize(
    ("text", "needle", "field", "reason"),
    [
        ("kabupaten: mojokerto\nyears: [2026]\ntriwulan: {sops: [no-such-sop]}\n", "triwulan", "triwulan.sops",
         "unknown SOP 'no-such-sop'"),
        ("kabupaten: mojokerto\nyears: [2026]\ntriwulan: {sops: [penyusunan-lkjip]}\n", "triwulan", "triwulan.sops",
         "penyusunan-lkjip runs tahunan"),
        ("kabupaten: mojokerto\nyears: [2026]\nreminders: {lead_working_days: [7, 0]}\n", "reminders",
         "reminders.lead_working_days", LEADS_REASON),
        ("kabupaten: mojokerto\nyears: [2026]\nreminders: {lead_working_days: [7, 100000000]}\n", "reminders",
         "reminders.lead_working_days", LEADS_REASON),
        ("kabupaten: mojokerto\nyears: [2026]\nreminders: {lead_working_days: [" + ", ".join(map(str, range(1, 12)))
         + "]}\n", "reminders", "reminders.lead_working_days", LEADS_REASON),
        ("kabupaten: mojokerto\nyears: [2026]\nreminders:\n  max_lateness_hours: 99999999999999999999999\n",
         "max_lateness_hours", "reminders.max_lateness_hours", "must be a whole number from 1 to 336"),
        ("kabupaten: mojokerto\nyears: [2026, 2027, 2026]\n", "years", "years", "lists a year twice"),
        ("kabupaten: mojokerto\nyears: [26]\n", "years", "years", "must list years such as 2025"),
        ("kabupaten: mojokerto\nyears: [2026]\ntriwulan:\n  sops: [pengukuran-data-kinerja]\n"
         "  deadline_working_day: 0\n",
         "deadline_working_day", "triwulan.deadline_working_day", "must be a whole number from 1 to 120"),
        ("kabupaten: mojokerto\nyears: [2026]\ntahunan:\n  sops: [penyusunan-lkjip]\n"
         "  opens_working_day: 100000000\n  deadline_working_day: 100000001\n",
         "opens_working_day", "tahunan.opens_working_day", "must be a whole number from 1 to 120"),
        ("kabupaten: mojokerto\nyear: [2026]\n", "year:", "year", "unknown field"),
    ],
)  # fmt: skip
def test_a_bad_schedule_is_refused_with_file_line_field_and_reason(
    tmp_path: Path, text: str, needle: str, field: str, reason: str
) -> None:
    path = _write(tmp_path, text)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if needle in row)
    with pytest.raises(SourceErrors) as info:
        parse_schedule_file(path, REGISTRY)
    assert f"{path}:{line}: {field}: {reason}" in [str(e) for e in info.value.errors]


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ("2026-tw3: {opens: 2026-10-01}", "not a period like 2026-TW1"),
        ("2026-TW3: {opens: 2026-10-20, deadline: 2026-10-05}", "the deadline comes before opening"),
        ("2026-TW3: {opens: 2026-10-01, deadline: 0001-01-01}", "must be in 2026 or 2027"),
        ("2026-TW3: {opens: 9999-12-31}", "must be in 2026 or 2027"),
    ],
)
def test_a_bad_override_is_refused(tmp_path: Path, override: str, reason: str) -> None:
    head = "kabupaten: mojokerto\nyears: [2026]\ntriwulan:\n  sops: [pengukuran-data-kinerja]\n  overrides:\n"
    text = f"{head}    {override}\n"
    path = _write(tmp_path, text)
    with pytest.raises(SourceErrors) as info:
        parse_schedule_file(path, REGISTRY)
    assert [e.reason for e in info.value.errors] == [reason]
    assert info.value.errors[0].line == 6


def test_an_override_for_a_year_not_listed_is_refused(tmp_path: Path) -> None:
    text = "kabupaten: mojokerto\nyears: [2026]\ntriwulan:\n  sops: [pengukuran-data-kinerja]\n  overrides:\n"
    path = _write(tmp_path, text + "    2031-TW1: {opens: 2031-04-01}\n")
    with pytest.raises(SourceErrors, match="override 2031-TW1 is for a year not listed"):
        parse_schedule_file(path, REGISTRY)
