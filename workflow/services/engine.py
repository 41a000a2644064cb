"""Use cases: start an SOP instance, list a user's tasks, act on a task, read the history.

Each use case is one function and one transaction. The state change, the task changes, the
audit event and the outbox messages are written together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workflow.adapters.db import Database, insert_once
from workflow.adapters.models import (
    AuditEvent,
    Cycle,
    DocumentVersion,
    Indicator,
    Instance,
    Notification,
    OutboxMessage,
    Person,
    RoleAssignment,
    Signature,
    SopVersion,
    Task,
    Unit,
    unit_chain,
)
from workflow.domain.limits import SHORT_MAX, free_text
from workflow.domain.plaintext import control_problem
from workflow.domain.roles import position_key
from workflow.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflow.services.measurement import (
    DIKEMBALIKAN,
    DIKIRIM,
    DITERIMA,
    accept_period,
    entry_step,
    instance_target_set,
    missing_for_task,
    owned_indicators,
    period_year,
    rows_for,
    unit_indicators,
)
from workflow.services.org import Holder, Holding, fanout_positions, holders, holdings, local_date
from workflow.services.rekap import document_content, sha256_text
from workflow.services.unit_calendars import UnitCalendars
from workflow.sop.machine import RETURN_ROWS, MachineCache, SopMachine
from workflow.sop.spec import FINISHED_STATE, SopRegistry, SopSpec, StepKind, StepSpec

OPEN = "open"
DONE = "done"


def utcnow() -> datetime:
    return datetime.now(UTC)


def may_take(task: Task, role: str, seksi: str | None, person_id: int) -> bool:
    """Whether someone holding ROLE (for SEKSI) may act on TASK.

    A task of a seksi position (one Kasi's fan-out task) is taken by whoever holds that
    position, definitively or as Plt.; a task given to one person (an ASN's fan-out task) only
    by that person; any other task by any holder of its role.
    """
    if role != task.role:
        return False
    if task.seksi is not None:
        return seksi == task.seksi
    return task.assignee_id is None or task.assignee_id == person_id


def holding_for_task(session: Session, person: Person, task: Task, on: datetime) -> Holding:
    """The holding through which PERSON acts on TASK, or NotAllowed: the one rule for the page, the
    API and the CLI, for actions and realisasi alike.

    The holding must be in the task's unit and fit its position (`may_take`); a definitive
    holding wins over a Plt. one, so a Plt. holding acts only where the person holds the position
    in no other way, and then every audit event records the position acted for (`acting_for`).
    The page's Plt. switch only chooses which tasks the inbox shows."""
    for h in holdings(session, person.id, on):  # definitive holdings first
        if h.unit_id == task.unit_id and may_take(task, h.role, h.seksi, person.id):
            return h
    who = position_key(task.role, task.seksi)
    raise NotAllowed(f"user {person.username!r} does not hold {who!r} for task {task.id}")


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


@dataclass(frozen=True)
class TaskView:
    id: int
    instance_id: int
    sop_key: str
    sop_version: int
    unit: str
    period: str
    step_id: str
    step_no: str
    step_name: str
    kegiatan: str
    role: str
    seksi: str | None
    assignee: str | None
    actions: tuple[str, ...]
    due_at: datetime | None
    round: int
    return_note: str | None
    status: str = OPEN
    outcome: str | None = None
    finished_at: datetime | None = None
    timezone: str = "Asia/Jakarta"  # the unit's, for showing times (not part of the JSON contract)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instance_id": self.instance_id,
            "sop_key": self.sop_key,
            "sop_version": self.sop_version,
            "unit": self.unit,
            "period": self.period,
            "step_id": self.step_id,
            "step_no": self.step_no,
            "step_name": self.step_name,
            "kegiatan": self.kegiatan,
            "role": self.role,
            "seksi": self.seksi,
            "assignee": self.assignee,
            "actions": list(self.actions),
            "due_at": iso(self.due_at),
            "round": self.round,
            "return_note": self.return_note,
        }


@dataclass(frozen=True)
class EventView:
    id: int
    at: datetime
    actor: str
    role: str | None
    acting_for: str | None
    action: str
    step_id: str | None
    task_id: int | None
    note: str | None
    from_state: str | None
    to_state: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso(self.at),
            "actor": self.actor,
            "role": self.role,
            "acting_for": self.acting_for,
            "action": self.action,
            "step_id": self.step_id,
            "task_id": self.task_id,
            "note": self.note,
            "from_state": self.from_state,
            "to_state": self.to_state,
        }


