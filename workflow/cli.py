"""The `sakip` command line: a thin entry point over the service functions.

Exit codes (a contract): 0 ok, 1 check/validation found problems, 2 unknown user, task, SOP,
instance or unit, 3 action not allowed for this user, 4 conflict or already done, 5 invalid
input. Errors print one line on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from workflow.check import check as run_check
from workflow.config import Config
from workflow.db import Database
from workflow.errors import InvalidInput, WorkflowError
from workflow.org import load_org, parse_org_file
from workflow.service import WorkflowService
from workflow.sop import SopRegistry
from workflow.yamlsource import SourceErrors

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What every command needs, built lazily from --db and the environment."""

    def __init__(self, db_url: str | None):
        self.config = Config.from_env(db_url)
        self._db: Database | None = None
        self._registry: SopRegistry | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database.from_url(self.config.database_url)
        return self._db

    @property
    def registry(self) -> SopRegistry:
        if self._registry is None:
            try:
                self._registry = SopRegistry.from_directory(self.config.sop_dir)
            except SourceErrors as exc:
                raise InvalidInput(f"SOP definitions are invalid: run `sakip sop validate` ({exc.errors[0]})") from None
        return self._registry

    def service(self) -> WorkflowService:
        return WorkflowService(self.db, self.registry)


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handles_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WorkflowError as exc:
            _fail(str(exc), exc.exit_code)
        except SourceErrors as exc:
            for error in exc.errors:
                click.echo(str(error), err=True)
            sys.exit(InvalidInput.exit_code)

    return wrapper  # type: ignore[return-value]


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


db_option = click.option(
    "--db",
    "db_url",
    envvar="SAKIP_DATABASE_URL",
    default=None,
    help="Database URL (default sqlite:///instance/sakip.db; env SAKIP_DATABASE_URL).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sakip-alur")
def main() -> None:
    """Alur SAKIP: run a Kecamatan's SAKIP SOPs as workflows."""


@main.command()
@db_option
@handles_errors
def init(db_url: str | None) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from workflow import schema  # Alembic is only needed here; keep other commands quick to start.

    ctx = Context(db_url)
    schema.upgrade(ctx.db.engine)
    click.echo(f"schema at revision {schema.current_revision(ctx.db.engine)} ({ctx.db.dialect})")


@main.group()
def sop() -> None:
    """SOP definitions."""


