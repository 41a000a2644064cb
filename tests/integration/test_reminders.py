"""Reminders, escalations and digests over a simulated year, with a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import SOP_DIR, FrozenClock, free_port, missing_service
from helpers import S4, load_org_file, run_together
from sqlalchemy import select

from workflow.adapters.db import Database
from workflow.adapters.mailer import MAX_ATTEMPTS, SmtpSettings
from workflow.adapters.models import Instance, Notification, OutboxMessage, Person, Reminder, Task
from workflow.domain.calendar import WorkCalendar
from workflow.services.engine import WorkflowService
from workflow.services.reminders import PassReport, ReminderEngine
from workflow.services.schedule import load_schedule, parse_schedule_file
from workflow.services.unit_calendars import UnitCalendars
from workflow.sop.spec import SopRegistry

WIB = ZoneInfo("Asia/Jakarta")
SCHEDULE = """kabupaten: mojokerto
years: [2026]
reminders: {lead_working_days: [7, 3, 1], max_lateness_hours: 24}
triwulan: {sops: [pengukuran-data-kinerja]}
"""


# --- a real SMTP server on 127.0.0.1 ------------------------------------------------------


@dataclass
class MailSink:
    host: str
    port: int
    received: list[tuple[list[str], str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body()
        text = f"Subject: {message['Subject']}\n\n{body.get_content() if body else ''}"
        self.received.append((list(envelope.rcpt_tos), text))
        return "250 Message accepted for delivery"

    def settings(self) -> SmtpSettings:
        return SmtpSettings(host=self.host, port=self.port, sender="sakip@kutorejo.example", timeout=5)


@pytest.fixture
def smtp() -> Iterator[MailSink]:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        missing_service("aiosmtpd is not installed: no SMTP server to test against")
        raise AssertionError("unreachable") from None
    sink = MailSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


# --- helpers ---------------------------------------------------------------------------------


def _load_schedule(service: WorkflowService, tmp_path: Path, text: str = SCHEDULE) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_text(text, encoding="utf-8")
    parsed = parse_schedule_file(path, service.registry)
    with service.db.unit_of_work() as uow:
        load_schedule(uow.session, parsed, UnitCalendars(), service.clock())
        uow.commit()


def _wib(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), WIB).astimezone(UTC)


def _rows(db: Database, model: type, *where: object) -> list:  # type: ignore[type-arg]
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(model).where(*where).order_by(model.id)))  # type: ignore[attr-defined]


def _overdue_rencana_kegiatan(service: WorkflowService, clock: FrozenClock) -> int:
    """On Monday 6 April 2026 08:00 WIB, move S4 to Tim SAKIP's 120-minute rencana kegiatan
    (002:1392) and let it run overdue: due 10:00, now 11:00."""
    clock.now = _wib(date(2026, 4, 6), 8)
    instance_id = service.start(S4, "kutorejo", "2026-TW1", "camat").instance_id
    for user in ("camat", "sekcam"):
        service.act(service.tasks_for(user)[0].id, "done", user)
    clock.now = _wib(date(2026, 4, 6), 11)
    return instance_id


# --- SMTP delivery ---------------------------------------------------------------------------


def test_an_overdue_task_reaches_its_owner_and_the_sekcam_by_mail_once(
    service: WorkflowService, clock: FrozenClock, smtp: MailSink
) -> None:
    _overdue_rencana_kegiatan(service, clock)
    engine = ReminderEngine(service, smtp.settings())

    first = engine.run_pass()
    again = engine.run_pass()

    assert (first.reminders, first.digests, first.delivery and first.delivery.sent) == (3, 3, 3)
    assert (again.reminders, again.digests, again.delivery and again.delivery.sent) == (0, 0, 0)
    mail = {to[0]: body for to, body in smtp.received}
    assert sorted(mail) == ["sekcam@kutorejo.example", "tim.sakip1@kutorejo.example", "tim.sakip2@kutorejo.example"]
    assert "Tugas Anda terlambat 1 hari kerja" in mail["tim.sakip1@kutorejo.example"]
    assert "Rencana kegiatan pengukuran" in mail["tim.sakip1@kutorejo.example"]
    assert "6 April 2026 10.00 WIB" in mail["tim.sakip1@kutorejo.example"]
    assert "Tugas tim.sakip1, tim.sakip2 (bawahan Anda) terlambat" in mail["sekcam@kutorejo.example"]
    mails = _rows(service.db, OutboxMessage, OutboxMessage.topic == "email")
    assert [(m.status, m.attempts) for m in mails] == [("sent", 1)] * 3
    assert len(_rows(service.db, Notification, Notification.kind == "escalation")) == 3


def test_the_camats_own_overdue_task_escalates_to_the_camat_alone(service: WorkflowService, clock: FrozenClock) -> None:
    clock.now = _wib(date(2026, 4, 6), 8)
    service.start(S4, "kutorejo", "2026-TW1", "camat")
    clock.now = _wib(date(2026, 4, 6), 9)

    ReminderEngine(service, None).run_pass()

    camat = _rows(service.db, Person, Person.username == "camat")[0]
    assert [r.person_id for r in _rows(service.db, Reminder)] == [camat.id]


def test_a_refused_delivery_is_retried_with_backoff_then_recorded_failed(
    service: WorkflowService, clock: FrozenClock, smtp: MailSink
) -> None:
    smtp.refuse.add("tim.sakip1@kutorejo.example")
    _overdue_rencana_kegiatan(service, clock)
    engine = ReminderEngine(service, smtp.settings())

    engine.run_pass()
    camat = next(m for m in _rows(service.db, OutboxMessage, OutboxMessage.topic == "email")
                 if m.payload["to"] == "tim.sakip1@kutorejo.example")  # fmt: skip
    waits = []
    for _ in range(MAX_ATTEMPTS + 2):
        message = _rows(service.db, OutboxMessage, OutboxMessage.id == camat.id)[0]
        if message.status != "pending":
            break
        waits.append(message.next_attempt_at - clock.now)
        assert "550" in (message.last_error or "")
        clock.now = message.next_attempt_at  # time moves only as far as the backoff says
        engine.run_pass()

    final = _rows(service.db, OutboxMessage, OutboxMessage.id == camat.id)[0]
    assert (final.status, final.attempts) == ("failed", MAX_ATTEMPTS)
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert sorted(r[0][0] for r in smtp.received) == ["sekcam@kutorejo.example", "tim.sakip2@kutorejo.example"]
    clock.advance(days=1)
    engine.run_pass()
    assert _rows(service.db, OutboxMessage, OutboxMessage.id == camat.id)[0].attempts == MAX_ATTEMPTS


def test_a_message_claimed_by_a_crashed_sender_is_never_sent_twice(
    service: WorkflowService, clock: FrozenClock, smtp: MailSink
) -> None:
    _overdue_rencana_kegiatan(service, clock)
    ReminderEngine(service, None).run_pass()  # digests queued, no SMTP configured yet
    with service.db.unit_of_work() as uow:  # a sender claimed one, then its process died
        claimed = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "email")).first()
        assert claimed is not None
        claimed.status, claimed.claimed_at = "sending", clock.now
        claimed_id = claimed.id
        uow.commit()
    clock.advance(minutes=30)

    ReminderEngine(service, smtp.settings()).run_pass()

    assert _rows(service.db, OutboxMessage, OutboxMessage.id == claimed_id)[0].status == "uncertain"
    assert len(smtp.received) == 2  # only the other two digests


# --- missed, re-entry, cycle opening ------------------------------------------------------------


def test_reminders_that_fell_due_during_an_outage_are_sent_once_or_recorded_missed(
    service: WorkflowService, clock: FrozenClock
) -> None:
    _overdue_rencana_kegiatan(service, clock)
    clock.now = _wib(date(2026, 4, 9), 10)  # no scheduler ran from Monday to Thursday 10:00
    engine = ReminderEngine(service, None)

    report = engine.run_pass()

    tim = _rows(service.db, Person, Person.username == "tim.sakip1")[0]
    statuses = {r.key.split(":")[2]: r.status for r in _rows(service.db, Reminder, Reminder.person_id == tim.id)}
    # 6 to 8 April fell due more than 24 hours ago (8 April's at 07:30); today's at 07:30 did not.
    assert statuses == {"2026-04-06": "missed", "2026-04-07": "missed", "2026-04-08": "missed", "2026-04-09": "sent"}
    assert (report.missed, report.reminders) == (9, 3)  # each for tim.sakip1, tim.sakip2 and the sekcam
    assert engine.run_pass().reminders == 0


def test_a_returned_draft_back_in_review_notifies_the_reviewer(service: WorkflowService, clock: FrozenClock) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    returned = False
    while not (returned and service.status(instance_id).state == "reviu_sekcam"):
        waiting = service.status(instance_id).waiting_on[0]
        actor = service.candidates(waiting.task_id)[0]
        if waiting.step_id == "reviu_sekcam":
            service.act(waiting.task_id, "return", actor, "Mohon direkap ulang.")
            returned = True
        else:
            service.act(waiting.task_id, "done", actor)
    engine = ReminderEngine(service, None)

    engine.run_pass()

    reentry = _rows(service.db, Reminder, Reminder.kind == "review_reentry")
    sekcam = _rows(service.db, Person, Person.username == "sekcam")[0]
    review_tasks = _rows(service.db, Task, Task.step_id == "reviu_sekcam")
    assert [(r.key, r.status) for r in reentry] == [(f"reentry:{review_tasks[1].id}:{sekcam.id}", "sent")]
    assert review_tasks[1].round == 2
    assert engine.run_pass().reminders == 0


def test_a_cycle_opens_once_for_every_kecamatan_with_the_camats_nota_dinas(
    service: WorkflowService, clock: FrozenClock, tmp_path: Path
) -> None:
    clock.now = datetime(2026, 3, 1, tzinfo=UTC)
    _load_schedule(service, tmp_path)
    calendar = WorkCalendar()
    opens = calendar.next_working_day(date(2026, 3, 31))  # 1 April 2026
    clock.now = _wib(opens, 7, 29)
    assert ReminderEngine(service, None).run_pass().instances_started == 0
    clock.now = _wib(opens, 7, 30)

    report = ReminderEngine(service, None).run_pass()

    assert report.instances_started == 1
    assert ReminderEngine(service, None).run_pass().instances_started == 0
    [task] = service.tasks_for("camat")
    assert (task.sop_key, task.period, task.step_id) == (S4, "2026-TW1", "nota_dinas")
    history = service.history(task.instance_id)
    assert (history[0].actor, history[0].action) == ("scheduler", "start")
    [instance] = _rows(service.db, Instance)
    assert instance.cycle_id is not None


# --- a simulated year --------------------------------------------------------------------------

# Who delivers the fan-out (pengukuran_asn) late, on which working day of the cycle (1 = the
# opening day, at 10:00); None never delivers. Everyone else delivers on day 1.
LATE = {
    "2026-TW1": {"kasi.trantib": 6},
    "2026-TW2": {"kasi.pembangunan": None},
    "2026-TW4": {"tim.sakip2": 9},
}
RETURNED = "2026-TW3"  # the sekcam returns this quarter's draft once


@dataclass
class Year:
    """Drives one Kecamatan through 2026's four triwulan cycles and predicts every reminder."""

    service: WorkflowService
    clock: FrozenClock
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    expected: set[str] = field(default_factory=set)
    returned_at: datetime | None = None

    def people(self) -> dict[str, int]:
        return {p.username: p.id for p in _rows(self.service.db, Person)}

    def predict(self, now: datetime) -> None:
        """What a pass at NOW must record, from the open tasks just before it."""
        ids = self.people()
        sekcam, camat = ids["sekcam"], ids["camat"]
        tim = [ids["tim.sakip1"], ids["tim.sakip2"]]
        day = now.astimezone(WIB).date()
        for task in _rows(self.service.db, Task, Task.status == "open"):
            owners = [task.assignee_id] if task.assignee_id else {"tim_sakip": tim, "sekcam": [sekcam],
                                                                  "camat": [camat]}[task.role]  # fmt: skip
            superior = {"camat": [], "sekcam": [camat]}.get(task.role, [sekcam])
            if task.due_at is not None and task.due_at <= now:
                # Every working day it has been overdue on so far, the days since the last pass
                # included: a task due at noon is escalated for that day at the next morning's pass.
                overdue_day = self.calendar.local(task.due_at).date()
                while overdue_day <= day:
                    hours = self.calendar.hours_on(overdue_day)
                    if hours is not None and max(task.due_at, hours[0]) <= now:
                        for person in {*owners, *superior}:
                            self.expected.add(f"escalation:{task.id}:{overdue_day.isoformat()}:{person}")
                    overdue_day += timedelta(days=1)
            instance = _rows(self.service.db, Instance, Instance.id == task.instance_id)[0]
            deadline_day = self.deadline_day(instance.period)
            for lead in (7, 3, 1):
                if self.calendar.previous_working_day(deadline_day, lead) == day:
                    for person in owners:
                        self.expected.add(f"deadline:{instance.cycle_id}:{lead}:{person}")
            if task.step_id == "reviu_sekcam" and task.round > 1:
                self.expected.add(f"reentry:{task.id}:{sekcam}")

    def quarter_end(self, period: str) -> date:
        year, tw = int(period[:4]), int(period[-1])
        return date(year, 3 * tw, 30 if tw in (2, 3) else 31)

    def deadline_day(self, period: str) -> date:
        return self.calendar.next_working_day(self.quarter_end(period), 10)

    def act_on_everything(self) -> None:
        """Everyone acts at once on what is theirs, except fan-out work not yet due from them."""
        for _ in range(100):
            progressed = False
            for task in _rows(self.service.db, Task, Task.status == "open"):
                instance = _rows(self.service.db, Instance, Instance.id == task.instance_id)[0]
                actor = self.service.candidates(task.id)[0]
                if task.step_id == "pengukuran_asn":
                    opened = self.calendar.local(instance.started_at).date()
                    wanted = LATE.get(instance.period, {}).get(actor, 1)
                    if wanted is None:
                        continue
                    due_day = opened if wanted == 1 else self.calendar.next_working_day(opened, wanted - 1)
                    if self.clock.now < _wib(due_day, 10):
                        continue
                view = next(v for v in self.service.tasks_for(actor) if v.id == task.id)
                if instance.period == RETURNED and "return" in view.actions:
                    if self.returned_at is None:
                        self.service.act(task.id, "return", actor, "Realisasi belum sesuai; mohon direkap ulang.")
                        self.returned_at = self.clock.now
                        progressed = True
                        continue
                    if self.clock.now < self.returned_at + timedelta(days=1):
                        continue  # the sekcam takes the corrected draft up the next day
                    self.service.act(task.id, view.actions[0], actor)
                else:
                    self.service.act(task.id, view.actions[0], actor)
                progressed = True
            if not progressed:
                return

    def moments(self, start: date, end: date) -> Iterator[tuple[datetime, str]]:
        day = start
        while day <= end:
            if self.calendar.is_working_day(day):
                yield _wib(day, 8), "pass"
                yield _wib(day, 10), "work"
            day += timedelta(days=1)


