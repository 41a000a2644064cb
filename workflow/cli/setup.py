"""Setting up: `sakip init` (the schema), `sakip check` (the stored invariants), `sakip demo`."""

from __future__ import annotations

import secrets
import sys

import click

from workflow.cli.base import Context, db_option, handles_errors, main


@main.command()
@db_option
@handles_errors
def init(db_url: str | None) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from workflow.adapters import schema  # Alembic is only needed here; keep other commands quick to start.

    ctx = Context(db_url)
    schema.upgrade(ctx.db.engine)
    click.echo(f"schema at revision {schema.current_revision(ctx.db.engine)} ({ctx.db.dialect})")


@main.command("check")
@db_option
@handles_errors
def check_command(db_url: str | None) -> None:
    """Verify the stored workflow invariants; exit 1 listing any violation."""
    from workflow.services.check import check as run_check

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
