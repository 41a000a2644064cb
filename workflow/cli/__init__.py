"""The `sakip` command line: a thin entry point over the service functions.

Exit codes (a contract): 0 ok, 1 check/validation found problems, 2 unknown user, task, SOP,
instance or unit, 3 action not allowed for this user, 4 conflict or already done, 5 invalid
input. Errors print one line on stderr.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from workflow.adapters.db import Database
from workflow.adapters.mailer import SmtpSettings
from workflow.adapters.models import OutboxMessage, Unit
from workflow.config import Config
from workflow.domain.calendar import WorkCalendar
from workflow.domain.capaian import POLICIES, capaian, capaian_grade
from workflow.domain.numbers import parse_number
from workflow.domain.scales import load_scale, scale_names
from workflow.domain.waktu import parse_waktu
from workflow.errors import InvalidInput, NotFound, WorkflowError
from workflow.services.check import check as run_check
from workflow.services.engine import WorkflowService, iso
from workflow.services.icalfeed import issue_token, revoke_token
from workflow.services.org import load_org, parse_org_file
from workflow.services.performance import PerformanceService, Submission
from workflow.services.reminders import ReminderEngine
from workflow.services.schedule import load_schedule, parse_schedule_file
from workflow.services.scheduler import SchedulerRunner, interval_from_env
from workflow.services.unit_calendars import UnitCalendars
from workflow.sop.bpmn import export_bpmn
from workflow.sop.spec import SopRegistry
from workflow.sop.yamlsource import SourceErrors

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

    def performance(self) -> PerformanceService:
        return PerformanceService(self.db, self.registry)


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
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            missing = "no such table" in reason or "does not exist" in reason
            _fail(f"database: {reason}" + (" (has `sakip init` been run?)" if missing else ""), 1)
        except (ArgumentError, NoSuchModuleError, ModuleNotFoundError) as exc:
            _fail(f"database URL: {exc}", InvalidInput.exit_code)
        except (ValueError, OverflowError) as exc:
            _fail(f"invalid input: {exc}", InvalidInput.exit_code)

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
    from workflow.adapters import schema  # Alembic is only needed here; keep other commands quick to start.

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


@sop.command("export-bpmn")
@click.argument("sop_key")
@click.option("--version", "version", type=int, default=None, help="Default: the latest version.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The .bpmn file to write.")
@handles_errors
def sop_export_bpmn(sop_key: str, version: int | None, output: Path) -> None:
    """Write an SOP version as BPMN 2.0 XML with its diagram."""
    try:
        spec = Context(None).registry.get(sop_key, version)
    except KeyError:
        raise NotFound(f"unknown SOP {sop_key!r}" + (f" version {version}" if version else "")) from None
    output.write_bytes(export_bpmn(spec))
    click.echo(f"wrote {output}: {spec.key} v{spec.version}, {len(spec.steps)} steps")


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
@click.option(
    "--row",
    "rows",
    multiple=True,
    metavar="CODE=NOTE",
    help="With return on a review: return only this indicator row, with its note (repeatable).",
)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def act(
    task_id: int, action: str, username: str, note: str | None, rows: tuple[str, ...], as_json: bool, db_url: str | None
) -> None:
    """Take ACTION (done, approve, return, paraf, sign, archive) on a task."""
    returned: dict[str, str] = {}
    for item in rows:
        code, sep, row_note = item.partition("=")
        if not sep or not code.strip():
            raise InvalidInput(f"row: {item!r} must be CODE=NOTE")
        returned[code.strip()] = row_note
    r = Context(db_url).service().act(task_id, action, username, note, returned or None)
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
@click.argument("task_id", type=int)
@click.option("--to", "to_username", required=True, help="Who takes the task over (holds its role in the unit).")
@click.option("--as", "username", required=True, help="The Camat, Sekretaris Camat or an administrator.")
@click.option("--note", required=True, help="Why (mutasi, pensiun, cuti panjang …).")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def reassign(task_id: int, to_username: str, username: str, note: str, as_json: bool, db_url: str | None) -> None:
    """Give an open task of one person (an ASN who left the position) to someone who holds its role."""
    r = Context(db_url).service().reassign(task_id, to_username, username, note)
    if as_json:
        _emit(r.as_json())
    else:
        click.echo(f"task {r.task_id}: {r.from_username or '-'} -> {r.to_username}")


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
@click.option("--password", default=None, help="The web password of every demo user (default: a generated one).")
@db_option
@handles_errors
def demo(unit: str, period: str | None, password: str | None, db_url: str | None) -> None:
    """Run one Pengukuran Data Kinerja cycle to the end, start the next for the web UI, set passwords."""
    from workflow.services.demo import open_next_cycle, run_demo, set_passwords

    ctx = Context(db_url)
    service = ctx.service()
    finished = run_demo(service, unit, period, click.echo)
    opened = open_next_cycle(service, unit, click.echo)
    chosen = password or secrets.token_urlsafe(9)
    users = set_passwords(service, chosen)
    click.echo(f"== siklus {finished} selesai; siklus {opened} menunggu di web (mulai dari Nota Dinas oleh camat)")
    click.echo(f"== pengguna web: {', '.join(users)}")
    click.echo(f"== kata sandi semua pengguna demo: {chosen}")


def _parse_moment(value: str, field: str, default_zone: str | None) -> datetime:
    """An ISO 8601 time; a time without offset is read in DEFAULT_ZONE, or refused without one."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        if default_zone is None:
            raise InvalidInput(f"{field}: {value!r} has no UTC offset; write e.g. {value}+07:00 or {value}Z")
        moment = moment.replace(tzinfo=ZoneInfo(default_zone))
    return moment