@dataclass(frozen=True)
class WaitingOn:
    task_id: int
    step_id: str
    role: str
    seksi: str | None
    assignee: str | None
    due_at: datetime | None


@dataclass(frozen=True)
class InstanceStatus:
    id: int
    sop_key: str
    sop_version: int
    unit: str
    period: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    waiting_on: tuple[WaitingOn, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "instance_id": self.id,
            "sop_key": self.sop_key,
            "sop_version": self.sop_version,
            "unit": self.unit,
            "period": self.period,
            "state": self.state,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "waiting_on": [
                {
                    "task_id": w.task_id,
                    "step_id": w.step_id,
                    "role": w.role,
                    "seksi": w.seksi,
                    "assignee": w.assignee,
                    "due_at": iso(w.due_at),
                }
                for w in self.waiting_on
            ],
        }


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


@dataclass(frozen=True)
class _Actor:
    person: Person
    role: str
    acting_for: str | None


class WorkflowService:
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

    # --- helpers -----------------------------------------------------------------------

    def _spec(self, key: str, version: int | None = None) -> SopSpec:
        try:
            return self.registry.get(key, version)
        except KeyError:
            which = key if version is None else f"{key} version {version}"
            raise NotFound(f"unknown SOP {which!r}") from None

    def _machine(self, spec: SopSpec) -> SopMachine:
        return self.machines.get(spec)

    @staticmethod
    def _person(session: Session, username: str) -> Person:
        person = session.scalar(select(Person).where(Person.username == username))
        if person is None or not person.active:
            raise NotFound(f"unknown user {username!r}")
        return person

    @staticmethod
    def _unit(session: Session, code: str) -> Unit:
        unit = session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            raise NotFound(f"unknown unit {code!r}")
        return unit

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
                f"started from it; save the revision as version {spec.version + 1} instead"
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
        unit = session.get(Unit, instance.unit_id)
        assert unit is not None
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
                raise Conflict(f"nobody holds role {step.pelaksana!r} in unit {unit.code!r} for step {step.no}")
            tasks = [Task(seksi=seksi, assignee_id=h.person_id, **common) for seksi, h in positions]
            if only is not None:
                kept = []
                for task in tasks:
                    note = only(task)
                    if note is not None:
                        task.return_note = note
                        kept.append(task)
                if not kept:
                    raise InvalidInput(f"rows: nobody holding {step.pelaksana!r} now answers for the returned rows")
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
    def _actor_for_task(session: Session, person: Person, task: Task, on: datetime) -> _Actor:
        """The capacity in which PERSON may act on TASK, or NotAllowed (see `holding_for_task`)."""
        holding = holding_for_task(session, person, task, on)
        position = position_key(task.role, task.seksi)
        return _Actor(person, position, position if holding.acting else None)

    @staticmethod
    def _audit(session: Session, instance: Instance, actor: _Actor | None, **fields: Any) -> None:
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

    # --- use cases ---------------------------------------------------------------------

    def start(self, sop_key: str, unit_code: str, period: str, username: str) -> StartResult:
        """Start SOP_KEY (its latest version) for UNIT_CODE and PERIOD; open its first step."""
        spec = self._checked_spec(sop_key, period)
        now = self.clock()
        with self.db.unit_of_work() as uow:
            s = uow.session
            person = self._person(s, username)
            unit = self._unit(s, unit_code)
            first = spec.first_step
            mine = [h for h in holdings(s, person.id, now) if h.unit_id == unit.id]
            starter = next((h for h in mine if h.role == first.pelaksana), None)
            if starter is None and not person.is_admin:
                raise NotAllowed(
                    f"user {username!r} may not start {sop_key} in {unit_code}: "
                    f"it opens with a {first.pelaksana!r} step"
                )
            actor = _Actor(person, starter.position if starter else "admin", self._acting(starter))
            result = self._start(s, spec, unit, period, actor, now)
            uow.commit()
            return result

    def start_scheduled(self, sop_key: str, unit_code: str, period: str) -> StartResult:
        """Start a cycle's instance as the scheduler (recorded as actor `scheduler`)."""
        spec = self._checked_spec(sop_key, period)
        now = self.clock()
        with self.db.unit_of_work() as uow:
            result = self._start(uow.session, spec, self._unit(uow.session, unit_code), period, None, now)
            uow.commit()
            return result

    def _checked_spec(self, sop_key: str, period: str) -> SopSpec:
        spec = self._spec(sop_key)
        try:
            spec.check_period(period)
        except ValueError as exc:
            raise InvalidInput(f"period: {exc}") from None
        return spec

    def _start(
        self, s: Session, spec: SopSpec, unit: Unit, period: str, actor: _Actor | None, now: datetime
    ) -> StartResult:
        missing = [c.role for c in spec.roles if not holders(s, unit.id, c.role, now)]
        if missing:
            raise InvalidInput(f"unit {unit.code!r} has nobody in role(s) {', '.join(missing)} that {spec.key} needs")
        existing = s.scalar(
            select(Instance.id).where(
                Instance.unit_id == unit.id, Instance.sop_key == spec.key, Instance.period == period
            )
        )
        if existing is not None:
            raise Conflict(f"{spec.key} for {unit.code} {period} is already started (instance {existing})")
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
            raise Conflict(f"{spec.key} for {code} {period} is already started") from None
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

    @staticmethod
    def _acting(holding: Holding | None) -> str | None:
        return holding.position if holding is not None and holding.acting else None

    @staticmethod
    def _locked(s: Session, task_id: int) -> tuple[Instance, Task]:
        """TASK_ID and its instance, read fresh with the instance locked.

        Actions on one instance run one after the other, so a fan-out join or a double click is
        decided on fresh rows (a no-op lock on SQLite, where the write transaction already holds
        the database lock)."""
        found = s.get(Task, task_id)
        if found is None:
            raise NotFound(f"unknown task {task_id}")
        instance = s.scalars(
            select(Instance)
            .where(Instance.id == found.instance_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        task = s.scalars(select(Task).where(Task.id == task_id).execution_options(populate_existing=True)).one()
        return instance, task

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
            return self._act(task_id, action, username, checked_note, checked_rows, expected_sha256)
        except StaleDataError:
            raise Conflict(f"task {task_id} was changed by someone else at the same time; reload it") from None

    def _act(
        self,
        task_id: int,
        action: str,
        username: str,
        note: str | None,
        rows: dict[str, str],
        expected_sha256: str | None = None,
    ) -> ActResult:
        now = self.clock()
        with self.db.unit_of_work() as uow:
            s = uow.session
            person = self._person(s, username)
            instance, task = self._locked(s, task_id)
            spec = self._spec(instance.sop_key, instance.sop_version)
            step = spec.step(task.step_id)
            if action not in step.actions:
                raise InvalidInput(
                    f"action: {action!r} is not an action of task {task_id}; use one of {', '.join(step.actions)}"
                )
            actor = self._actor_for_task(s, person, task, now)
            if task.status != OPEN:
                by = s.get(Person, task.finished_by_id) if task.finished_by_id else None
                raise Conflict(
                    f"task {task_id} is already {task.outcome or task.status}"
                    + (f" by {by.username}" if by else "")
                    + (f" at {iso(task.finished_at)}" if task.finished_at else "")
                )
            if instance.state != task.step_id:
                raise Conflict(f"instance {instance.id} has moved on to {instance.state!r}")
            if action == "return" and not note:
                raise InvalidInput("note: a return needs a note saying what to correct")
            if rows and action != "return":
                raise InvalidInput("rows: only a return can point at indicator rows")
            self._pin_version(s, spec, now)
            entry = entry_step(spec, before=step.id) if step.kind is StepKind.REVIEW else None
            row_notes: dict[str, tuple[Indicator, str]] = {}
            if rows:
                if entry is None:
                    raise InvalidInput(f"rows: step {step.no} has no data-entry step before it to return rows to")
                row_notes = self._returned_rows(s, instance, rows)
            elif step.kind is StepKind.FANOUT and action == "done":
                missing = missing_for_task(s, task, instance, now)
                if missing:
                    listed = "; ".join(f"{i.code} {i.name}" for i in missing)
                    raise InvalidInput(f"realisasi: belum lengkap untuk {instance.period}: {listed}")

            # A fan-out step moves on when its last open task is done; other steps have one task.
            siblings_open = (
                s.scalar(
                    select(func.count(Task.id)).where(
                        Task.instance_id == instance.id,
                        Task.step_id == task.step_id,
                        Task.round == task.round,
                        Task.status == OPEN,
                        Task.id != task.id,
                    )
                )
                if step.kind is StepKind.FANOUT
                else 0
            )
            try:
                trigger = RETURN_ROWS if rows else action
                token = self._machine(spec).fire(instance.state, trigger, open_fanout_tasks=siblings_open or 0)
            except ValueError as exc:
                raise Conflict(str(exc)) from None
            from_state = instance.state
            task.status = DONE
            task.outcome = action
            task.finished_at = now
            task.finished_by_id = person.id
            task.note = note
            opened: list[Task] = []
            if entry is not None and action == "approve":
                accept_period(s, instance)
            if row_notes:
                note = self._mark_returned(s, instance, note or "", row_notes)
            if token.state != from_state:
                instance.state = token.state
                if token.state == FINISHED_STATE:
                    instance.finished_at = now
                    accept_period(s, instance)
                    s.add(
                        OutboxMessage(
                            created_at=now,
                            topic="instance_finished",
                            instance_id=instance.id,
                            payload={"instance_id": instance.id},
                        )
                    )
                else:
                    opened = self._open_step(
                        s,
                        instance,
                        spec,
                        spec.step(token.state),
                        now,
                        return_note=note if action == "return" else None,
                        only=self._row_owner_notes(s, instance, row_notes, now) if row_notes else None,
                    )
            if step.kind in (StepKind.PARAF, StepKind.SIGN):
                self._sign(s, instance, spec, task, actor, step.kind, now, expected_sha256)
            if instance.state != from_state and instance.state != FINISHED_STATE:
                if spec.step(instance.state).kind is StepKind.REVIEW:
                    self._snapshot(s, instance, spec, task, now)
            self._audit(
                s,
                instance,
                actor,
                at=now,
                action=action,
                step_id=step.id,
                task_id=task.id,
                note=note,
                from_state=from_state,
                to_state=instance.state,
            )
            uow.commit()
            return ActResult(
                task_id=task.id,
                instance_id=instance.id,
                action=action,
                from_state=from_state,
                to_state=instance.state,
                opened_task_ids=tuple(t.id for t in opened),
            )

    # Who may hand an ASN's open task to someone else: the unit's leaders, and administrators.
    REASSIGNERS = ("camat", "sekcam")

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
            raise InvalidInput("note: say why the task is given to someone else")
        now = self.clock()
        try:
            with self.db.unit_of_work() as uow:
                s = uow.session
                person = self._person(s, username)
                instance, task = self._locked(s, task_id)
                held = [h for h in holdings(s, person.id, now) if h.unit_id == task.unit_id]
                leader = next((h for h in held if h.role in self.REASSIGNERS), None)
                if leader is None and not person.is_admin:
                    raise NotAllowed(f"user {username!r} may not reassign tasks of this unit (Camat, Sekcam or admin)")
                if task.status != OPEN or instance.state != task.step_id:
                    raise Conflict(f"task {task_id} is already {task.outcome or task.status}; nothing to reassign")
                if task.assignee_id is None or task.seksi is not None:
                    who = position_key(task.role, task.seksi)
                    raise InvalidInput(
                        f"task: task {task_id} belongs to {who!r}, not to one person; whoever holds it (or its Plt.) "
                        "can act on it"
                    )
                before = s.get(Person, task.assignee_id)
                if expected_from is not None and (before is None or before.username != expected_from):
                    raise Conflict(f"task {task_id} was changed by someone else at the same time; reload it")
                target = self._person(s, to_username)
                if task.assignee_id == target.id:
                    raise InvalidInput(f"to: task {task_id} is already given to {to_username!r}")
                if not any(h.person_id == target.id for h in holders(s, task.unit_id, task.role, now)):
                    raise InvalidInput(f"to: {to_username!r} does not hold {task.role!r} in this unit now")
                if task.reassigned_from_id is None:
                    task.reassigned_from_id = task.assignee_id
                task.assignee_id = target.id
                actor = _Actor(
                    person, leader.role if leader else "admin", leader.position if leader and leader.acting else None
                )
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
            raise Conflict(f"task {task_id} was changed by someone else at the same time; reload it") from None

    def stuck_tasks(self, instance_id: int) -> dict[int, tuple[str, list[str]]]:
        """Open tasks of INSTANCE_ID given to one person who can no longer act on them, each with
        that person and who could take the task over (holders of its role in the unit)."""
        now = self.clock()
        found: dict[int, tuple[str, list[str]]] = {}
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            rows = s.execute(
                select(Task, Person.username)
                .join(Person, Person.id == Task.assignee_id)
                .where(Task.instance_id == instance_id, Task.status == OPEN, Task.seksi.is_(None))
            ).all()
            by_role: dict[tuple[int, str], list[Holder]] = {}
            for task, username in rows:
                key = (task.unit_id, task.role)
                if key not in by_role:
                    by_role[key] = holders(s, task.unit_id, task.role, now)
                if not any(h.person_id == task.assignee_id for h in by_role[key]):
                    found[task.id] = (username, [h.username for h in by_role[key]])
        return found

    @staticmethod
    def _sign(
        s: Session,
        instance: Instance,
        spec: SopSpec,
        task: Task,
        actor: _Actor,
        kind: StepKind,
        now: datetime,
        expected_sha256: str | None = None,
    ) -> None:
        """Record the paraf or tanda tangan on the exact content signed, frozen with its SHA-256."""
        content = document_content(s, instance, spec.nama)
        if expected_sha256 is not None and sha256_text(content) != expected_sha256:
            raise Conflict("the document changed since it was shown (its SHA-256 differs); reload it and sign again")
        s.add(
            Signature(
                instance_id=instance.id, task_id=task.id, person_id=actor.person.id, actor=actor.person.username,
                role=actor.role, acting_for=actor.acting_for,
                kind="paraf" if kind is StepKind.PARAF else "tanda_tangan", document=spec.key,
                sha256=sha256_text(content), content=content, signed_at=now,
            )
        )  # fmt: skip

    @staticmethod
    def _snapshot(s: Session, instance: Instance, spec: SopSpec, task: Task, now: datetime) -> None:
        """Keep the draft as it is submitted for review: each version, with its SHA-256."""
        last = s.scalar(
            select(func.max(DocumentVersion.version)).where(
                DocumentVersion.instance_id == instance.id, DocumentVersion.document == spec.key
            )
        )
        content = document_content(s, instance, spec.nama)
        s.add(
            DocumentVersion(
                instance_id=instance.id, task_id=task.id, document=spec.key, version=(last or 0) + 1,
                sha256=sha256_text(content), content=content, created_at=now,
            )
        )  # fmt: skip

    @staticmethod
    def _returned_rows(s: Session, instance: Instance, rows: dict[str, str]) -> dict[str, tuple[Indicator, str]]:
        """Check each returned row: a known indicator with a realisasi for the period, and a note."""
        when = period_year(instance.period)
        if when is None:
            raise InvalidInput(f"rows: {instance.period} is not a triwulan; there are no realisasi rows to return")
        by_code = {i.code: i for i in unit_indicators(s, instance.unit_id, when[0])}
        entered = rows_for(s, instance.unit_id, [instance.period])
        checked: dict[str, tuple[Indicator, str]] = {}
        for code, row_note in rows.items():
            indicator = by_code.get(code)
            if indicator is None:
                raise InvalidInput(f"rows: {code!r} is not an indicator of this unit for {when[0]}")
            if (indicator.id, instance.period) not in entered:
                raise InvalidInput(f"rows: {code} has no realisasi for {instance.period} to return")
            if not (row_note or "").strip():
                raise InvalidInput(f"rows: {code} needs a note saying what to correct")
            checked[code] = (indicator, row_note.strip())
        return checked

    @staticmethod
    def _mark_returned(s: Session, instance: Instance, note: str, rows: dict[str, tuple[Indicator, str]]) -> str:
        """Returned rows go back with their notes; every other entered row of the period is accepted."""
        returned_ids = {indicator.id for indicator, _ in rows.values()}
        for (indicator_id, _), row in rows_for(s, instance.unit_id, [instance.period]).items():
            if indicator_id in returned_ids:
                row.status = DIKEMBALIKAN
                row.return_note = next(n for i, n in rows.values() if i.id == indicator_id)
            elif row.status == DIKIRIM:
                row.status = DITERIMA
        lines = "; ".join(f"{code}: {row_note}" for code, (_, row_note) in rows.items())
        return f"{note} [{lines}]" if note else lines

    @staticmethod
    def _row_owner_notes(
        s: Session, instance: Instance, rows: dict[str, tuple[Indicator, str]], now: datetime
    ) -> Callable[[Task], str | None]:
        """For each would-be entry task: the notes of the returned rows its holder owns, or None."""
        year = int(instance.period[:4])

        def notes_for(task: Task) -> str | None:
            owned = {i.id for i in owned_indicators(s, task, year, now)}
            mine = [f"{code}: {row_note}" for code, (i, row_note) in rows.items() if i.id in owned]
            return "; ".join(mine) if mine else None

        return notes_for

    def tasks_for(self, username: str) -> list[TaskView]:
        """The open tasks USERNAME can act on now, soonest due first."""
        now = self.clock()
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            person = self._person(s, username)
            mine = holdings(s, person.id, now)
            if not mine:
                return []
            # The SQL form of may_take() for each role held.
            unassigned = and_(Task.seksi.is_(None), or_(Task.assignee_id.is_(None), Task.assignee_id == person.id))
            clauses = [
                and_(
                    Task.unit_id == h.unit_id,
                    Task.role == h.role,
                    or_(Task.seksi == h.seksi, unassigned) if h.seksi is not None else unassigned,
                )
                for h in mine
            ]
            rows = s.execute(
                select(Task, Instance, Unit.code, Person.username)
                .join(Instance, Instance.id == Task.instance_id)
                .join(Unit, Unit.id == Task.unit_id)
                .outerjoin(Person, Person.id == Task.assignee_id)
                .where(Task.status == OPEN, or_(*clauses))
                .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
            ).all()
            return [self.task_view(task, instance, unit_code, assignee) for task, instance, unit_code, assignee in rows]

    def task_view(
        self, task: Task, instance: Instance, unit_code: str, assignee: str | None, timezone: str = "Asia/Jakarta"
    ) -> TaskView:
        """The view of one task row (its possible actions are none once it is done)."""
        spec = self._spec(instance.sop_key, instance.sop_version)
        step = spec.step(task.step_id)
        possible = self._machine(spec).triggers_from(instance.state) if task.status == OPEN else []
        return TaskView(
            id=task.id,
            instance_id=instance.id,
            sop_key=instance.sop_key,
            sop_version=instance.sop_version,
            unit=unit_code,
            period=instance.period,
            step_id=step.id,
            step_no=step.no,
            step_name=step.nama,
            kegiatan=step.kegiatan,
            role=position_key(task.role, task.seksi),
            seksi=task.seksi,
            assignee=assignee,
            actions=tuple(a for a in step.actions if a in possible),
            due_at=task.due_at,
            round=task.round,
            return_note=task.return_note,
            status=task.status,
            outcome=task.outcome,
            finished_at=task.finished_at,
            timezone=timezone,
        )

    def history(self, instance_id: int) -> list[EventView]:
        """The audit events of INSTANCE_ID, oldest first."""
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            if s.get(Instance, instance_id) is None:
                raise NotFound(f"unknown instance {instance_id}")
            events = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id))
            return [
                EventView(
                    id=e.id,
                    at=e.at,
                    actor=e.actor,
                    role=e.role,
                    acting_for=e.acting_for,
                    action=e.action,
                    step_id=e.step_id,
                    task_id=e.task_id,
                    note=e.note,
                    from_state=e.from_state,
                    to_state=e.to_state,
                )
                for e in events
            ]

    def status(self, instance_id: int) -> InstanceStatus:
        """Where INSTANCE_ID stands, and who it is waiting on (who has not finished)."""
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            instance = s.get(Instance, instance_id)
            if instance is None:
                raise NotFound(f"unknown instance {instance_id}")
            unit = s.get(Unit, instance.unit_id)
            assert unit is not None
            rows = s.execute(
                select(Task, Person.username)
                .outerjoin(Person, Person.id == Task.assignee_id)
                .where(Task.instance_id == instance_id, Task.status == OPEN)
                .order_by(Task.seksi, Person.username, Task.id)
            ).all()
            waiting = tuple(
                WaitingOn(t.id, t.step_id, position_key(t.role, t.seksi), t.seksi, who, t.due_at) for t, who in rows
            )
            return InstanceStatus(
                id=instance.id,
                sop_key=instance.sop_key,
                sop_version=instance.sop_version,
                unit=unit.code,
                period=instance.period,
                state=instance.state,
                started_at=instance.started_at,
                finished_at=instance.finished_at,
                waiting_on=waiting,
            )

    def candidates(self, task_id: int) -> list[str]:
        """The usernames who may act on TASK_ID now (definitive holders before Plt.)."""
        now = self.clock()
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            task = s.get(Task, task_id)
            if task is None:
                raise NotFound(f"unknown task {task_id}")
            return [
                h.username
                for h in holders(s, task.unit_id, task.role, now)
                if may_take(task, task.role, h.seksi, h.person_id)
            ]

    def find_instance(self, sop_key: str, unit_code: str, period: str) -> int | None:
        """The id of SOP_KEY's instance for UNIT_CODE and PERIOD, if it was started."""
        with self.db.unit_of_work(readonly=True) as uow:
            unit = self._unit(uow.session, unit_code)
            return uow.session.scalar(
                select(Instance.id).where(
                    Instance.unit_id == unit.id, Instance.sop_key == sop_key, Instance.period == period
                )
            )

    def candidates_for_role(self, unit_code: str, role: str) -> list[str]:
        """The usernames holding ROLE in UNIT_CODE now."""
        with self.db.unit_of_work(readonly=True) as uow:
            unit = self._unit(uow.session, unit_code)
            return [h.username for h in holders(uow.session, unit.id, role, self.clock())]

    def usernames_in_unit(self, unit_code: str) -> list[str]:
        """Everyone holding any role in UNIT_CODE now, by username."""
        with self.db.unit_of_work(readonly=True) as uow:
            unit = self._unit(uow.session, unit_code)
            rows = uow.session.execute(
                select(Person.username, RoleAssignment)
                .join(RoleAssignment, RoleAssignment.person_id == Person.id)
                .where(RoleAssignment.unit_id == unit.id)
                .order_by(Person.username)
            ).all()
            today = local_date(self.clock(), unit.timezone)
            return sorted({name for name, a in rows if a.valid_on(today)})
