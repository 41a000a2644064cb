"""Every path of every SOP, on SQLite and on PostgreSQL, through the service layer."""

from __future__ import annotations

import pytest
from drive import RETURN_NOTE, drive
from helpers import assert_consistent
from sqlalchemy import func, select

from workflow.adapters.models import AuditEvent, Task
from workflow.services.engine import WorkflowService
from workflow.sop.spec import FINISHED_STATE, StepKind

PERIODS = {"triwulan": "2024-TW1", "tahunan": "2024"}
SOP_KEYS = ["pengumpulan-data-kinerja", "pengukuran-data-kinerja", "pengumpulan-data-kinerja-jetis", "penyusunan-lkjip"]


def _start(service: WorkflowService, key: str) -> int:
    spec = service.registry.get(key)
    starter = service.candidates_for_role("kutorejo", spec.first_step.pelaksana)[0]
    return service.start(key, "kutorejo", PERIODS[spec.periode], starter).instance_id


@pytest.mark.parametrize("key", SOP_KEYS)
def test_approving_everywhere_visits_every_step_in_order_and_finishes(service: WorkflowService, key: str) -> None:
    spec = service.registry.get(key)
    instance_id = _start(service, key)

    states = drive(service, instance_id)

    assert states == [s.id for s in spec.steps] + [FINISHED_STATE]
    status = service.status(instance_id)
    assert status.finished_at is not None and status.waiting_on == ()
    assert_consistent(service)


@pytest.mark.parametrize(
    ("key", "review", "back_to"),
    [
        ("pengukuran-data-kinerja", "reviu_sekcam", "rekap"),  # 002:1399 "dikembalikan ke tim"
        ("pengumpulan-data-kinerja", "koreksi_format", "draft_format"),  # 002:1359 "dikembalikan ke staf"
        ("pengumpulan-data-kinerja-jetis", "analisa", "isi_data_asn"),  # 000:1073 "TIDAK" branch
    ],
)
def test_each_return_loop_goes_back_and_then_finishes(
    service: WorkflowService, key: str, review: str, back_to: str
) -> None:
    spec = service.registry.get(key)
    instance_id = _start(service, key)

    states = drive(service, instance_id, returns={review: 1})

    ids = [s.id for s in spec.steps]
    loop = ids[ids.index(back_to) : ids.index(review) + 1]
    expected = ids[: ids.index(review) + 1] + loop + ids[ids.index(review) + 1 :] + [FINISHED_STATE]
    assert states == expected
    assert_consistent(service)


def test_returned_work_keeps_its_history_and_the_reopened_task_carries_the_note(service: WorkflowService) -> None:
    instance_id = _start(service, "pengukuran-data-kinerja")
    drive_to = "reviu_sekcam"
    while service.status(instance_id).state != drive_to:
        waiting = service.status(instance_id).waiting_on[0]
        service.act(waiting.task_id, "done", service.candidates(waiting.task_id)[0])
    review_task = service.status(instance_id).waiting_on[0].task_id

    result = service.act(review_task, "return", "sekcam", RETURN_NOTE)

    assert (result.from_state, result.to_state) == ("reviu_sekcam", "rekap")
    with service.db.unit_of_work(readonly=True) as uow:
        rekap_tasks = uow.session.scalars(
            select(Task).where(Task.instance_id == instance_id, Task.step_id == "rekap").order_by(Task.round)
        ).all()
        assert [(t.round, t.status) for t in rekap_tasks] == [(1, "done"), (2, "open")]
        assert rekap_tasks[1].return_note == RETURN_NOTE
        returned = uow.session.get(Task, review_task)
        assert returned is not None and (returned.outcome, returned.note) == ("return", RETURN_NOTE)
    reopened = [v for v in service.tasks_for("tim.sakip1") if v.id == result.opened_task_ids[0]]
    assert reopened[0].return_note == RETURN_NOTE and reopened[0].round == 2
    event = service.history(instance_id)[-1]
    assert (event.action, event.actor, event.role, event.note) == ("return", "sekcam", "sekcam", RETURN_NOTE)


def test_return_to_a_fan_out_reopens_a_task_for_every_asn(service: WorkflowService) -> None:
    instance_id = _start(service, "pengumpulan-data-kinerja-jetis")
    while service.status(instance_id).state != "analisa":
        waiting = service.status(instance_id).waiting_on[0]
        service.act(waiting.task_id, "done", service.candidates(waiting.task_id)[0])
    review = service.status(instance_id).waiting_on[0].task_id

    service.act(review, "return", "sekcam", RETURN_NOTE)

    waiting = service.status(instance_id).waiting_on
    assert {w.assignee for w in waiting} == set(service.candidates_for_role("kutorejo", "asn"))
    assert all(w.step_id == "isi_data_asn" for w in waiting)


def test_every_action_writes_exactly_one_audit_event(service: WorkflowService) -> None:
    instance_id = _start(service, "pengukuran-data-kinerja")
    drive(service, instance_id, returns={"reviu_sekcam": 1})
    with service.db.unit_of_work(readonly=True) as uow:
        done = uow.session.scalar(select(func.count(Task.id)).where(Task.status == "done"))
        events = uow.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.task_id.is_not(None)))
    assert done == events and done is not None and done > 0
    # One start event with no task; every other event belongs to a task.
    assert [e.action for e in service.history(instance_id)].count("start") == 1


@pytest.mark.parametrize("key", SOP_KEYS)
def test_paraf_and_sign_steps_take_their_own_actions(service: WorkflowService, key: str) -> None:
    spec = service.registry.get(key)
    instance_id = _start(service, key)
    drive(service, instance_id)
    actions = {e.step_id: e.action for e in service.history(instance_id) if e.step_id}
    for step in spec.steps:
        expected = {StepKind.PARAF: "paraf", StepKind.SIGN: "sign", StepKind.ARCHIVE: "archive"}.get(step.kind)
        if expected:
            assert actions[step.id] == expected
