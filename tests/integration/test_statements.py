"""Statements per action: what one `act` costs in round trips to the database, pinned so that it
cannot creep back up unnoticed (issue #20 reports the figure per step kind in B1).

A plain action finishes a one-person task whose next step is again one task (the Camat's Nota
Dinas, opening the Tim SAKIP's step). Transaction control (BEGIN, COMMIT) is not counted: it is
one round trip on every database and does not grow with the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from helpers import S4
from sqlalchemy import event

from workflow.services.engine import WorkflowService
from workflow.sop.spec import StepKind

# Reached on 2 December 2026 on SQLite and PostgreSQL (13 before the task and its instance were
# read in two statements instead of three).
PLAIN_ACTION_CEILING = 12


@contextmanager
def counted(service: WorkflowService) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            statements.append(statement)

    event.listen(service.db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(service.db.engine, "before_cursor_execute", count)


def test_a_plain_action_costs_at_most_the_statements_reached(service: WorkflowService) -> None:
    spec = service.registry.get(S4)
    assert spec.first_step.kind is StepKind.TASK and spec.steps[1].kind is StepKind.TASK
    starter = service.candidates_for_role("kutorejo", spec.first_step.pelaksana)[0]
    instance_id = service.start(S4, "kutorejo", "2024-TW1", starter).instance_id
    task_id = service.status(instance_id).waiting_on[0].task_id
    service.act(task_id, "done", starter)  # warm: the SOP version's pin and the unit calendar are cached
    next_task = service.status(instance_id).waiting_on[0].task_id
    actor = service.candidates(next_task)[0]

    with counted(service) as statements:
        result = service.act(next_task, spec.steps[1].actions[0], actor)

    assert result.opened_task_ids  # it did open the next step
    writes = [s for s in statements if s.split(None, 1)[0].upper() in ("INSERT", "UPDATE")]
    # The task done, the instance moved, the next task, its outbox message and the audit event.
    assert len(writes) >= 5, writes
    assert len(statements) <= PLAIN_ACTION_CEILING, "\n".join(s.split("\n")[0][:90] for s in statements)
