"""Who may take a task: a pure rule, no database."""

from __future__ import annotations

from workflow.adapters.models import Task
from workflow.services.engine import may_take


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