def _simulate(
    service: WorkflowService,
    clock: FrozenClock,
    tmp_path: Path,
    smtp: MailSink,
    run_pass: Callable[[WorkflowService], None],
    restart_on: date | None = None,
) -> tuple[Year, WorkflowService]:
    clock.now = datetime(2026, 3, 2, tzinfo=UTC)
    _load_schedule(service, tmp_path)
    year = Year(service, clock)
    for moment, what in year.moments(date(2026, 4, 1), date(2027, 1, 22)):
        clock.now = moment
        if restart_on is not None and moment.astimezone(WIB).date() == restart_on and what == "pass":
            # The scheduler process is killed and started again: nothing in memory survives.
            service.db.dispose()
            service = WorkflowService(Database.from_url(str(service.db.engine.url.render_as_string(False))),
                                      SopRegistry.from_directory(SOP_DIR), clock=clock)  # fmt: skip
            year.service = service
        if what == "pass":
            year.predict(moment)
            run_pass(service)
        year.act_on_everything()
    return year, service


def _assert_year(year: Year, service: WorkflowService, smtp: MailSink) -> None:
    reminders = _rows(service.db, Reminder)
    keys = Counter(r.key for r in reminders)
    assert set(keys) == year.expected
    assert max(keys.values()) == 1
    assert {r.status for r in reminders} == {"sent"}
    kinds = Counter(r.kind for r in reminders)
    assert kinds["deadline"] > 0 and kinds["escalation"] > 0 and kinds["review_reentry"] == 1
    # TW1: kasi.trantib still owed at H-7 but had delivered by H-3 (day 6 of the cycle).
    ids = year.people()
    trantib = {r.key for r in reminders if r.person_id == ids["kasi.trantib"] and r.kind == "deadline"}
    assert len(trantib) == 1 and trantib.pop().endswith(f":7:{ids['kasi.trantib']}")
    # TW2: kasi.pembangunan never delivered: H-7, H-3 and H-1, and an escalation every working day.
    pembangunan = [r for r in reminders if r.person_id == ids["kasi.pembangunan"]]
    assert sorted(r.payload["lead"] for r in pembangunan if r.kind == "deadline") == [1, 3, 7]
    mails = _rows(service.db, OutboxMessage, OutboxMessage.topic == "email")
    per_day = Counter((m.payload["person_id"], m.dedupe_key.rsplit(":", 1)[1]) for m in mails)
    assert max(per_day.values()) == 1  # at most one digest per person per day
    assert {m.status for m in mails} == {"sent"}
    assert len(smtp.received) == len(mails)
    assert {r.digest_id for r in reminders} <= {m.id for m in mails}
    nobody_late = ids["kasi.pelayanan"]
    assert not [r for r in reminders if r.person_id == nobody_late], "someone who delivered was reminded"


