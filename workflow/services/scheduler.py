"""The scheduler process: APScheduler 3 polls our own tables; one leader at a time.

Deadlines and reminders live in the database, never in APScheduler's job store: the only job
is "run one pass now", on an interval. Several web workers never start a scheduler; `sakip
scheduler` is its own process and `sakip serve` runs one in-process for the embedded default.
Starting two is safe: on PostgreSQL only the holder of an advisory lock runs passes, on SQLite
a lock file next to the database does the same, and every reminder is recorded under a unique
key, so even two passes at once cannot send one twice.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from workflow.adapters.mailer import SmtpSettings
from workflow.config import DEFAULT_SCHEDULER_INTERVAL, Config
from workflow.services.engine import WorkflowService
from workflow.services.reminders import PassReport, ReminderEngine

if TYPE_CHECKING:  # APScheduler is imported when a scheduler starts, not with the command line
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)

# pg_try_advisory_lock key: "SAKIP" in ASCII, one lock per database.
LEADER_LOCK_KEY = 0x53414B4950
DEFAULT_INTERVAL_SECONDS = DEFAULT_SCHEDULER_INTERVAL


class LeaderLock:
    """Held by at most one scheduler per database for as long as its process lives."""

    def __init__(self, service: WorkflowService):
        self.service = service
        self._conn: Connection | None = None
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free; True while this process holds it."""
        if self._conn is not None:
            try:  # the lock lives as long as its connection: check it is still there
                self._conn.execute(text("SELECT 1")).scalar()
                self._conn.commit()
                return True
            except Exception:
                log.warning("lost the leader lock's connection; trying to lead again")
                self._conn.invalidate()
                self._conn = None
        if self._file is not None:
            return True
        engine = self.service.db.engine
        if engine.dialect.name == "postgresql":
            conn = engine.connect()
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY}).scalar())
            conn.commit()
            if got:
                self._conn = conn
            else:
                conn.close()
            return got
        database = make_url(str(engine.url)).database or "memory"
        path = Path(f"{database}.scheduler.lock")
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK_KEY})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class SchedulerRunner:
    """Run a pass on every tick while this process is the leader."""

    def __init__(
        self,
        service: WorkflowService,
        smtp: SmtpSettings | None = None,
        on_report: Callable[[PassReport], None] | None = None,
    ):
        self.engine = ReminderEngine(service, smtp)
        self.lock = LeaderLock(service)
        self.on_report = on_report
        self._busy = threading.Lock()

    def tick(self) -> PassReport | None:
        """One tick: a pass if this process leads, else nothing."""
        if not self._busy.acquire(blocking=False):
            return None
        try:
            if not self.lock.acquire():
                log.info("another scheduler holds the leader lock; standing by")
                return None
            report = self.engine.run_pass()
            if self.on_report:
                self.on_report(report)
            return report
        finally:
            self._busy.release()

    def _job(self) -> None:
        try:
            self.tick()
        except Exception:  # a failed pass is logged and retried on the next tick
            log.exception("scheduler pass failed")

    def _configure(self, scheduler: BlockingScheduler | BackgroundScheduler, interval: int) -> None:
        scheduler.add_job(
            self._job,
            "interval",
            seconds=interval,
            id="sakip-pass",
            next_run_time=datetime.now().astimezone(),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            replace_existing=True,
        )

    def run_forever(self, interval: int = DEFAULT_INTERVAL_SECONDS) -> None:
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = BlockingScheduler(timezone="UTC")
        self._configure(scheduler, interval)
        try:
            scheduler.start()
        finally:
            self.lock.release()

    def start_background(self, interval: int = DEFAULT_INTERVAL_SECONDS) -> BackgroundScheduler:
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
        self._configure(scheduler, interval)
        scheduler.start()
        return scheduler


def interval_from_env() -> int:
    """SAKIP_SCHEDULER_INTERVAL seconds (at least 5; default 60)."""
    return Config.from_env().scheduler_interval
