"""The engine's writes: start an SOP instance, act on a task, hand a task to someone else.

Each use case is one transaction, read as its named steps:

- **check**: who acts and through which holding (`domain.rules`), and whether the action can be
  taken now (`domain.rules.check_action` plus the step kind's own `check`);
- **transition**: the SOP's state machine (`sop.machine`) moves the instance;
- **after-transition**: the task is done, the step kind adds its effects (accepting realisasi,
  the draft's snapshot, the signature: `services.step_kinds`), the next step opens, and the
  audit event is written in the same transaction.

The reads (a user's tasks, an instance's history and status) are in `services/tasks.py`;
`WorkflowService` inherits them so its callers keep one object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workflow.adapters import repository
from workflow.adapters.db import Database, insert_once
from workflow.adapters.models import (
    AuditEvent,
    Cycle,
    Instance,
    Notification,
    OutboxMessage,
    Person,
    SopVersion,
    Task,
    Unit,
    unit_chain,
)
from workflow.adapters.repository import fanout_positions, holders, holdings
from workflow.domain.limits import SHORT_MAX, free_text
from workflow.domain.localtime import iso, utcnow
from workflow.domain.plaintext import control_problem
from workflow.domain.roles import Holding, position_key
from workflow.domain.rules import (
    DONE,
    OPEN,
    REASSIGNERS,
    ActRequest,
    check_action,
    holding_for,
    leading_holding,
    may_reassign,
    may_take,
    starting_holding,
)
from workflow.errors import Conflict, InvalidInput, NotAllowed
from workflow.services.measurement import accept_period, instance_target_set
from workflow.services.step_kinds import Acting, Actor, hooks_for, row_owner_notes
from workflow.services.tasks import EventView, InstanceStatus, TaskQueries, TaskView, WaitingOn
from workflow.services.unit_calendars import UnitCalendars
from workflow.sop.machine import RETURN_ROWS, InstanceToken, MachineCache
from workflow.sop.spec import FINISHED_STATE, SopRegistry, SopSpec, StepKind, StepSpec

__all__ = [
    "DONE", "OPEN", "ActResult", "EventView", "InstanceStatus", "ReassignResult", "StartResult", "TaskView",
    "WaitingOn", "WorkflowService", "holding_for_task", "iso", "may_take", "utcnow",
]  # fmt: skip


def holding_for_task(session: Session, person: Any, task: Task, on: datetime) -> Holding:
    """The holding through which PERSON acts on TASK, or NotAllowed: the one rule for the page, the
    API and the CLI, for actions and realisasi alike (`domain.rules.holding_for`).

    A Plt. holding acts only where the person holds the position in no other way, and then every
    audit event records the position acted for (`acting_for`). The page's Plt. switch only
    chooses which tasks the inbox shows."""
    found = holding_for(task, task.unit_id, person.id, holdings(session, person.id, on))
    if found is None:
        who = position_key(task.role, task.seksi)
        raise NotAllowed(
            f"user {person.username!r} does not hold {who!r} for task {task.id}",
            code="task.not_holder", user=person.username, role=who, task=task.id,
        )  # fmt: skip
    return found


@dataclass(frozen=True)
class ReassignResult:
    task_id: int
    instance_id: int
    from_username: str | None
    to_username: str

    def as_json(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "instance_id": self.instance_id, "from": self.from_username,
                "to": self.to_username}  # fmt: skip


@dataclass(frozen=True)
class StartResult:
    instance_id: int
    state: str


@dataclass(frozen=True)
class ActResult:
    task_id: int
    instance_id: int
    action: str
    from_state: str
    to_state: str
    opened_task_ids: tuple[int, ...]


def _acting_for(holding: Holding | None) -> str | None:
    return holding.position if holding is not None and holding.acting else None


class WorkflowService(TaskQueries):
    """The engine's use cases over one database and one set of SOP definitions."""

    def __init__(
        self,
        db: Database,
        registry: SopRegistry,
        *,
        clock: Callable[[], datetime] = utcnow,
        calendars: UnitCalendars | None = None,
        machines: MachineCache | None = None,
    ):
        self.db = db
        self.registry = registry
        self.clock = clock
        self.calendars = calendars or UnitCalendars()
        self.machines = machines or MachineCache()
        # SOP versions whose digest this process has seen recorded as is (a version's row never changes).
        self._pinned: set[tuple[str, int, str]] = set()

    # --- shared steps --------------------------------------------------------------------

    def _pin_version(self, session: Session, spec: SopSpec, now: datetime) -> None:
        """Record the version's digest on first use; refuse a file edited in place since."""
        if (spec.key, spec.version, spec.digest) in self._pinned:
            return
        row = session.get(SopVersion, (spec.key, spec.version))
        recorded_before = row is not None  # by a committed transaction, not by this one
        if row is None:
            # Two first starts of a new version at once: both record it, it exists once.
            insert_once(
                session, SopVersion,
                {"key": spec.key, "version": spec.version, "digest": spec.digest, "nama": spec.nama,
                 "registered_at": now},
                ["key", "version"],
            )  # fmt: skip
            row = session.get(SopVersion, (spec.key, spec.version))
        if row is not None and row.digest != spec.digest:
            raise InvalidInput(
                f"{spec.source_file}: {spec.key} version {spec.version} was changed after instances "
                f"started from it; save the revision as version {spec.version + 1} instead",
                code="sop.changed_in_place",
                file=str(spec.source_file),
                sop=spec.key,
                version=spec.version,
                next=spec.version + 1,
            )
        if recorded_before:  # this transaction may still roll back what it recorded itself
            self._pinned.add((spec.key, spec.version, spec.digest))

    def _open_step(
        self,
        session: Session,
        instance: Instance,
        spec: SopSpec,
        step: StepSpec,
        now: datetime,
        return_note: str | None = None,
        only: Callable[[Task], str | None] | None = None,
    ) -> list[Task]:
        """Open the task(s) of STEP: one for the role, or one per holder for a fan-out.

        With ONLY (a per-row return), a fan-out opens only the tasks for which ONLY gives a
        return note: the owners of the returned rows.
        """
        last_round = session.scalar(
            select(func.max(Task.round)).where(Task.instance_id == instance.id, Task.step_id == step.id)
        )
        unit = repository.unit_by_id(session, instance.unit_id)
        calendar = self.calendars.for_unit(session, unit)
        waktu = calendar.waktu_for(instance.sop_key, step.id, step.waktu)
        due = calendar.calendar.due_at(now, waktu) if waktu is not None else None
        common: dict[str, Any] = {
            "instance_id": instance.id,
            "unit_id": instance.unit_id,
            "step_id": step.id,
            "round": (last_round or 0) + 1,
            "role": step.pelaksana,
            "status": OPEN,
            "created_at": now,
            "due_at": due,
            "return_note": return_note,
        }
        if step.kind is StepKind.FANOUT:
            positions = fanout_positions(session, instance.unit_id, step.pelaksana, now)
            if not positions:
                raise Conflict(
                    f"nobody holds role {step.pelaksana!r} in unit {unit.code!r} for step {step.no}",
                    code="step.nobody_holds",
                    role=step.pelaksana,
                    unit=unit.code,
                    step=step.no,
                )
            tasks = [Task(seksi=seksi, assignee_id=h.person_id, **common) for seksi, h in positions]
            if only is not None:
                kept = []
                for task in tasks:
                    note = only(task)
                    if note is not None:
                        task.return_note = note
                        kept.append(task)
                if not kept:
                    raise InvalidInput(
                        f"rows: nobody holding {step.pelaksana!r} now answers for the returned rows",
                        code="rows.no_owner",
                        role=step.pelaksana,
                    )
                tasks = kept
        else:
            tasks = [Task(seksi=None, assignee_id=None, **common)]
        session.add_all(tasks)
        session.flush()
        for task in tasks:
            session.add(
                OutboxMessage(
                    created_at=now,
                    topic="task_opened",
                    instance_id=instance.id,
                    payload={"task_id": task.id, "step_id": step.id, "role": step.pelaksana},
                )
            )
        return tasks

    @staticmethod
    def _audit(session: Session, instance: Instance, actor: Actor | None, **fields: Any) -> None:
        session.add(
            AuditEvent(
                instance_id=instance.id,
                actor_id=actor.person.id if actor else None,
                actor=actor.person.username if actor else "scheduler",
                role=actor.role if actor else None,
                acting_for=actor.acting_for if actor else None,
                **fields,
            )
        )

    # --- start -----------------------------------------------------------------------------

    def start(self, sop_key: str, unit_code: str, period: str, username: str) -> StartResult:
        """Start SOP_KEY (its latest version) for UNIT_CODE and PERIOD; open its first step."""
        spec = self._checked_spec(sop_key, period)
        now = self.clock()
        with self.db.unit_of_work() as uow:
            s = uow.session
            person = repository.person(s, username)
            unit = repository.unit(s, unit_code)
            first = spec.first_step
            starter = starting_holding(holdings(s, person.id, now), unit.id, first.pelaksana)
            if starter is None and not person.is_admin:
                raise NotAllowed(
                    f"user {username!r} may not start {sop_key} in {unit_code}: "
                    f"it opens with a {first.pelaksana!r} step",
                    code="start.not_allowed", user=username, sop=sop_key, unit=unit_code, role=first.pelaksana,
                )  # fmt: skip
            actor = Actor(person, starter.position if starter else "admin", _acting_for(starter))
            result = self._start(s, spec, unit, period, actor, now)
            uow.commit()
            return result

    def start_scheduled(self, sop_key: str, unit_code: str, period: str) -> StartResult:
        """Start a cycle's instance as the scheduler (recorded as actor `scheduler`)."""
        spec = self._checked_spec(sop_key, period)
        now = self.clock()
        with self.db.unit_of_work() as uow:
            result = self._start(uow.session, spec, repository.unit(uow.session, unit_code), period, None, now)
            uow.commit()
            return result

    def _checked_spec(self, sop_key: str, period: str) -> SopSpec:
        spec = self._spec(sop_key)
        try:
            spec.check_period(period)
        except ValueError as exc:
            raise InvalidInput(f"period: {exc}", code="period.invalid", detail=str(exc)) from None
        return spec

    def _start(
        self, s: Session, spec: SopSpec, unit: Unit, period: str, actor: Actor | None, now: datetime
    ) -> StartResult:
        missing = [c.role for c in spec.roles if not holders(s, unit.id, c.role, now)]
        if missing:
            roles = ", ".join(missing)
            raise InvalidInput(
                f"unit {unit.code!r} has nobody in role(s) {roles} that {spec.key} needs",
                code="start.missing_roles", unit=unit.code, roles=roles, sop=spec.key,
            )  # fmt: skip
        existing = s.scalar(
            select(Instance.id).where(
                Instance.unit_id == unit.id, Instance.sop_key == spec.key, Instance.period == period
            )
        )
        if existing is not None:
            raise Conflict(
                f"{spec.key} for {unit.code} {period} is already started (instance {existing})",
                code="instance.already_started_as", sop=spec.key, unit=unit.code, period=period, instance=existing,
            )  # fmt: skip
        self._pin_version(s, spec, now)
        instance = Instance(
            sop_key=spec.key,
            sop_version=spec.version,
            unit_id=unit.id,
            period=period,
            state=self._machine(spec).initial_state,
            started_at=now,
            cycle_id=self._cycle_for(s, unit, spec.key, period),
        )
        s.add(instance)
        code = unit.code  # a failed flush expires every loaded row
        try:
            s.flush()
        except IntegrityError:
            raise Conflict(
                f"{spec.key} for {code} {period} is already started",
                code="instance.already_started",
                sop=spec.key,
                unit=code,
                period=period,
            ) from None
        instance_target_set(s, instance)
        self._audit(
            s, instance, actor, at=now, action="start", step_id=None, task_id=None, note=None,
            from_state=None, to_state=instance.state,
        )  # fmt: skip
        self._open_step(s, instance, spec, spec.first_step, now)
        return StartResult(instance_id=instance.id, state=instance.state)

    @staticmethod
    def _cycle_for(s: Session, unit: Unit, sop_key: str, period: str) -> int | None:
        """The scheduled cycle of the nearest unit above UNIT (or UNIT itself) for this SOP and period."""
        for current in unit_chain(s, unit):
            cycle_id = s.scalar(
                select(Cycle.id).where(
                    Cycle.kabupaten_id == current.id, Cycle.sop_key == sop_key, Cycle.period == period
                )
            )
            if cycle_id is not None:
                return cycle_id
        return None

    # --- act -------------------------------------------------------------------------------

    def act(
        self,
        task_id: int,
        action: str,
        username: str,
        note: str | None = None,
        rows: Mapping[str, str] | None = None,
        expected_sha256: str | None = None,
    ) -> ActResult:
        """Take ACTION on TASK_ID as USERNAME, in one transaction with its audit event.

        ROWS (indicator code -> note) makes a `return` on a review a per-row return: only those
        realisasi rows go back, to their owners' data-entry tasks; the other rows are accepted.
        EXPECTED_SHA256 (a paraf or signature given on a page that showed the document's hash)
        refuses to sign content that changed since the page was shown.
        """
        checked_note = free_text("note", note)
        checked_rows = {}
        for code, row_note in (rows or {}).items():
            label = code if len(code) <= SHORT_MAX and control_problem(code) is None else repr(code[:SHORT_MAX]) + "…"
            checked_rows[code] = free_text(f"rows {label}", row_note) or ""
        try:
            with self.db.unit_of_work() as uow:
                a = self._check(uow.session, task_id, action, username, checked_note, checked_rows, expected_sha256)
                token = self._transition(a)
                opened = self._after_transition(a, token)
                uow.commit()
                return ActResult(a.task.id, a.instance.id, action, a.from_state, a.instance.state,
                                 tuple(t.id for t in opened))  # fmt: skip
        except StaleDataError:
            raise _changed(task_id) from None

    def _check(
        self,
        s: Session,
        task_id: int,
        action: str,
        username: str,
        note: str | None,
        rows: dict[str, str],
        expected_sha256: str | None,
    ) -> Acting:
        """Step 1, check: who acts, through which holding, and whether the action can be taken now.
        Nothing is written before every guard has passed."""
        now = self.clock()
        person = repository.person(s, username)
        instance, task = repository.task_with_instance(s, task_id)
        spec = self._spec(instance.sop_key, instance.sop_version)
        step = spec.step(task.step_id)
        if action not in step.actions:  # before who: an unknown action is refused to anyone
            check_action(self._request(s, task, instance, step, action, note, rows))
        holding = holding_for_task(s, person, task, now)
        check_action(self._request(s, task, instance, step, action, note, rows))
        self._pin_version(s, spec, now)
        position = position_key(task.role, task.seksi)
        actor = Actor(person, position, position if holding.acting else None)
        a = Acting(s, spec, step, instance, task, actor, action, note, rows, now, expected_sha256, instance.state)
        hooks_for(step.kind).check(a)
        return a

    @staticmethod
    def _request(
        s: Session, task: Task, instance: Instance, step: StepSpec, action: str, note: str | None, rows: dict[str, str]
    ) -> ActRequest:
        finisher = s.get(Person, task.finished_by_id) if task.finished_by_id else None
        return ActRequest(
            task_id=task.id, action=action, step_actions=step.actions, task_status=task.status,
            task_outcome=task.outcome, task_step_id=task.step_id, instance_id=instance.id,
            instance_state=instance.state, note=note, has_rows=bool(rows),
            finished_by=finisher.username if finisher else None, finished_at=iso(task.finished_at),
        )  # fmt: skip

    def _transition(self, a: Acting) -> InstanceToken:
        """Step 2, transition: the SOP's machine moves the instance (a fan-out step moves on only
        when its last open task is done; a per-row return takes the review's row-return edge)."""
        siblings_open = 0
        if a.step.kind is StepKind.FANOUT:
            siblings_open = (
                a.session.scalar(
                    select(func.count(Task.id)).where(
                        Task.instance_id == a.instance.id,
                        Task.step_id == a.task.step_id,
                        Task.round == a.task.round,
                        Task.status == OPEN,
                        Task.id != a.task.id,
                    )
                )
                or 0
            )
        trigger = RETURN_ROWS if a.rows else a.action
        try:
            return self._machine(a.spec).fire(a.instance.state, trigger, open_fanout_tasks=siblings_open)
        except ValueError as exc:
            raise Conflict(str(exc), code="transition.refused", detail=str(exc)) from None

    def _after_transition(self, a: Acting, token: InstanceToken) -> list[Task]:
        """Step 3, after-transition: finish the task, let the step kind add its effects, move the
        instance (finish it, or open the next step), and write the audit event."""
        task, instance, hooks = a.task, a.instance, hooks_for(a.step.kind)
        task.status = DONE
        task.outcome = a.action
        task.finished_at = a.now
        task.finished_by_id = a.actor.person.id
        hooks.before_move(a)
        task.note = a.note  # after the step kind's effects: a per-row return adds its rows' notes
        opened: list[Task] = []
        if token.state != a.from_state:
            instance.state = token.state
            if token.state == FINISHED_STATE:
                self._finish(a)
            else:
                opened = self._open_step(
                    a.session, instance, a.spec, a.spec.step(token.state), a.now,
                    return_note=a.note if a.action == "return" else None,
                    only=row_owner_notes(a.session, instance, a.returned, a.now) if a.returned else None,
                )  # fmt: skip
        hooks.after_move(a)
        if instance.state not in (a.from_state, FINISHED_STATE):
            hooks_for(a.spec.step(instance.state).kind).on_enter(a)
        self._audit(
            a.session, instance, a.actor, at=a.now, action=a.action, step_id=a.step.id, task_id=task.id,
            note=a.note, from_state=a.from_state, to_state=instance.state,
        )  # fmt: skip
        return opened

    @staticmethod
    def _finish(a: Acting) -> None:
        a.instance.finished_at = a.now
        accept_period(a.session, a.instance)
        a.session.add(
            OutboxMessage(
                created_at=a.now, topic="instance_finished", instance_id=a.instance.id,
                payload={"instance_id": a.instance.id},
            )
        )  # fmt: skip

    # --- reassign --------------------------------------------------------------------------

    def reassign(
        self, task_id: int, to_username: str, username: str, note: str | None, expected_from: str | None = None
    ) -> ReassignResult:
        """Give TASK_ID, an open task given to one person (an ASN's data-entry task), to TO_USERNAME.

        For a person who left the position (mutasi, pensiun) or is away for long while the task
        is open: nobody else could take it, and the fan-out could never join. The task still owes
        what its first person answered for when it opened (`reassigned_from_id`), and the new
        holder enters it. USERNAME must be an administrator or the unit's Camat or Sekretaris
        Camat; TO_USERNAME must be able to take the task (hold its role in the unit now). A task
        of a position (a Kasi's, the Camat's) is not reassigned: whoever holds the position, or
        its Plt., takes it. EXPECTED_FROM (the person the page showed) refuses a task someone
        else reassigned meanwhile. One transaction with its `reassign` audit event and a
        notification to the new holder.
        """
        note = free_text("note", note) or ""
        if not note:
            raise InvalidInput("note: say why the task is given to someone else", code="reassign.needs_note")
        now = self.clock()
        try:
            with self.db.unit_of_work() as uow:
                s = uow.session
                # check
                person = repository.person(s, username)
                instance, task = repository.task_with_instance(s, task_id)
                held = holdings(s, person.id, now)
                if not may_reassign(held, task.unit_id, person.is_admin):
                    raise NotAllowed(
                        f"user {username!r} may not reassign tasks of this unit (Camat, Sekcam or admin)",
                        code="reassign.not_allowed", user=username,
                    )  # fmt: skip
                if task.status != OPEN or instance.state != task.step_id:
                    status = task.outcome or task.status
                    raise Conflict(
                        f"task {task_id} is already {status}; nothing to reassign",
                        code="reassign.task_finished", task=task_id, status=status,
                    )  # fmt: skip
                if task.assignee_id is None or task.seksi is not None:
                    who = position_key(task.role, task.seksi)
                    raise InvalidInput(
                        f"task: task {task_id} belongs to {who!r}, not to one person; whoever holds it (or its Plt.) "
                        "can act on it",
                        code="reassign.position_task", task=task_id, role=who,
                    )  # fmt: skip
                before = s.get(Person, task.assignee_id)
                if expected_from is not None and (before is None or before.username != expected_from):
                    raise _changed(task_id)
                target = repository.person(s, to_username)
                if task.assignee_id == target.id:
                    raise InvalidInput(
                        f"to: task {task_id} is already given to {to_username!r}",
                        code="reassign.already_given", task=task_id, to=to_username,
                    )  # fmt: skip
                if not any(h.person_id == target.id for h in holders(s, task.unit_id, task.role, now)):
                    raise InvalidInput(
                        f"to: {to_username!r} does not hold {task.role!r} in this unit now",
                        code="reassign.not_holder", to=to_username, role=task.role,
                    )  # fmt: skip
                # change (the leader's holding is the capacity recorded; an administrator's is none)
                leader = leading_holding(held, task.unit_id, REASSIGNERS)
                if task.reassigned_from_id is None:
                    task.reassigned_from_id = task.assignee_id
                task.assignee_id = target.id
                # after: audit and notification, in the same transaction
                actor = Actor(person, leader.role if leader else "admin", _acting_for(leader))
                text = (
                    f"tugas {task.id} dialihkan dari {before.username if before else '-'} kepada {to_username}: {note}"
                )
                self._audit(
                    s, instance, actor, at=now, action="reassign", step_id=task.step_id, task_id=task.id, note=text,
                    from_state=instance.state, to_state=instance.state,
                )  # fmt: skip
                s.add(
                    Notification(
                        person_id=target.id, created_at=now, kind="tugas", body=text,
                        dedupe_key=f"reassign:{task.id}:{task.row_version}",
                        subject=f"Tugas dialihkan kepada Anda: {instance.period}",
                    )
                )  # fmt: skip
                uow.commit()
                return ReassignResult(task.id, instance.id, before.username if before else None, to_username)
        except StaleDataError:
            raise _changed(task_id) from None


def _changed(task_id: int) -> Conflict:
    return Conflict(f"task {task_id} was changed by someone else at the same time; reload it", code="task.changed",
                    task=task_id)  # fmt: skip
