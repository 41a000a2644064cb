"""The scheduler process killed with SIGKILL 20 times while it escalates overdue work and mails
the digests to a real SMTP server on loopback (PostgreSQL).

Each restart is a working day later (tests/reliability/scheduler_at.py starts the scheduler's
clock there), so every restart has new escalations and a new digest for everyone who still owes
something. Half of the kills come a random time after the start, half just after a random
number of mails went out, when a delivery is most likely in flight. After every kill: the
invariants of `sakip check` hold, no mail was received twice, every digest recorded as sent was
received, and no reminder key or digest exists twice. At the end a clean run delivers the rest.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import SOP_DIR, FrozenClock, PostgresServer, new_postgres_database
from drive import drive
from helpers import load_org_file
from reliability_support import MailSink, smtp_sink
from sqlalchemy import func, select

import workflow.adapters.mailer
from workflow.adapters.db import Database
from workflow.adapters.mailer import CLAIM_TIMEOUT, deliver_mail
from workflow.adapters.models import OutboxMessage, Reminder
from workflow.services.check import check
from workflow.services.engine import WorkflowService
from workflow.sop.spec import SopRegistry

pytestmark = pytest.mark.postgres

WIB = ZoneInfo("Asia/Jakarta")
KILLS = 20
SEED = 20260406
DRIVER = Path(__file__).with_name("scheduler_at.py")
BIN = Path(sys.executable).parent


@pytest.fixture
def sink() -> Iterator[MailSink]:
    yield from smtp_sink(delay=0.02)


@pytest.fixture
def overdue(postgres_server: PostgresServer) -> Iterator[WorkflowService]:
    """Kutorejo on 6 April 2026 with three SOPs running: S4 waiting on every ASN's data entry
    (a fan-out), S3 and the LKjIP on their first steps. Nothing is done after that."""
    db = Database.from_url(new_postgres_database(postgres_server))
    clock = FrozenClock(datetime(2026, 4, 6, 8, 0, tzinfo=WIB).astimezone(UTC))
    service = WorkflowService(db, SopRegistry.from_directory(SOP_DIR), clock=clock)
    try:
        load_org_file(db)
        s4 = service.start("pengukuran-data-kinerja", "kutorejo", "2026-TW1", "camat").instance_id
        drive(service, s4, until="pengukuran_asn")
        service.start("pengumpulan-data-kinerja", "kutorejo", "2026-TW1", "staf")
        service.start("penyusunan-lkjip", "kutorejo", "2026", "staf")
        yield service
    finally:
        db.dispose()


def _working_days(first: date) -> Iterator[date]:
    day = first
    while True:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


class Scheduler:
    """One scheduler_at.py process; `passes` counts the passes it reported."""

    def __init__(self, db_url: str, sink: MailSink, start: datetime):
        env = {"SAKIP_SMTP_HOST": sink.host, "SAKIP_SMTP_PORT": str(sink.port), "SAKIP_MAIL_FROM": "sakip@test"}
        self.process = subprocess.Popen(
            [str(BIN / "python"), str(DRIVER), "--db", db_url, "--start", start.isoformat(), "--interval", "2"],
            env={**_base_env(), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.passes = 0
        self.passed = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("pass "):
                self.passes += 1
                self.passed.set()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SAKIP_SMTP")}


def _assert_nothing_twice(service: WorkflowService, sink: MailSink) -> Counter[tuple[str, str]]:
    with sink.lock:
        received = Counter((m.to[0], m.subject) for m in sink.received)
    # A digest is keyed by person and day; its subject ends with the day.
    per_day = Counter((to, subject.rsplit(", ", 1)[-1]) for (to, subject), n in received.items() for _ in range(n))
    doubled = {k: n for k, n in per_day.items() if n > 1}
    assert not doubled, f"mail received more than once: {doubled}"
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        sent = s.execute(
            select(OutboxMessage.payload).where(OutboxMessage.topic == "email", OutboxMessage.status == "sent")
        ).all()
        missing = [p["subject"] for (p,) in sent if received[(p["to"], p["subject"])] != 1]
        assert not missing, f"recorded as sent but never received: {missing}"
        reminders = s.scalar(select(func.count(Reminder.id)))
        assert s.scalar(select(func.count(func.distinct(Reminder.key)))) == reminders
        keys = s.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.is_not(None))).all()
        assert len(keys) == len(set(keys))
        assert check(s, service.registry).violations == ()
    return received


def test_killing_the_scheduler_twenty_times_sends_no_reminder_twice(overdue: WorkflowService, sink: MailSink) -> None:
    service = overdue
    db_url = service.db.engine.url.render_as_string(hide_password=False)
    rng = random.Random(SEED)
    days = _working_days(date(2026, 4, 7))
    killed_in_flight = 0
    for round_no in range(1, KILLS + 1):
        start = datetime.combine(next(days), day_time(9), WIB) + timedelta(minutes=rng.randint(0, 360))
        before = sink.count()
        scheduler = Scheduler(db_url, sink, start)
        if round_no % 2:
            time.sleep(rng.uniform(0.2, 2.5))
        else:  # just after the k-th mail of this run reached the sink
            wanted = before + rng.randint(1, 12)
            deadline = time.monotonic() + 15
            while sink.count() < wanted and not scheduler.passed.is_set() and time.monotonic() < deadline:
                time.sleep(0.002)
        in_flight = not scheduler.passed.is_set()
        scheduler.kill()
        killed_in_flight += in_flight
        _assert_nothing_twice(service, sink)

    # A last run on the next working day, left to finish its pass: the rest goes out, once.
    final = Scheduler(db_url, sink, datetime.combine(next(days), day_time(10), WIB))
    deadline = time.monotonic() + 60
    while final.passes < 2 and time.monotonic() < deadline:  # one pass sends at most 50 mails
        time.sleep(0.05)
    final.kill()
    assert final.passes >= 2, "the scheduler did not finish two passes"
    received = _assert_nothing_twice(service, sink)
    with service.db.unit_of_work(readonly=True) as uow:
        statuses = Counter(
            uow.session.scalars(select(OutboxMessage.status).where(OutboxMessage.topic == "email")).all()
        )
    print(f"received {sum(received.values())}, outbox {dict(statuses)}, kills in flight {killed_in_flight}")
    assert statuses["pending"] == statuses["sending"] == 0, statuses
    assert statuses["sent"] > KILLS
    # A crash can leave only the message being handed to SMTP unconfirmed (never sent again): at
    # most one per kill. (Claiming the whole batch first left dozens, never attempted.)
    assert statuses["uncertain"] <= KILLS, (statuses, killed_in_flight)


# --- regression: a crash in the middle of a batch ----------------------------------------------


class Crash(BaseException):
    """The process dying: no `except Exception` catches it."""


def test_a_crash_during_delivery_leaves_only_the_message_in_flight_unconfirmed(
    service: WorkflowService, clock: FrozenClock, sink: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the sender used to claim the whole batch before sending, so a crash on the
    second of five messages left all four unsent ones `uncertain`: dropped, never delivered."""
    with service.db.unit_of_work() as uow:
        for n in range(5):
            uow.session.add(
                OutboxMessage(created_at=clock.now, topic="email", dedupe_key=f"mail:{n}", status="pending",
                              attempts=0, payload={"to": f"p{n}@kutorejo.example", "subject": f"s{n}", "body": "b"})
            )  # fmt: skip
        uow.commit()
    settings = workflow.adapters.mailer.SmtpSettings(host=sink.host, port=sink.port, timeout=5)
    real_send, calls = workflow.adapters.mailer._send, []

    def send_then_die(*args: str) -> None:
        calls.append(args)
        real_send(*args)  # the relay has it; the process dies before recording that
        if len(calls) == 2:
            raise Crash

    monkeypatch.setattr(workflow.adapters.mailer, "_send", send_then_die)
    with pytest.raises(Crash):
        deliver_mail(service.db, settings, clock.now)
    monkeypatch.setattr(workflow.adapters.mailer, "_send", real_send)
    clock.advance(seconds=CLAIM_TIMEOUT.total_seconds() + 60)

    report = deliver_mail(service.db, settings, clock.now)

    with service.db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [m.status for m in rows] == ["sent", "uncertain", "sent", "sent", "sent"]
    assert (report.sent, report.uncertain) == (3, 1)
    assert sorted(m.to[0] for m in sink.received) == [f"p{n}@kutorejo.example" for n in range(5)]
