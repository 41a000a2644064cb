"""Invariants over the stored instances, tasks and audit events (`sakip check`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.adapters.models import AuditEvent, Instance, Task
from workflow.sop.spec import FINISHED_STATE, SopRegistry, StepKind


@dataclass(frozen=True)
class CheckReport:
    instances: int
    tasks: int
    events: int
    violations: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def check(session: Session, registry: SopRegistry) -> CheckReport:
    """Verify that every state change has its event and every event its change, that no open
    task hangs on a finished instance, and that fan-out joins are consistent.

    The reads must see one snapshot: on PostgreSQL's default READ COMMITTED, an action committed
    between them (a live system) would look like a violation. So a fresh session reads in
    REPEATABLE READ there; SQLite's read transaction is one snapshot already.
    """
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    instances = list(session.scalars(select(Instance).order_by(Instance.id)))
    tasks_by_instance: dict[int, list[Task]] = defaultdict(list)
    for task in session.scalars(select(Task).order_by(Task.id)):
        tasks_by_instance[task.instance_id].append(task)
    events_by_instance: dict[int, list[AuditEvent]] = defaultdict(list)
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        events_by_instance[event.instance_id].append(event)

    problems: list[str] = []
    for inst in instances:
        tag = f"instance {inst.id} ({inst.sop_key} v{inst.sop_version}, {inst.period})"
        events = events_by_instance.get(inst.id, [])
        tasks = tasks_by_instance.get(inst.id, [])
        problems.extend(_check_event_chain(tag, inst, events))
        problems.extend(_check_tasks_against_events(tag, tasks, events))
        try:
            spec = registry.get(inst.sop_key, inst.sop_version)
        except KeyError:
            problems.append(f"{tag}: its SOP definition is not loaded")
            continue
        if inst.state != FINISHED_STATE and inst.state not in {s.id for s in spec.steps}:
            problems.append(f"{tag}: state {inst.state!r} is not a step of its SOP")
        open_tasks = [t for t in tasks if t.status == "open"]
        if inst.state == FINISHED_STATE:
            if open_tasks:
                ids = ", ".join(str(t.id) for t in open_tasks)
                problems.append(f"{tag}: finished but task(s) {ids} are still open")
            if inst.finished_at is None:
                problems.append(f"{tag}: finished without a finish time")
        else:
            if inst.finished_at is not None:
                problems.append(f"{tag}: has a finish time but is in state {inst.state!r}")
            stray = [t for t in open_tasks if t.step_id != inst.state]
            for t in stray:
                problems.append(
                    f"{tag}: task {t.id} is open on step {t.step_id!r} but the instance is at {inst.state!r}"
                )
            if not any(t.step_id == inst.state for t in open_tasks):
                problems.append(f"{tag}: at {inst.state!r} with no open task: nobody can move it on")
        fanouts = {s.id for s in spec.steps if s.kind is StepKind.FANOUT}
        problems.extend(_check_fanout_joins(tag, inst, tasks, fanouts))
    return CheckReport(
        instances=len(instances),
        tasks=sum(len(v) for v in tasks_by_instance.values()),
        events=sum(len(v) for v in events_by_instance.values()),
        violations=tuple(problems),
    )


def _check_event_chain(tag: str, inst: Instance, events: list[AuditEvent]) -> list[str]:
    if not events:
        return [f"{tag}: has no audit events"]
    problems: list[str] = []
    if events[0].action != "start" or events[0].from_state is not None:
        problems.append(f"{tag}: the first audit event is not its start")
    previous = events[0].to_state
    for event in events[1:]:
        if event.from_state != previous:
            problems.append(
                f"{tag}: event {event.id} starts from {event.from_state!r} but the state was {previous!r}"
                " (a state change without its event)"
            )
        previous = event.to_state
    if previous != inst.state:
        problems.append(f"{tag}: state is {inst.state!r} but the last audit event left it at {previous!r}")
    return problems


# Events recorded while a task is open that do not act on it: a realisasi entered through a
# data-entry task, a switch of target version, a task given to someone else. They never change
# the instance's state.
RECORD_ACTIONS = frozenset({"realisasi", "switch_targets", "reassign"})


def _check_tasks_against_events(tag: str, tasks: list[Task], events: list[AuditEvent]) -> list[str]:
    problems: list[str] = []
    by_task: dict[int, list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.action in RECORD_ACTIONS:
            if event.from_state != event.to_state:
                problems.append(f"{tag}: {event.action} event {event.id} changed the state")
            if event.task_id is not None and event.task_id not in {t.id for t in tasks}:
                problems.append(f"{tag}: audit event names task {event.task_id}, which is not one of its tasks")
            continue
        if event.task_id is not None:
            by_task[event.task_id].append(event)
    known = {t.id for t in tasks}
    for task in tasks:
        recorded = by_task.get(task.id, [])
        if task.status == "open" and recorded:
            problems.append(f"{tag}: task {task.id} is open but has audit event(s)")
        if task.status == "done":
            if len(recorded) != 1:
                problems.append(f"{tag}: task {task.id} is done with {len(recorded)} audit events (expected 1)")
            elif recorded[0].action != task.outcome:
                problems.append(
                    f"{tag}: task {task.id} ended {task.outcome!r} but its event says {recorded[0].action!r}"
                )
    for task_id in by_task:
        if task_id not in known:
            problems.append(f"{tag}: audit event names task {task_id}, which is not one of its tasks")
    return problems


def _check_fanout_joins(tag: str, inst: Instance, tasks: list[Task], fanouts: set[str]) -> list[str]:
    problems: list[str] = []
    rounds: dict[tuple[str, int], list[Task]] = defaultdict(list)
    for task in tasks:
        if task.step_id in fanouts:
            rounds[(task.step_id, task.round)].append(task)
    latest: dict[str, int] = {}
    for step_id, rnd in rounds:
        latest[step_id] = max(latest.get(step_id, 0), rnd)
    for (step_id, rnd), group in sorted(rounds.items()):
        open_count = sum(1 for t in group if t.status == "open")
        current = inst.state == step_id and rnd == latest[step_id]
        if open_count and not current:
            problems.append(f"{tag}: fan-out {step_id!r} round {rnd} was left with {open_count} task(s) open")
        if not open_count and current:
            problems.append(f"{tag}: fan-out {step_id!r} round {rnd} is complete but the instance did not move on")
    return problems