@main.group("calendar")
def calendar_group() -> None:
    """The working calendar: holidays, cuti bersama, office hours."""


@calendar_group.command("due")
@click.option("--unit", required=True)
@click.option("--from", "start", required=True, help="ISO date and time; without an offset, the unit's local time.")
@click.option("--waktu", required=True, help="A time standard as printed in an SOP, e.g. '5 hari'.")
@db_option
@handles_errors
def calendar_due(unit: str, start: str, waktu: str, db_url: str | None) -> None:
    """When a step of this time standard, started then, falls due (unit's local time)."""
    try:
        parsed = parse_waktu(waktu)
    except ValueError as exc:
        raise InvalidInput(f"waktu: {exc}") from None
    ctx = Context(db_url)
    with ctx.db.unit_of_work(readonly=True) as uow:
        row = uow.session.scalar(select(Unit).where(Unit.code == unit))
        if row is None:
            raise NotFound(f"unknown unit {unit!r}")
        calendar = UnitCalendars().for_unit(uow.session, row).calendar
    moment = _parse_moment(start, "from", calendar.timezone)
    click.echo(calendar.local(calendar.due_at(moment, parsed)).isoformat())


@calendar_group.command("holidays")
@click.argument("year", type=click.IntRange(1990, 2100))
@click.option("--unit", default=None, help="Add this unit's own days off (and its Kabupaten's).")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def calendar_holidays(year: int, unit: str | None, as_json: bool, db_url: str | None) -> None:
    """Holidays and cuti bersama of YEAR (plus a unit's own days off)."""
    calendar = WorkCalendar()
    if unit is not None:
        ctx = Context(db_url)
        with ctx.db.unit_of_work(readonly=True) as uow:
            row = uow.session.scalar(select(Unit).where(Unit.code == unit))
            if row is None:
                raise NotFound(f"unknown unit {unit!r}")
            calendar = UnitCalendars().for_unit(uow.session, row).calendar
    days = [{"date": d.isoformat(), "name": name} for d, name in calendar.holidays_in(year)]
    if as_json:
        _emit(days)
        return
    for day in days:
        click.echo(f"{day['date']}  {day['name']}")


