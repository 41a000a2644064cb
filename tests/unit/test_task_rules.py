"""Who may take a task, and when it falls due: pure rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflow.deadlines import ElapsedTimeDeadlines
from workflow.models import Task
from workflow.service import may_take
from workflow.waktu import parse_waktu

OPENED = datetime(2024, 4, 1, 2, 0, tzinfo=UTC)


def _task(role: str, seksi: str | None = None, assignee_id: int | None = None) -> Task:
    return Task(role=role, seksi=seksi, assignee_id=assignee_id)


def test_a_role_task_may_be_taken_by_any_holder_of_the_role() -> None:
    task = _task("tim_sakip")
    assert may_take(task, "tim_sakip", None, 1) and may_take(task, "tim_sakip", None, 2)
    assert not may_take(task, "sekcam", None, 1)


def test_a_persons_fan_out_task_may_be_taken_only_by_that_person() -> None:
    task = _task("asn", assignee_id=7)
    assert may_take(task, "asn", None, 7)
    assert not may_take(task, "asn", None, 8)


def test_a_seksi_task_may_be_taken_by_whoever_holds_that_seksi_including_a_plt() -> None:
    task = _task("kasi", seksi="pelayanan", assignee_id=3)
    assert may_take(task, "kasi", "pelayanan", 3)
    assert may_take(task, "kasi", "pelayanan", 9)  # the Plt. Kasi Pelayanan
    assert not may_take(task, "kasi", "trantib", 3)


@pytest.mark.parametrize(
    ("printed", "minutes"),
    [
        ("5 Menit", 5),  # 002:1390
        ("120 menit", 120),  # 002:1397
        ("2 jam", 120),
        ("1 Hari", 24 * 60),  # 002:1393
        ("3 hari", 3 * 24 * 60),  # 002:1361
        ("2 Minggu", 14 * 24 * 60),  # 000:1100
    ],
)
def test_elapsed_time_deadlines_count_the_printed_time_from_opening(printed: str, minutes: int) -> None:
    due = ElapsedTimeDeadlines().due_at(OPENED, parse_waktu(printed), "kutorejo")
    assert due is not None and (due - OPENED).total_seconds() == minutes * 60


def test_a_step_without_a_time_standard_has_no_due_time() -> None:
    # The archive steps print no waktu (002:1401, 000:1075).
    assert ElapsedTimeDeadlines().due_at(OPENED, None, "kutorejo") is None
