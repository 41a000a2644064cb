"""Fifty people completing one task at the same instant, on a real SQLite file and on a real
PostgreSQL server: exactly one wins, the other 49 get a conflict, the audit has one event.

(Approve against return on one review, in threads, is in tests/integration/test_concurrency.py;
the same races across gunicorn's worker processes are in test_server_crashes.py.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from conftest import FrozenClock
from helpers import S4, load_org_file, run_together
from sqlalchemy import event, func, select

from workflow.adapters.db import Database, make_engine
from workflow.adapters.models import AuditEvent, Task
from workflow.errors import Conflict
from workflow.services.check import check
from workflow.services.engine import ActResult, WorkflowService
from workflow.sop.spec import SopRegistry

RACERS = 50


@pytest.fixture
def wide_service(db_url: str, registry: SopRegistry, clock: FrozenClock) -> Iterator[WorkflowService]:
    """The service over a pool wide enough for every racer to hold its own connection at once."""
    db = Database(make_engine(db_url, pool_size=RACERS + 5, max_overflow=0, pool_timeout=120))
    load_org_file(db)
    yield WorkflowService(db, registry, clock=clock)
    db.dispose()


def _events(service: WorkflowService, **where: int) -> list[AuditEvent]:
    with service.db.unit_of_work(readonly=True) as uow:
        query = select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
        return list(uow.session.scalars(query))


def test_fifty_completions_of_one_task_at_once_exactly_one_wins(wide_service: WorkflowService) -> None:
    service = wide_service
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    waiting = service.status(instance_id).waiting_on[0]
    actor = service.candidates(waiting.task_id)[0]
    action = next(v for v in service.tasks_for(actor) if v.id == waiting.task_id).actions[0]
    calls: list[Callable[[], object]] = [
        lambda: service.act(waiting.task_id, action, actor, "sekali saja") for _ in range(RACERS)
    ]

    results = run_together(calls)

    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == Counter({"ActResult": 1, "Conflict": RACERS - 1}), kinds
    losers = [r for r in results if not isinstance(r, ActResult)]
    assert all(isinstance(r, Conflict) and str(waiting.task_id) in str(r) for r in losers)
    winner = next(r for r in results if isinstance(r, ActResult))
    events = _events(service, instance_id=instance_id)
    assert [(e.action, e.task_id) for e in events] == [("start", None), (action, waiting.task_id)]
    assert (events[-1].from_state, events[-1].to_state) == (winner.from_state, winner.to_state)
    status = service.status(instance_id)
    assert status.state == winner.to_state
    assert sorted(w.task_id for w in status.waiting_on) == sorted(winner.opened_task_ids)
    with service.db.unit_of_work(readonly=True) as uow:
        closed = select(func.count(Task.id)).where(Task.instance_id == instance_id, Task.status != "open")
        done = uow.session.scalar(closed)
        assert done == 1
        assert check(uow.session, service.registry).violations == ()


def test_check_on_a_live_database_reads_one_snapshot(db_url: str, registry: SopRegistry, clock: FrozenClock) -> None:
    """Regression: `sakip check` read instances, tasks and events in three statements, on
    PostgreSQL under READ COMMITTED: an action committed between them (any live system) was
    reported as a violation. Here one commits right after the first statement, every time."""
    reader, writer = Database.from_url(db_url), Database.from_url(db_url)
    load_org_file(writer)
    service = WorkflowService(writer, registry, clock=clock)
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    task_id = service.status(instance_id).waiting_on[0].task_id
    actor = service.candidates(task_id)[0]
    committed: list[object] = []

    def act_in_between(conn: object, cursor: object, statement: str, *args: object) -> None:
        if not committed and "FROM instances" in statement:
            committed.append(service.act(task_id, "done", actor))

    event.listen(reader.engine, "after_cursor_execute", act_in_between)
    try:
        with reader.unit_of_work(readonly=True) as uow:
            report = check(uow.session, registry)
    finally:
        event.remove(reader.engine, "after_cursor_execute", act_in_between)
        reader.dispose()
    assert committed, "the action did not run between the check's reads"
    assert report.violations == ()
    with writer.unit_of_work(readonly=True) as uow:
        after = check(uow.session, registry)
    writer.dispose()
    assert after.violations == () and after.events == report.events + 1