def test_a_simulated_year_sends_every_expected_reminder_exactly_once(
    service: WorkflowService, clock: FrozenClock, tmp_path: Path, smtp: MailSink
) -> None:
    year, service = _simulate(service, clock, tmp_path, smtp, lambda s: ReminderEngine(s, smtp.settings()).run_pass())
    _assert_year(year, service, smtp)


def test_a_simulated_year_survives_a_scheduler_restart_midway(
    service: WorkflowService, clock: FrozenClock, tmp_path: Path, smtp: MailSink
) -> None:
    year, service = _simulate(
        service, clock, tmp_path, smtp, lambda s: ReminderEngine(s, smtp.settings()).run_pass(),
        restart_on=date(2026, 8, 3),
    )  # fmt: skip
    _assert_year(year, service, smtp)
    service.db.dispose()


def test_a_simulated_year_with_two_schedulers_passing_at_once(
    service: WorkflowService, clock: FrozenClock, tmp_path: Path, smtp: MailSink, db_url: str
) -> None:
    second = WorkflowService(Database.from_url(db_url), SopRegistry.from_directory(SOP_DIR), clock=clock)

    def both(s: WorkflowService) -> None:
        passes = [lambda target=target: ReminderEngine(target, smtp.settings()).run_pass() for target in (s, second)]
        results = run_together(passes)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert not errors, errors

    year, service = _simulate(service, clock, tmp_path, smtp, both)
    _assert_year(year, service, smtp)
    second.db.dispose()