@sop.command("validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def sop_validate(files: tuple[Path, ...]) -> None:
    """Validate SOP files (default: every file in sop_definitions/)."""
    config = Config.from_env()
    paths = list(files) or sorted(config.sop_dir.glob("*.yaml"))
    if not paths:
        _fail(f"no SOP files found in {config.sop_dir}", 1)
    try:
        registry = SopRegistry.from_paths(paths)
    except SourceErrors as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        sys.exit(1)
    for spec in registry.all():
        click.echo(f"ok {spec.source_file}: {spec.key} v{spec.version}, {len(spec.steps)} steps")


@sop.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handles_errors
def sop_list(as_json: bool) -> None:
    """List the SOP versions that are defined."""
    specs = Context(None).registry.all()
    rows = [{"key": s.key, "version": s.version, "nama": s.nama, "steps": len(s.steps)} for s in specs]
    if as_json:
        _emit(rows)
        return
    for row in rows:
        click.echo(f"{row['key']:34} v{row['version']:<3} {row['steps']:>3} steps  {row['nama']}")


@main.group()
def org() -> None:
    """The organisation: units, people, roles."""


@org.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@db_option
@handles_errors
def org_load(file: Path, db_url: str | None) -> None:
    """Load an organisation file (all of it, or nothing if any line is wrong)."""
    parsed = parse_org_file(file)
    ctx = Context(db_url)
    with ctx.db.unit_of_work() as uow:
        summary = load_org(uow.session, parsed)
        uow.commit()
    click.echo(f"loaded {summary.units} units, {summary.people} people, {summary.assignments} role assignments")


@main.command()
@click.argument("sop_key")
@click.option("--unit", required=True, help="Unit code, e.g. kutorejo.")
@click.option("--period", required=True, help="2024-TW1 for a triwulan SOP, 2024 for a yearly one.")
@click.option("--as", "username", required=True, help="The user who starts it.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def start(sop_key: str, unit: str, period: str, username: str, as_json: bool, db_url: str | None) -> None:
    """Start an SOP instance for a unit and period."""
    result = Context(db_url).service().start(sop_key, unit, period, username)
    if as_json:
        _emit({"instance_id": result.instance_id, "state": result.state})
    else:
        click.echo(f"instance {result.instance_id} started at {result.state}")


@main.command()
@click.option("--as", "username", required=True)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def tasks(username: str, as_json: bool, db_url: str | None) -> None:
    """The open tasks this user can act on."""
    views = Context(db_url).service().tasks_for(username)
    if as_json:
        _emit([v.as_json() for v in views])
        return
    if not views:
        click.echo(f"no open tasks for {username}")
    for v in views:
        due = v.as_json()["due_at"] or "-"
        click.echo(
            f"#{v.id:<5} {v.sop_key} {v.period} step {v.step_no} {v.step_name} [{v.role}] "
            f"due {due} actions: {', '.join(v.actions)}"
        )


@main.command()
@click.argument("task_id", type=int)
@click.argument("action")
@click.option("--as", "username", required=True)
@click.option("--note", default=None, help="Required for return.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def act(task_id: int, action: str, username: str, note: str | None, as_json: bool, db_url: str | None) -> None:
    """Take ACTION (done, approve, return, paraf, sign, archive) on a task."""
    r = Context(db_url).service().act(task_id, action, username, note)
    data = {
        "task_id": r.task_id,
        "instance_id": r.instance_id,
        "action": r.action,
        "from_state": r.from_state,
        "to_state": r.to_state,
        "opened_task_ids": list(r.opened_task_ids),
    }
    if as_json:
        _emit(data)
    else:
        click.echo(f"task {r.task_id} {r.action}: {r.from_state} -> {r.to_state}")


@main.command()
@click.argument("instance_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def history(instance_id: int, as_json: bool, db_url: str | None) -> None:
    """The audit events of an instance, oldest first."""
    events = Context(db_url).service().history(instance_id)
    if as_json:
        _emit([e.as_json() for e in events])
        return
    for e in events:
        j = e.as_json()
        acting = f" (Plt. {e.acting_for})" if e.acting_for else ""
        note = f" — {e.note}" if e.note else ""
        click.echo(f"{j['at']} {e.actor} [{e.role}]{acting} {e.action}: {e.from_state} -> {e.to_state}{note}")


@main.command()
@click.argument("instance_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def status(instance_id: int, as_json: bool, db_url: str | None) -> None:
    """Where an instance stands and who has not finished yet."""
    st = Context(db_url).service().status(instance_id)
    if as_json:
        _emit(st.as_json())
        return
    click.echo(f"instance {st.id} {st.sop_key} v{st.sop_version} {st.unit} {st.period}: {st.state}")
    for w in st.waiting_on:
        click.echo(f"  waiting on task {w.task_id} [{w.role}] {w.assignee or '(any holder)'}")


@main.command("check")
@db_option
@handles_errors
def check_command(db_url: str | None) -> None:
    """Verify the stored workflow invariants; exit 1 listing any violation."""
    ctx = Context(db_url)
    with ctx.db.unit_of_work(readonly=True) as uow:
        report = run_check(uow.session, ctx.registry)
    for violation in report.violations:
        click.echo(violation)
    summary = f"{report.instances} instances, {report.tasks} tasks, {report.events} events"
    if not report.ok:
        click.echo(f"{len(report.violations)} violation(s) in {summary}", err=True)
        sys.exit(1)
    click.echo(f"ok: {summary} checked")


@main.command()
@click.option("--unit", default="kutorejo", show_default=True)
@click.option("--period", default=None, help="Default: the first triwulan with no Pengukuran cycle yet.")
@db_option
@handles_errors
def demo(unit: str, period: str | None, db_url: str | None) -> None:
    """Run one Pengukuran Data Kinerja cycle to the end, printing each role's queue."""
    from workflow.demo import run_demo

    ctx = Context(db_url)
    run_demo(ctx.service(), unit, period, click.echo)
