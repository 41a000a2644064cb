"""One builder for the web, the command line and the scheduler: a `Runtime` over a `Config`.

A runtime holds the database, the SOP registry, the clock and the services, each built once and
on first use (a command that needs no database opens none, and `sakip --help` imports nothing
heavy). Every service of a runtime shares its one `SopRegistry`, and the registry is the one
mechanism that notices a new SOP version: `refresh()` re-reads the folder when it changed on disk,
and `get()` refreshes before it answers KeyError for a version an instance in the database names.
`sakip serve` builds one runtime for the web app and its in-process scheduler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from workflow.config import Config

if TYPE_CHECKING:
    from workflow.adapters.db import Database
    from workflow.adapters.evidence import UploadSettings
    from workflow.adapters.mailer import SmtpSettings
    from workflow.services.engine import WorkflowService
    from workflow.services.performance import PerformanceService
    from workflow.services.scheduler import SchedulerRunner
    from workflow.sop.spec import SopRegistry

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Health:
    """The database answers, and its schema is at the migrations' head (for /healthz)."""

    status: str  # ok, schema-outdated or database-unavailable
    revision: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Runtime:
    """The parts built from one Config; each is built on first use and then shared."""

    def __init__(self, config: Config, *, clock: Clock | None = None, uploads: UploadSettings | None = None):
        self.config = config
        self._clock = clock
        self._uploads = uploads

    @property
    def clock(self) -> Clock:
        if self._clock is None:
            from workflow.domain.localtime import utcnow

            self._clock = utcnow
        return self._clock

    @cached_property
    def db(self) -> Database:
        from workflow.adapters.db import Database

        return Database.from_url(self.config.database_url)

    @cached_property
    def registry(self) -> SopRegistry:
        """Every SOP version in the configured folder; raises SourceErrors if the folder does not validate."""
        from workflow.sop.spec import SopRegistry

        return SopRegistry.from_directory(self.config.sop_dir)

    @property
    def uploads(self) -> UploadSettings:
        if self._uploads is None:
            from workflow.adapters.evidence import UploadSettings

            self._uploads = UploadSettings.from_config(self.config)
        return self._uploads

    @cached_property
    def smtp(self) -> SmtpSettings | None:
        from workflow.adapters.mailer import SmtpSettings

        return SmtpSettings.from_config(self.config)

    @cached_property
    def workflow(self) -> WorkflowService:
        from workflow.services.engine import WorkflowService

        return WorkflowService(self.db, self.registry, clock=self.clock)

    @cached_property
    def performance(self) -> PerformanceService:
        from workflow.services.performance import PerformanceService

        return PerformanceService(self.db, self.registry, clock=self.clock, uploads=self.uploads)

    def at(self, clock: Clock) -> Runtime:
        """A runtime over the same database and registry whose clock is CLOCK (`reminders run-once --now`)."""
        other = Runtime(self.config, clock=clock, uploads=self._uploads)
        other.__dict__["db"] = self.db
        other.__dict__["registry"] = self.registry
        return other

    def scheduler(self) -> SchedulerRunner:
        """The scheduler over this runtime's services (leader lock, passes, mail)."""
        from workflow.services.scheduler import SchedulerRunner

        return SchedulerRunner(self.workflow, self.smtp)

    def health(self) -> Health:
        """Connect read-only, and compare the schema's revision with the migrations' head."""
        from alembic.runtime.migration import MigrationContext
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        from workflow.adapters import schema

        try:
            with self.db.engine.execution_options(sakip_readonly=True).connect() as conn:
                conn.execute(text("SELECT 1"))
                revision = MigrationContext.configure(conn).get_current_revision()
        except SQLAlchemyError as exc:
            return Health("database-unavailable", error=type(exc).__name__)
        return Health("ok" if revision == schema.head_revision() else "schema-outdated", revision)


def build(
    config: Config | None = None, *, clock: Clock | None = None, uploads: UploadSettings | None = None
) -> Runtime:
    """The runtime over CONFIG (default: read from the environment)."""
    return Runtime(config if config is not None else Config.from_env(), clock=clock, uploads=uploads)