def test_only_one_of_two_scheduler_processes_leads(service: WorkflowService, db_url: str) -> None:
    from workflow.services.scheduler import SchedulerRunner

    other = WorkflowService(Database.from_url(db_url), SopRegistry.from_directory(SOP_DIR), clock=service.clock)
    first, second = SchedulerRunner(service), SchedulerRunner(other)
    try:
        assert first.tick() is not None
        assert second.tick() is None  # stands by while the first holds the leader lock
        assert first.tick() is not None
        first.lock.release()  # the leader stops: the stand-by takes over
        assert second.tick() is not None
    finally:
        first.lock.release()
        second.lock.release()
        other.db.dispose()


def test_a_cycle_first_seen_after_its_deadline_starts_nothing(
    service: WorkflowService, clock: FrozenClock, tmp_path: Path
) -> None:
    clock.now = _wib(date(2026, 5, 4), 8)  # after TW1's deadline (15 April), before TW2 opens (1 July)
    _load_schedule(service, tmp_path)

    report = ReminderEngine(service, None).run_pass()

    assert report.instances_started == 0
    assert report.problems == [f"cycle {S4} 2026-TW1: its deadline passed before it could open"]
    clock.now = _wib(date(2026, 7, 1), 8)
    assert ReminderEngine(service, None).run_pass().instances_started == 1
    assert [t.period for t in service.tasks_for("camat")] == ["2026-TW2"]


