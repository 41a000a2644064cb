"""The working calendar: when a step falls due, the holidays, the iCalendar feed tokens."""

from __future__ import annotations

import click

from workflow.cli.base import Context, db_option, emit, handles_errors, main, parse_moment
from workflow.errors import InvalidInput


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
    from workflow.adapters import repository
    from workflow.domain.waktu import parse_waktu
    from workflow.services.unit_calendars import UnitCalendars

    try:
        parsed = parse_waktu(waktu)
    except ValueError as exc:
        raise InvalidInput(f"waktu: {exc}", code="cli.waktu", detail=str(exc)) from None
    ctx = Context(db_url)
    with ctx.db.unit_of_work(readonly=True) as uow:
        row = repository.unit(uow.session, unit)
        calendar = UnitCalendars().for_unit(uow.session, row).calendar
    moment = parse_moment(start, "from", calendar.timezone)
    click.echo(calendar.local(calendar.due_at(moment, parsed)).isoformat())


@calendar_group.command("holidays")
@click.argument("year", type=click.IntRange(1990, 2100))
@click.option("--unit", default=None, help="Add this unit's own days off (and its Kabupaten's).")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def calendar_holidays(year: int, unit: str | None, as_json: bool, db_url: str | None) -> None:
    """Holidays and cuti bersama of YEAR (plus a unit's own days off)."""
    from workflow.domain.calendar import WorkCalendar

    calendar = WorkCalendar()
    if unit is not None:
        from workflow.adapters import repository
        from workflow.services.unit_calendars import UnitCalendars

        ctx = Context(db_url)
        with ctx.db.unit_of_work(readonly=True) as uow:
            row = repository.unit(uow.session, unit)
            calendar = UnitCalendars().for_unit(uow.session, row).calendar
    days = [{"date": d.isoformat(), "name": name} for d, name in calendar.holidays_in(year)]
    if as_json:
        emit(days)
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
    from workflow.services.icalfeed import issue_token, revoke_token

    service = Context(db_url).service()
    if revoke:
        click.echo(f"revoked {revoke_token(service, username, unit)} token(s)")
        return
    click.echo(issue_token(service, username, unit).path)
