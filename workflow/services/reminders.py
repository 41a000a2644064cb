"""One scheduler pass: open due cycles, notify, remind, escalate, digest, deliver.

Everything a pass decides is recorded in our own tables under a unique key, so a pass can run
again, after a crash, or in two processes at once, and each reminder still exists once:
- `deadline:{cycle}:{H}:{person}`: H working days before a cycle's deadline, to each person who
  still owes something in it, listing exactly what;
- `escalation:{task}:{day}:{person}`: each working day a task is overdue, to its owner(s) and
  to their superior (the sekcam; the Camat for the sekcam's own tasks);
- `reentry:{task}:{person}`: a returned draft is back in review.
Reminders reach people in-app at once and by email in one digest per person per day.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from workflow.adapters import repository
from workflow.adapters.db import Database, insert_once
from workflow.adapters.mailer import DeliveryReport, SmtpSettings, deliver_mail
from workflow.adapters.models import (
    Cycle,
    Instance,
    Notification,
    OutboxMessage,
    Person,
    Reminder,
    Schedule,
    Task,
    Unit,
    unit_chain,
)
from workflow.domain.calendar import WorkCalendar
from workflow.domain.localtime import tanggal, waktu_lokal
from workflow.domain.roles import position_key
from workflow.domain.rules import OPEN, superior_of
from workflow.errors import Conflict, InvalidInput, NotFound
from workflow.services.engine import WorkflowService
from workflow.services.measurement import missing_for_task
from workflow.services.org import Holder, holders, holders_of
from workflow.services.schedule import DEFAULT_LEADS, DEFAULT_MAX_LATENESS
from workflow.sop.spec import FINISHED_STATE, StepKind

log = logging.getLogger(__name__)


@dataclass
class PassReport:
    instances_started: int = 0
    events_processed: int = 0
    reminders: int = 0
    missed: int = 0
    digests: int = 0
    delivery: DeliveryReport | None = None
    problems: list[str] = field(default_factory=list)


PASS_LOCK_KEY = 0x53414B4950 + 1  # next to the scheduler's leader lock


@contextmanager
def pass_lock(db: Database) -> Iterator[None]:
    """Run one pass at a time per database, even from two processes.

    The leader lock keeps a second scheduler idle; this one also covers a pass started by hand
    (`sakip reminders run-once`) while the scheduler runs: the second pass waits, then finds
    everything already recorded. Without it, a digest could be built while the other pass is
    still queueing reminders for the same person.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PASS_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PASS_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with _MEMORY_PASS_LOCK:
            yield
        return
    with open(f"{database}.pass.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_MEMORY_PASS_LOCK = threading.Lock()


class ReminderEngine:
    """Runs scheduler passes for one database, with the service's clock as `now`."""

    def __init__(self, service: WorkflowService, smtp: SmtpSettings | None = None):
        self.service = service
        self.smtp = smtp
        # Per-pass caches: a pass looks at every open task of the running cycles (tens of
        # thousands in a province), and these answers are the same for every task of a unit.
        # Holders per (unit, role): a fan-out step has one task per ASN of the unit.
        self._holders: dict[tuple[int, str], list[Holder]] = {}
        self._calendars: dict[int, WorkCalendar] = {}
        self._unit_settings: dict[int, tuple[tuple[int, ...], timedelta]] = {}
        self._by_person: dict[tuple[int, str], dict[int, list[Holder]]] = {}
        self._schedules: dict[int, Schedule] | None = None
        # The reminder times before a deadline, per calendar (units of a Kabupaten share one).
        self._lead_points: dict[tuple[int, datetime, tuple[int, ...]], list[tuple[int, datetime]]] = {}

    @property
    def db(self) -> Database:
        return self.service.db

    def run_pass(self) -> PassReport:
        with pass_lock(self.db):
            return self._run_pass()

    def _run_pass(self) -> PassReport:
        now = self.service.clock()
        self.service.registry.refresh()  # a version loaded since the last pass, by any process
        self._holders, self._calendars, self._unit_settings, self._by_person = {}, {}, {}, {}
        self._schedules, self._lead_points = None, {}
        report = PassReport()
        steps = (
            self._open_cycles,
            self._process_events,
            self._queue_deadline_reminders,
            self._queue_escalations,
            self._build_digests,
        )
        for step in steps:
            # Each step is its own transaction; one that fails (a bad row, a missing SOP file)
            # is logged and reported, and the others, mail delivery above all, still run.
            try:
                step(now, report)
            except Exception as exc:
                log.exception("scheduler step %s failed", step.__name__)
                report.problems.append(f"{step.__name__}: {type(exc).__name__}: {exc}")
        report.delivery = deliver_mail(self.db, self.smtp, now)
        return report

    # --- helpers -----------------------------------------------------------------------

    def _role_holders(self, s: Session, unit_id: int, role: str, now: datetime) -> list[Holder]:
        key = (unit_id, role)
        if key not in self._holders:
            self._holders[key] = holders(s, unit_id, role, now)
        return self._holders[key]

    def _prefetch_holders(self, s: Session, pairs: set[tuple[int, str]], now: datetime) -> None:
        """Read the holders of every (unit, role) a step is about to look at, in a few queries."""
        missing = pairs - self._holders.keys()
        if missing:
            self._holders.update(holders_of(s, missing, now))

    def _owners(self, s: Session, task: Task, now: datetime) -> list[Holder]:
        """Who may act on TASK now (as `may_take` decides, indexed: a pass asks this per open task)."""
        held = self._role_holders(s, task.unit_id, task.role, now)
        if task.seksi is not None:
            return [h for h in held if h.seksi == task.seksi]
        if task.assignee_id is not None:
            key = (task.unit_id, task.role)
            index = self._by_person.get(key)
            if index is None:
                index = self._by_person[key] = defaultdict(list)
                for h in held:
                    index[h.person_id].append(h)
            return list(index.get(task.assignee_id, ()))
        return list(held)

    def _settings(self, s: Session, unit: Unit) -> tuple[tuple[int, ...], timedelta]:
        found = self._unit_settings.get(unit.id)
        if found is None:
            if self._schedules is None:  # a schedule per Kabupaten: a few rows, read once per pass
                self._schedules = {row.kabupaten_id: row for row in s.scalars(select(Schedule))}
            found = DEFAULT_LEADS, DEFAULT_MAX_LATENESS
            for current in unit_chain(s, unit):
                schedule = self._schedules.get(current.id)
                if schedule is not None:
                    found = tuple(schedule.lead_working_days), timedelta(minutes=schedule.max_lateness_minutes)
                    break
            self._unit_settings[unit.id] = found
        return found

    def _calendar(self, s: Session, unit: Unit) -> WorkCalendar:
        found = self._calendars.get(unit.id)
        if found is None:
            found = self._calendars[unit.id] = self.service.calendars.for_unit(s, unit).calendar
        return found

    def _remind(
        self, s: Session, now: datetime, report: PassReport, *, key: str, kind: str, person_id: int,
        due_at: datetime, lateness: timedelta, subject: str, payload: dict[str, Any],
    ) -> None:  # fmt: skip
        missed = now - due_at > lateness
        inserted = insert_once(
            s, Reminder,
            {"key": key, "kind": kind, "person_id": person_id, "due_at": due_at, "created_at": now,
             "status": "missed" if missed else "pending", "payload": payload,
             "task_id": payload.get("task_id"), "cycle_id": payload.get("cycle_id")},
            "key",
        )  # fmt: skip
        if not inserted:
            return
        if missed:
            report.missed += 1
            return
        report.reminders += 1
        self._notify(s, now, person_id, kind, subject, payload["text"], key)

    @staticmethod
    def _notify(s: Session, now: datetime, person_id: int, kind: str, subject: str, body: str, key: str) -> None:
        insert_once(
            s, Notification,
            {"person_id": person_id, "created_at": now, "kind": kind, "subject": subject, "body": body,
             "dedupe_key": key},
            "dedupe_key",
        )  # fmt: skip

    # --- the steps of a pass -------------------------------------------------------------

    def _open_cycles(self, now: datetime, report: PassReport) -> None:
        with self.db.unit_of_work(readonly=True) as uow:
            due = [
                (c.id, c.sop_key, c.period, c.kabupaten_id, c.deadline_at)
                for c in uow.session.scalars(select(Cycle).where(Cycle.opened_at.is_(None), Cycle.opens_at <= now))
            ]
            units = {
                kab: [u.code for u in uow.session.scalars(
                    select(Unit).where(Unit.parent_id == kab, Unit.kind == "kecamatan").order_by(Unit.code))]
                for kab in {d[3] for d in due}
            }  # fmt: skip
        for cycle_id, sop_key, period, kabupaten_id, deadline_at in due:
            codes = units[kabupaten_id]
            if deadline_at <= now:
                # Seen for the first time after its deadline (a schedule loaded late, or a long
                # outage): recorded as opened, but nothing is started for a closed period.
                report.problems.append(f"cycle {sop_key} {period}: its deadline passed before it could open")
                log.warning("cycle %s %s: its deadline passed before it could open", sop_key, period)
                codes = []
            complete = True
            for code in codes:
                try:
                    self.service.start_scheduled(sop_key, code, period)
                    report.instances_started += 1
                except Conflict as exc:
                    if "already started" not in str(exc):
                        complete = False
                        report.problems.append(f"cycle {sop_key} {period}: {code}: {exc}")
                except (InvalidInput, NotFound) as exc:
                    # Retried on every pass until its deadline: load the missing people (or SOP)
                    # and the unit's instance starts then.
                    complete = False
                    report.problems.append(f"cycle {sop_key} {period}: {code}: {exc}")
                    log.warning("cycle %s %s not started for %s: %s", sop_key, period, code, exc)
            with self.db.unit_of_work() as uow:
                s = uow.session
                unit_ids = select(Unit.id).where(Unit.code.in_(codes))
                s.execute(
                    update(Instance)
                    .where(Instance.sop_key == sop_key, Instance.period == period,
                           Instance.unit_id.in_(unit_ids), Instance.cycle_id.is_(None))
                    .values(cycle_id=cycle_id, row_version=Instance.row_version + 1)
                    .execution_options(synchronize_session=False)
                )  # fmt: skip
                if complete:
                    s.execute(
                        update(Cycle).where(Cycle.id == cycle_id, Cycle.opened_at.is_(None)).values(opened_at=now)
                    )
                uow.commit()

    def _process_events(self, now: datetime, report: PassReport) -> None:
        with self.db.unit_of_work() as uow:
            s = uow.session
            events = s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.topic.in_(("task_opened", "instance_finished")),
                       OutboxMessage.processed_at.is_(None))
                .order_by(OutboxMessage.id)
                .limit(1000)
                .with_for_update(skip_locked=True)
            ).all()  # fmt: skip
            for event in events:
                event.processed_at = now
                event.status = "processed"
                report.events_processed += 1
                if event.topic != "task_opened":
                    continue
                task = s.get(Task, event.payload["task_id"])
                if task is None or task.status != OPEN:
                    continue
                instance = repository.row(s, Instance, task.instance_id)
                unit = repository.row(s, Unit, task.unit_id)
                spec = self.service.registry.get(instance.sop_key, instance.sop_version)
                step = spec.step(task.step_id)
                lateness = self._settings(s, unit)[1]
                text = f"{spec.nama} {instance.period} ({unit.name}): langkah {step.no} {step.nama}" + (
                    f", batas waktu {waktu_lokal(task.due_at, unit.timezone)}" if task.due_at else ""
                )
                for owner in self._owners(s, task, now):
                    if step.kind is StepKind.REVIEW and task.round > 1:
                        subject = f"Draf kembali untuk direviu: {step.nama}"
                        self._remind(
                            s, now, report, key=f"reentry:{task.id}:{owner.person_id}", kind="review_reentry",
                            person_id=owner.person_id, due_at=now, lateness=lateness, subject=subject,
                            payload={"text": f"Draf yang dikembalikan sudah diperbaiki dan menunggu reviu Anda: {text}",
                                     "timezone": unit.timezone, "unit_id": unit.id, "task_id": task.id},
                        )  # fmt: skip
                    else:
                        self._notify(s, now, owner.person_id, "task", f"Tugas baru: {step.nama}", text,
                                     f"task:{task.id}:{owner.person_id}")  # fmt: skip
            uow.commit()

    def _queue_deadline_reminders(self, now: datetime, report: PassReport) -> None:
        with self.db.unit_of_work() as uow:
            s = uow.session
            cycles = s.scalars(
                select(Cycle).where(Cycle.opens_at <= now, Cycle.deadline_at > now).order_by(Cycle.id)
            ).all()
            for cycle in cycles:
                kabupaten = repository.row(s, Unit, cycle.kabupaten_id)
                leads, lateness = self._settings(s, kabupaten)
                # The reminder times (H-7, H-3, H-1 …) fall on each unit's own working days. Only
                # the units where one has come are read task by task.
                running = select(Instance.unit_id).where(
                    Instance.cycle_id == cycle.id, Instance.state != FINISHED_STATE
                )
                due_points: dict[int, list[tuple[int, datetime]]] = {}  # per unit: the leads already due
                for unit in s.scalars(select(Unit).where(Unit.id.in_(running))):
                    calendar = self._calendar(s, unit)
                    key = (id(calendar), cycle.deadline_at, leads)
                    if key not in self._lead_points:
                        deadline_day = calendar.local(cycle.deadline_at).date()
                        self._lead_points[key] = []
                        for lead in leads:
                            hours = calendar.hours_on(calendar.previous_working_day(deadline_day, lead))
                            assert hours is not None
                            if (point := hours[0].astimezone(UTC)) <= now:
                                self._lead_points[key].append((lead, point))
                    due_points[unit.id] = self._lead_points[key]
                units_due = sorted(unit_id for unit_id, due in due_points.items() if due)
                if not units_due:
                    continue
                done = set(
                    s.scalars(select(Reminder.key).where(Reminder.cycle_id == cycle.id, Reminder.kind == "deadline"))
                )
                rows = s.execute(
                    select(Task, Instance, Unit)
                    .join(Instance, Instance.id == Task.instance_id)
                    .join(Unit, Unit.id == Task.unit_id)
                    .where(
                        Instance.cycle_id == cycle.id, Instance.state != FINISHED_STATE, Task.status == OPEN,
                        Task.unit_id.in_(units_due),
                    )
                    .order_by(Task.id)
                ).all()  # fmt: skip
                owed: dict[tuple[int, int], list[tuple[Task, Instance, Unit]]] = defaultdict(list)
                points: dict[tuple[int, int], datetime] = {}
                self._prefetch_holders(s, {(task.unit_id, task.role) for task, _, _ in rows}, now)
                for task, instance, unit in rows:
                    owners: list[Holder] | None = None
                    for lead, point in due_points[unit.id]:
                        # Only what was owed when the reminder fell due: a task opened after H-7
                        # gets H-3 and H-1, not a late H-7.
                        if task.created_at > point:
                            continue
                        if owners is None:
                            owners = self._owners(s, task, now)
                        for owner in owners:
                            if f"deadline:{cycle.id}:{lead}:{owner.person_id}" in done:
                                continue
                            owed[(lead, owner.person_id)].append((task, instance, unit))
                            points[(lead, owner.person_id)] = point
                for (lead, person_id), items in owed.items():
                    unit = items[0][2]
                    spec = self.service.registry.get(items[0][1].sop_key, items[0][1].sop_version)
                    lines = {
                        str(t.id): f"- {spec.nama} {inst.period}, langkah {spec.step(t.step_id).no} "
                        f"{spec.step(t.step_id).nama}{self._owed_indicators(s, t, inst, now)}"
                        for t, inst, _ in items
                    }
                    deadline = waktu_lokal(cycle.deadline_at, unit.timezone)
                    header = f"H-{lead} sebelum batas waktu {deadline}. Yang masih Anda tunggak:"
                    self._remind(
                        s, now, report, key=f"deadline:{cycle.id}:{lead}:{person_id}", kind="deadline",
                        person_id=person_id, due_at=points[(lead, person_id)], lateness=lateness,
                        subject=f"H-{lead}: batas waktu {spec.nama} {cycle.period}",
                        payload={"text": header + "\n" + "\n".join(lines.values()), "header": header,
                                 "lines": lines, "timezone": unit.timezone, "unit_id": unit.id,
                                 "cycle_id": cycle.id, "lead": lead, "task_ids": sorted(int(k) for k in lines)},
                    )  # fmt: skip
            uow.commit()

    def _queue_escalations(self, now: datetime, report: PassReport) -> None:
        with self.db.unit_of_work() as uow:
            s = uow.session
            rows = s.execute(
                select(Task, Instance, Unit)
                .join(Instance, Instance.id == Task.instance_id)
                .join(Unit, Unit.id == Task.unit_id)
                .where(Task.status == OPEN, Task.due_at.is_not(None), Task.due_at <= now)
                .order_by(Task.id)
            ).all()
            # The escalations already recorded for these tasks, in a few queries rather than one per task.
            sent: set[str] = set()
            task_ids = [task.id for task, _, _ in rows]
            for start in range(0, len(task_ids), 500):
                sent.update(
                    s.scalars(
                        select(Reminder.key).where(
                            Reminder.task_id.in_(task_ids[start : start + 500]), Reminder.kind == "escalation"
                        )
                    )
                )
            pairs = {(task.unit_id, task.role) for task, _, _ in rows}
            for task, _, _ in rows:
                if (superior := superior_of(task.role)) is not None:
                    pairs.add((task.unit_id, superior))
            self._prefetch_holders(s, pairs, now)
            for task, instance, unit in rows:
                assert task.due_at is not None
                calendar = self._calendar(s, unit)
                lateness = self._settings(s, unit)[1]
                spec = self.service.registry.get(instance.sop_key, instance.sop_version)
                step = spec.step(task.step_id)
                done = sent
                owners = self._owners(s, task, now)
                superior_role = superior_of(task.role)
                superiors = self._role_holders(s, unit.id, superior_role, now) if superior_role else []
                recipients = {h.person_id: "owner" for h in owners}
                for h in superiors:
                    recipients.setdefault(h.person_id, "superior")
                owner_names = ", ".join(h.username for h in owners) or position_key(task.role, task.seksi)
                day = calendar.local(task.due_at).date()
                today = calendar.local(now).date()
                overdue_days = 0  # counted as the loop walks, not recounted per day
                while day <= today:
                    hours = calendar.hours_on(day)
                    if hours is not None:
                        overdue_days += 1
                        point = max(task.due_at, hours[0].astimezone(UTC))
                        if point <= now:
                            for person_id, relation in recipients.items():
                                key = f"escalation:{task.id}:{day.isoformat()}:{person_id}"
                                if key in done:
                                    continue
                                who = "Anda" if relation == "owner" else f"{owner_names} (bawahan Anda)"
                                self._remind(
                                    s, now, report, key=key, kind="escalation", person_id=person_id,
                                    due_at=point, lateness=lateness,
                                    subject=f"Terlambat: {step.nama}",
                                    payload={"text": f"Tugas {who} terlambat {overdue_days} hari kerja: {spec.nama} "
                                             f"{instance.period} ({unit.name}), langkah {step.no} {step.nama}; "
                                             f"batas waktu {waktu_lokal(task.due_at, unit.timezone)}.",
                                             "timezone": unit.timezone, "unit_id": unit.id, "task_id": task.id,
                                             "day": day.isoformat(), "relation": relation},
                                )  # fmt: skip
                    day += timedelta(days=1)
            uow.commit()

    @staticmethod
    def _owed_indicators(s: Session, task: Task, instance: Instance, now: datetime) -> str:
        """For a data-entry task, the indicators whose realisasi is still missing or returned."""
        missing = missing_for_task(s, task, instance, now)
        return (": realisasi belum diisi " + ", ".join(i.code for i in missing)) if missing else ""

    def _still_owed(self, s: Session, reminder: Reminder, now: datetime) -> str | None:
        """The reminder's text as it stands now, or None if the person owes nothing of it any more."""
        payload = reminder.payload
        if reminder.kind == "deadline":
            lines = payload.get("lines", {})
            live = []
            for task_id, line in lines.items():
                task = s.get(Task, int(task_id))
                if (
                    task is not None
                    and task.status == OPEN
                    and any(h.person_id == reminder.person_id for h in self._owners(s, task, now))
                ):
                    live.append(line)
            return payload["header"] + "\n" + "\n".join(live) if live else None
        task = s.get(Task, payload.get("task_id", 0))
        if task is None or task.status != OPEN:
            return None
        return str(payload["text"])

    def _build_digests(self, now: datetime, report: PassReport) -> None:
        """Mail each person what is pending, at most once a day, in office hours of their unit.

        Reminders for work done since they were queued are dropped (`obsolete`); of several
        escalations of one task, the digest says only the latest.
        """
        with self.db.unit_of_work() as uow:
            s = uow.session
            pending = s.scalars(
                select(Reminder).where(Reminder.status == "pending").order_by(Reminder.person_id, Reminder.id)
            ).all()
            by_person: dict[int, list[Reminder]] = defaultdict(list)
            for reminder in pending:
                by_person[reminder.person_id].append(reminder)
            for person_id, items in by_person.items():
                person = repository.row(s, Person, person_id)
                unit = s.get(Unit, items[0].payload.get("unit_id", 0))
                if unit is not None:
                    calendar = self.service.calendars.for_unit(s, unit).calendar
                else:
                    calendar = WorkCalendar(timezone=items[0].payload.get("timezone", "Asia/Jakarta"))
                today = calendar.local(now).date()
                hours = calendar.hours_on(today)
                if hours is None or now < hours[0]:
                    continue  # digests go out in office hours, on working days
                key = f"digest:{person_id}:{today.isoformat()}"
                if s.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.dedupe_key == key)):
                    continue  # today's digest is out: the rest waits for tomorrow's
                texts: dict[str, list[str]] = defaultdict(list)
                latest_escalation: dict[int, Reminder] = {}
                live: list[Reminder] = []
                for reminder in items:
                    text = self._still_owed(s, reminder, now)
                    if text is None:
                        reminder.status = "obsolete"
                        continue
                    live.append(reminder)
                    if reminder.kind == "escalation":
                        task_id = int(reminder.payload["task_id"])
                        previous = latest_escalation.get(task_id)
                        if previous is None or previous.payload["day"] < reminder.payload["day"]:
                            latest_escalation[task_id] = reminder
                    else:
                        texts[reminder.kind].append(text)
                texts["escalation"] = [str(r.payload["text"]) for r in latest_escalation.values()]
                if not live:
                    continue
                sections = {"deadline": "Batas waktu triwulan", "escalation": "Tugas terlambat",
                            "review_reentry": "Kembali untuk direviu"}  # fmt: skip
                body = [f"Yth. {person.name},", "", f"Ringkasan Alur SAKIP untuk Anda, {tanggal(today)}:"]
                for kind, title in sections.items():
                    if texts.get(kind):
                        body += ["", f"{title}:"] + [f"* {t}" for t in texts[kind]]
                count = sum(len(v) for v in texts.values())
                created = insert_once(
                    s, OutboxMessage,
                    {"created_at": now, "topic": "email", "instance_id": None, "dedupe_key": key,
                     "status": "pending" if person.email else "skipped",
                     "last_error": None if person.email else "no email address on file; in-app notifications only",
                     "attempts": 0,
                     "payload": {"to": person.email or "", "person_id": person_id,
                                 "subject": f"[Alur SAKIP] {count} pengingat untuk Anda, {tanggal(today)}",
                                 "body": "\n".join(body) + "\n"}},
                    "dedupe_key",
                )  # fmt: skip
                if not created:
                    continue  # another pass sent today's digest a moment ago
                digest_id = s.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
                for reminder in live:
                    reminder.status = "sent"
                    reminder.digest_id = digest_id
                report.digests += 1
            uow.commit()