def test_insert_once_reports_the_second_insert_as_not_done(service: WorkflowService) -> None:
    from workflow.adapters.db import insert_once

    person = _rows(service.db, Person, Person.username == "camat")[0]
    values = {"person_id": person.id, "created_at": datetime(2026, 4, 6, tzinfo=UTC), "kind": "task",
              "subject": "s", "body": "b", "dedupe_key": "once"}  # fmt: skip
    with service.db.unit_of_work() as uow:
        assert insert_once(uow.session, Notification, values, "dedupe_key") is True
        assert insert_once(uow.session, Notification, values, "dedupe_key") is False
        uow.commit()
    assert len(_rows(service.db, Notification, Notification.dedupe_key == "once")) == 1


def test_digests_wait_for_office_hours_and_leave_out_finished_work(
    service: WorkflowService, clock: FrozenClock
) -> None:
    _overdue_rencana_kegiatan(service, clock)
    engine = ReminderEngine(service, None)
    engine.run_pass()  # Monday 11:00: today's digests go out
    clock.now = _wib(date(2026, 4, 6), 23)  # the same evening: a new escalation is not due yet
    engine.run_pass()
    clock.now = _wib(date(2026, 4, 7), 0, 30)  # after midnight, before office: nothing is mailed
    assert engine.run_pass().digests == 0
    task = service.tasks_for("tim.sakip1")[0]
    service.act(task.id, "done", "tim.sakip1")  # delivered before the office opens
    clock.now = _wib(date(2026, 4, 7), 7, 45)

    report = engine.run_pass()

    assert report.digests == 0  # Tuesday's escalations were for finished work
    tuesday = [r for r in _rows(service.db, Reminder) if r.payload.get("day") == "2026-04-07"]
    assert tuesday == []  # the task was no longer overdue when Tuesday's pass ran
    mails = _rows(service.db, OutboxMessage, OutboxMessage.topic == "email")
    assert {m.created_at.astimezone(WIB).date() for m in mails} == {date(2026, 4, 6)}