@calendar_group.command("token")
@click.option("--as", "username", required=True, help="Whose feed (a Tim SAKIP member for --unit).")
@click.option("--unit", default=None, help="The unit-wide feed for the Tim SAKIP instead of a personal one.")
@click.option("--revoke", is_flag=True, help="Revoke the feed's token instead of issuing a new one.")
@db_option
@handles_errors
def calendar_token(username: str, unit: str | None, revoke: bool, db_url: str | None) -> None:
    """Issue (or revoke) the secret address of an iCalendar deadline feed."""
    service = Context(db_url).service()
    if revoke:
        click.echo(f"revoked {revoke_token(service, username, unit)} token(s)")
        return
    click.echo(issue_token(service, username, unit).path)


@main.command("capaian")
@click.option("--target", required=True, help="A number (93,35 or 93.35) or a grade (B, BB, A, AA).")
@click.option("--realisasi", required=True)
@click.option("--direction", type=click.Choice(["positive", "negative"]), default="positive", show_default=True)
@click.option("--policy", type=click.Choice(sorted(POLICIES)), default="mojokerto", show_default=True)
@click.option("--scale", default=None, help=f"Category of the realisasi on this scale: {', '.join(scale_names())}.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def capaian_command(target: str, realisasi: str, direction: str, policy: str, scale: str | None, as_json: bool) -> None:
    """Capaian of a realisasi against its target (Decimal, 2 places, half-up)."""
    if scale is not None and scale not in scale_names():
        raise NotFound(f"unknown scale {scale!r}; known: {', '.join(scale_names())}")
    grades = [t for t in (target, realisasi) if re.fullmatch(r"\s*[A-Da-d]{1,2}\s*", t)]
    try:
        if len(grades) == 2:
            value = capaian_grade(target, realisasi, scale or "sakip", POLICIES[policy])
            band = next((b for b in load_scale(scale or "sakip").bands if b.grade == realisasi.strip().upper()), None)
        elif grades:
            raise InvalidInput("target, realisasi: both must be numbers, or both grades")
        else:
            t = parse_number(target, "target")
            r = parse_number(realisasi, "realisasi")
            value = capaian(t, r, direction, POLICIES[policy])
            band = load_scale(scale).band_for(r) if scale else None
    except ValueError as exc:  # NumberError included: the message names the field
        raise InvalidInput(str(exc)) from None
    category = None
    if scale and band is not None:
        category = band.grade if band.grade == band.label else f"{band.grade} ({band.label})"
    if as_json:
        _emit({"capaian": str(value), "category": category})
    else:
        click.echo(f"capaian {value}%" + (f", {category}" if category else ""))


@main.group("schedule")
def schedule_group() -> None:
    """A Kabupaten's triwulan and annual schedule."""


@schedule_group.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@db_option
@handles_errors
def schedule_load(file: Path, db_url: str | None) -> None:
    """Load a schedule file: reminder settings and every cycle's opening and deadline."""
    ctx = Context(db_url)
    parsed = parse_schedule_file(file, ctx.registry)
    with ctx.db.unit_of_work() as uow:
        summary = load_schedule(uow.session, parsed, UnitCalendars(), datetime.now(UTC))
        uow.commit()
    click.echo(f"loaded {summary.cycles} cycles for {summary.kabupaten}")


@main.group("reminders")
def reminders_group() -> None:
    """Reminders, escalations and digests."""


@reminders_group.command("run-once")
@click.option("--now", "now_text", default=None, help="ISO date and time with offset (default: now).")
@db_option
@handles_errors
def reminders_run_once(now_text: str | None, db_url: str | None) -> None:
    """One scheduler pass at that time: open due cycles, queue reminders, send the outbox."""
    now = _parse_moment(now_text, "now", None) if now_text else datetime.now(UTC)
    ctx = Context(db_url)
    service = WorkflowService(ctx.db, ctx.registry, clock=lambda: now)
    report = ReminderEngine(service, SmtpSettings.from_env()).run_pass()
    delivery = report.delivery
    click.echo(
        f"started {report.instances_started} instances, {report.events_processed} events, "
        f"{report.reminders} reminders ({report.missed} missed), {report.digests} digests"
        + (f", mail sent {delivery.sent} retried {delivery.retried} failed {delivery.failed}" if delivery else "")
    )
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)


