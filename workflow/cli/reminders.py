"""The schedule, the reminders, the outbox and the scheduler process."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import click

from workflow.cli.base import Context, db_option, emit, handles_errors, main, parse_moment


@main.group("schedule")
def schedule_group() -> None:
    """A Kabupaten's triwulan and annual schedule."""


@schedule_group.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@db_option
@handles_errors
def schedule_load(file: Path, db_url: str | None) -> None:
    """Load a schedule file: reminder settings and every cycle's opening and deadline."""
    from workflow.services.admin import load_schedule_file
    from workflow.services.schedule import parse_schedule_file

    ctx = Context(db_url)
    summary = load_schedule_file(ctx.service(), parse_schedule_file(file, ctx.registry))
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
    from workflow.services.reminders import ReminderEngine

    now = parse_moment(now_text, "now", None) if now_text else datetime.now(UTC)
    ctx = Context(db_url, clock=lambda: now)
    report = ReminderEngine(ctx.service(), ctx.runtime.smtp).run_pass()
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
    from sqlalchemy import select

    from workflow.adapters.models import OutboxMessage
    from workflow.domain.localtime import iso

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
        emit(rows)
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
    runner = ctx.scheduler()
    interval = ctx.config.scheduler_interval
    click.echo(f"scheduler polling every {interval} s on {ctx.db.dialect}")
    runner.run_forever(interval)
