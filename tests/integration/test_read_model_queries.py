"""The read models the busiest pages call send a bounded number of statements.

Found by the scale benchmark (bench/b3_scale.py): the tracker looked up each entry task's
assignee once per owner (identity-map misses: one query per owner × task), the Kabupaten
overview sent two queries per unit and cycle, and a reminder pass asked for a role's holders
once per open task. Each is now a fixed number of queries, whatever the number of tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import ROOT, FrozenClock
from helpers import S4
from sqlalchemy import event, select

from workflow.adapters.db import Database
from workflow.adapters.schema import head_revision
from workflow.services.dashboards import overview_data
from workflow.services.engine import WorkflowService
from workflow.services.performance import PerformanceService
from workflow.services.reminders import ReminderEngine
from workflow.services.workbook import import_workbook


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    sent: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _in_fanout(service: WorkflowService) -> int:
    """An S4 cycle of Kutorejo (with its 2024 indicators) waiting on the ASN fan-out."""
    workbook = Path(ROOT / "examples" / "kutorejo-2024.xlsx")
    import_workbook(service.db, workbook, "kutorejo", 2024, "admin", service.clock)
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    while service.status(instance_id).state != "pengukuran_asn":
        waiting = service.status(instance_id).waiting_on[0]
        actor = service.candidates(waiting.task_id)[0]
        view = next(v for v in service.tasks_for(actor) if v.id == waiting.task_id)
        service.act(view.id, view.actions[0], actor)
    return instance_id


def test_the_tracker_reads_the_entry_tasks_with_their_assignees_in_one_query(service: WorkflowService) -> None:
    instance_id = _in_fanout(service)
    perf = PerformanceService(service.db, service.registry, clock=service.clock)
    with statements(service.db) as sent:
        data = perf.tracker(instance_id)
    assert any(o["task"] is not None for o in data["owners"])  # the owners' tasks are found
    people_lookups = [s for s in sent if s.lstrip().startswith("SELECT people.id AS people_id")]
    assert people_lookups == []  # no per-task session.get(Person)
    assert len(sent) <= 20


def test_the_overview_sends_the_same_statements_whatever_the_number_of_cycles(service: WorkflowService) -> None:
    _in_fanout(service)
    with statements(service.db) as sent:
        data = overview_data(service, "mojokerto")
    assert [r["unit"] for r in data["rows"]] == ["kutorejo"]
    assert len(sent) <= 6


def test_a_reminder_pass_asks_for_a_roles_holders_once(service: WorkflowService) -> None:
    _in_fanout(service)
    engine = ReminderEngine(service)
    with statements(service.db) as sent:
        engine.run_pass()
    holder_queries = [s for s in sent if "FROM role_assignments JOIN people" in s]
    assert len(holder_queries) <= 4  # one per (unit, role) asked, not one per open ASN task


def test_an_escalation_pass_reads_what_was_already_sent_in_one_query(
    service: WorkflowService, clock: FrozenClock
) -> None:
    instance_id = _in_fanout(service)
    overdue = len(service.status(instance_id).waiting_on)
    clock.advance(days=7)  # every ASN's 1-hari task is overdue
    engine = ReminderEngine(service)
    first = engine.run_pass()
    assert first.reminders + first.missed >= overdue  # recorded for each late ASN (and their superior)
    with statements(service.db) as sent:
        again = engine.run_pass()
    assert again.reminders == again.missed == 0  # nothing twice
    per_task = [s for s in sent if "FROM reminders" in s and "reminders.task_id = " in s]
    batched = [s for s in sent if "FROM reminders" in s and "reminders.task_id IN" in s]
    assert per_task == [] and len(batched) == 1  # not one query per overdue task


def test_an_action_on_a_plain_step_counts_no_fanout_siblings_and_rereads_no_known_sop_version(
    service: WorkflowService,
) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    service.act(service.status(instance_id).waiting_on[0].task_id, "done", "camat")  # sees the version recorded
    waiting = service.status(instance_id).waiting_on[0]
    actor = service.candidates(waiting.task_id)[0]
    with statements(service.db) as sent:
        service.act(waiting.task_id, "done", actor)
    assert not any("count(tasks.id)" in s for s in sent)  # one task on the step: nothing to join
    assert not any("FROM sop_versions" in s for s in sent)
    assert len(sent) <= 15


def test_holders_of_many_pairs_answers_as_holders_does_for_each(service: WorkflowService) -> None:
    from workflow.adapters.models import Unit
    from workflow.services.org import holders, holders_of

    now = service.clock()
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        unit_ids = list(s.scalars(select(Unit.id)))
        pairs = {(u, role) for u in unit_ids for role in ("asn", "kasi", "sekcam", "camat", "tim_sakip", "nobody")}
        with statements(service.db) as sent:
            many = holders_of(s, pairs, now)
        assert len(sent) <= 2
        assert many == {pair: holders(s, *pair, now) for pair in pairs}
        assert any(many.values())  # the demo organisation holds some of them


def test_the_head_revision_is_read_once() -> None:
    assert head_revision() == head_revision()
    assert head_revision.cache_info().hits >= 1  # type: ignore[attr-defined]