def test_a_pending_reminder_for_work_done_since_is_dropped_from_the_digest(
    service: WorkflowService, clock: FrozenClock
) -> None:
    _overdue_rencana_kegiatan(service, clock)
    engine = ReminderEngine(service, None)
    engine._queue_escalations(clock.now, PassReport())  # queued, then the pass died before its digest
    service.act(service.tasks_for("tim.sakip1")[0].id, "done", "tim.sakip1")

    report = engine.run_pass()

    assert report.digests == 0
    assert {r.status for r in _rows(service.db, Reminder)} == {"obsolete"}


def test_a_unit_missing_people_is_started_once_they_are_loaded(
    service: WorkflowService, clock: FrozenClock, tmp_path: Path
) -> None:
    import yaml
    from conftest import ORG_FILE

    data = yaml.safe_load(ORG_FILE.read_text(encoding="utf-8"))
    data["units"].append({"code": "dlanggu", "name": "Kecamatan Dlanggu", "kind": "kecamatan", "parent": "mojokerto"})
    org = tmp_path / "org.yaml"
    org.write_text(yaml.safe_dump(data), encoding="utf-8")
    load_org_file(service.db, org)
    clock.now = datetime(2026, 3, 1, tzinfo=UTC)
    _load_schedule(service, tmp_path)
    clock.now = _wib(date(2026, 4, 1), 8)
    first = ReminderEngine(service, None).run_pass()
    assert first.instances_started == 1 and any("dlanggu" in p for p in first.problems)
    data["people"].append({"username": "camat.dlanggu", "name": "Camat Dlanggu", "roles": [
        {"unit": "dlanggu", "role": r} for r in ("camat", "sekcam", "tim_sakip", "asn")]})  # fmt: skip
    org.write_text(yaml.safe_dump(data), encoding="utf-8")
    load_org_file(service.db, org)
    clock.now = _wib(date(2026, 4, 2), 8)

    assert ReminderEngine(service, None).run_pass().instances_started == 1
    assert ReminderEngine(service, None).run_pass().instances_started == 0
    assert len(_rows(service.db, Instance)) == 2
