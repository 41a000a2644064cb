"""B1: the engine against the floor.

The engine completes every task of N S4 cycles through the service layer (`WorkflowService.act`,
one transaction per action). The floor writes the same rows for the same steps with bare
SQLAlchemy Core, one transaction per step: the task update, the audit insert and, when the step
moves the instance, the state update, the next step's task(s) and their `task_opened` outbox
messages (`instance_finished` at the end). Both run on the same database in the same run;
starting a cycle is not a step and is not timed for either.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event, insert, select, update

from bench.common import ORG_FILE, SOP_DIR, percentile
from workflow.adapters.db import Database
from workflow.adapters.models import AuditEvent, Instance, OutboxMessage, Person, Task
from workflow.services.engine import WorkflowService
from workflow.services.org import load_org, parse_org_file
from workflow.sop.spec import FINISHED_STATE, SopRegistry, SopSpec, StepKind

SOP_KEY = "pengukuran-data-kinerja"
# Monday 1 April 2024, 09:00 WIB; a fixed clock keeps the due-time arithmetic identical per run.
NOW = datetime(2024, 4, 1, 2, 0, tzinfo=UTC)
ROLE_USER = {"camat": "camat", "sekcam": "sekcam", "tim_sakip": "tim.sakip1"}


def setup(url: str) -> tuple[Database, WorkflowService]:
    db = Database.from_url(url)
    with db.unit_of_work() as uow:
        load_org(uow.session, parse_org_file(ORG_FILE))
        uow.commit()
    return db, WorkflowService(db, SopRegistry.from_directory(SOP_DIR), clock=lambda: NOW)


def _actors(db: Database, task_ids: list[int]) -> list[tuple[int, str]]:
    """Who acts on each task: its assignee (fan-out) or the demo holder of its role."""
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.execute(
            select(Task.id, Task.role, Person.username)
            .outerjoin(Person, Person.id == Task.assignee_id)
            .where(Task.id.in_(task_ids))
            .order_by(Task.id)
        ).all()
    return [(task_id, username or ROLE_USER[role]) for task_id, role, username in rows]


def run_engine(
    service: WorkflowService, cycles: int, first_year: int, statements: dict[str, list[int]] | None = None
) -> list[float]:
    """Complete every task of CYCLES S4 cycles; the latency of each act() in seconds. With STATEMENTS,
    also the statements each act() sent (BEGIN and COMMIT not counted), by step kind."""
    spec = service.registry.get(SOP_KEY)
    times: list[float] = []
    sent: list[int] = [0]

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            sent[0] += 1

    if statements is not None:
        event.listen(service.db.engine, "before_cursor_execute", count)
    for n in range(cycles):
        period = f"{first_year + n // 4}-TW{n % 4 + 1}"
        started = service.start(SOP_KEY, "kutorejo", period, "camat")
        with service.db.unit_of_work(readonly=True) as uow:
            open_ids = list(
                uow.session.scalars(
                    select(Task.id).where(Task.instance_id == started.instance_id, Task.status == "open")
                )
            )
        state = started.state
        while state != FINISHED_STATE:
            step = spec.step(state)
            opened: list[int] = []
            for task_id, username in _actors(service.db, open_ids):
                sent[0] = 0
                t0 = time.perf_counter()
                result = service.act(task_id, step.actions[0], username)
                times.append(time.perf_counter() - t0)
                if statements is not None:
                    statements.setdefault(step.kind.value, []).append(sent[0])
                opened.extend(result.opened_task_ids)
                state = result.to_state
            open_ids = opened
    if statements is not None:
        event.remove(service.db.engine, "before_cursor_execute", count)
    return times


def run_floor(
    engine: Engine, spec: SopSpec, cycles: int, unit_id: int, fanout: list[int], actor_id: int, tag: str
) -> list[float]:
    """The same writes as run_engine with SQLAlchemy Core: one transaction per step."""
    tasks, audit, outbox, instances = (
        Task.__table__,
        AuditEvent.__table__,
        OutboxMessage.__table__,
        Instance.__table__,
    )
    times: list[float] = []
    steps = spec.steps

    def new_tasks(conn: Any, instance_id: int, step_index: int) -> list[int]:
        step = steps[step_index]
        holders = fanout if step.kind is StepKind.FANOUT else [None]
        ids = []
        for holder in holders:
            ids.append(
                conn.execute(
                    insert(tasks).returning(tasks.c.id),
                    {"instance_id": instance_id, "unit_id": unit_id, "step_id": step.id, "round": 1,
                     "role": step.pelaksana, "seksi": None, "assignee_id": holder, "status": "open",
                     "created_at": NOW, "due_at": NOW, "return_note": None, "row_version": 1},
                ).scalar_one()
            )  # fmt: skip
        conn.execute(
            insert(outbox),
            [{"created_at": NOW, "topic": "task_opened", "instance_id": instance_id, "status": "pending",
              "attempts": 0, "payload": {"task_id": i, "step_id": step.id, "role": step.pelaksana}} for i in ids],
        )  # fmt: skip
        return ids

    for n in range(cycles):
        with engine.begin() as conn:  # the start: not timed, as for the engine
            instance_id = conn.execute(
                insert(instances).returning(instances.c.id),
                {"sop_key": "bench-floor", "sop_version": spec.version, "unit_id": unit_id, "period": f"{tag}{n}",
                 "state": steps[0].id, "started_at": NOW, "row_version": 1},
            ).scalar_one()  # fmt: skip
            open_ids = new_tasks(conn, instance_id, 0)
        for index, step in enumerate(steps):
            for position, task_id in enumerate(open_ids):
                last = position == len(open_ids) - 1
                to_state = (steps[index + 1].id if index + 1 < len(steps) else FINISHED_STATE) if last else step.id
                t0 = time.perf_counter()
                with engine.begin() as conn:
                    conn.execute(
                        update(tasks)
                        .where(tasks.c.id == task_id, tasks.c.row_version == 1)
                        .values(status="done", outcome=step.actions[0], finished_at=NOW, finished_by_id=actor_id,
                                note=None, row_version=2)
                    )  # fmt: skip
                    opened: list[int] = []
                    if last:
                        conn.execute(
                            update(instances)
                            .where(instances.c.id == instance_id)
                            .values(state=to_state, row_version=instances.c.row_version + 1,
                                    finished_at=NOW if to_state == FINISHED_STATE else None)
                        )  # fmt: skip
                        if to_state == FINISHED_STATE:
                            conn.execute(
                                insert(outbox),
                                {"created_at": NOW, "topic": "instance_finished", "instance_id": instance_id,
                                 "status": "pending", "attempts": 0, "payload": {"instance_id": instance_id}},
                            )  # fmt: skip
                        else:
                            opened = new_tasks(conn, instance_id, index + 1)
                    conn.execute(
                        insert(audit),
                        {"instance_id": instance_id, "task_id": task_id, "at": NOW, "actor_id": actor_id,
                         "actor": "bench", "role": step.pelaksana, "acting_for": None, "action": step.actions[0],
                         "step_id": step.id, "note": None, "from_state": step.id, "to_state": to_state},
                    )  # fmt: skip
                times.append(time.perf_counter() - t0)
                if last:
                    next_ids = opened
            open_ids = next_ids
    return times


def _summary(times: list[float]) -> dict[str, float]:
    total = sum(times)
    ms = [t * 1000 for t in times]
    return {
        "steps": len(times),
        "seconds": round(total, 3),
        "steps_per_s": round(len(times) / total, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
    }


def bench(url: str, cycles: int) -> dict[str, Any]:
    """B1 on the database at URL (migrated, empty)."""
    db, service = setup(url)
    spec = service.registry.get(SOP_KEY)
    run_engine(service, 2, 2090)  # warm-up: caches, prepared statements, the SOP version pinned
    engine_times = run_engine(service, cycles, 2100)
    per_kind: dict[str, list[int]] = {}
    run_engine(service, 1, 2190, per_kind)  # one more cycle, counted (not timed)
    counts = [n for ns in per_kind.values() for n in ns]
    statements = {
        "mean": round(sum(counts) / len(counts), 2),
        "by_step_kind": {kind: round(sum(ns) / len(ns), 2) for kind, ns in sorted(per_kind.items())},
    }
    with db.unit_of_work(readonly=True) as uow:
        s = uow.session
        unit_id = s.scalar(select(Instance.unit_id).limit(1))
        fanout = list(s.scalars(select(Task.assignee_id).where(Task.step_id == "pengukuran_asn").distinct()))
        actor_id = s.scalar(select(Person.id).where(Person.username == "camat"))
    assert unit_id is not None and actor_id is not None
    run_floor(db.engine, spec, 2, unit_id, sorted(fanout), actor_id, "W")
    floor_times = run_floor(db.engine, spec, cycles, unit_id, sorted(fanout), actor_id, "F")
    db.dispose()
    engine_s, floor_s = _summary(engine_times), _summary(floor_times)
    ratio = engine_s["steps_per_s"] / floor_s["steps_per_s"]
    return {
        "cycles": cycles,
        "steps_per_cycle": engine_s["steps"] // cycles,
        "engine": engine_s,
        "floor": floor_s,
        "engine_steps_per_s": engine_s["steps_per_s"],
        "floor_steps_per_s": floor_s["steps_per_s"],
        "ratio": round(ratio, 3),
        "statements_per_action": statements,
        "goal": ">= 0.667",
        "met": ratio >= 2 / 3,
    }