@main.command("outbox")
@click.option("--status", default=None, help="Only messages with this status.")
@click.option("--limit", default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def outbox_command(status: str | None, limit: int, as_json: bool, db_url: str | None) -> None:
    """The outbox messages with their delivery status, newest first."""
    ctx = Context(db_url)
    with ctx.db.unit_of_work(readonly=True) as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        if status:
            query = query.where(OutboxMessage.status == status)
        rows = [
            {
                "id": m.id,
                "created_at": iso(m.created_at),
                "topic": m.topic,
                "status": m.status,
                "attempts": m.attempts,
                "next_attempt_at": iso(m.next_attempt_at),
                "processed_at": iso(m.processed_at),
                "last_error": m.last_error,
                "dedupe_key": m.dedupe_key,
                "to": m.payload.get("to"),
                "subject": m.payload.get("subject"),
            }
            for m in uow.session.scalars(query)
        ]
    if as_json:
        _emit(rows)
        return
    for r in rows:
        click.echo(f"#{r['id']} {r['topic']:17} {r['status']:10} {r['to'] or ''} {r['subject'] or ''}")


@main.command("scheduler")
@db_option
@handles_errors
def scheduler_command(db_url: str | None) -> None:
    """Run the scheduler as its own process (one leader per database; others stand by)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx = Context(db_url)
    runner = SchedulerRunner(ctx.service(), SmtpSettings.from_env())
    click.echo(f"scheduler polling every {interval_from_env()} s on {ctx.db.dialect}")
    runner.run_forever(interval_from_env())


@main.group("data")
def data_group() -> None:
    """Indicators and targets: import from XLSX."""


@data_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--unit", required=True)
@click.option("--year", required=True, type=int)
@click.option("--as", "username", required=True, help="A Tim SAKIP member, the Kasubag PPK, the sekcam or an admin.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def data_import(file: Path, unit: str, year: int, username: str, as_json: bool, db_url: str | None) -> None:
    """Import the plan tree, indicators and target sets of UNIT for YEAR (all rows or none)."""
    from workflow.services.workbook import ImportErrors, import_workbook

    if not file.is_file():
        raise InvalidInput(f"file: {file} does not exist")
    try:
        report = import_workbook(Context(db_url).db, file, unit, year, username)
    except ImportErrors as exc:
        for line in exc.errors:
            click.echo(line, err=True)
        _fail(f"{len(exc.errors)} bad row(s) in {file.name}; nothing was imported", InvalidInput.exit_code)
        return
    if as_json:
        _emit(report.as_json())
        return
    click.echo(
        f"{unit} {year}: {report.nodes_created} node baru, {report.nodes_updated} diperbarui; "
        f"{report.indicators_created} indikator baru, {report.indicators_updated} diperbarui"
    )
    for label in report.target_sets:
        click.echo(f"  target: {label}")
    for label in report.unchanged:
        click.echo(f"  tidak berubah: {label}")
    for warning in report.warnings:
        click.echo(f"  peringatan: {warning}")


@main.command("indicators")
@click.option("--unit", required=True)
@click.option("--year", required=True, type=int)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def indicators_command(unit: str, year: int, as_json: bool, db_url: str | None) -> None:
    """List UNIT's indicators for YEAR with their targets in every version."""
    rows = Context(db_url).performance().indicators(unit, year)
    if as_json:
        _emit(rows)
        return
    for row in rows:
        targets = ", ".join(f"{label}: {value}" for label, value in row["targets"].items())
        click.echo(f"{row['code']:8} {row['name']} [{row['satuan']}; {row['kind']}; {row['owner']}] {targets}")


@main.group("targets")
def targets_group() -> None:
    """Target versions: list them, switch a cycle to another one."""


@targets_group.command("list")
@click.option("--unit", required=True)
@click.option("--year", required=True, type=int)
@db_option
@handles_errors
def targets_list(unit: str, year: int, db_url: str | None) -> None:
    _emit(Context(db_url).performance().target_sets(unit, year))


@targets_group.command("use")
@click.argument("instance_id", type=int)
@click.option("--set", "kind", required=True, type=click.Choice(["pk", "pk_perubahan", "renstra"]))
@click.option("--version", type=int, default=None, help="Default: the newest version of that set.")
@click.option("--as", "username", required=True)
@click.option("--note", required=True, help="Why: e.g. the PK Perubahan signed after the P-APBD.")
@db_option
@handles_errors
def targets_use(instance_id: int, kind: str, version: int | None, username: str, note: str, db_url: str | None) -> None:
    """Measure INSTANCE_ID (and the cycles after it) against another target version; audited."""
    _emit(Context(db_url).performance().use_targets(instance_id, kind, username, note, version))


@main.group("realisasi")
def realisasi_group() -> None:
    """Enter realisasi inside an open data-entry task."""


@realisasi_group.command("submit")
@click.option("--as", "username", required=True)
@click.option("--indicator", "code", required=True, help="The indicator code, e.g. IKU-1.")
@click.option("--period", required=True, help="The triwulan, e.g. 2024-TW1.")
@click.option("--value", default=None, help="93,35 or 93.35; a grade (B); a ratio as 1736/1736.")
@click.option("--numerator", default=None, help="For a ratio indicator, with --denominator.")
@click.option("--denominator", default=None)
@click.option("--pending", is_flag=True, help="An external value the source has not published yet.")
@click.option("--source-period", default=None, help="The period an external value was taken from (e.g. 2023).")
@click.option("--note", default=None, help="Hambatan when the target is missed.")
@click.option("--unit", default=None, help="Only needed when you belong to several units.")
@click.option("--evidence", "evidence", multiple=True, type=click.Path(path_type=Path), help="A bukti dukung file.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def realisasi_submit(
    username: str, code: str, period: str, value: str | None, numerator: str | None, denominator: str | None,
    pending: bool, source_period: str | None, note: str | None, unit: str | None, evidence: tuple[Path, ...],
    as_json: bool, db_url: str | None,
) -> None:  # fmt: skip
    """Enter one indicator's realisasi for a triwulan (exit codes as for `sakip act`)."""
    files = []
    for path in evidence:
        if not path.is_file():
            raise InvalidInput(f"evidence: {path} does not exist")
        files.append((path.name, path.read_bytes()))
    result = Context(db_url).performance().submit(
        Submission(
            username=username, code=code, period=period, value=value, numerator=numerator,
            denominator=denominator, note=note, pending=pending, source_period=source_period, unit=unit,
            files=files,
        )
    )  # fmt: skip
    if as_json:
        _emit(result)
    else:
        shown = "menunggu sumber" if result["pending"] else result["value"]
        capaian_text = f", capaian {result['capaian']}%" if result["capaian"] else ""
        click.echo(f"{result['indicator']} {result['period']}: {shown} ({result['status']}{capaian_text})")


@main.command("tracker")
@click.argument("instance_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def tracker_command(instance_id: int, as_json: bool, db_url: str | None) -> None:
    """Who still owes which realisasi in a cycle (belum / dikirim / dikembalikan / diterima)."""
    data = Context(db_url).performance().tracker(instance_id)
    if as_json:
        _emit(data)
        return
    click.echo(f"instance {data['instance_id']} {data['period']}: {data['progress'] or 0}% terisi")
    for owner in data["owners"]:
        statuses = ", ".join(f"{i['code']}={i['status']}" for i in owner["indicators"])
        click.echo(f"  {owner['owner']:22} ({', '.join(owner['people']) or '-'}): {statuses}")


@main.command("rekap")
@click.option("--unit", required=True)
@click.option("--period", required=True, help="The triwulan, e.g. 2024-TW4.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--xlsx", "xlsx", type=click.Path(path_type=Path), default=None, help="Also write the rekap as XLSX.")
@db_option
@handles_errors
def rekap_command(unit: str, period: str, as_json: bool, xlsx: Path | None, db_url: str | None) -> None:
    """The Kertas Kerja Pengukuran: per indicator the target version, TW values, capaian and category."""
    data = Context(db_url).performance().rekap(unit, period)
    if xlsx is not None:
        from workflow.services.workbook import write_rekap_xlsx

        write_rekap_xlsx(data, xlsx)
    if as_json:
        _emit(data)
        return
    click.echo(f"Kertas Kerja {data['unit_name']} {data['period']} — target {data['target_set'] or '-'}")
    for row in data["rows"]:
        tws = " ".join(str(row[f"tw{q}"] or "-") for q in (1, 2, 3, 4))
        click.echo(
            f"  {row['code']:8} {row['name'][:50]:50} T={row['target'] or '-':>10} [{tws}] "
            f"R={row['value'] or '-':>12} C={row['capaian'] or '-':>7} {row['predikat'] or ''}"
        )
    for group in data["sasaran"]:
        click.echo(f"  rata-rata {group['code']}: {group['average_capaian'] or '-'} {group['predikat'] or ''}")


@main.group("token")
def token_group() -> None:
    """Bearer tokens for the JSON API."""


@token_group.command("create")
@click.option("--as", "username", required=True)
@db_option
@handles_errors
def token_create(username: str, db_url: str | None) -> None:
    """Print a new API token for USER (only its hash is stored; it is shown once)."""
    from workflow.services.tokens import create_token

    click.echo(create_token(Context(db_url).service(), username))


@token_group.command("revoke")
@click.option("--as", "username", required=True)
@db_option
@handles_errors
def token_revoke(username: str, db_url: str | None) -> None:
    """Revoke every API token of USER."""
    from workflow.services.tokens import revoke_tokens

    click.echo(f"revoked {revoke_tokens(Context(db_url).service(), username)} token(s) of {username}")


@main.group("user")
def user_group() -> None:
    """Web accounts."""


@user_group.command("password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@db_option
@handles_errors
def user_password(username: str, password: str, db_url: str | None) -> None:
    """Set USERNAME's web password (hashed with scrypt)."""
    from workflow.services.tokens import set_password

    if len(password) < 8:
        raise InvalidInput("password: at least 8 characters")
    set_password(Context(db_url).service(), username, password)
    click.echo(f"password set for {username}; their web sessions are ended")


@user_group.command("deactivate")
@click.argument("username")
@db_option
@handles_errors
def user_deactivate(username: str, db_url: str | None) -> None:
    """Deactivate USERNAME: no more logins, and every web session of theirs ends."""
    from workflow.services.tokens import deactivate

    deactivate(Context(db_url).service(), username)
    click.echo(f"deactivated {username}; their web sessions are ended")


@user_group.command("activate")
@click.argument("username")
@db_option
@handles_errors
def user_activate(username: str, db_url: str | None) -> None:
    """Let a deactivated USERNAME log in again."""
    from workflow.services.tokens import activate

    activate(Context(db_url).service(), username)
    click.echo(f"activated {username}")


@main.group("doc")
def doc_group() -> None:
    """Documents: the SOP sheet, the Nota Dinas, the Format / Checklist, the Kertas Kerja, the
    Laporan and the bukti dukung, as PDF, DOCX (from editable Word templates) or XLSX."""


def _write_doc(data: bytes, output: Path) -> None:
    output.write_bytes(data)
    click.echo(f"written {output} ({len(data)} bytes)")


def _write_rendered(rendered: Any, fmt: str, output: Path) -> None:
    _write_doc(rendered.docx() if fmt == "docx" else rendered.pdf(), output)


format_option = click.option("--format", "fmt", type=click.Choice(["pdf", "docx"]), default="pdf", show_default=True)
output_option = click.option("-o", "--output", type=click.Path(path_type=Path), required=True)


@doc_group.command("templates")
@click.option("-o", "--output", "directory", type=click.Path(path_type=Path, file_okay=False), required=True)
@handles_errors
def doc_templates(directory: Path) -> None:
    """Copy the default Word templates into DIRECTORY, to edit (letterhead, wording) and put in
    SAKIP_TEMPLATE_DIR (or its sub-folder named after a unit code). Existing files are kept."""
    import shutil

    from workflow.services.documents import TEMPLATES, WORD_TEMPLATES

    directory.mkdir(parents=True, exist_ok=True)
    for name in WORD_TEMPLATES:
        target = directory / f"{name}.docx"
        if target.exists():
            click.echo(f"kept {target} (already there)")
            continue
        shutil.copyfile(TEMPLATES / f"{name}.docx", target)
        click.echo(f"written {target}")


@doc_group.command("sop")
@click.argument("sop_key")
@click.option("--version", "version", type=int, default=None, help="Default: the latest version.")
@format_option
@output_option
@handles_errors
def doc_sop(sop_key: str, version: int | None, fmt: str, output: Path) -> None:
    """The SOP sheet in the standard format, with its bagan alur."""
    from workflow.services.documents import sop_sheet

    ctx = Context(None)
    try:
        spec = ctx.registry.get(sop_key, version)
    except KeyError:
        raise NotFound(f"unknown SOP {sop_key!r}" + (f" version {version}" if version else "")) from None
    _write_rendered(sop_sheet(spec), fmt, output)


@doc_group.command("laporan")
@click.argument("instance_id", type=int)
@format_option
@output_option
@db_option
@handles_errors
def doc_laporan(instance_id: int, fmt: str, output: Path, db_url: str | None) -> None:
    """The Laporan Hasil Pengukuran Data Kinerja (draft, or the final one frozen at signing)."""
    from workflow.services.documents import laporan

    _write_rendered(laporan(Context(db_url).service(), instance_id), fmt, output)


@doc_group.command("bukti")
@click.argument("instance_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["pdf"]), default="pdf", show_default=True)
@output_option
@db_option
@handles_errors
def doc_bukti(instance_id: int, fmt: str, output: Path, db_url: str | None) -> None:
    """The bukti dukung of reviu berjenjang: audit events, draft versions with hashes, sign-off."""
    from workflow.services.documents import bukti_dukung

    _write_doc(bukti_dukung(Context(db_url).service(), instance_id).pdf(), output)


@doc_group.command("nota-dinas")
@click.argument("instance_id", type=int)
@format_option
@output_option
@db_option
@handles_errors
def doc_nota_dinas(instance_id: int, fmt: str, output: Path, db_url: str | None) -> None:
    """The Nota Dinas that opens the cycle (numbered once, by the unit's pattern)."""
    from workflow.services.documents import nota_dinas

    _write_rendered(nota_dinas(Context(db_url).service(), instance_id), fmt, output)


@doc_group.command("format")
@click.option("--unit", required=True)
@click.option("--period", required=True, help="The triwulan, e.g. 2024-TW2.")
@click.option("--as", "username", required=True, help="Whose checklist (a Kasi, an ASN …).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx"]), default="pdf", show_default=True)
@output_option
@db_option
@handles_errors
def doc_format(unit: str, period: str, username: str, fmt: str, output: Path, db_url: str | None) -> None:
    """The Format / Checklist data kinerja of one person: their indicators, targets and the quarter to fill."""
    from workflow.services.documents import format_checklist, format_pdf, format_xlsx

    data = format_checklist(Context(db_url).service(), unit, period, username)
    if fmt == "xlsx":
        format_xlsx(data, output)
        click.echo(f"written {output}")
    else:
        _write_doc(format_pdf(data).pdf(), output)


@doc_group.command("rekap")
@click.option("--unit", required=True)
@click.option("--period", required=True)
@click.option("--format", "fmt", type=click.Choice(["xlsx"]), default="xlsx", show_default=True)
@output_option
@db_option
@handles_errors
def doc_rekap(unit: str, period: str, fmt: str, output: Path, db_url: str | None) -> None:
    """The Kertas Kerja Pengukuran of a unit and triwulan as a workbook."""
    from workflow.services.workbook import write_rekap_xlsx

    write_rekap_xlsx(Context(db_url).performance().rekap(unit, period), output)
    click.echo(f"written {output}")
