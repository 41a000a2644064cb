"""What every command shares: the `main` group, `Context`, `--db`, and the error handling.

This module and the command modules import only click and light modules at load time: the
database, the SOPs, the documents and the scheduler are imported inside the command that uses
them, so `sakip --help` and the light commands start quickly.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import click

from workflow.bootstrap import Clock, Runtime, build
from workflow.config import Config
from workflow.errors import InvalidInput, WorkflowError

if TYPE_CHECKING:
    from workflow.adapters.db import Database
    from workflow.services.engine import WorkflowService
    from workflow.services.performance import PerformanceService
    from workflow.services.scheduler import SchedulerRunner
    from workflow.sop.spec import SopRegistry

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What every command needs, built lazily from --db and the environment through the bootstrap."""

    def __init__(self, db_url: str | None, *, clock: Clock | None = None):
        self.config = Config.from_env(db_url)
        self.runtime: Runtime = build(self.config, clock=clock)

    @property
    def db(self) -> Database:
        return self.runtime.db

    @property
    def registry(self) -> SopRegistry:
        from workflow.sop.yamlsource import SourceErrors

        try:
            return self.runtime.registry
        except SourceErrors as exc:
            raise InvalidInput(
                f"SOP definitions are invalid: run `sakip sop validate` ({exc.errors[0]})",
                code="sop.invalid_definitions",
                detail=str(exc.errors[0]),
            ) from None

    def service(self) -> WorkflowService:
        self.registry  # noqa: B018  (an invalid SOP folder is reported as such)
        return self.runtime.workflow

    def performance(self) -> PerformanceService:
        self.registry  # noqa: B018
        return self.runtime.performance

    def scheduler(self) -> SchedulerRunner:
        self.registry  # noqa: B018
        return self.runtime.scheduler()


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _report(exc: Exception) -> bool:
    """Print EXC the way the command line reports it and exit; False if it is not one of ours.

    SQLAlchemy and the YAML reader are only looked up if a command has imported them: an error
    of theirs cannot happen before."""
    yamlsource = sys.modules.get("workflow.sop.yamlsource")
    if yamlsource is not None and isinstance(exc, yamlsource.SourceErrors):
        for error in exc.errors:
            click.echo(str(error), err=True)
        sys.exit(InvalidInput.exit_code)
    sa = sys.modules.get("sqlalchemy.exc")
    if sa is not None and isinstance(exc, sa.DBAPIError):
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        missing = "no such table" in reason or "does not exist" in reason
        fail(f"database: {reason}" + (" (has `sakip init` been run?)" if missing else ""), 1)
    if isinstance(exc, ModuleNotFoundError) or (
        sa is not None and isinstance(exc, sa.ArgumentError | sa.NoSuchModuleError)
    ):
        fail(f"database URL: {exc}", InvalidInput.exit_code)
    if isinstance(exc, ValueError | OverflowError):
        fail(f"invalid input: {exc}", InvalidInput.exit_code)
    return False


def handles_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WorkflowError as exc:
            fail(str(exc), exc.exit_code)
        except Exception as exc:
            if not _report(exc):
                raise

    return wrapper  # type: ignore[return-value]


def emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def parse_moment(value: str, field: str, default_zone: str | None) -> datetime:
    """An ISO 8601 time; a time without offset is read in DEFAULT_ZONE, or refused without one."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{field}: {value!r} is not an ISO 8601 date and time",
            code="cli.not_iso_datetime",
            field=field,
            value=value,
        ) from None
    if moment.tzinfo is None:
        if default_zone is None:
            raise InvalidInput(
                f"{field}: {value!r} has no UTC offset; write e.g. {value}+07:00 or {value}Z",
                code="cli.no_utc_offset",
                field=field,
                value=value,
            )
        moment = moment.replace(tzinfo=ZoneInfo(default_zone))
    return moment


db_option = click.option(
    "--db",
    "db_url",
    default=None,
    help="Database URL (default sqlite:///instance/sakip.db; env SAKIP_DATABASE_URL).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sakip-alur")
def main() -> None:
    """Alur SAKIP: run a Kecamatan's SAKIP SOPs as workflows."""
