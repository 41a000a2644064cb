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

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflow.calendar import WorkCalendar
from workflow.db import Database, insert_once
from workflow.errors import Conflict, InvalidInput
from workflow.localtime import tanggal, waktu_lokal
from workflow.mailer import DeliveryReport, SmtpSettings, deliver_mail
from workflow.models import Cycle, Instance, Notification, OutboxMessage, Person, Reminder, Schedule, Task, Unit
from workflow.org import Holder, holders
from workflow.schedule import DEFAULT_LEADS, DEFAULT_MAX_LATENESS
from workflow.service import OPEN, WorkflowService, may_take
from workflow.sop import FINISHED_STATE, StepKind

log = logging.getLogger(__name__)

SUPERIOR = {"camat": None, "sekcam": "camat"}  # everyone else answers to the sekcam


@dataclass
class PassReport:
    instances_started: int = 0
    events_processed: int = 0
    reminders: int = 0
    missed: int = 0
    digests: int = 0
    delivery: DeliveryReport | None = None
    problems: list[str] = field(default_factory=list)


class ReminderEngine:
    """Runs scheduler passes for one database, with the service's clock as `now`."""

    def __init__(self, service: WorkflowService, smtp: SmtpSettings | None = None):
        self.service = service
        self.smtp = smtp

    @property
    def db(self) -> Database:
        return self.service.db

    def run_pass(self) -> PassReport:
        now = self.service.clock()
        report = PassReport()
        self._open_cycles(now, report)
        self._process_events(now, report)
        self._queue_deadline_reminders(now, report)
        self._queue_escalations(now, report)
        self._build_digests(now, report)
        report.delivery = deliver_mail(self.db, self.smtp, now)
        return report

    # --- helpers -----------------------------------------------------------------------

    def _owners(self, s: Session, task: Task, now: datetime) -> list[Holder]:
        return [h for h in holders(s, task.unit_id, task.role, now) if may_take(task, task.role, h.seksi, h.person_id)]

    def _settings(self, s: Session, unit: Unit) -> tuple[tuple[int, ...], timedelta]:
        current: Unit | None = unit
        for _ in range(20):
            if current is None:
                break
            schedule = s.get(Schedule, current.id)
            if schedule is not None:
                return tuple(schedule.lead_working_days), timedelta(minutes=schedule.max_lateness_minutes)
            current = s.get(Unit, current.parent_id) if current.parent_id else None
        return DEFAULT_LEADS, DEFAULT_MAX_LATENESS

    def _remind(
        self, s: Session, now: datetime, report: PassReport, *, key: str, kind: str, person_id: int,
        due_at: datetime, lateness: timedelta, subject: str, payload: dict[str, Any],
    ) -> None:  # fmt: skip
        missed = now - due_at > lateness
        inserted = insert_once(
            s, Reminder,
            {"key": key, "kind": kind, "person_id": person_id, "due_at": due_at, "created_at": now,
             "status": "missed" if missed else "pending", "payload": payload},
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
                codes = []
            for code in codes:
                try:
                    self.service.start_scheduled(sop_key, code, period)
                    report.instances_started += 1
                except Conflict:
                    pass  # started by hand, or by another scheduler a moment ago
                except InvalidInput as exc:
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
                s.execute(update(Cycle).where(Cycle.id == cycle_id, Cycle.opened_at.is_(None)).values(opened_at=now))
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
                instance = s.get(Instance, task.instance_id)
                unit = s.get(Unit, task.unit_id)
                assert instance is not None and unit is not None
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
                                     "timezone": unit.timezone, "task_id": task.id},
                        )  # fmt: skip
                    else:
                        self._notify(s, now, owner.person_id, "task", f"Tugas baru: {step.nama}", text,
                                     f"task:{task.id}:{owner.person_id}")  # fmt: skip
            uow.commit()

    def _queue_deadline_reminders(self, now: datetime, report: PassReport) -> None:
        with self.db.unit_of_work() as uow:
            s = uow.session
            cycles = s.scalars(
                select(Cycle).where(Cycle.opened_at.is_not(None), Cycle.deadline_at > now).order_by(Cycle.id)
            ).all()
            for cycle in cycles:
                kabupaten = s.get(Unit, cycle.kabupaten_id)
                assert kabupaten is not None
                leads, lateness = self._settings(s, kabupaten)
                spec = self.service.registry.get(cycle.sop_key)
                rows = s.execute(
                    select(Task, Instance, Unit)
                    .join(Instance, Instance.id == Task.instance_id)
                    .join(Unit, Unit.id == Task.unit_id)
                    .where(Instance.cycle_id == cycle.id, Instance.state != FINISHED_STATE, Task.status == OPEN)
                    .order_by(Task.id)
                ).all()
                owed: dict[tuple[int, int], list[tuple[Task, Instance, Unit]]] = defaultdict(list)
                for task, instance, unit in rows:
                    calendar = self.service.calendars.for_unit(s, unit).calendar
                    deadline_day = calendar.local(cycle.deadline_at).date()
                    for lead in leads:
                        day = calendar.previous_working_day(deadline_day, lead)
                        hours = calendar.hours_on(day)
                        assert hours is not None
                        if hours[0].astimezone(UTC) > now:
                            continue
                        for owner in self._owners(s, task, now):
                            owed[(lead, owner.person_id)].append((task, instance, unit))
                for (lead, person_id), items in owed.items():
                    unit = items[0][2]
                    calendar = self.service.calendars.for_unit(s, unit).calendar
                    day = calendar.previous_working_day(calendar.local(cycle.deadline_at).date(), lead)
                    hours = calendar.hours_on(day)
                    assert hours is not None
                    lines = [
                        f"- {spec.nama} {inst.period}, langkah {spec.step(t.step_id).no} {spec.step(t.step_id).nama}"
                        for t, inst, _ in items
                    ]
                    deadline = waktu_lokal(cycle.deadline_at, unit.timezone)
                    self._remind(
                        s, now, report, key=f"deadline:{cycle.id}:{lead}:{person_id}", kind="deadline",
                        person_id=person_id, due_at=hours[0].astimezone(UTC), lateness=lateness,
                        subject=f"H-{lead}: batas waktu {spec.nama} {cycle.period}",
                        payload={"text": f"H-{lead} sebelum batas waktu {deadline}. Yang masih Anda tunggak:\n"
                                 + "\n".join(lines),
                                 "timezone": unit.timezone, "cycle_id": cycle.id, "lead": lead,
                                 "task_ids": sorted({t.id for t, _, _ in items})},
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
            for task, instance, unit in rows:
                assert task.due_at is not None
                calendar = self.service.calendars.for_unit(s, unit).calendar
                lateness = self._settings(s, unit)[1]
                spec = self.service.registry.get(instance.sop_key, instance.sop_version)
                step = spec.step(task.step_id)
                done = set(s.scalars(select(Reminder.key).where(Reminder.key.like(f"escalation:{task.id}:%"))))
                owners = self._owners(s, task, now)
                superior_role = SUPERIOR.get(task.role, "sekcam")
                superiors = holders(s, unit.id, superior_role, now) if superior_role else []
                recipients = {h.person_id: "owner" for h in owners}
                for h in superiors:
                    recipients.setdefault(h.person_id, "superior")
                owner_names = ", ".join(h.username for h in owners)
                day = calendar.local(task.due_at).date()
                today = calendar.local(now).date()
                while day <= today:
                    hours = calendar.hours_on(day)
                    if hours is not None:
                        point = max(task.due_at, hours[0].astimezone(UTC))
                        if point <= now:
                            overdue_days = self._working_days(calendar, calendar.local(task.due_at).date(), day)
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
                                             "timezone": unit.timezone, "task_id": task.id, "day": day.isoformat(),
                                             "relation": relation},
                                )  # fmt: skip
                    day += timedelta(days=1)
            uow.commit()

    @staticmethod
    def _working_days(calendar: WorkCalendar, start: date, end: date) -> int:
        count = 1 if calendar.is_working_day(start) else 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if calendar.is_working_day(day):
                count += 1
        return max(count, 1)

    def _build_digests(self, now: datetime, report: PassReport) -> None:
        with self.db.unit_of_work() as uow:
            s = uow.session
            pending = s.scalars(
                select(Reminder).where(Reminder.status == "pending").order_by(Reminder.person_id, Reminder.id)
            ).all()
            by_person: dict[int, list[Reminder]] = defaultdict(list)
            for reminder in pending:
                by_person[reminder.person_id].append(reminder)
            for person_id, items in by_person.items():
                person = s.get(Person, person_id)
                assert person is not None
                timezone = items[0].payload.get("timezone", "Asia/Jakarta")
                today = now.astimezone(ZoneInfo(timezone)).date()
                key = f"digest:{person_id}:{today.isoformat()}"
                exists = s.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.dedupe_key == key))
                if exists:
                    continue  # today's digest is out: the rest waits for tomorrow's
                sections = {"deadline": "Batas waktu triwulan", "escalation": "Tugas terlambat",
                            "review_reentry": "Kembali untuk direviu"}  # fmt: skip
                body = [f"Yth. {person.name},", "", f"Ringkasan Alur SAKIP untuk Anda, {tanggal(today)}:"]
                for kind, title in sections.items():
                    texts = [r.payload["text"] for r in items if r.kind == kind]
                    if texts:
                        body += ["", f"{title}:"] + [f"* {t}" for t in texts]
                created = insert_once(
                    s, OutboxMessage,
                    {"created_at": now, "topic": "email", "instance_id": None, "dedupe_key": key,
                     "status": "pending" if person.email else "skipped",
                     "last_error": None if person.email else "no email address on file; in-app notifications only",
                     "attempts": 0,
                     "payload": {"to": person.email or "", "person_id": person_id,
                                 "subject": f"[Alur SAKIP] {len(items)} pengingat untuk Anda, {tanggal(today)}",
                                 "body": "\n".join(body) + "\n"}},
                    "dedupe_key",
                )  # fmt: skip
                if not created:
                    continue  # another pass sent today's digest a moment ago
                digest_id = s.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
                for reminder in items:
                    reminder.status = "sent"
                    reminder.digest_id = digest_id
                report.digests += 1
            uow.commit()
