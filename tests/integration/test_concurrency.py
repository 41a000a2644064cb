"""Two people acting at once: one wins, the others get a clear conflict, nothing is written twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from helpers import S4, advance_to, assert_consistent, run_together
from sqlalchemy import func, select

from workflow.adapters.models import AuditEvent
from workflow.errors import Conflict
from workflow.services.engine import WorkflowService


def _events_for_task(service: WorkflowService, task_id: int) -> int:
    with service.db.unit_of_work(readonly=True) as uow:
        return uow.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.task_id == task_id)) or 0


def test_twenty_people_approving_one_review_at_once_one_wins_nineteen_conflict(service: WorkflowService) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    advance_to(service, instance_id, "reviu_sekcam")
    review = service.status(instance_id).waiting_on[0].task_id
    calls: list[Callable[[], object]] = [
        (lambda: service.act(review, "approve", "sekcam"))
        if i % 2 == 0
        else (lambda: service.act(review, "return", "sekcam", "Perbaiki data"))
        for i in range(20)
    ]

    results = run_together(calls)

    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == Counter({"ActResult": 1, "Conflict": 19}), kinds
    assert all("task" in str(r) for r in results if isinstance(r, Conflict))
    assert _events_for_task(service, review) == 1
    winner = next(r for r in results if not isinstance(r, Exception))
    assert service.status(instance_id).state == winner.to_state  # type: ignore[attr-defined]
    assert_consistent(service)


def test_all_asn_finishing_a_fan_out_at_once_joins_exactly_once(service: WorkflowService) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    advance_to(service, instance_id, "pengukuran_asn")
    waiting = service.status(instance_id).waiting_on
    calls: list[Callable[[], object]] = [
        (lambda w=w: service.act(w.task_id, "done", w.assignee or "")) for w in waiting
    ]

    results = run_together(calls)

    assert not [r for r in results if isinstance(r, Exception)]
    moved = [r for r in results if r.to_state == "evaluasi"]  # type: ignore[attr-defined]
    assert len(moved) == 1
    status = service.status(instance_id)
    assert status.state == "evaluasi" and len(status.waiting_on) == 1
    assert_consistent(service)


def test_two_starts_of_the_same_cycle_at_once_create_one_instance(service: WorkflowService) -> None:
    results = run_together([lambda: service.start(S4, "kutorejo", "2024-TW3", "camat") for _ in range(6)])

    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == Counter({"StartResult": 1, "Conflict": 5}), kinds
